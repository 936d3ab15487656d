//! Unit and application statuses and workload versions (`status-get`,
//! `status-set`, `application-version-set`).

use super::{Actor, ModelStore, Name, juju_error};
use ops::{ModelError, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Statuses and workload versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Statuses {
    /// Each unit's status, by unit name (missing means unknown).
    pub units: BTreeMap<Name, Status>,
    /// Each application's status, by application name (missing means unknown).
    pub apps: BTreeMap<Name, Status>,
    /// The workload version each unit set, by unit name (missing means none).
    pub workload_versions: BTreeMap<Name, String>,
}

impl ModelStore {
    /// `status-get`: the actor's unit status, or (`is_app`) its
    /// application's status, which only the leader may read.
    pub fn status_get(&self, actor: &Actor, is_app: bool) -> Result<Status, ModelError> {
        let status = if is_app {
            if !self.is_leader(actor) {
                return Err(juju_error(
                    "status-get",
                    "ERROR finding application status: this unit is not the leader",
                ));
            }
            self.statuses.apps.get(actor.app())
        } else {
            self.statuses.units.get(actor.unit())
        };
        Ok(status.cloned().unwrap_or_default())
    }

    /// `status-set`: sets the actor's unit status, or (`is_app`) its
    /// application's, which only the leader may. Returns the status it
    /// replaced. A charm may set only active, blocked, maintenance and waiting.
    pub fn status_set(
        &mut self,
        actor: &Actor,
        status: Status,
        is_app: bool,
    ) -> Result<Status, ModelError> {
        if !status.is_settable() {
            return Err(juju_error(
                "status-set",
                format!(
                    "ERROR invalid status \"{}\", expected one of [active, blocked, maintenance, waiting]",
                    status.name()
                ),
            ));
        }
        let slot = if is_app {
            if !self.is_leader(actor) {
                return Err(juju_error(
                    "status-set",
                    "ERROR setting application status: this unit is not the leader",
                ));
            }
            self.statuses.apps.entry(actor.app_name().clone())
        } else {
            self.statuses.units.entry(actor.unit_name().clone())
        };
        Ok(std::mem::replace(slot.or_default(), status))
    }

    /// `application-version-set`: sets the workload version the actor's
    /// unit reports, and returns the one it replaced (empty if none).
    pub fn application_version_set(&mut self, actor: &Actor, version: &str) -> String {
        let slot = self
            .statuses
            .workload_versions
            .entry(actor.unit_name().clone())
            .or_default();
        std::mem::replace(slot, version.to_owned())
    }

    /// The workload version the actor's unit reports (empty if none).
    pub fn workload_version(&self, actor: &Actor) -> &str {
        self.statuses
            .workload_versions
            .get(actor.unit())
            .map_or("", String::as_str)
    }
}
