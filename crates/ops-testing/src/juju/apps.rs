//! Applications and units: which units each application has, and which of
//! them is the leader (`is-leader`).

use super::{Actor, ModelStore, Name};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One application whose units run hooks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Application {
    /// Its units' numbers.
    pub units: BTreeSet<u32>,
    /// The leader's unit number, if the application has a leader.
    pub leader: Option<u32>,
}

impl ModelStore {
    /// Adds unit `unit_id` to `app` (creating the application if needed),
    /// and returns the application.
    pub fn add_unit(&mut self, app: &str, unit_id: u32) -> &mut Application {
        let application = self.applications.entry(Name::from(app)).or_default();
        application.units.insert(unit_id);
        application
    }

    /// Makes unit `unit_id` of `app` the leader, or leaves the application
    /// without one (`None`).
    pub fn set_leader(&mut self, app: &str, unit_id: Option<u32>) {
        self.applications.entry(Name::from(app)).or_default().leader = unit_id;
    }

    /// `is-leader`: whether the actor leads its application.
    pub fn is_leader(&self, actor: &Actor) -> bool {
        self.applications
            .get(actor.app())
            .is_some_and(|app| app.leader == Some(actor.unit_id()))
    }
}
