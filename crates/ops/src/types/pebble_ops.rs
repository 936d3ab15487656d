//! Plain data for the Pebble calls of the [`Backend`](crate::Backend):
//! what an exec takes and gives back, and which service or check operation
//! to run. Pebble's own types (layers, plans, service and check infos,
//! notices, file infos) come from the `juju-pebble` crate, re-exported as
//! [`ops::pebble`](crate::pebble).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// An operation on services: `POST /v1/services` with this action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceOp {
    /// Start the named services (and what they require).
    Start,
    /// Stop the named services (and what requires them).
    Stop,
    /// Stop the running ones among the named services, then start them all.
    Restart,
    /// Start every `startup: enabled` service not running, restarting
    /// those whose configuration changed; no names.
    Replan,
    /// Start every `startup: enabled` service; no names.
    Autostart,
}

impl ServiceOp {
    /// The action's name on the wire (`start`, `replan`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceOp::Start => "start",
            ServiceOp::Stop => "stop",
            ServiceOp::Restart => "restart",
            ServiceOp::Replan => "replan",
            ServiceOp::Autostart => "autostart",
        }
    }

    /// Whether the operation takes a list of service names.
    pub fn takes_names(self) -> bool {
        matches!(
            self,
            ServiceOp::Start | ServiceOp::Stop | ServiceOp::Restart
        )
    }
}

/// An operation on checks: `POST /v1/checks` with this action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckOp {
    /// Start the named checks (those not running).
    Start,
    /// Stop the named checks (those running).
    Stop,
}

/// One command to run in a workload container (`POST /v1/exec`), with
/// everything it is given. The harness records these in `exec_history`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecArgs {
    /// The command line; the first item is the program (not run by a shell).
    pub command: Vec<String>,
    /// Run in the context of this service: its environment, user, group and
    /// working directory, under the fields given here.
    pub service_context: Option<String>,
    /// Environment variables, on top of the service context's.
    pub environment: BTreeMap<String, String>,
    /// Working directory (Pebble's default is the user's home).
    pub working_dir: Option<String>,
    /// Kill the command after this long; `None` lets it run.
    pub timeout: Option<Duration>,
    /// Run as this user id.
    pub user_id: Option<u32>,
    /// Run as this user name.
    pub user: Option<String>,
    /// Run with this group id.
    pub group_id: Option<u32>,
    /// Run with this group name.
    pub group: Option<String>,
    /// What the command reads on stdin; `None` gives it an empty stdin.
    pub stdin: Option<Vec<u8>>,
    /// Send stderr into stdout (`split-stderr: false`).
    pub combine_stderr: bool,
}

impl ExecArgs {
    /// A command with nothing else set.
    pub fn new<I, S>(command: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ExecArgs {
            command: command.into_iter().map(Into::into).collect(),
            ..ExecArgs::default()
        }
    }

    /// The stdin as text (lossy), for assertions: `None` when none was given.
    pub fn stdin_text(&self) -> Option<String> {
        self.stdin
            .as_deref()
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    }
}

/// What a finished command gave back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecOutput {
    /// Its exit code.
    pub exit_code: i64,
    /// What it wrote to stdout (and stderr, with `combine_stderr`).
    pub stdout: Vec<u8>,
    /// What it wrote to stderr.
    pub stderr: Vec<u8>,
}
