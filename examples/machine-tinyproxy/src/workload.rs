//! Talking to tinyproxy on the machine, with no charm concerns (upstream's
//! `tinyproxy.py`).
//!
//! The charm sees tinyproxy only through the [`Workload`] trait, so unit
//! tests hand it a fake. [`System`] is the real thing: it runs commands
//! through a [`Runner`] (tests inject a closure instead of a process) and
//! keeps its config and PID files at paths it is given.

use std::io;
use std::path::{Path, PathBuf};

/// The tinyproxy config file the charm writes.
pub const CONFIG_FILE: &str = "/etc/tinyproxy/tinyproxy.conf";
/// The file tinyproxy writes its process id to (named in the config file).
pub const PID_FILE: &str = "/var/run/tinyproxy.pid";
/// The package providing the `tinyproxy` executable.
pub const PACKAGE: &str = "tinyproxy-bin";
/// The pinned package version (from Ubuntu 24.04): charms should pin their workload.
pub const PACKAGE_VERSION: &str = "1.11.1-3";

/// Why an operation on tinyproxy failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// A command could not be started at all.
    #[error("cannot run `{command}`: {source}; check that it is installed and on PATH")]
    Spawn {
        /// The command line.
        command: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A command ran and exited unsuccessfully.
    #[error("`{command}` failed ({status}): {stderr}; see its error output for the fix")]
    Failed {
        /// The command line.
        command: String,
        /// The exit status, as the operating system reports it.
        status: String,
        /// The command's error output, trimmed.
        stderr: String,
    },
    /// A file could not be read, written or removed.
    #[error("cannot {action} {}: {source}; check the path and its permissions", path.display())]
    File {
        /// What was being done ("write", "remove", ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The PID file holds something other than a process id.
    #[error(
        "the PID file {} holds {content:?}, not a process id; remove it if tinyproxy is not running",
        path.display()
    )]
    BadPidFile {
        /// The PID file.
        path: PathBuf,
        /// What it holds.
        content: String,
    },
    /// Asked to reload the config of a tinyproxy that is not running.
    #[error("tinyproxy is not running, so it cannot reload its config; start it instead")]
    NotRunning,
}

/// What the charm needs from tinyproxy: one method per function of upstream's
/// `tinyproxy` module.
pub trait Workload {
    /// Writes the config file for `port` and `slug`; true if it changed.
    fn ensure_config(&self, port: u16, slug: &str) -> Result<bool, WorkloadError>;
    /// The installed tinyproxy's version (`1.11.1`, say).
    fn get_version(&self) -> Result<String, WorkloadError>;
    /// Installs tinyproxy with APT.
    fn install(&self) -> Result<(), WorkloadError>;
    /// Whether the `tinyproxy` executable is available.
    fn is_installed(&self) -> Result<bool, WorkloadError>;
    /// Whether tinyproxy is running.
    fn is_running(&self) -> Result<bool, WorkloadError>;
    /// Asks the running tinyproxy to reload its config file.
    fn reload_config(&self) -> Result<(), WorkloadError>;
    /// Starts tinyproxy (it daemonises itself).
    fn start(&self) -> Result<(), WorkloadError>;
    /// Asks tinyproxy to stop, if it is running.
    fn stop(&self) -> Result<(), WorkloadError>;
    /// Uninstalls tinyproxy and removes its files.
    fn uninstall(&self) -> Result<(), WorkloadError>;
}

/// Runs a program with arguments and returns its standard output.
pub type Runner = Box<dyn Fn(&str, &[&str]) -> Result<String, WorkloadError>>;

/// Runs a real process (APT without prompts), failing on a non-zero exit.
pub fn run_process(program: &str, args: &[&str]) -> Result<String, WorkloadError> {
    let command = std::iter::once(program)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let output = std::process::Command::new(program)
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .map_err(|source| WorkloadError::Spawn {
            command: command.clone(),
            source,
        })?;
    if !output.status.success() {
        return Err(WorkloadError::Failed {
            command,
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The config file's text for `port` and `slug`, proxying `/<slug>/` to
/// example.com (format: tinyproxy.conf(5)).
pub fn config_text(pid_file: &Path, port: u16, slug: &str) -> String {
    format!(
        "PidFile \"{}\"\nPort {port}\nTimeout 600\nReverseOnly Yes\nReversePath \"/{slug}/\" \"http://www.example.com/\"\n",
        pid_file.display()
    )
}

/// Tinyproxy on this machine.
pub struct System {
    run: Runner,
    config_file: PathBuf,
    pid_file: PathBuf,
}

impl Default for System {
    fn default() -> Self {
        Self::new()
    }
}

impl System {
    /// Tinyproxy at its usual paths, run as real processes.
    pub fn new() -> Self {
        System {
            run: Box::new(run_process),
            config_file: PathBuf::from(CONFIG_FILE),
            pid_file: PathBuf::from(PID_FILE),
        }
    }

    /// Runs commands through `run` instead of real processes.
    pub fn with_runner(
        mut self,
        run: impl Fn(&str, &[&str]) -> Result<String, WorkloadError> + 'static,
    ) -> Self {
        self.run = Box::new(run);
        self
    }

    /// Keeps the config file and the PID file at other paths.
    pub fn with_paths(mut self, config_file: PathBuf, pid_file: PathBuf) -> Self {
        self.config_file = config_file;
        self.pid_file = pid_file;
        self
    }

    /// The id of the running tinyproxy, `None` if it is not running.
    fn pid(&self) -> Result<Option<u32>, WorkloadError> {
        let content = match std::fs::read_to_string(&self.pid_file) {
            Ok(content) => content,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(WorkloadError::File {
                    action: "read",
                    path: self.pid_file.clone(),
                    source,
                });
            }
        };
        let pid: u32 = content
            .trim()
            .parse()
            .map_err(|_| WorkloadError::BadPidFile {
                path: self.pid_file.clone(),
                content: content.clone(),
            })?;
        // A stale PID file names a process that is gone.
        Ok(Path::new("/proc")
            .join(pid.to_string())
            .exists()
            .then_some(pid))
    }

    fn signal(&self, signal: &str, pid: u32) -> Result<(), WorkloadError> {
        (self.run)("kill", &[signal, &pid.to_string()]).map(drop)
    }

    fn remove_file(&self, path: &Path) -> Result<(), WorkloadError> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(WorkloadError::File {
                action: "remove",
                path: path.to_owned(),
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

impl Workload for System {
    fn ensure_config(&self, port: u16, slug: &str) -> Result<bool, WorkloadError> {
        let text = config_text(&self.pid_file, port, slug);
        if std::fs::read_to_string(&self.config_file).is_ok_and(|old| old == text) {
            return Ok(false);
        }
        let file_error = |source| WorkloadError::File {
            action: "write",
            path: self.config_file.clone(),
            source,
        };
        if let Some(dir) = self.config_file.parent() {
            std::fs::create_dir_all(dir).map_err(file_error)?;
        }
        std::fs::write(&self.config_file, text).map_err(file_error)?;
        Ok(true)
    }

    fn get_version(&self) -> Result<String, WorkloadError> {
        let out = (self.run)("tinyproxy", &["-v"])?;
        let out = out.trim();
        Ok(out
            .strip_prefix("tinyproxy")
            .unwrap_or(out)
            .trim()
            .to_owned())
    }

    fn install(&self) -> Result<(), WorkloadError> {
        (self.run)("apt-get", &["update"])?;
        let package = format!("{PACKAGE}={PACKAGE_VERSION}");
        (self.run)("apt-get", &["install", "--yes", &package])?;
        Ok(())
    }

    fn is_installed(&self) -> Result<bool, WorkloadError> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        Ok(std::env::split_paths(&path).any(|dir| dir.join("tinyproxy").is_file()))
    }

    fn is_running(&self) -> Result<bool, WorkloadError> {
        Ok(self.pid()?.is_some())
    }

    fn reload_config(&self) -> Result<(), WorkloadError> {
        // SIGUSR1 asks tinyproxy to re-read its config file (tinyproxy(8)).
        let pid = self.pid()?.ok_or(WorkloadError::NotRunning)?;
        self.signal("-USR1", pid)
    }

    fn start(&self) -> Result<(), WorkloadError> {
        (self.run)("tinyproxy", &[]).map(drop)
    }

    fn stop(&self) -> Result<(), WorkloadError> {
        match self.pid()? {
            Some(pid) => self.signal("-TERM", pid),
            None => Ok(()),
        }
    }

    fn uninstall(&self) -> Result<(), WorkloadError> {
        (self.run)("apt-get", &["remove", "--yes", PACKAGE])?;
        self.remove_file(&self.pid_file)?;
        self.remove_file(&self.config_file)?;
        if let Some(dir) = self.config_file.parent() {
            match std::fs::remove_dir(dir) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(WorkloadError::File {
                        action: "remove",
                        path: dir.to_owned(),
                        source: e,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }
}
