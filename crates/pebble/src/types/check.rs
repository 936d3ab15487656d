//! Check status as `GET /v1/checks` reports it.

use serde::{Deserialize, Serialize};

use super::string_enum;

string_enum! {
    /// A check's level: which `/v1/health` level it counts for.
    pub enum CheckLevel {
        /// The workload is alive (liveness).
        Alive => "alive",
        /// The workload is ready (readiness; also counts for alive).
        Ready => "ready",
    }
}

string_enum! {
    /// Whether a check runs from the start (`startup`).
    pub enum CheckStartup {
        /// Started automatically (Pebble's default).
        Enabled => "enabled",
        /// Only started by `start-checks`.
        Disabled => "disabled",
    }
}

string_enum! {
    /// A check's current state.
    pub enum CheckStatus {
        /// Passing (fewer than `threshold` consecutive failures).
        Up => "up",
        /// Failed `threshold` times in a row.
        Down => "down",
        /// Stopped: not running at all.
        Inactive => "inactive",
    }
}

/// One check's state, an item of `GET /v1/checks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct CheckInfo {
    /// The check's name.
    pub name: String,
    /// Its level, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<CheckLevel>,
    /// Its startup mode (absent from older daemons).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup: Option<CheckStartup>,
    /// Up, down or inactive.
    pub status: CheckStatus,
    /// Successful runs since it started (absent before Pebble 1.23).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successes: Option<u64>,
    /// Consecutive failures.
    #[serde(default)]
    pub failures: u64,
    /// Failures needed to be down.
    #[serde(default)]
    pub threshold: u64,
    /// The change driving the check (`perform-check` or `recover-check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
    /// The previous such change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_change_id: Option<String>,
}

impl CheckInfo {
    /// A check's state with no level, startup, counts or change (for fakes
    /// and tests); set the public fields for the rest.
    pub fn new(name: impl Into<String>, status: CheckStatus) -> Self {
        CheckInfo {
            name: name.into(),
            level: None,
            startup: None,
            status,
            successes: None,
            failures: 0,
            threshold: 0,
            change_id: None,
            prev_change_id: None,
        }
    }
}
