//! [`State`] and every state object: plain serde data with `Default`, `Clone`
//! and `PartialEq`. Nothing here refers to a `Context` or runs a charm.

mod container;
pub(crate) mod ids;
mod maps;
mod relation;
mod secret;
mod storage;

pub(crate) use container::services_of;
pub use container::{CheckInfo, Container, DEFAULT_NOTICE_TIME, Exec, Mount, Notice};
pub use ids::{
    peek_next_change_id, peek_next_notice_id, peek_next_relation_id, peek_next_storage_index,
};
pub use maps::Config;
pub use relation::{
    AnyRelation, Databag, PeerRelation, Relation, SubordinateRelation, default_unit_databag,
};
pub use secret::Secret;
pub(crate) use storage::is_valid_storage_name;
pub use storage::{Resource, Storage};

use ops::{CloudSpec, LogLevel, Network, Port, RelationId, Snapshot, Status};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct State {
    /// Config values explicitly set (defaults from metadata are added when
    /// the charm reads config): `[("port", 9000.into())].into()`.
    pub config: Config,
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
    /// The unit's workload containers (Kubernetes sidecar charms).
    pub containers: Vec<Container>,
    /// Storage instances attached to the unit (`storage-list`, `storage-get`).
    pub storages: Vec<Storage>,
    /// Resources Juju serves the charm (`resource-get`); a declared
    /// resource missing here makes `resource-get` fail, as when a charm is
    /// deployed without it.
    pub resources: Vec<Resource>,
}

impl Default for State {
    fn default() -> Self {
        State {
            config: Config::new(),
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
            containers: Vec::new(),
            storages: Vec::new(),
            resources: Vec::new(),
        }
    }
}

/// A State given by value to [`Context::run`](crate::Context::run): the
/// run works on it in place, with no copy.
impl From<State> for Cow<'_, State> {
    fn from(state: State) -> Self {
        Cow::Owned(state)
    }
}

/// A State given by reference to [`Context::run`](crate::Context::run):
/// the input is kept and the run works on one copy of it.
impl<'a> From<&'a State> for Cow<'a, State> {
    fn from(state: &'a State) -> Self {
        Cow::Borrowed(state)
    }
}

impl State {
    /// The relation with this id.
    pub fn get_relation(&self, id: RelationId) -> Option<&AnyRelation> {
        self.relations.iter().find(|r| r.id() == id)
    }

    /// The regular relation (with another application) with this id;
    /// `None` if there is none, or the relation with that id is a peer or
    /// subordinate one.
    ///
    /// ```
    /// use ops_testing::{PeerRelation, Relation, State};
    /// let db = Relation::new("db");
    /// let peers = PeerRelation::new("replicas");
    /// let state = State { relations: vec![db.clone().into(), peers.clone().into()], ..State::default() };
    /// assert_eq!(state.get_regular_relation(db.id).map(|r| &r.remote_app_name), Some(&"remote".to_owned()));
    /// assert_eq!(state.get_peer_relation(peers.id).map(|p| p.peers_data.len()), Some(0));
    /// assert!(state.get_peer_relation(db.id).is_none());
    /// ```
    pub fn get_regular_relation(&self, id: RelationId) -> Option<&Relation> {
        self.get_relation(id).and_then(AnyRelation::as_regular)
    }

    /// The peer relation with this id; `None` if there is none or it is of another kind.
    pub fn get_peer_relation(&self, id: RelationId) -> Option<&PeerRelation> {
        self.get_relation(id).and_then(AnyRelation::as_peer)
    }

    /// The subordinate relation with this id; `None` if there is none or it is of another kind.
    ///
    /// ```
    /// use ops_testing::{State, SubordinateRelation};
    /// let juju_info = SubordinateRelation::new("juju-info");
    /// let state = State { relations: vec![juju_info.clone().into()], ..State::default() };
    /// assert_eq!(state.get_subordinate_relation(juju_info.id).unwrap().remote_unit_name(), "remote/0");
    /// ```
    pub fn get_subordinate_relation(&self, id: RelationId) -> Option<&SubordinateRelation> {
        self.get_relation(id).and_then(AnyRelation::as_subordinate)
    }

    /// Every relation on an endpoint.
    pub fn get_relations(&self, endpoint: &str) -> Vec<&AnyRelation> {
        self.relations
            .iter()
            .filter(|r| r.endpoint() == endpoint)
            .collect()
    }

    /// The container called `name`.
    pub fn get_container(&self, name: &str) -> Option<&Container> {
        self.containers.iter().find(|c| c.name == name)
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

    /// The storage instance `name`/`index` (ops.testing's
    /// `get_storage(name, index=0)`); `None` if the State has none.
    pub fn get_storage(&self, name: &str, index: u32) -> Option<&Storage> {
        self.storages
            .iter()
            .find(|s| s.name == name && s.index == index)
    }

    /// The resource called `name`; `None` if the State has none.
    pub fn get_resource(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.name == name)
    }

    /// The stored state called `name` of the charm (owner path `None`) or of `owner_path`.
    pub fn get_stored_state(&self, name: &str, owner_path: Option<&str>) -> Option<&StoredState> {
        self.stored_states
            .iter()
            .find(|s| s.name == name && s.owner_path.as_deref() == owner_path)
    }

    /// The charm's stored state called `name`, read back as the charm's own
    /// serde type (what `framework.stored_state::<T>(name)` holds).
    ///
    /// ```
    /// use ops::{on, Charm, Framework, HandlerResult, StartEvent, StoredState};
    /// use ops_testing::{Context, State};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    /// #[serde(default)]
    /// struct Counters { starts: u32 }
    ///
    /// struct MyCharm { stored: StoredState<Counters> }
    /// impl Charm for MyCharm {
    ///     fn new(framework: &mut Framework<Self>) -> Self {
    ///         framework.observe(on::start(), |c: &mut Self, _: &mut StartEvent| -> HandlerResult {
    ///             c.stored.borrow_mut().starts += 1;
    ///             Ok(())
    ///         });
    ///         MyCharm { stored: framework.stored_state("_stored") }
    ///     }
    /// }
    ///
    /// let mut ctx = Context::<MyCharm>::new(ops::CharmMeta::new("foo"));
    /// let out = ctx.run(ctx.on.start(), &State::default()).unwrap();
    /// assert_eq!(out.stored_state::<Counters>("_stored").unwrap(), Counters { starts: 1 });
    /// ```
    pub fn stored_state<T: DeserializeOwned>(&self, name: &str) -> Result<T, StoredStateError> {
        self.read_stored_state(name, None)
    }

    /// The stored state called `name` of the object at `owner_path` (a
    /// library object: `MyCharm/DatabaseRequires[db]`), as its serde type.
    pub fn stored_state_of<T: DeserializeOwned>(
        &self,
        owner_path: &str,
        name: &str,
    ) -> Result<T, StoredStateError> {
        self.read_stored_state(name, Some(owner_path))
    }

    fn read_stored_state<T: DeserializeOwned>(
        &self,
        name: &str,
        owner_path: Option<&str>,
    ) -> Result<T, StoredStateError> {
        let Some(stored) = self.get_stored_state(name, owner_path) else {
            return Err(StoredStateError::NotFound {
                name: name.to_owned(),
                owner_path: owner_path.map(str::to_owned),
                present: self
                    .stored_states
                    .iter()
                    .map(|s| match &s.owner_path {
                        None => s.name.clone(),
                        Some(owner) => format!("{owner}/{}", s.name),
                    })
                    .collect(),
            });
        };
        let content: serde_json::Map<String, Value> = stored
            .content
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        serde_json::from_value(Value::Object(content)).map_err(|e| StoredStateError::Shape {
            name: name.to_owned(),
            target: std::any::type_name::<T>().to_owned(),
            reason: e.to_string(),
        })
    }
}

/// Why [`State::stored_state`] could not read a stored state back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoredStateError {
    /// The State has no stored state of that name and owner. A run leaves
    /// out a state that was not in its input and that the charm never used.
    #[error(
        "no stored state {name:?}{} in the State (present: {}); \
         check the name given to `framework.stored_state`, and that the run used it",
        owner_path.as_ref().map(|o| format!(" of {o}")).unwrap_or_default(),
        if present.is_empty() { "none".to_owned() } else { present.join(", ") }
    )]
    NotFound {
        /// The name asked for.
        name: String,
        /// The owner asked for; `None` for the charm.
        owner_path: Option<String>,
        /// The stored states the State has (`name`, or `owner/name`).
        present: Vec<String>,
    },
    /// The content does not fit the type asked for.
    #[error(
        "stored state {name:?} does not fit `{target}`: {reason}; \
         read it with the type the charm stores"
    )]
    Shape {
        /// The stored state's name.
        name: String,
        /// The Rust type asked for.
        target: String,
        /// What serde reported.
        reason: String,
    },
}

/// The kind of model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

    /// The same deferred event with `event_id` as the number in its handle
    /// path (`MyCharm/on/start[7]`): ops.testing's
    /// `event.deferred(handler, event_id=7)`. [`Event::deferred`](crate::Event::deferred)
    /// and its siblings use 1.
    ///
    /// ```
    /// # use ops::{Charm, Framework, HandlerResult, StartEvent};
    /// # struct MyCharm;
    /// # impl Charm for MyCharm { fn new(_: &mut Framework<Self>) -> Self { MyCharm } }
    /// # impl MyCharm { fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult { Ok(()) } }
    /// let ctx = ops_testing::Context::<MyCharm>::new(ops::CharmMeta::new("my-charm"));
    /// let deferred = ctx.on.start().deferred(MyCharm::on_start).event_id(7);
    /// assert_eq!(deferred.handle_path, "MyCharm/on/start[7]");
    /// ```
    pub fn event_id(mut self, event_id: u64) -> Self {
        let path = match self.handle_path.rsplit_once('[') {
            Some((path, rest)) if rest.ends_with(']') => path,
            _ => self.handle_path.as_str(),
        };
        self.handle_path = format!("{path}[{event_id}]");
        self
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StoredState {
    /// The name given to `framework.stored_state` (ops' default is `_stored`).
    pub name: String,
    /// The owner's path; `None` for the charm.
    pub owner_path: Option<String>,
    /// The fields and their values.
    pub content: BTreeMap<String, Value>,
}

/// ops.testing's defaults: the charm's state called `_stored` (ops'
/// usual attribute name), empty.
impl Default for StoredState {
    fn default() -> Self {
        StoredState::new("_stored", BTreeMap::new())
    }
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
