//! A Context's own charm directory, named at its first run and made only
//! when something looks at it: the charm reading its hook environment, or
//! the test calling `Context::charm_dir`. Most runs never do, and making
//! and removing a directory cost more than a whole run.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// What has happened to the directory so far.
enum Made {
    /// Named, not made.
    Not,
    /// Made; removed on drop.
    Yes,
    /// Making it failed: the run that asked reports this.
    Failed(Option<std::io::Error>),
}

/// A temporary directory with a fixed path, made on first use and removed
/// (with what it holds) on drop if it was made.
pub(crate) struct LazyDir {
    path: PathBuf,
    made: Mutex<Made>,
}

impl LazyDir {
    /// A fresh name under the system's temporary directory; nothing is made yet.
    pub(crate) fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "ops-testing-charm-{}-{nanos:08x}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let base = std::env::temp_dir();
        let base = std::path::absolute(&base).unwrap_or(base);
        LazyDir {
            path: base.join(name),
            made: Mutex::new(Made::Not),
        }
    }

    /// The directory's path, whether made or not.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Makes the directory if it is not made yet. A failure is kept for
    /// [`LazyDir::take_failure`] (the charm reading its environment cannot
    /// be handed an error).
    pub(crate) fn make(&self) {
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(*made, Made::Not) {
            use std::os::unix::fs::DirBuilderExt;
            *made = match std::fs::DirBuilder::new().mode(0o700).create(&self.path) {
                Ok(()) => Made::Yes,
                Err(e) => Made::Failed(Some(e)),
            };
        }
    }

    /// Whether the directory was made.
    pub(crate) fn is_made(&self) -> bool {
        matches!(
            *self.made.lock().unwrap_or_else(PoisonError::into_inner),
            Made::Yes
        )
    }

    /// Why making the directory failed, once; it is tried again next time.
    pub(crate) fn take_failure(&self) -> Option<std::io::Error> {
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *made {
            Made::Failed(error) => {
                let error = error.take();
                *made = Made::Not;
                error
            }
            _ => None,
        }
    }
}

impl Drop for LazyDir {
    fn drop(&mut self) {
        if matches!(
            *self.made.get_mut().unwrap_or_else(PoisonError::into_inner),
            Made::Yes
        ) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
