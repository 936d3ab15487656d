//! What `goal-state` reports.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One unit's entry in `goal-state`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GoalUnit {
    /// The unit's status, for example `active` or `dying`.
    pub status: String,
    /// Since when, as Juju prints it.
    #[serde(default)]
    pub since: String,
}

/// What `goal-state` reports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GoalState {
    /// This application's units, by name.
    #[serde(default)]
    pub units: BTreeMap<String, GoalUnit>,
    /// Related applications and units, by endpoint.
    #[serde(default)]
    pub relations: BTreeMap<String, BTreeMap<String, GoalUnit>>,
}
