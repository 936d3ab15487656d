//! Changes and their tasks: the record of Pebble's asynchronous work.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{nullable::default_if_null, string_enum};

/// A change's ID. Pebble sends IDs as strings of digits; they are kept as
/// strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct ChangeId(pub String);

impl fmt::Display for ChangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ChangeId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

string_enum! {
    /// The state of a change or task.
    pub enum ChangeStatus {
        /// Not set.
        Default => "Default",
        /// Will not run (ready).
        Hold => "Hold",
        /// Waiting to run.
        Do => "Do",
        /// Running.
        Doing => "Doing",
        /// Finished successfully (ready).
        Done => "Done",
        /// Being aborted.
        Abort => "Abort",
        /// Waiting to be undone.
        Undo => "Undo",
        /// Being undone.
        Undoing => "Undoing",
        /// Undone (ready).
        Undone => "Undone",
        /// Failed (ready).
        Error => "Error",
        /// Waiting on an external event.
        Wait => "Wait",
    }
}

/// A task's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TaskProgress {
    /// What is being counted.
    #[serde(default)]
    pub label: String,
    /// Units done.
    #[serde(default)]
    pub done: u64,
    /// Units in all.
    #[serde(default)]
    pub total: u64,
}

/// One step of a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Task {
    /// The task's ID.
    pub id: String,
    /// Its kind, such as `start`, `stop` or `exec`.
    pub kind: String,
    /// A human summary.
    #[serde(default)]
    pub summary: String,
    /// Its state.
    pub status: ChangeStatus,
    /// Log lines (errors of a failed task are here).
    #[serde(default, deserialize_with = "default_if_null")]
    pub log: Vec<String>,
    /// Progress.
    #[serde(default)]
    pub progress: TaskProgress,
    /// When it was created (RFC 3339).
    #[serde(default)]
    pub spawn_time: String,
    /// When it became ready (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_time: Option<String>,
    /// API data; exec tasks carry `exit-code` here.
    #[serde(default, deserialize_with = "default_if_null")]
    pub data: serde_json::Map<String, serde_json::Value>,
}

/// A change: a set of tasks Pebble runs in the background (starting
/// services, an exec, a check…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Change {
    /// The change's ID.
    pub id: ChangeId,
    /// Its kind, such as `start`, `replan` or `exec`.
    pub kind: String,
    /// A human summary.
    #[serde(default)]
    pub summary: String,
    /// Its state.
    pub status: ChangeStatus,
    /// Whether it has finished (done, undone, held or failed).
    pub ready: bool,
    /// The error, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub err: Option<String>,
    /// When it was created (RFC 3339).
    #[serde(default)]
    pub spawn_time: String,
    /// When it became ready (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_time: Option<String>,
    /// Its tasks.
    #[serde(default, deserialize_with = "default_if_null")]
    pub tasks: Vec<Task>,
    /// API data.
    #[serde(default, deserialize_with = "default_if_null")]
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl Change {
    /// The error followed by each task's log, under a header naming the
    /// task; what a failed change has to say.
    pub fn error_report(&self) -> String {
        let mut out = self.err.clone().unwrap_or_default();
        for task in &self.tasks {
            if task.log.is_empty() {
                continue;
            }
            out.push_str(&format!("\n----- Logs from task {} -----\n", task.id));
            out.push_str(&task.log.join("\n"));
        }
        out
    }
}
