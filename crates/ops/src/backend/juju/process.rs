//! The process runner: runs one hook tool with its arguments (and, when
//! given, its input on stdin), and stages files for tools that read them.

use super::JujuBackend;
use super::cleanup;
use super::errors::{bad_json, classify, describe_failure, spawn_error};
use crate::backend::BackendResult;
use crate::error::ModelError;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, mpsc};
use std::time::{Duration, Instant};

/// How long a hook tool may run before it is killed, unless the backend is
/// told otherwise ([`JujuBackend::with_tool_timeout`], or the
/// `JUJU_OPS_TOOL_TIMEOUT` variable under `ops::main`). Hook tools answer in
/// milliseconds: one still running after five minutes waits on a hung or
/// overloaded agent, and a hook that never ends blocks the unit's every
/// later hook. Python ops waits forever.
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(300);

/// The least deadline of `resource-get`, which may download a large resource
/// from the controller.
pub const RESOURCE_GET_TIMEOUT: Duration = Duration::from_secs(3600);

/// What a pipe thread of [`JujuBackend::run`] reports.
enum Piece {
    Stdout(std::io::Result<Vec<u8>>),
    Stderr(std::io::Result<Vec<u8>>),
    Written(std::io::Result<()>),
}

/// A tool's command line for a log line or an error: arguments quoted when
/// they hold anything but plain characters, and `action-set` values (action
/// results, the one place Juju forces data onto argv) left out. Secret
/// content is never on a command line: it goes through files.
pub(super) fn describe_command(tool: &str, args: &[String]) -> String {
    let mut line = tool.to_owned();
    for arg in args {
        let arg = match arg.split_once('=') {
            Some((key, value)) if tool == "action-set" => {
                format!("{key}=<{} bytes, not shown>", value.len())
            }
            _ => arg.clone(),
        };
        line.push(' ');
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=#,@%+".contains(c));
        if plain {
            line.push_str(&arg);
        } else {
            line.push_str(&format!("{arg:?}"));
        }
    }
    line
}

impl JujuBackend {
    pub(super) fn command(&self, tool: &str) -> Command {
        match &self.tools_dir {
            Some(dir) => Command::new(dir.join(tool)),
            None => Command::new(tool),
        }
    }

    /// Runs a tool; returns its stdout, or the error ops would raise.
    ///
    /// A tool still running at its deadline (see [`JujuBackend::with_tool_timeout`])
    /// is killed, and then this and every later call fail with
    /// [`ModelError::HookToolTimeout`], which also fails the dispatch.
    pub(super) fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&str>,
    ) -> BackendResult<String> {
        if let Some(error) = self.fatal() {
            return Err(error);
        }
        let timeout = self.timeout_for(tool);
        let mut command = self.command(tool);
        command
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = command.spawn().map_err(|e| spawn_error(tool, &e))?;
        // One thread per pipe, so that no pipe can block another and the
        // deadline is kept whatever the tool does. A tool killed at its
        // deadline may leave children holding the pipes: their threads are
        // left to end with them.
        let (sender, pieces) = mpsc::channel();
        let mut waiting = 2;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let input = input.to_owned();
            let sender = sender.clone();
            waiting += 1;
            std::thread::spawn(move || {
                let _ = sender.send(Piece::Written(pipe.write_all(input.as_bytes())));
            });
        }
        for (pipe, wrap) in [
            (
                child
                    .stdout
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
                Piece::Stdout as fn(std::io::Result<Vec<u8>>) -> Piece,
            ),
            (
                child
                    .stderr
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
                Piece::Stderr,
            ),
        ] {
            let sender = sender.clone();
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let result = match pipe {
                    Some(mut pipe) => pipe.read_to_end(&mut bytes).map(|_| bytes),
                    None => Ok(bytes),
                };
                let _ = sender.send(wrap(result));
            });
        }
        drop(sender);
        let deadline = timeout.map(|t| started + t);
        let (mut stdout, mut stderr, mut written) = (Vec::new(), Vec::new(), Ok(()));
        while waiting > 0 {
            let piece = match deadline {
                Some(at) => pieces.recv_timeout(at.saturating_duration_since(Instant::now())),
                None => pieces
                    .recv()
                    .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            };
            match piece {
                Ok(Piece::Stdout(result)) => stdout = result.unwrap_or_default(),
                Ok(Piece::Stderr(result)) => stderr = result.unwrap_or_default(),
                Ok(Piece::Written(result)) => written = result,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(self.kill(child, tool, args, timeout));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            waiting -= 1;
        }
        let status = match deadline {
            None => child.wait(),
            Some(at) => {
                // The pipes are closed, so the tool is exiting: poll briefly.
                let mut pause = Duration::from_micros(50);
                loop {
                    match child.try_wait() {
                        Ok(Some(status)) => break Ok(status),
                        Ok(None) if Instant::now() >= at => {
                            return Err(self.kill(child, tool, args, timeout));
                        }
                        Ok(None) => {
                            std::thread::sleep(pause);
                            pause = (pause * 2).min(Duration::from_millis(10));
                        }
                        Err(e) => break Err(e),
                    }
                }
            }
        }
        .map_err(|e| ModelError::hook_tool(tool, format!("cannot wait for `{tool}`: {e}")))?;
        match written {
            // A tool may exit without reading its input; its exit status says how it went.
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                return Err(ModelError::hook_tool(
                    tool,
                    format!("cannot write the input of `{tool}`: {e}"),
                ));
            }
        }
        if status.success() {
            return Ok(String::from_utf8_lossy(&stdout).into_owned());
        }
        let mut stderr = String::from_utf8_lossy(&stderr).into_owned();
        if stderr.trim().is_empty() {
            stderr = describe_failure(tool, status);
        }
        Err(classify(tool, args, stderr))
    }

    /// The deadline of one call of `tool`, `None` for none.
    fn timeout_for(&self, tool: &str) -> Option<Duration> {
        let timeout = self.tool_timeout?;
        // Resources are downloaded from the controller on first use.
        Some(if tool == "resource-get" {
            timeout.max(RESOURCE_GET_TIMEOUT)
        } else {
            timeout
        })
    }

    /// The first fatal failure of this backend, if any.
    pub(super) fn fatal(&self) -> Option<ModelError> {
        self.fatal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Kills a tool past its deadline, says so on stderr (which Juju puts
    /// in `juju debug-log`, and which works even if `juju-log` hangs too),
    /// and makes the failure fatal for the dispatch.
    fn kill(
        &self,
        mut child: Child,
        tool: &str,
        args: &[String],
        timeout: Option<Duration>,
    ) -> ModelError {
        let _ = child.kill();
        let _ = child.wait();
        let error = ModelError::HookToolTimeout {
            tool: tool.to_owned(),
            command: describe_command(tool, args),
            timeout: timeout.unwrap_or_default(),
        };
        eprintln!("juju-ops: {error}");
        let mut fatal = self.fatal.lock().unwrap_or_else(PoisonError::into_inner);
        fatal.get_or_insert(error).clone()
    }

    /// Runs a tool and parses its JSON output.
    pub(super) fn run_json<T: DeserializeOwned>(
        &self,
        tool: &str,
        args: &[String],
        expected: &str,
    ) -> BackendResult<T> {
        let stdout = self.run(tool, args, None)?;
        parse_json(tool, &stdout, expected)
    }

    /// Like `run_json`, but `null` (Juju's answer for "nothing") becomes the default.
    pub(super) fn run_json_or_default<T: DeserializeOwned + Default>(
        &self,
        tool: &str,
        args: &[String],
        expected: &str,
    ) -> BackendResult<T> {
        let stdout = self.run(tool, args, None)?;
        let value: Value = parse_json(tool, &stdout, expected)?;
        if value.is_null() {
            return Ok(T::default());
        }
        serde_json::from_value(value).map_err(|e| bad_json(tool, &stdout, expected, &e))
    }
}

pub(super) fn parse_json<T: DeserializeOwned>(
    tool: &str,
    stdout: &str,
    expected: &str,
) -> BackendResult<T> {
    serde_json::from_str(stdout.trim()).map_err(|e| bad_json(tool, stdout, expected, &e))
}

/// A fresh directory only this user can enter (0700), removed with
/// everything in it when dropped, on every path out of a call; and, once
/// `ops::main` has installed the signal cleanup, when the process is told
/// to stop while the directory lives (see [`cleanup`](super::cleanup)).
pub(super) struct PrivateDir {
    dir: PathBuf,
}

impl PrivateDir {
    pub(super) fn create(tool: &str, purpose: &str) -> BackendResult<Self> {
        use std::os::unix::fs::DirBuilderExt;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        // Created and registered under one lock, so that a signal's sweep
        // sees either no directory or a registered one.
        let mut live = cleanup::registry();
        let mut last_error = None;
        for _ in 0..8 {
            let name = format!(
                "juju-ops-{purpose}-{}-{nanos:08x}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let dir = std::env::temp_dir().join(name);
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => {
                    live.push(dir.clone());
                    return Ok(PrivateDir { dir });
                }
                // A leftover of an earlier process with the same pid: try another name.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(stage_error(tool, purpose, &e)),
            }
        }
        let error = last_error.unwrap_or_else(|| std::io::Error::other("no free name"));
        Err(stage_error(tool, purpose, &error))
    }

    /// The directory.
    #[cfg(test)]
    pub(super) fn path(&self) -> &std::path::Path {
        &self.dir
    }

    /// Writes a new file (mode 0600, refusing to reuse an existing one).
    pub(super) fn write(&self, tool: &str, name: &str, content: &[u8]) -> BackendResult<PathBuf> {
        use std::os::unix::fs::OpenOptionsExt;
        // Under the registry's lock, so that a signal's sweep never races a
        // file half written.
        let _live = cleanup::registry();
        let path = self.dir.join(name);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| stage_error(tool, name, &e))?;
        file.write_all(content)
            .and_then(|()| file.flush())
            .map_err(|e| stage_error(tool, name, &e))?;
        Ok(path)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        // Removed before it is forgotten: a signal in between finds it gone.
        let mut live = cleanup::registry();
        let _ = std::fs::remove_dir_all(&self.dir);
        cleanup::forget(&mut live, &self.dir);
    }
}

pub(super) fn stage_error(tool: &str, what: &str, error: &std::io::Error) -> ModelError {
    ModelError::hook_tool(
        tool,
        format!(
            "cannot stage {what} for `{tool}` in {}: {error}; check that the temporary directory is writable",
            std::env::temp_dir().display()
        ),
    )
}
