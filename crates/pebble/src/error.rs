//! The client's errors.

use std::path::PathBuf;
use std::time::Duration;

use crate::types::{Change, LayerError};

/// Everything a [`Client`](crate::Client) call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The daemon's socket could not be reached, or the connection broke.
    #[error(transparent)]
    Connection(Box<ConnectionError>),
    /// The daemon answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// A change the client waited for finished with an error.
    #[error(transparent)]
    Change(#[from] ChangeError),
    /// An exec'd command exited non-zero.
    #[error(transparent)]
    Exec(Box<ExecError>),
    /// An exec'd command ran past its timeout and Pebble killed it.
    #[error(transparent)]
    ExecTimeout(Box<ExecTimeoutError>),
    /// A file operation failed for one path (the request itself succeeded).
    #[error(transparent)]
    Path(Box<PathError>),
    /// Waiting for a change passed its deadline.
    #[error(
        "timed out waiting for change {change_id} ({timeout:?}); the work may still finish: wait again or raise the timeout"
    )]
    Timeout {
        /// The change waited for.
        change_id: String,
        /// How long the client waited.
        timeout: Duration,
    },
    /// The daemon's reply did not follow Pebble's protocol.
    #[error(
        "unexpected reply from Pebble to {request}: {message}; is the socket a Pebble daemon of a supported version?"
    )]
    Protocol {
        /// The request, such as `GET /v1/plan`.
        request: String,
        /// What was wrong.
        message: String,
    },
    /// A layer could not be read or rendered.
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// A local read or write (a push source, a pull destination) failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An argument was rejected before any request was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// The daemon's socket could not be reached, or a connection to it broke.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ConnectionError {
    /// The socket path.
    pub socket: PathBuf,
    /// What was being done, such as `connecting` or `reading the reply to GET /v1/plan`.
    pub during: String,
    /// The underlying error.
    #[source]
    pub source: std::io::Error,
}

impl ConnectionError {
    pub(crate) fn new(
        socket: &std::path::Path,
        during: impl Into<String>,
        source: std::io::Error,
    ) -> Self {
        Self {
            socket: socket.to_owned(),
            during: during.into(),
            source,
        }
    }

    fn describe(&self) -> String {
        let fix = match self.source.kind() {
            std::io::ErrorKind::NotFound => {
                "no socket there: is Pebble running (`pebble run`), and is PEBBLE_SOCKET or the container name right? (container restarted?)"
            }
            std::io::ErrorKind::ConnectionRefused => {
                "nothing is listening: the Pebble daemon has stopped; restart it"
            }
            std::io::ErrorKind::PermissionDenied => {
                "run as a user allowed to open the socket (root or the daemon's user)"
            }
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                "the daemon did not answer in time; raise the client timeout or check the daemon is healthy"
            }
            _ => "check that the Pebble daemon is running and healthy, then retry",
        };
        format!(
            "cannot talk to Pebble at {} while {}: {}; {fix}",
            self.socket.display(),
            self.during,
            self.source
        )
    }
}

/// The daemon answered with an error status (4xx or 5xx).
#[derive(Debug, Clone, thiserror::Error)]
#[error("Pebble API error {status_code} {status} on {request}: {message}")]
pub struct ApiError {
    /// The request, such as `POST /v1/services`.
    pub request: String,
    /// The HTTP status code.
    pub status_code: u16,
    /// The HTTP reason text, such as `Bad Request`.
    pub status: String,
    /// The daemon's message.
    pub message: String,
    /// The daemon's error kind, such as `not-found` or `login-required`.
    pub kind: Option<String>,
    /// The daemon's extra error value, if any.
    pub value: Option<serde_json::Value>,
}

impl ApiError {
    /// Whether the daemon said the thing asked for does not exist (404).
    pub fn is_not_found(&self) -> bool {
        self.status_code == 404
    }
}

/// A change finished with an error; carries the whole change, whose task logs
/// say why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("Pebble change {} ({}) failed: {}", change.id, change.kind, change.error_report())]
pub struct ChangeError {
    /// The failed change.
    pub change: Box<Change>,
}

impl ChangeError {
    /// The change's error text.
    pub fn err(&self) -> &str {
        self.change.err.as_deref().unwrap_or("")
    }

    /// Every log line of the change's tasks.
    pub fn task_logs(&self) -> Vec<&str> {
        self.change
            .tasks
            .iter()
            .flat_map(|t| t.log.iter().map(String::as_str))
            .collect()
    }
}

/// How much of each stream an [`ExecError`]'s message shows.
const EXEC_SHOWN: usize = 1024;

/// An exec'd command exited non-zero. The output is whatever was collected
/// (empty when the caller streamed it).
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "command {command:?} exited with code {exit_code}, stdout={:?}, stderr={:?}",
    shown(stdout),
    shown(stderr)
)]
pub struct ExecError {
    /// The command line.
    pub command: Vec<String>,
    /// Its exit code.
    pub exit_code: i64,
    /// What it wrote to stdout.
    pub stdout: Vec<u8>,
    /// What it wrote to stderr (empty with `combine_stderr`).
    pub stderr: Vec<u8>,
}

fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.chars().count() > EXEC_SHOWN {
        let cut: String = text.chars().take(EXEC_SHOWN).collect();
        format!("{cut}[truncated]")
    } else {
        text.into_owned()
    }
}

/// An exec'd command ran longer than its
/// [`ExecOptions::timeout`](crate::ExecOptions::timeout) and Pebble killed
/// it. The output is whatever was collected before that (empty when the
/// caller streamed it).
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "command {command:?} ran past its timeout of {timeout:?} and Pebble killed it (stdout={:?}, stderr={:?}); raise the timeout or make the command finish sooner",
    shown(stdout),
    shown(stderr)
)]
pub struct ExecTimeoutError {
    /// The command line.
    pub command: Vec<String>,
    /// The timeout it was given.
    pub timeout: Duration,
    /// What it wrote to stdout before it was killed.
    pub stdout: Vec<u8>,
    /// What it wrote to stderr before it was killed.
    pub stderr: Vec<u8>,
    /// The failed exec change.
    pub change: Box<Change>,
}

/// A file operation failed for one path: the daemon's per-path error.
#[derive(Debug, Clone, thiserror::Error)]
#[error("Pebble {operation} of {path}: {kind} - {message}")]
pub struct PathError {
    /// `push`, `pull`, `make_dir` or `remove_path`.
    pub operation: &'static str,
    /// The path.
    pub path: String,
    /// `not-found`, `permission-denied` or `generic-file-error`.
    pub kind: String,
    /// The daemon's message.
    pub message: String,
}

macro_rules! boxed_from {
    ($($variant:ident($ty:ty)),*) => {$(
        impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                Error::$variant(Box::new(e))
            }
        }
    )*};
}
boxed_from!(
    Connection(ConnectionError),
    Api(ApiError),
    Exec(ExecError),
    ExecTimeout(ExecTimeoutError),
    Path(PathError)
);

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_error_names_socket_and_fix() {
        let e = ConnectionError::new(
            std::path::Path::new("/x/pebble.socket"),
            "connecting",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        let s = e.to_string();
        assert!(s.contains("/x/pebble.socket"), "{s}");
        assert!(s.contains("pebble run"), "{s}");
    }

    #[test]
    fn exec_error_truncates_long_output() {
        let e = ExecError {
            command: vec!["x".into()],
            exit_code: 3,
            stdout: vec![b'a'; 2000],
            stderr: b"bad".to_vec(),
        };
        let s = e.to_string();
        assert!(s.contains("code 3"));
        assert!(s.contains("[truncated]"));
        assert!(s.contains("\"bad\""));
        assert!(s.len() < 1200);
    }
}
