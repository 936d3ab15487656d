//! [`State`] and every state object: plain serde data with `Default`, `Clone`
//! and `PartialEq`. Nothing here refers to a `Context` or runs a charm.

pub(crate) mod ids;
mod relation;
mod secret;

pub use ids::peek_next_relation_id;
pub use relation::{
    AnyRelation, Databag, PeerRelation, Relation, SubordinateRelation, default_unit_databag,
};
pub use secret::Secret;

use ops::{CloudSpec, LogLevel, Network, Port, RelationId, Snapshot, Status};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The most units [`State::planned_units`] may plan: `goal-state` lists
/// one entry per planned unit, so the harness bounds the list instead of
/// building millions of entries. No real application comes near it.
pub const MAX_PLANNED_UNITS: u32 = 10_000;

/// Everything Juju knows about the unit before (or after) one event.
///
/// Build it with struct update syntax; compare output states with `assert_eq!`.
///
/// ```
/// use ops_testing::{PeerRelation, State};
/// let state = State {
///     leader: true,
///     relations: vec![PeerRelation::new("replicas").into()],
///     ..State::default()
/// };
/// assert_eq!(state.planned_units, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// Config values explicitly set (defaults from metadata are added when the charm reads config).
    pub config: BTreeMap<String, Value>,
    /// Every relation the unit is in.
    pub relations: Vec<AnyRelation>,
    /// `network-get` answers by binding name; unlisted bindings get the default network.
    pub networks: BTreeMap<String, Network>,
    /// Whether this unit is the leader.
    pub leader: bool,
    /// The model.
    pub model: Model,
    /// Secrets the unit owns or was granted.
    pub secrets: Vec<Secret>,
    /// How many units Juju plans for the application, at most
    /// [`MAX_PLANNED_UNITS`] (the consistency check refuses more: `goal-state`
    /// lists every planned unit).
    pub planned_units: u32,
    /// Events deferred by earlier runs, re-emitted before the next event.
    pub deferred: Vec<DeferredEvent>,
    /// The charm's stored state.
    pub stored_states: Vec<StoredState>,
    /// The application's status.
    pub app_status: Status,
    /// This unit's status.
    pub unit_status: Status,
    /// The workload version.
    pub workload_version: String,
    /// Ports open on the unit.
    pub opened_ports: BTreeSet<Port>,
}

impl Default for State {
    fn default() -> Self {
        State {
            config: BTreeMap::new(),
            relations: Vec::new(),
            networks: BTreeMap::new(),
            leader: false,
            model: Model::default(),
            secrets: Vec::new(),
            planned_units: 1,
            deferred: Vec::new(),
            stored_states: Vec::new(),
            app_status: Status::Unknown,
            unit_status: Status::Unknown,
            workload_version: String::new(),
            opened_ports: BTreeSet::new(),
        }
    }
}

impl State {
    /// The relation with this id.
    pub fn get_relation(&self, id: RelationId) -> Option<&AnyRelation> {
        self.relations.iter().find(|r| r.id() == id)
    }

    /// Every relation on an endpoint.
    pub fn get_relations(&self, endpoint: &str) -> Vec<&AnyRelation> {
        self.relations
            .iter()
            .filter(|r| r.endpoint() == endpoint)
            .collect()
    }

    /// The secret with this id (compared verbatim).
    pub fn get_secret(&self, id: &str) -> Option<&Secret> {
        self.secrets.iter().find(|s| s.id == id)
    }

    /// The secret with this label.
    pub fn get_secret_by_label(&self, label: &str) -> Option<&Secret> {
        self.secrets
            .iter()
            .find(|s| s.label.as_deref() == Some(label))
    }

    /// The stored state called `name` of the charm (owner path `None`) or of `owner_path`.
    pub fn get_stored_state(&self, name: &str, owner_path: Option<&str>) -> Option<&StoredState> {
        self.stored_states
            .iter()
            .find(|s| s.name == name && s.owner_path.as_deref() == owner_path)
    }
}

/// The kind of model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelType {
    /// A Kubernetes model.
    #[default]
    Kubernetes,
    /// A machine (LXD) model.
    Lxd,
}

/// The Juju model the unit is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Model {
    /// The model's name.
    pub name: String,
    /// The model's uuid.
    pub uuid: String,
    /// Kubernetes or machines.
    #[serde(rename = "type")]
    pub kind: ModelType,
    /// The cloud, for `credential-get` (the application must be trusted).
    pub cloud_spec: Option<CloudSpec>,
}

impl Default for Model {
    /// Fixed name and uuid (ops.testing draws random ones; fixed values keep
    /// output states and snapshots stable).
    fn default() -> Self {
        Model {
            name: "test-model".to_owned(),
            uuid: "c0ffee00-0000-4000-8000-000000000000".to_owned(),
            kind: ModelType::Kubernetes,
            cloud_spec: None,
        }
    }
}

/// An event deferred by an earlier run.
///
/// Usually built with `ctx.on.<event>(..).deferred(MyCharm::handler)`, or
/// taken from a previous run's output `State`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeferredEvent {
    /// `<Owner>/on/<event>[<n>]`.
    pub handle_path: String,
    /// The charm type that observed the event.
    pub owner: String,
    /// The handler method that deferred it.
    pub observer: String,
    /// What is needed to rebuild the event.
    pub snapshot_data: Snapshot,
}

impl DeferredEvent {
    /// The event's name, for example `start`.
    pub fn name(&self) -> &str {
        ops::internal::event_name_of(&self.handle_path)
    }
}

impl From<ops::internal::DeferredNotice> for DeferredEvent {
    fn from(n: ops::internal::DeferredNotice) -> Self {
        DeferredEvent {
            handle_path: n.handle_path,
            owner: n.owner,
            observer: n.observer,
            snapshot_data: n.snapshot,
        }
    }
}

impl From<DeferredEvent> for ops::internal::DeferredNotice {
    fn from(e: DeferredEvent) -> Self {
        ops::internal::DeferredNotice {
            handle_path: e.handle_path,
            owner: e.owner,
            observer: e.observer,
            snapshot: e.snapshot_data,
        }
    }
}

/// The content of one stored state.
///
/// `owner_path: None` means the charm itself (what `framework.stored_state`
/// creates); `Some("MyCharm")` names the same state explicitly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredState {
    /// The name given to `framework.stored_state` (ops' default is `_stored`).
    pub name: String,
    /// The owner's path; `None` for the charm.
    pub owner_path: Option<String>,
    /// The fields and their values.
    pub content: BTreeMap<String, Value>,
}

impl StoredState {
    /// The charm's state called `name` with this content.
    pub fn new(name: impl Into<String>, content: BTreeMap<String, Value>) -> Self {
        StoredState {
            name: name.into(),
            owner_path: None,
            content,
        }
    }

    /// The handle path ops stores it under, given the charm's type name.
    pub fn handle_path(&self, charm_owner: &str) -> String {
        let owner = self.owner_path.as_deref().unwrap_or(charm_owner);
        format!("{owner}/StoredStateData[{}]", self.name)
    }
}

/// A TCP port, for [`State::opened_ports`]: `TcpPort(8080).into()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpPort(pub u16);

/// A UDP port, for [`State::opened_ports`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpPort(pub u16);

/// ICMP, for [`State::opened_ports`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpPort;

impl From<TcpPort> for Port {
    fn from(p: TcpPort) -> Self {
        Port::tcp(p.0)
    }
}

impl From<UdpPort> for Port {
    fn from(p: UdpPort) -> Self {
        Port::udp(p.0)
    }
}

impl From<IcmpPort> for Port {
    fn from(_: IcmpPort) -> Self {
        Port::icmp()
    }
}

/// One line the charm logged during a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JujuLogLine {
    /// The level.
    pub level: LogLevel,
    /// The message.
    pub message: String,
}

impl JujuLogLine {
    /// A line at this level.
    pub fn new(level: LogLevel, message: impl Into<String>) -> Self {
        JujuLogLine {
            level,
            message: message.into(),
        }
    }
}
