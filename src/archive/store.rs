//! The content-addressed file store: every stored file is named by its SHA-512 and never
//! changed or deleted once its database row is committed.
//!
//! Writing is staged so that a crash at any moment can be repaired from the `tmp/` folder
//! alone, with two rounds of fsyncs per write (each round's fsyncs run at the same time):
//!
//! 1. The bytes go to `tmp/<sha512>.pdf`; the file and `tmp/` are fsynced. The mark is now
//!    a durable copy. Only then is it hard-linked to its final name.
//! 2. The final name's folder is fsynced while the database row is committed.
//!
//! Only after both is the mark removed. A file in `tmp/` is therefore the mark of a write
//! that may not have been committed, or whose final name may not be durable yet;
//! [`FileStore::recover`] settles each one against the database: it removes uncommitted
//! writes and completes committed ones (links the final name if missing, fsyncs its folder).

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha512};

/// At most this many fsyncs are waited for at the same time.
const MAX_PARALLEL_SYNCS: usize = 8;

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

/// Files written to the store (round 1 done) whose rows are not committed yet.
#[derive(Debug)]
pub struct Staging {
    pub files: Vec<Staged>,
    /// The folders that got new names (shards, and `files/` for a new shard): round 2.
    dirs: BTreeSet<PathBuf>,
}

/// One file of a [`Staging`].
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

    /// Stores one file completely (both rounds, mark removed), for copies that have no
    /// database row to commit (backups). Returns its SHA-512.
    pub fn put(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let staging = self.stage_all(&[bytes])?;
        if let Err(e) = staging.sync_names() {
            staging.abandon(self)?;
            return Err(e);
        }
        let sha512 = staging.files[0].sha512.clone();
        staging.finish();
        Ok(sha512)
    }

    /// Round 1 for many files: writes each to its `tmp/` mark, fsyncs the files and `tmp/`
    /// (all at the same time), then links the final names. The caller runs
    /// [`Staging::sync_names`] alongside its commit, then [`Staging::finish`] (or
    /// [`Staging::abandon`] if the commit failed). On error, whatever this call staged is
    /// undone. Call this only while holding the write lock.
    pub fn stage_all(&self, files: &[&[u8]]) -> Result<Staging, StoreError> {
        let mut staging = Staging {
            files: Vec::with_capacity(files.len()),
            dirs: BTreeSet::new(),
        };
        if let Err(e) = self.write_and_link(files, &mut staging) {
            let _ = staging.abandon(self);
            return Err(e);
        }
        Ok(staging)
    }

    fn write_and_link(&self, files: &[&[u8]], staging: &mut Staging) -> Result<(), StoreError> {
        let mut written = Vec::with_capacity(files.len());
        for bytes in files {
            let sha512 = sha512_hex(bytes);
            let tmp_path = self.tmp.join(format!("{sha512}.pdf"));
            remove_if_present(&tmp_path)?;
            let mut file = File::create(&tmp_path).map_err(io_error("cannot write", &tmp_path))?;
            // Registered at once, so that an error from here on removes the mark.
            staging.files.push(Staged {
                sha512,
                size: bytes.len() as u64,
                tmp_path,
                new_file: false,
            });
            let tmp_path = &staging.files.last().expect("just pushed").tmp_path;
            file.write_all(bytes)
                .map_err(io_error("cannot write", tmp_path))?;
            // Stored files are never changed: make that visible in their permissions too.
            let mut permissions = file
                .metadata()
                .map_err(io_error("cannot write", tmp_path))?
                .permissions();
            permissions.set_readonly(true);
            file.set_permissions(permissions)
                .map_err(io_error("cannot write", tmp_path))?;
            written.push(file);
        }

        // Round 1: the bytes and the marks are durable before any final name exists.
        let mut syncs: Vec<Flush<'_>> = written
            .iter()
            .zip(&staging.files)
            .map(|(file, s)| Flush::File(file, &s.tmp_path))
            .collect();
        syncs.push(Flush::Dir(&self.tmp));
        sync_parallel(&syncs)?;
        drop(syncs);
        drop(written);

        for staged in &mut staging.files {
            let path = self.path(&staged.sha512);
            let shard = path.parent().expect("files have a shard folder");
            if !shard.is_dir() {
                fs::create_dir_all(shard).map_err(io_error("cannot create", shard))?;
                staging.dirs.insert(self.dir.clone());
            }
            staged.new_file = match fs::hard_link(&staged.tmp_path, &path) {
                Ok(()) => true,
                // The same bytes are already stored (for another paper): content addressing
                // makes them the same file. Make sure it really is.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let existing = fs::read(&path).map_err(io_error("cannot read", &path))?;
                    if sha512_hex(&existing) != staged.sha512 {
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
            staging.dirs.insert(shard.to_path_buf());
        }
        Ok(())
    }

    /// Settles interrupted writes: for every mark in `tmp/`, completes the write if
    /// `is_committed(sha512)` says a row refers to it (final name linked and its folder
    /// fsynced), and removes the stored file otherwise. Returns a line per action for the
    /// log. Call this only while holding the archive's write lock.
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
                Some(sha512) if is_committed(sha512) => match self.complete(sha512, &tmp_path)? {
                    Completion::Done => {
                        actions.push(format!("finished the committed write of {sha512}"))
                    }
                    Completion::Vanished => {}
                    Completion::Damaged => {
                        // Kept for whoever repairs it; `check` reports the missing file.
                        actions.push(format!(
                            "the committed file {sha512} is missing and its mark tmp/{name} \
                             is damaged: restore the file from a backup"
                        ));
                        continue;
                    }
                },
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
            remove_if_present(&tmp_path)?;
        }
        Ok(actions)
    }

    /// Makes a committed file's final name durable, linking it from its mark if missing.
    fn complete(&self, sha512: &str, mark: &Path) -> Result<Completion, StoreError> {
        let path = self.path(sha512);
        let shard = path.parent().expect("files have a shard folder");
        if !path.exists() {
            let bytes = match fs::read(mark) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Completion::Vanished),
                Err(e) => return Err(io_error("cannot read", mark)(e)),
            };
            if sha512_hex(&bytes) != sha512 {
                return Ok(Completion::Damaged);
            }
            fs::create_dir_all(shard).map_err(io_error("cannot create", shard))?;
            sync_dir(&self.dir)?;
            match fs::hard_link(mark, &path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_error("cannot store", &path)(e)),
            }
        }
        sync_dir(shard)?;
        Ok(Completion::Done)
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

    /// The SHA-512 values named by the marks in `tmp/` (writes in progress or interrupted),
    /// for `check`; other names there are returned as they are.
    pub fn marks(&self) -> Result<Vec<String>, StoreError> {
        let entries = fs::read_dir(&self.tmp).map_err(io_error("cannot read", &self.tmp))?;
        let mut marks = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error("cannot read", &self.tmp))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            marks.push(name.strip_suffix(".pdf").unwrap_or(&name).to_string());
        }
        marks.sort();
        Ok(marks)
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

impl Staging {
    /// Round 2: makes the final names durable (their folders fsynced at the same time). Run
    /// it while the rows are committed; if it fails after the commit, keep the marks (do not
    /// call [`Staging::finish`]): recovery completes the names from them.
    pub fn sync_names(&self) -> Result<(), StoreError> {
        let syncs: Vec<Flush<'_>> = self.dirs.iter().map(|d| Flush::Dir(d)).collect();
        sync_parallel(&syncs)
    }

    /// Removes the `tmp/` marks once the rows are committed and the names durable. A crash
    /// before this is harmless: recovery finds the rows and removes the marks.
    pub fn finish(self) {
        for staged in self.files {
            if let Err(e) = fs::remove_file(&staged.tmp_path)
                && e.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!("cannot remove {}: {e}", staged.tmp_path.display());
            }
        }
    }

    /// Undoes the writes of a transaction that is not committed. Call it while still holding
    /// the write lock if possible (before the rollback).
    pub fn abandon(&self, store: &FileStore) -> Result<(), StoreError> {
        for staged in &self.files {
            if staged.new_file {
                remove_if_present(&store.path(&staged.sha512))?;
            }
            remove_if_present(&staged.tmp_path)?;
        }
        Ok(())
    }
}

/// What recovery could do for the mark of a committed write.
enum Completion {
    /// The final name is there and durable.
    Done,
    /// The writer removed the mark meanwhile (it does so, without the lock, once the name is
    /// durable).
    Vanished,
    /// The final name is missing and the mark's content does not match its name.
    Damaged,
}

/// One fsync to wait for.
enum Flush<'a> {
    /// A written file, through the handle that wrote it.
    File(&'a File, &'a Path),
    /// A folder's entries (new names).
    Dir(&'a Path),
}

impl Flush<'_> {
    fn run(&self) -> Result<(), StoreError> {
        match self {
            Flush::File(file, path) => file.sync_all().map_err(io_error("cannot sync", path)),
            Flush::Dir(dir) => sync_dir(dir),
        }
    }
}

/// Runs the fsyncs at the same time (up to [`MAX_PARALLEL_SYNCS`]): the disk serves
/// concurrent flushes together, so a round costs about one fsync instead of their sum.
fn sync_parallel(syncs: &[Flush<'_>]) -> Result<(), StoreError> {
    let next = AtomicUsize::new(0);
    let work = || -> Result<(), StoreError> {
        while let Some(sync) = syncs.get(next.fetch_add(1, Ordering::Relaxed)) {
            sync.run()?;
        }
        Ok(())
    };
    let helpers = syncs.len().clamp(1, MAX_PARALLEL_SYNCS) - 1;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..helpers).map(|_| scope.spawn(work)).collect();
        let mine = work();
        handles
            .into_iter()
            .map(|h| h.join().expect("an fsync thread panicked"))
            .chain([mine])
            .collect()
    })
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

    /// Stores `bytes` as a write whose row is about to be committed (both rounds, mark kept).
    fn staged(store: &FileStore, bytes: &[u8]) -> Staging {
        let staging = store.stage_all(&[bytes]).unwrap();
        staging.sync_names().unwrap();
        staging
    }

    #[test]
    fn stage_finish_and_recover() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path().join("files")).unwrap();
        let a = staged(&store, b"committed");
        let b = staged(&store, b"never committed");
        let (a_sha, b_sha) = (a.files[0].sha512.clone(), b.files[0].sha512.clone());
        assert!(store.path(&a_sha).is_file() && store.path(&b_sha).is_file());
        assert_eq!(store.marks().unwrap(), {
            let mut m = vec![a_sha.clone(), b_sha.clone()];
            m.sort();
            m
        });
        std::fs::write(store.tmp.join("junk"), b"x").unwrap();

        // A crash now leaves both marks; only `a` got its row.
        let actions = store.recover(|sha| sha == a_sha).unwrap();
        assert_eq!(actions.len(), 3, "{actions:?}");
        assert!(store.path(&a_sha).is_file());
        assert!(!store.path(&b_sha).exists());
        assert!(store.marks().unwrap().is_empty());
        assert_eq!(store.list().unwrap().files, vec![a_sha.clone()]);
        assert_eq!(store.read_verified(&a_sha).unwrap(), b"committed");
        a.finish(); // the mark is gone already: no error

        // A writer that committed removes its own mark without the lock, possibly while
        // another process's recovery is looking at it.
        let c = staged(&store, b"committed, mark removed during recovery");
        let c_sha = c.files[0].sha512.clone();
        let c_mark = c.files[0].tmp_path.clone();
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

        // Same bytes again: same file, and abandoning the second write keeps it.
        assert_eq!(store.put(b"committed").unwrap(), a_sha);
        let again = staged(&store, b"committed");
        again.abandon(&store).unwrap();
        assert_eq!(store.read_verified(&a_sha).unwrap(), b"committed");
        assert!(store.marks().unwrap().is_empty());

        // A damaged file is noticed.
        let path = store.path(&a_sha);
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).unwrap();
        std::fs::write(&path, b"changed").unwrap();
        assert!(store.read_verified(&a_sha).is_err());
        assert!(store.stage_all(&[b"committed"]).is_err());
        assert!(
            store.marks().unwrap().is_empty(),
            "a failed stage leaves no mark"
        );
    }

    /// A power cut after the commit but before the final name reached the disk leaves the
    /// mark and no final name: recovery links the name from the mark.
    #[test]
    fn recovery_completes_a_committed_write_from_its_mark() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path().join("files")).unwrap();
        let staging = store.stage_all(&[b"committed, name lost"]).unwrap();
        let sha = staging.files[0].sha512.clone();
        let path = store.path(&sha);
        std::fs::remove_file(&path).unwrap();
        std::fs::remove_dir(path.parent().unwrap()).unwrap();

        let actions = store.recover(|s| s == sha).unwrap();
        assert_eq!(actions, [format!("finished the committed write of {sha}")]);
        assert_eq!(store.read_verified(&sha).unwrap(), b"committed, name lost");
        assert!(store.marks().unwrap().is_empty());

        // A damaged mark is never linked to a final name.
        let staging = store.stage_all(&[b"damaged mark"]).unwrap();
        let sha = staging.files[0].sha512.clone();
        std::fs::remove_file(store.path(&sha)).unwrap();
        let mark = &staging.files[0].tmp_path;
        let mut perms = std::fs::metadata(mark).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(mark, perms).unwrap();
        std::fs::write(mark, b"garbage").unwrap();
        let actions = store.recover(|s| s == sha).unwrap();
        assert_eq!(actions.len(), 1);
        assert!(actions[0].contains("is damaged"), "{actions:?}");
        assert!(!store.path(&sha).exists());
        assert_eq!(store.marks().unwrap(), [sha], "kept for inspection");
    }

    #[test]
    fn a_batch_is_staged_in_one_round_per_kind_of_fsync() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path().join("files")).unwrap();
        let bytes: Vec<Vec<u8>> = (0..20).map(|i| format!("file {i}").into_bytes()).collect();
        let refs: Vec<&[u8]> = bytes.iter().map(|b| &b[..]).collect();
        let staging = store.stage_all(&refs).unwrap();
        assert_eq!(staging.files.len(), 20);
        // Every new shard folder, and files/ itself for them.
        let shards: BTreeSet<_> = staging
            .files
            .iter()
            .map(|s| store.path(&s.sha512).parent().unwrap().to_path_buf())
            .collect();
        assert_eq!(staging.dirs.len(), shards.len() + 1);
        staging.sync_names().unwrap();
        staging.finish();
        assert_eq!(store.list().unwrap().files.len(), 20);
        assert!(store.marks().unwrap().is_empty());
    }
}
