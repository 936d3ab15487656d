//! The directories that must not outlive the process, and their removal
//! when the process is told to stop.
//!
//! Secret content (and a pod spec) reach their hook tool through files in a
//! private directory ([`PrivateDir`](super::process::PrivateDir)) that lives
//! only as long as one call. Its `Drop` covers every way out of the call
//! but one: a signal that ends the process, which runs no destructor. So
//! every live private directory is also listed here, in one process-wide
//! registry, and [`install_signal_cleanup`] (called by `ops::main` only,
//! never by the harness or a unit test) starts a thread that, on SIGTERM,
//! SIGINT or SIGHUP, removes them all and then ends the process as the
//! signal's default action would, so the exit status still says which
//! signal ended it.
//!
//! Creating, filling and removing a directory, and the signal thread's
//! sweep, all hold the registry's lock: the sweep never races a directory
//! half made or a file half written, and once it has the lock nothing can
//! create another directory before the process ends. SIGKILL cannot be
//! caught; a directory it leaves behind is still 0700 and its files 0600.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};

/// The private directories alive now, in the order they were made.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The signals that make [`install_signal_cleanup`]'s thread sweep: the
/// ones a supervisor (or a person at a terminal) sends to ask a process to
/// stop.
const STOP_SIGNALS: [i32; 3] = [
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGHUP,
];

/// The registry, locked. A panic elsewhere while it was held cannot leave
/// it half updated (each change is one push or one removal), so a poisoned
/// lock is used as it is.
pub(super) fn registry() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Forgets `dir` (after its owner removed it).
pub(super) fn forget(live: &mut Vec<PathBuf>, dir: &Path) {
    if let Some(at) = live.iter().position(|d| d == dir) {
        live.remove(at);
    }
}

/// Removes every registered directory with what it holds, and forgets
/// them. Returns the directories that could not be removed.
fn sweep(live: &mut Vec<PathBuf>) -> Vec<PathBuf> {
    let mut left = Vec::new();
    for dir in live.drain(..) {
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => left.push(dir),
        }
    }
    left
}

/// Makes SIGTERM, SIGINT and SIGHUP remove every live private directory
/// before the process ends of that signal. Idempotent; called by
/// `ops::main` and `ops::main_with` only, since a signal handler belongs
/// to the whole process. If the handler cannot be installed, the dispatch
/// goes on without it (as Python ops always does) and says so on stderr.
pub(crate) fn install_signal_cleanup() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let mut signals = match signal_hook::iterator::Signals::new(STOP_SIGNALS) {
            Ok(signals) => signals,
            Err(e) => {
                eprintln!(
                    "juju-ops: cannot watch for SIGTERM/SIGINT/SIGHUP ({e}); \
                     a signal during a secret call would leave its private \
                     temporary directory behind"
                );
                return;
            }
        };
        let spawned = std::thread::Builder::new()
            .name("juju-ops-signals".to_owned())
            .spawn(move || {
                let Some(signal) = signals.forever().next() else {
                    return;
                };
                // Held until the process ends: no new directory after the sweep.
                let mut live = registry();
                for dir in sweep(&mut live) {
                    eprintln!(
                        "juju-ops: cannot remove {} on signal {signal}; remove it by hand",
                        dir.display()
                    );
                }
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                // Not reached: the default action of these signals ends the process.
                std::process::exit(128 + signal);
            });
        if let Err(e) = spawned {
            eprintln!(
                "juju-ops: cannot start the signal-watching thread ({e}); \
                 a signal during a secret call would leave its private \
                 temporary directory behind"
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::juju::process::PrivateDir;

    #[test]
    fn a_private_dir_is_registered_while_it_lives() {
        let dir = PrivateDir::create("secret-set", "secret").unwrap();
        let path = dir.path().to_owned();
        dir.write("secret-set", "0", b"hunter2").unwrap();
        assert!(registry().contains(&path), "{}", path.display());
        drop(dir);
        assert!(!path.exists(), "{}", path.display());
        assert!(!registry().contains(&path), "{}", path.display());
    }

    #[test]
    fn the_sweep_removes_every_registered_dir_and_what_it_holds() {
        let base = tempfile::tempdir().unwrap();
        let mut live = Vec::new();
        for name in ["a", "b"] {
            let dir = base.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("0"), "hunter2").unwrap();
            live.push(dir);
        }
        // Already gone (its owner removed it first): not an error.
        live.push(base.path().join("gone"));
        let left = sweep(&mut live);
        assert_eq!(left, Vec::<PathBuf>::new());
        assert!(live.is_empty());
        assert!(!base.path().join("a").exists());
        assert!(!base.path().join("b").exists());
    }
}
