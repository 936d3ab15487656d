//! The simulated Juju model: one store of everything Juju keeps about a
//! model's applications and units, and the hook-tool operations that read
//! and change it, with Juju's rules and messages.
//!
//! Both fakes of Juju in this project answer from a [`ModelStore`]:
//!
//! - the harness's mock backend (a unit's [`State`](crate::State) is
//!   converted into a store with [`ModelStore::from_state`] before the run,
//!   and the store is projected back into that unit's output State with
//!   [`ModelStore::into_state`] after it);
//! - the `fake-hook-tool` binary of the dispatch tests, whose world file is
//!   a serialized store.
//!
//! Each operation acts for one unit, the [`Actor`], so a store can hold
//! several units of one application (a peer relation where unit 0 writes
//! and unit 1 reads, an application secret tracked at different revisions
//! by different units), which one State cannot express.
//!
//! ```
//! use ops_testing::juju::{Actor, ModelStore};
//! use ops_testing::{PeerRelation, State};
//!
//! let state = State { leader: true, relations: vec![PeerRelation::new("peers").into()], ..State::default() };
//! let id = state.relations[0].id();
//! let me = Actor::new("app", 0);
//! let (mut store, extras) = ModelStore::from_state(state.clone(), &me);
//! store.add_unit("app", 1);
//! store.join_relation(id, "app", 1).unwrap();
//!
//! let data = [("k".to_owned(), "v".to_owned())].into();
//! store.relation_set(&me, id, data, false).unwrap();
//! let other = Actor::new("app", 1);
//! assert_eq!(store.relation_get(&other, id, "app/0", false).unwrap()["k"], "v");
//! # let _ = extras;
//! ```
//!
//! Errors are [`ops::ModelError`] values: the ones Juju's tools print are
//! [`ModelError::HookTool`] with Juju's `ERROR …` text, and a missing
//! relation or secret is [`ModelError::RelationNotFound`] or
//! [`ModelError::SecretNotFound`], as ops classifies them.

mod apps;
mod config;
mod name;
mod ports;
mod projection;
mod relations;
mod secrets;
mod status;
mod unit_state;

#[cfg(test)]
mod tests;

pub use apps::Application;
pub use name::Name;
pub use projection::UnitExtras;
pub(crate) use projection::{relation_record, secret_record};
pub(crate) use relations::RelationView;
pub use relations::{RelationKind, RelationRecord, RelationSide, Relations};
pub use secrets::{
    SecretConsumer, SecretContent, SecretOwnerRef, SecretRecord, SecretRemoval, SecretRevision,
};
pub use status::Statuses;

use ops::{JujuVersion, ModelError, Port, StringMap};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The Juju version an [`Actor`] sees unless told otherwise.
pub const DEFAULT_JUJU_VERSION: JujuVersion = JujuVersion::new(3, 6, 14);

/// The model Juju keeps: applications and units, relations and their
/// databags, secrets, config, statuses, ports and unit state.
///
/// Plain serde data (the fake hook tool's world file is this value as
/// JSON). Every map is keyed by application name (`app`) or unit name
/// (`app/0`). `Debug` shows secret content keys, never values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelStore {
    /// The model's uuid (secret ids without one are read against it).
    pub model_uuid: String,
    /// The applications whose units run hooks, by name. Applications on the
    /// other side of a relation appear only in the relation.
    pub applications: BTreeMap<Name, Application>,
    /// Every relation, in the order they were added.
    pub relations: Relations,
    /// Every secret, in the order they were added.
    pub secrets: Vec<SecretRecord>,
    /// Config values explicitly set, by application (metadata defaults are
    /// not stored here: they belong to the charm, not the model).
    pub config: BTreeMap<Name, BTreeMap<String, Value>>,
    /// Unit and application statuses and workload versions.
    pub statuses: Statuses,
    /// The ports each unit opened, by unit name.
    pub ports: BTreeMap<Name, BTreeSet<Port>>,
    /// Each unit's state (`state-get`, `state-set`), where the framework
    /// persists stored state and deferred events under Juju.
    pub unit_state: BTreeMap<Name, StringMap>,
}

/// An empty model with no uuid (allocates nothing).
impl Default for ModelStore {
    fn default() -> Self {
        ModelStore {
            model_uuid: String::new(),
            applications: BTreeMap::new(),
            relations: Relations::default(),
            secrets: Vec::new(),
            config: BTreeMap::new(),
            statuses: Statuses::default(),
            ports: BTreeMap::new(),
            unit_state: BTreeMap::new(),
        }
    }
}

/// The unit a hook tool runs for: its application, number and the Juju
/// version its agent runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    app: Name,
    unit_id: u32,
    unit: Name,
    juju_version: JujuVersion,
}

impl Actor {
    /// Unit `unit_id` of `app`, under Juju [`DEFAULT_JUJU_VERSION`].
    pub fn new(app: &str, unit_id: u32) -> Self {
        Actor {
            unit: Name::from(format!("{app}/{unit_id}")),
            app: Name::from(app),
            unit_id,
            juju_version: DEFAULT_JUJU_VERSION,
        }
    }

    /// The unit named `app/N`; `None` when the name has no number.
    pub fn from_unit_name(unit: &str) -> Option<Self> {
        let (app, number) = unit.rsplit_once('/')?;
        let unit_id = number.parse().ok()?;
        (!app.is_empty()).then(|| Actor::new(app, unit_id))
    }

    /// The same unit under another Juju version.
    pub fn with_juju_version(mut self, version: JujuVersion) -> Self {
        self.juju_version = version;
        self
    }

    /// The application's name.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// The unit's number.
    pub fn unit_id(&self) -> u32 {
        self.unit_id
    }

    /// The unit's name, `app/N`.
    pub fn unit(&self) -> &str {
        &self.unit
    }

    /// The application's name, shared.
    pub fn app_name(&self) -> &Name {
        &self.app
    }

    /// The unit's name, shared.
    pub fn unit_name(&self) -> &Name {
        &self.unit
    }

    /// The Juju version.
    pub fn juju_version(&self) -> &JujuVersion {
        &self.juju_version
    }

    fn version_below(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.juju_version < JujuVersion::new(major, minor, patch)
    }
}

/// A failed hook tool, with Juju's `ERROR …` text.
pub(crate) fn juju_error(tool: &str, message: impl Into<String>) -> ModelError {
    ModelError::hook_tool(tool, message)
}

impl ModelStore {
    /// An empty model with this uuid.
    pub fn new(model_uuid: impl Into<String>) -> Self {
        ModelStore {
            model_uuid: model_uuid.into(),
            ..ModelStore::default()
        }
    }
}
