//! The process runner: runs one hook tool with its arguments (and, when
//! given, its input on stdin), and stages files for tools that read them.

use super::JujuBackend;
use super::errors::{bad_json, classify, describe_failure, spawn_error};
use crate::backend::BackendResult;
use crate::error::ModelError;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

impl JujuBackend {
    pub(super) fn command(&self, tool: &str) -> Command {
        match &self.tools_dir {
            Some(dir) => Command::new(dir.join(tool)),
            None => Command::new(tool),
        }
    }

    /// Runs a tool; returns its stdout, or the error ops would raise.
    pub(super) fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&str>,
    ) -> BackendResult<String> {
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
        let mut child = command.spawn().map_err(|e| spawn_error(tool, &e))?;
        let pipe = child.stdin.take();
        let (output, written) = std::thread::scope(|scope| {
            // Feed stdin from another thread while this one drains stdout and
            // stderr, so that neither side can block the other.
            let writer = scope.spawn(move || match (stdin, pipe) {
                (Some(input), Some(mut pipe)) => pipe.write_all(input.as_bytes()),
                _ => Ok(()),
            });
            let output = child.wait_with_output();
            (output, writer.join())
        });
        let output = output
            .map_err(|e| ModelError::hook_tool(tool, format!("cannot wait for `{tool}`: {e}")))?;
        match written {
            // A tool may exit without reading its input; its exit status says how it went.
            Ok(Ok(())) => {}
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Ok(Err(e)) => {
                return Err(ModelError::hook_tool(
                    tool,
                    format!("cannot write the input of `{tool}`: {e}"),
                ));
            }
            Err(_) => {
                return Err(ModelError::hook_tool(
                    tool,
                    format!("the thread writing the input of `{tool}` panicked"),
                ));
            }
        }
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if stderr.trim().is_empty() {
            stderr = describe_failure(tool, output.status);
        }
        Err(classify(tool, args, stderr))
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
/// everything in it when dropped, on every path out of a call.
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
        let mut last_error = None;
        for _ in 0..8 {
            let name = format!(
                "juju-ops-{purpose}-{}-{nanos:08x}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let dir = std::env::temp_dir().join(name);
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(PrivateDir { dir }),
                // A leftover of an earlier process with the same pid: try another name.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(stage_error(tool, purpose, &e)),
            }
        }
        let error = last_error.unwrap_or_else(|| std::io::Error::other("no free name"));
        Err(stage_error(tool, purpose, &error))
    }

    /// Writes a new file (mode 0600, refusing to reuse an existing one).
    pub(super) fn write(&self, tool: &str, name: &str, content: &[u8]) -> BackendResult<PathBuf> {
        use std::os::unix::fs::OpenOptionsExt;
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
        let _ = std::fs::remove_dir_all(&self.dir);
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
