//! The errors of this crate: every one names what was run or waited for,
//! why it failed, and what to do about it.

use crate::status::Status;
use crate::task::Task;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// What can go wrong driving Juju.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `juju` command exited non-zero.
    #[error(transparent)]
    Cli(Box<CliError>),
    /// The `juju` executable could not be started.
    #[error(
        "could not run the juju CLI at `{}`: {source}; install it (`snap install juju --classic`) \
         or point `Juju::with_cli` at it",
        program.display()
    )]
    Spawn {
        /// The program that was run.
        program: PathBuf,
        /// Why it could not be started.
        source: std::io::Error,
    },
    /// A `juju` command ran longer than the handle's CLI timeout and was killed.
    #[error(
        "`{}` did not finish within {timeout:?} and was killed; raise the limit with \
         `Juju::with_cli_timeout` or check that the controller is reachable",
        command_line(command)
    )]
    CliTimeout {
        /// The argv, program first.
        command: Vec<String>,
        /// The limit that was exceeded.
        timeout: Duration,
    },
    /// The output of a `juju` command was not what this crate understands.
    #[error(
        "could not parse the output of `{}`: {reason}; the output began {excerpt:?} (is this a \
         Juju version this crate supports, 2.9 to 3.x?)",
        command_line(command)
    )]
    Parse {
        /// The argv, program first.
        command: Vec<String>,
        /// What was wrong with it.
        reason: String,
        /// The first part of the output.
        excerpt: String,
    },
    /// An action or `juju exec` ran but did not succeed.
    #[error(
        "task {} on `{}` did not succeed: status `{}`, return code {}{}; see the task's log and \
         stderr, or `juju show-task {}`",
        .0.id, .0.unit, .0.status, .0.return_code, task_detail(.0), .0.id
    )]
    Task(Box<Task>),
    /// [`Juju::wait`](crate::Juju::wait) ran out of time before its
    /// condition held.
    #[error(
        "waited {elapsed:?} ({polls} status polls) for {what}, which did not happen within the \
         limit of {timeout:?}; raise the timeout or look at the last status:\n{}",
        status.summary()
    )]
    WaitTimeout {
        /// What was waited for.
        what: String,
        /// The limit.
        timeout: Duration,
        /// How long the wait ran.
        elapsed: Duration,
        /// How many times status was read.
        polls: u32,
        /// The last status read.
        status: Box<Status>,
    },
    /// While waiting, an application or unit went into error (or the
    /// wait's own error condition held).
    #[error(
        "gave up waiting for {what} after {elapsed:?}: {reason}; look at `juju debug-log` for \
         the failed hook, or wait with `error_on_any_error(false)` if errors are expected. Last \
         status:\n{}",
        status.summary()
    )]
    ErrorStatus {
        /// What was waited for.
        what: String,
        /// What was in error.
        reason: String,
        /// How long the wait ran.
        elapsed: Duration,
        /// The status that showed the error.
        status: Box<Status>,
    },
    /// An application has no leader in status (none yet, or several).
    #[error(
        "application `{app}` has no single leader in status ({found}); wait for one first with \
         `juju.wait(predicate::has_leader(\"{app}\"))`"
    )]
    NoLeader {
        /// The application.
        app: String,
        /// What status showed instead (`no unit is leader`, `2 units claim leadership`).
        found: String,
    },
    /// An application is not in the model.
    #[error(
        "application `{app}` is not in model `{model}`; deploy it first, or check the name \
         (the model has: {known})"
    )]
    UnknownApp {
        /// The application asked for.
        app: String,
        /// The model's name.
        model: String,
        /// The applications the model has.
        known: String,
    },
    /// A temporary file (secret content, action parameters) could not be written.
    #[error(
        "could not write the temporary file for {what} in `{}`: {source}; check that the \
         directory exists and is writable (set it with `Juju::with_temp_dir`)",
        dir.display()
    )]
    TempFile {
        /// What the file was for.
        what: &'static str,
        /// The directory.
        dir: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// An argument cannot be turned into a valid `juju` command.
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// The argument.
        what: &'static str,
        /// Why, and what to pass instead.
        reason: String,
    },
}

/// A `juju` command that exited non-zero, with what it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The argv, program first.
    pub command: Vec<String>,
    /// The exit code; `None` when the process was killed by a signal.
    pub code: Option<i32>,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr (Juju writes `ERROR <message>` here).
    pub stderr: String,
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .code
            .map_or_else(|| "a signal".to_owned(), |code| format!("exit code {code}"));
        write!(
            f,
            "`{}` failed with {code}: {}",
            command_line(&self.command),
            self.stderr.trim()
        )?;
        if !self.stdout.trim().is_empty() {
            write!(f, "\nstdout: {}", self.stdout.trim())?;
        }
        write!(
            f,
            "\n(check the arguments and that the model exists: `juju models`)"
        )
    }
}

impl std::error::Error for CliError {}

impl From<CliError> for Error {
    fn from(error: CliError) -> Self {
        Error::Cli(Box::new(error))
    }
}

impl Error {
    /// The failed command's details, when this is a [`Error::Cli`].
    pub fn as_cli(&self) -> Option<&CliError> {
        match self {
            Error::Cli(error) => Some(error),
            _ => None,
        }
    }
}

/// The argv as one line, for messages.
pub(crate) fn command_line(command: &[String]) -> String {
    command
        .iter()
        .map(|arg| {
            if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '"') {
                format!("{arg:?}")
            } else {
                arg.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn task_detail(task: &Task) -> String {
    let mut detail = String::new();
    if !task.message.is_empty() {
        detail.push_str(&format!(", message {:?}", task.message));
    }
    if !task.stderr.trim().is_empty() {
        detail.push_str(&format!(", stderr {:?}", task.stderr.trim()));
    }
    detail
}
