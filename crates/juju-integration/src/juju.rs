//! The [`Juju`] handle and how it runs the `juju` CLI.

use crate::clock::{Clock, SystemClock};
use crate::error::{CliError, Error, command_line};
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long [`Juju::wait`] waits when neither the handle nor the call says.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(180);

/// A handle on the `juju` CLI, optionally bound to one model.
///
/// Every method runs one `juju` command and waits for it. With a model set,
/// `--model <model>` goes right after the subcommand (`juju deploy --model
/// m …`), except for commands about models and controllers themselves. The
/// handle is cheap to clone; clones share the clock.
///
/// ```no_run
/// use juju_integration::Juju;
///
/// let juju = Juju::new().with_model("test-leadership");
/// let status = juju.status()?;
/// println!("{status}");
/// # Ok::<(), juju_integration::Error>(())
/// ```
#[derive(Clone)]
pub struct Juju {
    cli: PathBuf,
    model: Option<String>,
    wait_timeout: Duration,
    cli_timeout: Option<Duration>,
    env: Vec<(OsString, OsString)>,
    clock: Arc<dyn Clock>,
    temp_dir: Option<PathBuf>,
}

impl fmt::Debug for Juju {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Juju")
            .field("cli", &self.cli)
            .field("model", &self.model)
            .field("wait_timeout", &self.wait_timeout)
            .field("cli_timeout", &self.cli_timeout)
            .field("env", &self.env)
            .field("temp_dir", &self.temp_dir)
            .finish_non_exhaustive()
    }
}

impl Default for Juju {
    fn default() -> Self {
        Juju::new()
    }
}

/// What a `juju` command printed, and how it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Output {
    pub(crate) command: Vec<String>,
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Output {
    pub(crate) fn success(&self) -> bool {
        self.code == Some(0)
    }

    pub(crate) fn into_error(self) -> Error {
        CliError {
            command: self.command,
            code: self.code,
            stdout: self.stdout,
            stderr: self.stderr,
        }
        .into()
    }

    pub(crate) fn parse_error(&self, reason: impl fmt::Display) -> Error {
        Error::Parse {
            command: self.command.clone(),
            reason: reason.to_string(),
            excerpt: self.stdout.chars().take(200).collect(),
        }
    }
}

impl Juju {
    /// A handle running `juju` from `PATH`, on the current model, waiting up
    /// to [`DEFAULT_WAIT_TIMEOUT`], with no limit on each command.
    pub fn new() -> Self {
        Juju {
            cli: PathBuf::from("juju"),
            model: None,
            wait_timeout: DEFAULT_WAIT_TIMEOUT,
            cli_timeout: None,
            env: Vec::new(),
            clock: Arc::new(SystemClock::default()),
            temp_dir: None,
        }
    }

    /// Runs this executable instead of `juju` from `PATH`.
    pub fn with_cli(mut self, cli: impl Into<PathBuf>) -> Self {
        self.cli = cli.into();
        self
    }

    /// Works on this model: `name`, `user/name` or `controller:user/name`.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Works on the CLI's current model again.
    pub fn without_model(mut self) -> Self {
        self.model = None;
        self
    }

    /// How long [`wait`](Self::wait) waits unless told otherwise.
    pub fn with_wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }

    /// Kills any `juju` command running longer than `timeout` (and fails
    /// with [`Error::CliTimeout`]).
    pub fn with_cli_timeout(mut self, timeout: Duration) -> Self {
        self.cli_timeout = Some(timeout);
        self
    }

    /// Sets an environment variable for every `juju` command (for example
    /// `JUJU_DATA` to use another client configuration).
    pub fn with_env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Uses this clock for waiting (a [`ManualClock`](crate::ManualClock)
    /// in tests of waiting code).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Writes temporary files (secret content, action parameters) here. By
    /// default they go to the system's temporary directory, or to
    /// `~/snap/juju/common` when `juju` is the strictly confined snap, which
    /// cannot read `/tmp`.
    pub fn with_temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.temp_dir = Some(dir.into());
        self
    }

    /// The model this handle works on, if one is set.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The executable run as `juju`.
    pub fn cli_path(&self) -> &Path {
        &self.cli
    }

    /// The default limit of [`wait`](Self::wait).
    pub fn wait_timeout(&self) -> Duration {
        self.wait_timeout
    }

    /// The clock used for waiting.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Runs `juju <args…>` with `--model` inserted after the subcommand,
    /// and returns its stdout; fails with [`Error::Cli`] on a non-zero exit.
    pub fn cli<S: AsRef<str>>(&self, args: &[S]) -> Result<String, Error> {
        self.checked(strings(args), true)
    }

    /// Runs `juju <args…>` exactly as given (no `--model`), and returns its
    /// stdout; fails with [`Error::Cli`] on a non-zero exit.
    pub fn cli_without_model<S: AsRef<str>>(&self, args: &[S]) -> Result<String, Error> {
        self.checked(strings(args), false)
    }

    pub(crate) fn checked(&self, args: Vec<String>, with_model: bool) -> Result<String, Error> {
        let output = self.output(args, with_model)?;
        if output.success() {
            Ok(output.stdout)
        } else {
            Err(output.into_error())
        }
    }

    /// Runs a command and returns what it printed, whatever its exit code.
    pub(crate) fn output(&self, mut args: Vec<String>, with_model: bool) -> Result<Output, Error> {
        if with_model && let Some(model) = &self.model {
            let at = args.len().min(1);
            args.splice(at..at, ["--model".to_owned(), model.clone()]);
        }
        let mut command = vec![self.cli.display().to_string()];
        command.extend(args.iter().cloned());
        tracing::debug!(target: "juju_integration::cli", "running {}", command_line(&command));
        let mut child = Command::new(&self.cli)
            .args(&args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| Error::Spawn {
                program: self.cli.clone(),
                source,
            })?;
        let stdout = reader(child.stdout.take());
        let stderr = reader(child.stderr.take());
        let exit = match self.cli_timeout {
            None => child.wait(),
            Some(timeout) => {
                let deadline = Instant::now() + timeout;
                loop {
                    match child.try_wait() {
                        Ok(Some(exit)) => break Ok(exit),
                        Ok(None) if Instant::now() >= deadline => {
                            // Best effort: the process may have just exited.
                            let _ = child.kill();
                            let _ = child.wait();
                            return Err(Error::CliTimeout { command, timeout });
                        }
                        Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                        Err(error) => break Err(error),
                    }
                }
            }
        }
        .map_err(|source| Error::Spawn {
            program: self.cli.clone(),
            source,
        })?;
        Ok(Output {
            command,
            code: exit.code(),
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        })
    }

    /// Whether `juju` is the snap, which cannot read `/tmp`.
    fn is_snap(&self) -> bool {
        let resolved = if self.cli.components().count() > 1 {
            Some(self.cli.clone())
        } else {
            std::env::var_os("PATH").and_then(|path| {
                std::env::split_paths(&path)
                    .map(|dir| dir.join(&self.cli))
                    .find(|candidate| candidate.is_file())
            })
        };
        resolved
            .and_then(|path| path.canonicalize().ok().or(Some(path)))
            .is_some_and(|path| path.starts_with("/snap/"))
    }

    pub(crate) fn temp_dir(&self) -> PathBuf {
        if let Some(dir) = &self.temp_dir {
            return dir.clone();
        }
        if self.is_snap()
            && let Some(home) = std::env::var_os("HOME")
        {
            let dir = PathBuf::from(home).join("snap/juju/common");
            if std::fs::create_dir_all(&dir).is_ok() {
                return dir;
            }
        }
        std::env::temp_dir()
    }

    /// A file `juju` can read, holding `content`, removed when dropped. It
    /// is created readable by its owner only (it may hold secret content).
    pub(crate) fn temp_file(
        &self,
        what: &'static str,
        suffix: &str,
        content: &[u8],
    ) -> Result<tempfile::NamedTempFile, Error> {
        let dir = self.temp_dir();
        let fail = |source| Error::TempFile {
            what,
            dir: dir.clone(),
            source,
        };
        let mut file = tempfile::Builder::new()
            .prefix("juju-integration-")
            .suffix(suffix)
            .tempfile_in(&dir)
            .map_err(fail)?;
        file.write_all(content).map_err(fail)?;
        file.flush().map_err(fail)?;
        Ok(file)
    }

    /// A path to `path` that `juju` can read: the path itself (made to start
    /// with `/` or `./`, so Juju does not take it for a Charmhub name), or a
    /// copy in the snap's directory when `juju` is the snap.
    pub(crate) fn local_path(
        &self,
        what: &'static str,
        path: &Path,
    ) -> Result<(String, Option<tempfile::TempPath>), Error> {
        if self.is_snap() && self.temp_dir.is_none() {
            let content = std::fs::read(path).map_err(|source| Error::TempFile {
                what,
                dir: path.to_owned(),
                source,
            })?;
            let suffix = path
                .file_name()
                .map(|name| format!("-{}", name.to_string_lossy()))
                .unwrap_or_default();
            let copy = self.temp_file(what, &suffix, &content)?.into_temp_path();
            return Ok((copy.display().to_string(), Some(copy)));
        }
        let text = path.display().to_string();
        if path.is_absolute() || text.starts_with("./") || text.starts_with("../") {
            Ok((text, None))
        } else {
            Ok((format!("./{text}"), None))
        }
    }
}

fn strings<S: AsRef<str>>(args: &[S]) -> Vec<String> {
    args.iter().map(|arg| arg.as_ref().to_owned()).collect()
}

fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            // A read error leaves what was read so far.
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
