//! Starts a real Pebble daemon per test, in its own temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pebble::Client;

/// Set to `1` (as `.ci/run` does, after installing Pebble) to make a missing
/// Pebble binary fail the real-daemon tests. Without it they are skipped,
/// with a note on stderr, so that `cargo test --workspace` passes on a
/// machine with only the Rust toolchain, as the README promises.
pub const REQUIRE: &str = "PEBBLE_TESTS_REQUIRE_DAEMON";

/// Finds the Pebble binary: `$PEBBLE_BIN`, else `$(go env GOPATH)/bin/pebble`,
/// else `pebble` on PATH.
pub fn pebble_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PEBBLE_BIN").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if let Ok(out) = Command::new("go").args(["env", "GOPATH"]).output() {
        let gopath = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let p = Path::new(&gopath).join("bin/pebble");
        if !gopath.is_empty() && p.is_file() {
            return Some(p);
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("pebble"))
        .find(|p| p.is_file())
}

/// A running `pebble run`, killed on drop.
pub struct Daemon {
    child: Child,
    /// The temporary directory holding `$PEBBLE`, the socket and a scratch
    /// area for file tests.
    pub dir: tempfile::TempDir,
    /// A client of this daemon.
    pub client: Client,
}

impl Daemon {
    /// Starts a daemon, or returns `None` (the test is skipped, with a note)
    /// when the binary is absent; panics with instructions when it is absent
    /// and [`REQUIRE`] is set.
    pub fn start() -> Option<Daemon> {
        let Some(bin) = pebble_bin() else {
            let hint = "the real Pebble daemon was not found (looked at $PEBBLE_BIN, \
                        $(go env GOPATH)/bin/pebble and PATH): run `bash .ci/install-pebble` \
                        (or set PEBBLE_BIN)";
            if std::env::var_os(REQUIRE).is_some_and(|v| v == "1") {
                panic!("{hint}; {REQUIRE}=1 makes it required");
            }
            eprintln!("SKIPPED: {hint}");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("pbl")
            .tempdir()
            .expect("create a temporary directory");
        let state = dir.path().join("state");
        let socket = dir.path().join("pebble.socket");
        std::fs::create_dir_all(dir.path().join("files")).expect("create scratch dir");
        let log = std::fs::File::create(dir.path().join("daemon.log")).expect("daemon log");
        let child = Command::new(&bin)
            .args(["run", "--create-dirs", "--hold"])
            .env("PEBBLE", &state)
            .env("PEBBLE_SOCKET", &socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let client = Client::new(&socket);
        let mut daemon = Daemon { child, dir, client };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if socket.exists() && daemon.client.system_info().is_ok() {
                return Some(daemon);
            }
            if let Ok(Some(status)) = daemon.child.try_wait() {
                panic!("pebble exited early ({status}): {}", daemon.log());
            }
            if Instant::now() > deadline {
                panic!("pebble did not open its socket in 20 s: {}", daemon.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    /// An absolute path in the scratch area.
    pub fn path(&self, rel: &str) -> String {
        self.dir
            .path()
            .join("files")
            .join(rel)
            .display()
            .to_string()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
