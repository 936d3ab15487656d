//! What a run records besides the output state: moved onto the Context
//! after the run.

use crate::log::JujuLog;
use ops::Status;
use serde_json::Value;
use std::collections::BTreeMap;

/// The records of one run.
#[derive(Debug, Default)]
pub(crate) struct Records {
    /// The Context's log, with this run's lines appended.
    pub(crate) juju_log: JujuLog,
    pub(crate) unit_status_history: Vec<Status>,
    pub(crate) app_status_history: Vec<Status>,
    pub(crate) workload_version_history: Vec<String>,
    pub(crate) removed_secret_revisions: Vec<u32>,
    pub(crate) action_results: Option<serde_json::Map<String, Value>>,
    pub(crate) action_logs: Vec<String>,
    pub(crate) action_failure: Option<String>,
    pub(crate) requested_storages: BTreeMap<String, u32>,
    pub(crate) exec_history: BTreeMap<String, Vec<ops::backend::ExecArgs>>,
    /// When (on the run's simulated clock) the unit's lease ended.
    pub(crate) leadership_lost_at: Option<std::time::Duration>,
}
