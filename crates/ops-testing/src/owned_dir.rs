//! A temporary directory a [`Context`](crate::Context) owns: made on first
//! use, kept for all its runs, removed when the last handle drops unless it
//! was asked to be kept. The storage instances and the containers'
//! filesystems each live in one.

use std::io;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// See the module documentation. Shared with the run's backend through an
/// `Arc`, so the backend can make it when the charm first needs it.
pub(crate) struct OwnedDir {
    prefix: &'static str,
    /// Make it on a memory-backed filesystem when there is one.
    in_memory: bool,
    dir: OnceLock<tempfile::TempDir>,
    keep: AtomicBool,
}

impl OwnedDir {
    /// A directory named `<prefix><random>` in the system temporary
    /// directory, not made yet.
    pub(crate) fn new(prefix: &'static str) -> Self {
        OwnedDir {
            prefix,
            in_memory: false,
            dir: OnceLock::new(),
            keep: AtomicBool::new(false),
        }
    }

    /// Like [`OwnedDir::new`], but made in `/dev/shm` (a memory-backed
    /// filesystem) where that is a writable directory, and in the system
    /// temporary directory otherwise. Making and removing directories
    /// there costs microseconds, where a disk-backed one can cost
    /// milliseconds per directory.
    pub(crate) fn in_memory(prefix: &'static str) -> Self {
        OwnedDir {
            prefix,
            in_memory: true,
            dir: OnceLock::new(),
            keep: AtomicBool::new(false),
        }
    }

    /// The directory, made now if it does not exist yet.
    pub(crate) fn path(&self) -> io::Result<&Path> {
        if let Some(dir) = self.dir.get() {
            return Ok(dir.path());
        }
        let mut builder = tempfile::Builder::new();
        builder.prefix(self.prefix);
        let shm = Path::new("/dev/shm");
        let made = if self.in_memory && shm.is_dir() {
            builder.tempdir_in(shm).or_else(|_| builder.tempdir())?
        } else {
            builder.tempdir()?
        };
        // Another thread may have won the race: its directory is kept and
        // ours removed when `made` drops.
        Ok(self.dir.get_or_init(|| made).path())
    }

    /// The directory if it was made.
    pub(crate) fn existing(&self) -> Option<&Path> {
        self.dir.get().map(tempfile::TempDir::path)
    }

    /// Whether the directory outlives its owner (for inspection).
    pub(crate) fn set_keep(&self, keep: bool) {
        self.keep.store(keep, Ordering::Relaxed);
    }
}

impl Drop for OwnedDir {
    fn drop(&mut self) {
        if *self.keep.get_mut()
            && let Some(dir) = self.dir.take()
        {
            let _ = dir.keep();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_on_first_use_and_removed_unless_kept() {
        let dir = OwnedDir::new("owned-dir-test-");
        assert!(dir.existing().is_none());
        let path = dir.path().unwrap().to_owned();
        assert!(path.is_dir());
        assert_eq!(dir.path().unwrap(), path, "made once");
        drop(dir);
        assert!(!path.exists());

        let dir = OwnedDir::new("owned-dir-test-");
        dir.set_keep(true);
        let path = dir.path().unwrap().to_owned();
        drop(dir);
        assert!(path.is_dir(), "kept");
        std::fs::remove_dir_all(path).unwrap();
    }

    #[test]
    fn an_in_memory_directory_is_made_and_removed_the_same_way() {
        let dir = OwnedDir::in_memory("owned-dir-test-");
        let path = dir.path().unwrap().to_owned();
        assert!(path.is_dir());
        if Path::new("/dev/shm").is_dir() {
            assert!(path.starts_with("/dev/shm"), "{path:?}");
        }
        drop(dir);
        assert!(!path.exists());
    }
}
