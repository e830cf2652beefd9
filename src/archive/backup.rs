//! `drucksache backup`: a consistent copy of the archive while it stays in use.

use std::path::Path;

use rusqlite::Connection;

use super::{Archive, ArchiveError, DB_FILE, FILES_DIR, FileStore, ORIGINALS_DIR};

impl Archive {
    /// Copies the archive to `target` (which must not exist or be empty) while it stays in
    /// use: a consistent database snapshot (`VACUUM INTO`), the files it refers to, and the
    /// other files of the archive root (configuration, records, keys). The search index is
    /// left out: it is rebuilt from the copy.
    pub fn backup(&self, target: &Path) -> Result<usize, ArchiveError> {
        if target.exists()
            && std::fs::read_dir(target)
                .map(|mut d| d.next().is_some())
                .unwrap_or(true)
        {
            return Err(ArchiveError::BackupTarget(format!(
                "{} exists and is not empty: back up into a new folder",
                target.display()
            )));
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ArchiveError::Root { path, source }
        };
        std::fs::create_dir_all(target).map_err(io(target))?;
        let db_copy = target.join(DB_FILE);
        self.conn
            .execute("VACUUM INTO ?1", [db_copy.to_string_lossy()])?;
        let snapshot = Connection::open(&db_copy)?;
        let mut copied = 0;
        for (store, table, copy) in [
            (
                &self.store,
                "renditions",
                FileStore::open(target.join(FILES_DIR))?,
            ),
            (
                &self.originals,
                "originals",
                FileStore::open_with_suffix(target.join(ORIGINALS_DIR), "original")?,
            ),
        ] {
            let mut stmt = snapshot.prepare(&format!("SELECT DISTINCT sha512 FROM {table}"))?;
            let hashes: Vec<String> = stmt
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for sha in &hashes {
                copy.put(&store.read_verified(sha)?)?;
            }
            copied += hashes.len();
        }
        copy_tree(&self.root, target, &self.root).map_err(io(&self.root))?;
        Ok(copied)
    }
}

/// Copies the archive root's own files (not the database, the store or the index).
fn copy_tree(dir: &Path, target: &Path, root: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let rel = path.strip_prefix(root).expect("below root");
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        if dir == root
            && (first.starts_with(DB_FILE)
                || first == FILES_DIR
                || first == ORIGINALS_DIR
                || first == "index")
        {
            continue;
        }
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(target.join(rel))?;
            copy_tree(&path, target, root)?;
        } else {
            std::fs::copy(&path, target.join(rel))?;
        }
    }
    Ok(())
}
