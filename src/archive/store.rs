//! The content-addressed file store: every stored file is named by its SHA-512 and never
//! changed or deleted once its database row is committed.
//!
//! A write is staged so that a crash or power cut at any moment can be settled from the
//! `tmp/` folder alone, and so that only two fsyncs stand between a rendered paper and its
//! commit (the file's, then the database's):
//!
//! 1. [`FileStore::prepare`], while the paper renders: makes an empty `tmp/<random>.part`
//!    (the write's mark) and fsyncs `tmp/`, so the mark's name is durable. Creating a file is
//!    the slowest step of a write on some file systems.
//! 2. [`FileStore::stage_all`]: writes the bytes into the mark, fsyncs it (now a durable copy),
//!    and only then hard-links it to its final name `<xx>/<sha512>.pdf`.
//! 3. The caller commits the row.
//! 4. [`Staging::settle`], later (during the next render, or when the archive is closed):
//!    fsyncs the final names' folders, then removes the marks.
//!
//! A mark therefore stays until its file's final name is durable. [`FileStore::recover`]
//! settles every mark by its content's SHA-512: without a committed row the file is removed;
//! with one, the final name is linked from the mark if a power cut lost it, and its folder
//! fsynced.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha512};
use tempfile::NamedTempFile;

/// At most this many files are hashed and fsynced at the same time.
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

/// The files of an archive: `files/<first two hex digits>/<sha512>.pdf` and `files/tmp/`
/// (the renditions), or `originals/<xx>/<sha512>.original` (the files legacy papers were
/// imported from).
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    tmp: PathBuf,
    /// The name's ending after the SHA-512 (`pdf`, `original`).
    suffix: &'static str,
}

/// Empty marks in `tmp/`, durable, ready for writes ([`FileStore::prepare`]); removed when
/// dropped unused.
#[derive(Debug, Default)]
pub struct Prepared(Vec<NamedTempFile>);

/// Files stored under their final names whose marks are still kept: before the commit (undo
/// with [`Staging::abandon`]) and after it until [`Staging::settle`].
#[derive(Debug)]
pub struct Staging {
    pub files: Vec<Staged>,
    /// The folders that got new names (shards, and `files/` for a new shard).
    dirs: BTreeSet<PathBuf>,
}

/// One file of a [`Staging`].
#[derive(Debug)]
pub struct Staged {
    pub sha512: String,
    pub size: u64,
    mark: PathBuf,
    /// False when the same bytes were stored before (for another row): then abandoning this
    /// write must not remove them.
    new_file: bool,
}

/// The lowercase hex SHA-512 of `bytes`.
pub fn sha512_hex(bytes: &[u8]) -> String {
    hex::encode(Sha512::digest(bytes))
}

impl FileStore {
    /// The store of PDFs below `dir` (created if missing).
    pub fn open(dir: PathBuf) -> Result<FileStore, StoreError> {
        FileStore::open_with_suffix(dir, "pdf")
    }

    /// A store below `dir` whose files are named `<sha512>.<suffix>`.
    pub fn open_with_suffix(dir: PathBuf, suffix: &'static str) -> Result<FileStore, StoreError> {
        let tmp = dir.join("tmp");
        fs::create_dir_all(&tmp).map_err(io_error("cannot create", &tmp))?;
        Ok(FileStore { dir, tmp, suffix })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the file with this SHA-512 lives.
    pub fn path(&self, sha512: &str) -> PathBuf {
        self.dir
            .join(&sha512[..2])
            .join(format!("{sha512}.{}", self.suffix))
    }

    /// Stores one file completely, for copies that have no database row to commit
    /// (backups). Returns its SHA-512.
    pub fn put(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let staging = self.stage_all(&[bytes], self.prepare(1)?)?;
        let sha512 = staging.files[0].sha512.clone();
        if let Err(e) = staging.settle() {
            return Err(e.error);
        }
        Ok(sha512)
    }

    /// Step 1: makes `n` empty marks in `tmp/` and fsyncs `tmp/`. Run it while the papers
    /// render: creating a file is slow on some file systems (ext4 without a journal
    /// searches its inode tables for one not freed recently). Call this only while holding
    /// the write lock.
    pub fn prepare(&self, n: usize) -> Result<Prepared, StoreError> {
        if n == 0 {
            return Ok(Prepared::default());
        }
        let marks = (0..n)
            .map(|_| {
                tempfile::Builder::new()
                    .suffix(".part")
                    .tempfile_in(&self.tmp)
                    .map_err(io_error("cannot write in", &self.tmp))
            })
            .collect::<Result<_, _>>()?;
        sync_dir(&self.tmp)?;
        Ok(Prepared(marks))
    }

    /// Step 2 for many files: writes each into a prepared mark (missing marks are made
    /// here), fsyncs and hashes them (several at the same time), then links each to its
    /// final name. The caller commits the rows, then keeps the staging until it can
    /// [`Staging::settle`] it, or [`Staging::abandon`]s it if the commit failed. On error,
    /// whatever this call staged is undone. Call this only while holding the write lock.
    pub fn stage_all(&self, files: &[&[u8]], prepared: Prepared) -> Result<Staging, StoreError> {
        let mut marks = prepared.0;
        if marks.len() < files.len() {
            marks.extend(self.prepare(files.len() - marks.len())?.0);
        }
        marks.truncate(files.len());
        let mut written = Vec::with_capacity(files.len());
        for (bytes, mark) in files.iter().zip(marks) {
            let (mut file, path) = mark.into_parts();
            write_read_only(&mut file, bytes).map_err(io_error("cannot write", &path))?;
            written.push((file, path));
        }
        // The bytes are durable before any final name exists.
        let hashes = hash_and_sync(files, &written)?;

        // From here on, the marks are removed explicitly (abandon, settle or recovery).
        let mut staging = Staging {
            files: Vec::with_capacity(files.len()),
            dirs: BTreeSet::new(),
        };
        let mut kept = Ok(());
        for ((bytes, (_, path)), sha512) in files.iter().zip(written).zip(hashes) {
            match path.keep() {
                Ok(mark) => staging.files.push(Staged {
                    sha512,
                    size: bytes.len() as u64,
                    mark,
                    new_file: false,
                }),
                Err(e) => {
                    kept = Err(io_error("cannot keep", &self.tmp)(e.error));
                    break;
                }
            }
        }
        if let Err(e) = kept.and_then(|()| self.link(&mut staging)) {
            let _ = staging.abandon(self);
            return Err(e);
        }
        Ok(staging)
    }

    fn link(&self, staging: &mut Staging) -> Result<(), StoreError> {
        for staged in &mut staging.files {
            let path = self.path(&staged.sha512);
            let shard = path.parent().expect("files have a shard folder");
            if !shard.is_dir() {
                fs::create_dir_all(shard).map_err(io_error("cannot create", shard))?;
                staging.dirs.insert(self.dir.clone());
            }
            staged.new_file = match fs::hard_link(&staged.mark, &path) {
                Ok(()) => true,
                // The same bytes are already stored (for another paper): content addressing
                // makes them the same file. Make sure it really is.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    self.read_verified(&staged.sha512)?;
                    false
                }
                Err(e) => return Err(io_error("cannot store", &path)(e)),
            };
            staging.dirs.insert(shard.to_path_buf());
        }
        Ok(())
    }

    /// Settles interrupted writes: for every mark in `tmp/`, completes the write if
    /// `is_committed(sha512 of its content)` says a row refers to it (final name linked if
    /// missing, its folder fsynced), and removes the stored file otherwise; then removes the
    /// mark. Returns a line per action for the log. Call this only while holding the
    /// archive's write lock.
    pub fn recover(
        &self,
        mut is_committed: impl FnMut(&str) -> bool,
    ) -> Result<Vec<String>, StoreError> {
        let mut actions = Vec::new();
        for mark in self.marks()? {
            let name = mark.path.file_name().unwrap_or_default().to_string_lossy();
            match &mark.sha512 {
                // Written by an earlier version, never linked, or damaged: if a committed
                // file had its final name lost with it, `check` reports the missing file.
                None => actions.push(format!("removed tmp/{name} (no stored file)")),
                Some(sha512) if is_committed(sha512) => {
                    self.complete(sha512, &mark.path)?;
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
                            actions.push(format!("removed the unfinished write tmp/{name}"))
                        }
                        Err(e) => return Err(io_error("cannot remove", &path)(e)),
                    }
                }
            }
            super::test_pause("recovering");
            // A writer whose row is committed removes its own mark (without the lock) once
            // its name is durable: it may have done so since the folder was read.
            remove_if_present(&mark.path)?;
        }
        Ok(actions)
    }

    /// Makes a committed file's final name durable, linking it from its mark if missing.
    fn complete(&self, sha512: &str, mark: &Path) -> Result<(), StoreError> {
        let path = self.path(sha512);
        let shard = path.parent().expect("files have a shard folder");
        if !path.exists() {
            fs::create_dir_all(shard).map_err(io_error("cannot create", shard))?;
            sync_dir(&self.dir)?;
            match fs::hard_link(mark, &path) {
                Ok(()) => {}
                Err(e) if matches!(e.kind(), io::ErrorKind::AlreadyExists) => {}
                // The writer removed its mark meanwhile: its name is durable.
                Err(e) if matches!(e.kind(), io::ErrorKind::NotFound) => return Ok(()),
                Err(e) => return Err(io_error("cannot store", &path)(e)),
            }
        }
        sync_dir(shard)
    }

    /// The marks in `tmp/` with the SHA-512 of their content (`None` when it is not a file
    /// that could be stored: empty or unreadable), for recovery and
    /// `check`. Under the write lock they are writes in progress, committed writes whose
    /// marks are not removed yet, or leftovers of a crash.
    pub fn marks(&self) -> Result<Vec<Mark>, StoreError> {
        let entries = fs::read_dir(&self.tmp).map_err(io_error("cannot read", &self.tmp))?;
        let mut marks = Vec::new();
        for entry in entries {
            let path = entry.map_err(io_error("cannot read", &self.tmp))?.path();
            let sha512 = match fs::read(&path) {
                Ok(bytes) if bytes.is_empty() => None,
                Ok(bytes) => Some(sha512_hex(&bytes)),
                // Settled by its writer since the folder was read.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(_) => None,
            };
            marks.push(Mark { path, sha512 });
        }
        marks.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(marks)
    }

    /// Every stored file's SHA-512 (from its name), for `check`. Files whose names are not
    /// SHA-512 values are listed in `strays`; `tmp/` is left out (see [`FileStore::marks`]).
    pub fn list(&self) -> Result<Listing, StoreError> {
        let mut listing = Listing::default();
        let entries = fs::read_dir(&self.dir).map_err(io_error("cannot read", &self.dir))?;
        for shard in entries {
            let shard = shard.map_err(io_error("cannot read", &self.dir))?.path();
            if shard == self.tmp {
                continue;
            }
            if !shard.is_dir() {
                listing.strays.push(shard);
                continue;
            }
            let files = fs::read_dir(&shard).map_err(io_error("cannot read", &shard))?;
            for file in files {
                let path = file.map_err(io_error("cannot read", &shard))?.path();
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                let stem = name
                    .strip_suffix(self.suffix)
                    .and_then(|n| n.strip_suffix('.'));
                match stem {
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

/// A file in `tmp/`, from [`FileStore::marks`].
#[derive(Debug)]
pub struct Mark {
    pub path: PathBuf,
    pub sha512: Option<String>,
}

/// The store's content, from [`FileStore::list`].
#[derive(Debug, Default)]
pub struct Listing {
    pub files: Vec<String>,
    /// Anything that is not a stored file (foreign files).
    pub strays: Vec<PathBuf>,
}

/// A [`Staging::settle`] that could not fsync a folder: the marks are kept.
#[derive(Debug)]
pub struct Unsettled {
    pub staging: Staging,
    pub error: StoreError,
}

impl Staging {
    /// Step 4, after the commit: fsyncs the final names' folders (several at the same time),
    /// then removes the marks. If an fsync fails the marks stay (recovery completes them on
    /// the next opening), and the staging comes back with the error.
    pub fn settle(self) -> Result<(), Box<Unsettled>> {
        let jobs: Vec<_> = self.dirs.iter().map(|d| d.as_path()).collect();
        if let Err(error) = run_parallel(&jobs, |dir| sync_dir(dir)) {
            return Err(Box::new(Unsettled {
                staging: self,
                error,
            }));
        }
        for staged in self.files {
            if let Err(e) = fs::remove_file(&staged.mark)
                && e.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!("cannot remove {}: {e}", staged.mark.display());
            }
        }
        Ok(())
    }

    /// Undoes the writes of a transaction that is not committed. Call it while still holding
    /// the write lock if possible (before the rollback).
    pub fn abandon(&self, store: &FileStore) -> Result<(), StoreError> {
        for staged in &self.files {
            if staged.new_file {
                remove_if_present(&store.path(&staged.sha512))?;
            }
            remove_if_present(&staged.mark)?;
        }
        Ok(())
    }
}

/// Writes a stored file's bytes and makes it read-only: stored files are never changed.
fn write_read_only(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    let mut permissions = file.metadata()?.permissions();
    #[cfg(unix)]
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o444);
    #[cfg(not(unix))]
    permissions.set_readonly(true);
    file.set_permissions(permissions)
}

/// Fsyncs each written file through its handle and hashes its bytes, several files at the
/// same time; the SHA-512 values in order.
fn hash_and_sync(
    files: &[&[u8]],
    written: &[(File, tempfile::TempPath)],
) -> Result<Vec<String>, StoreError> {
    let jobs: Vec<(usize, &[u8], &File, &Path)> = files
        .iter()
        .zip(written)
        .enumerate()
        .map(|(i, (bytes, (file, path)))| (i, *bytes, file, path.as_ref()))
        .collect();
    let hashes = std::sync::Mutex::new(vec![String::new(); files.len()]);
    run_parallel(&jobs, |&(i, bytes, file, path)| {
        let sha512 = sha512_hex(bytes);
        file.sync_all().map_err(io_error("cannot sync", path))?;
        hashes.lock().expect("no panic while holding it")[i] = sha512;
        Ok(())
    })?;
    Ok(hashes.into_inner().expect("no panic while holding it"))
}

/// Runs `job` on every item, on up to [`MAX_PARALLEL_SYNCS`] threads (the calling thread is
/// one of them; a single item runs on it alone). The first error is returned.
fn run_parallel<T: std::marker::Sync>(
    items: &[T],
    job: impl Fn(&T) -> Result<(), StoreError> + std::marker::Sync,
) -> Result<(), StoreError> {
    let next = AtomicUsize::new(0);
    let work = || -> Result<(), StoreError> {
        while let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) {
            job(item)?;
        }
        Ok(())
    };
    let helpers = items.len().clamp(1, MAX_PARALLEL_SYNCS) - 1;
    if helpers == 0 {
        return work();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..helpers).map(|_| scope.spawn(work)).collect();
        let mine = work();
        handles
            .into_iter()
            .map(|h| h.join().expect("a store thread panicked"))
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

    /// Stores `bytes` as a write whose row is about to be committed (mark kept).
    fn staged(store: &FileStore, bytes: &[u8]) -> Staging {
        store
            .stage_all(&[bytes], store.prepare(1).unwrap())
            .unwrap()
    }

    fn writable(path: &Path) {
        let mut perms = std::fs::metadata(path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(path, perms).unwrap();
    }

    #[test]
    fn stage_settle_and_recover() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path().join("files")).unwrap();
        let a = staged(&store, b"committed");
        let b = staged(&store, b"never committed");
        let (a_sha, b_sha) = (a.files[0].sha512.clone(), b.files[0].sha512.clone());
        assert_eq!(a_sha, sha512_hex(b"committed"));
        assert!(store.path(&a_sha).is_file() && store.path(&b_sha).is_file());
        let mut marked: Vec<_> = store
            .marks()
            .unwrap()
            .into_iter()
            .map(|m| m.sha512)
            .collect();
        marked.sort();
        let mut expected = vec![Some(a_sha.clone()), Some(b_sha.clone())];
        expected.sort();
        assert_eq!(marked, expected, "each mark holds its file's bytes");
        std::fs::write(store.tmp.join("junk"), b"x").unwrap();

        // A crash now leaves both marks; only `a` got its row.
        let actions = store.recover(|sha| sha == a_sha).unwrap();
        assert_eq!(actions.len(), 3, "{actions:?}");
        assert!(store.path(&a_sha).is_file());
        assert!(!store.path(&b_sha).exists());
        assert!(store.marks().unwrap().is_empty());
        assert_eq!(store.list().unwrap().files, vec![a_sha.clone()]);
        assert_eq!(store.read_verified(&a_sha).unwrap(), b"committed");
        a.settle().unwrap(); // the mark is gone already: no error

        // A writer that committed removes its own mark without the lock, possibly while
        // another process's recovery is looking at it.
        let c = staged(&store, b"committed, mark removed during recovery");
        let c_sha = c.files[0].sha512.clone();
        let c_mark = c.files[0].mark.clone();
        let actions = store
            .recover(|sha| {
                assert_eq!(sha, c_sha);
                std::fs::remove_file(&c_mark).unwrap();
                true
            })
            .unwrap();
        assert_eq!(actions.len(), 1, "{actions:?}");
        assert!(store.path(&c_sha).is_file());
        c.settle().unwrap();

        // Same bytes again: same file, and abandoning the second write keeps it.
        assert_eq!(store.put(b"committed").unwrap(), a_sha);
        let again = staged(&store, b"committed");
        again.abandon(&store).unwrap();
        assert_eq!(store.read_verified(&a_sha).unwrap(), b"committed");
        assert!(store.marks().unwrap().is_empty());

        // A damaged file is noticed, also when the same bytes are stored again.
        let path = store.path(&a_sha);
        writable(&path);
        std::fs::write(&path, b"changed").unwrap();
        assert!(store.read_verified(&a_sha).is_err());
        assert!(
            store
                .stage_all(&[b"committed"], Prepared::default())
                .is_err()
        );
        assert!(
            store.marks().unwrap().is_empty(),
            "a failed stage leaves no mark"
        );
    }

    /// A power cut after the commit, before the final name reached the disk, leaves the mark
    /// and no final name: recovery links the name from the mark. Marks of writes that never
    /// got that far are removed.
    #[test]
    fn recovery_completes_a_committed_write_from_its_mark() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path().join("files")).unwrap();
        let staging = staged(&store, b"committed, name lost");
        let sha = staging.files[0].sha512.clone();
        let path = store.path(&sha);
        std::fs::remove_file(&path).unwrap();
        std::fs::remove_dir(path.parent().unwrap()).unwrap();

        // Also left by the power cut: a prepared mark never written, one half written.
        store.prepare(1).unwrap().0.pop().unwrap().keep().unwrap();
        let half = store.prepare(1).unwrap().0.pop().unwrap().keep().unwrap().1;
        std::fs::write(&half, b"half a PD").unwrap();

        let actions = store.recover(|s| s == sha).unwrap();
        assert_eq!(actions.len(), 3, "{actions:?}");
        assert!(actions.contains(&format!("finished the committed write of {sha}")));
        assert!(actions.iter().any(|a| a.ends_with("(no stored file)")));
        assert_eq!(store.read_verified(&sha).unwrap(), b"committed, name lost");
        assert!(store.marks().unwrap().is_empty());
        assert_eq!(store.list().unwrap().files, [sha]);
    }

    #[test]
    fn a_batch_is_written_with_its_prepared_marks() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path().join("files")).unwrap();
        let bytes: Vec<Vec<u8>> = (0..20).map(|i| format!("file {i}").into_bytes()).collect();
        let refs: Vec<&[u8]> = bytes.iter().map(|b| &b[..]).collect();
        let staging = store.stage_all(&refs, store.prepare(25).unwrap()).unwrap();
        assert_eq!(staging.files.len(), 20);
        for (staged, bytes) in staging.files.iter().zip(&bytes) {
            assert_eq!(staged.sha512, sha512_hex(bytes), "in order");
        }
        assert_eq!(
            store.marks().unwrap().len(),
            20,
            "the 5 unused marks are gone"
        );
        // Every new shard folder, and files/ itself for them.
        let shards: BTreeSet<_> = staging
            .files
            .iter()
            .map(|s| store.path(&s.sha512).parent().unwrap().to_path_buf())
            .collect();
        assert_eq!(staging.dirs.len(), shards.len() + 1);
        staging.settle().unwrap();
        assert_eq!(store.list().unwrap().files.len(), 20);
        assert!(store.marks().unwrap().is_empty());

        // Marks prepared for a render that failed are removed.
        let prepared = store.prepare(3).unwrap();
        assert_eq!(store.marks().unwrap().len(), 3);
        drop(prepared);
        assert!(store.marks().unwrap().is_empty());
    }
}
