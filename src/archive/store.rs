//! The content-addressed file store: every stored file is named by its SHA-512 and never
//! changed or deleted once its database row is committed.
//!
//! Writing is staged so that a crash at any moment can be repaired from the `tmp/` folder
//! alone: the bytes go to `tmp/<sha512>.pdf` (fsynced), are hard-linked to their final name
//! (directory fsynced), the database row is inserted and committed, and only then is the
//! `tmp/` name removed. A file in `tmp/` is therefore the mark of a write that may not have
//! been committed; [`FileStore::recover`] settles each one against the database.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha512};

/// A problem with the store's files.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {source}")]
pub struct StoreError {
    pub action: &'static str,
    pub path: PathBuf,
    pub source: io::Error,
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError {
        action,
        path,
        source,
    }
}

/// The files of an archive: `files/<first two hex digits>/<sha512>.pdf` and `files/tmp/`.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    tmp: PathBuf,
}

/// A file written to the store but not yet known to be committed.
#[derive(Debug)]
pub struct Staged {
    pub sha512: String,
    pub size: u64,
    tmp_path: PathBuf,
    /// False when the same bytes were stored before (for another row): then abandoning this
    /// write must not remove them.
    new_file: bool,
}

/// The lowercase hex SHA-512 of `bytes`.
pub fn sha512_hex(bytes: &[u8]) -> String {
    hex::encode(Sha512::digest(bytes))
}

impl FileStore {
    /// The store below `dir` (created if missing).
    pub fn open(dir: PathBuf) -> Result<FileStore, StoreError> {
        let tmp = dir.join("tmp");
        fs::create_dir_all(&tmp).map_err(io_error("cannot create", &tmp))?;
        Ok(FileStore { dir, tmp })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the file with this SHA-512 lives.
    pub fn path(&self, sha512: &str) -> PathBuf {
        self.dir.join(&sha512[..2]).join(format!("{sha512}.pdf"))
    }

    /// Writes one file durably under its final name; see [`FileStore::stage_all`].
    pub fn stage(&self, bytes: &[u8]) -> Result<Staged, StoreError> {
        Ok(self.stage_all(&[bytes])?.pop().expect("one file staged"))
    }

    /// Writes files durably under their final names, keeping each `tmp/` mark until
    /// [`Staged::finish`]. Each file is fsynced through the handle that wrote it, then each
    /// touched folder once, so a batch pays for its folder fsyncs once. On error,
    /// whatever this call staged is undone. Call this only while holding the write lock.
    pub fn stage_all(&self, files: &[&[u8]]) -> Result<Vec<Staged>, StoreError> {
        let mut staged = Vec::with_capacity(files.len());
        let result = self.write_and_sync(files, &mut staged);
        if let Err(e) = result {
            for s in staged {
                let _ = s.abandon(self);
            }
            return Err(e);
        }
        Ok(staged)
    }

    fn write_and_sync(&self, files: &[&[u8]], staged: &mut Vec<Staged>) -> Result<(), StoreError> {
        let mut dirs = std::collections::BTreeSet::from([self.tmp.clone()]);
        for bytes in files {
            let sha512 = sha512_hex(bytes);
            let tmp_path = self.tmp.join(format!("{sha512}.pdf"));
            remove_if_present(&tmp_path)?;
            let mut file = File::create(&tmp_path).map_err(io_error("cannot write", &tmp_path))?;
            file.write_all(bytes)
                .map_err(io_error("cannot write", &tmp_path))?;
            // Stored files are never changed: make that visible in their permissions too.
            let mut permissions = file
                .metadata()
                .map_err(io_error("cannot write", &tmp_path))?
                .permissions();
            permissions.set_readonly(true);
            file.set_permissions(permissions)
                .map_err(io_error("cannot write", &tmp_path))?;
            file.sync_all()
                .map_err(io_error("cannot sync", &tmp_path))?;
            drop(file);

            let path = self.path(&sha512);
            let shard = path.parent().expect("files have a shard folder");
            if !shard.is_dir() {
                fs::create_dir_all(shard).map_err(io_error("cannot create", shard))?;
                dirs.insert(self.dir.clone());
            }
            let new_file = match fs::hard_link(&tmp_path, &path) {
                Ok(()) => true,
                // The same bytes are already stored (for another paper): content addressing
                // makes them the same file. Make sure it really is.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let existing = fs::read(&path).map_err(io_error("cannot read", &path))?;
                    if sha512_hex(&existing) != sha512 {
                        return Err(StoreError {
                            action: "stored file does not match its name",
                            path,
                            source: io::Error::other("SHA-512 mismatch"),
                        });
                    }
                    false
                }
                Err(e) => return Err(io_error("cannot store", &path)(e)),
            };
            dirs.insert(shard.to_path_buf());
            staged.push(Staged {
                sha512,
                size: bytes.len() as u64,
                tmp_path,
                new_file,
            });
        }
        for dir in &dirs {
            sync_dir(dir)?;
        }
        Ok(())
    }

    /// Settles interrupted writes: for every mark in `tmp/`, keeps the stored file if
    /// `is_committed(sha512)` says a row refers to it, and removes it otherwise. Returns a line
    /// per action for the log. Call this only while holding the archive's write lock.
    pub fn recover(
        &self,
        mut is_committed: impl FnMut(&str) -> bool,
    ) -> Result<Vec<String>, StoreError> {
        let mut actions = Vec::new();
        let entries = fs::read_dir(&self.tmp).map_err(io_error("cannot read", &self.tmp))?;
        for entry in entries {
            let entry = entry.map_err(io_error("cannot read", &self.tmp))?;
            let tmp_path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let sha512 = name.strip_suffix(".pdf").filter(|s| is_sha512_hex(s));
            match sha512 {
                Some(sha512) if is_committed(sha512) => {
                    actions.push(format!("finished the committed write of {sha512}"));
                }
                Some(sha512) => {
                    let path = self.path(sha512);
                    match fs::remove_file(&path) {
                        Ok(()) => actions.push(format!(
                            "removed {} (written, never committed)",
                            path.display()
                        )),
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {
                            actions.push(format!("removed the unfinished write of {sha512}"))
                        }
                        Err(e) => return Err(io_error("cannot remove", &path)(e)),
                    }
                }
                None => actions.push(format!("removed the stray file tmp/{name}")),
            }
            // The writer of a committed file removes its mark after the commit, without the
            // lock: it may have done so since the folder was read.
            remove_if_present(&tmp_path)?;
        }
        Ok(actions)
    }

    /// Every stored file's SHA-512 (from its name), for `check`. Marks in `tmp/` and files
    /// whose names are not SHA-512 values are listed in `strays`.
    pub fn list(&self) -> Result<Listing, StoreError> {
        let mut listing = Listing::default();
        let entries = fs::read_dir(&self.dir).map_err(io_error("cannot read", &self.dir))?;
        for shard in entries {
            let shard = shard.map_err(io_error("cannot read", &self.dir))?.path();
            if !shard.is_dir() {
                listing.strays.push(shard);
                continue;
            }
            let files = fs::read_dir(&shard).map_err(io_error("cannot read", &shard))?;
            for file in files {
                let path = file.map_err(io_error("cannot read", &shard))?.path();
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                match name.strip_suffix(".pdf") {
                    Some(sha) if is_sha512_hex(sha) && path == self.path(sha) => {
                        listing.files.push(sha.to_string())
                    }
                    _ => listing.strays.push(path),
                }
            }
        }
        listing.files.sort();
        listing.strays.sort();
        Ok(listing)
    }

    /// Reads a stored file and checks its content against its name.
    pub fn read_verified(&self, sha512: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path(sha512);
        let bytes = fs::read(&path).map_err(io_error("cannot read", &path))?;
        if sha512_hex(&bytes) != sha512 {
            return Err(StoreError {
                action: "content does not match the SHA-512 in its name:",
                path,
                source: io::Error::other("the file was changed or damaged"),
            });
        }
        Ok(bytes)
    }
}

/// The store's content, from [`FileStore::list`].
#[derive(Debug, Default)]
pub struct Listing {
    pub files: Vec<String>,
    /// Anything that is not a stored file: leftovers in `tmp/`, foreign files.
    pub strays: Vec<PathBuf>,
}

impl Staged {
    /// Removes the `tmp/` mark after the row is committed. A crash before this is harmless:
    /// recovery finds the row and removes the mark.
    pub fn finish(self) {
        if let Err(e) = fs::remove_file(&self.tmp_path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove {}: {e}", self.tmp_path.display());
        }
    }

    /// Undoes a write whose transaction is rolled back. Call it before the rollback, while
    /// still holding the write lock.
    pub fn abandon(self, store: &FileStore) -> Result<(), StoreError> {
        if self.new_file {
            remove_if_present(&store.path(&self.sha512))?;
        }
        remove_if_present(&self.tmp_path)
    }
}

fn remove_if_present(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error("cannot remove", path)(e)),
        _ => Ok(()),
    }
}

fn is_sha512_hex(s: &str) -> bool {
    s.len() == 128 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Makes a directory's entries (new names) durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("cannot sync", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_finish_and_recover() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path().join("files")).unwrap();
        let a = store.stage(b"committed").unwrap();
        let b = store.stage(b"never committed").unwrap();
        let (a_sha, b_sha) = (a.sha512.clone(), b.sha512.clone());
        assert!(store.path(&a_sha).is_file() && store.path(&b_sha).is_file());
        std::fs::write(store.tmp.join("junk"), b"x").unwrap();

        // A crash now leaves both marks; only `a` got its row.
        let actions = store.recover(|sha| sha == a_sha).unwrap();
        assert_eq!(actions.len(), 3, "{actions:?}");
        assert!(store.path(&a_sha).is_file());
        assert!(!store.path(&b_sha).exists());
        assert_eq!(std::fs::read_dir(&store.tmp).unwrap().count(), 0);
        assert_eq!(store.list().unwrap().files, vec![a_sha.clone()]);
        assert_eq!(store.read_verified(&a_sha).unwrap(), b"committed");
        a.finish(); // the mark is gone already: no error

        // A writer that committed removes its own mark without the lock, possibly while
        // another process's recovery is looking at it.
        let c = store
            .stage(b"committed, mark removed during recovery")
            .unwrap();
        let c_sha = c.sha512.clone();
        let c_mark = c.tmp_path.clone();
        let actions = store
            .recover(|sha| {
                assert_eq!(sha, c_sha);
                std::fs::remove_file(&c_mark).unwrap();
                true
            })
            .unwrap();
        assert_eq!(actions.len(), 1, "{actions:?}");
        assert!(store.path(&c_sha).is_file());
        c.finish();

        // Same bytes again: same file.
        let again = store.stage(b"committed").unwrap();
        assert_eq!(again.sha512, a_sha);
        again.finish();

        // A damaged file is noticed.
        let path = store.path(&a_sha);
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).unwrap();
        std::fs::write(&path, b"changed").unwrap();
        assert!(store.read_verified(&a_sha).is_err());
        assert!(store.stage(b"committed").is_err());
    }
}
