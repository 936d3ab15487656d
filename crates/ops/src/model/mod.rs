//! The model facades: what a charm reads and changes, with the rules that
//! Python `ops` enforces (databag access, leader-only app status, secret
//! content validation). They reach Juju only through [`Backend`].

mod port;
mod relation;
mod secret;

pub use port::{Port, Protocol};
pub use relation::{DataOwner, Relation, RelationDataContent};
pub use secret::{Secret, SecretQuery, canonical_secret_id};

use crate::backend::{
    Backend, CloudSpec, Network, RelationId, SecretMetadata, SecretOwner, StringMap,
};
use crate::error::ModelError;
use crate::juju_context::JujuContext;
use crate::meta::CharmMeta;
use crate::status::Status;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

/// State shared by every facade of one dispatch.
pub(crate) struct Shared {
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) meta: Arc<CharmMeta>,
    pub(crate) context: JujuContext,
    pub(crate) dispatch: RefCell<DispatchState>,
}

/// What the framework tells the model about the event being dispatched.
#[derive(Default)]
pub(crate) struct DispatchState {
    /// During `*_relation_broken`, the broken relation is hidden, as in ops.
    pub(crate) broken_relation: Option<RelationId>,
    /// Statuses added by collect-status observers.
    pub(crate) collected_statuses: Vec<Status>,
}

impl Shared {
    pub(crate) fn app_name(&self) -> &str {
        self.context.app_name()
    }
}

/// The Juju model as this unit sees it: entry point to every facade.
///
/// A charm keeps a clone (cloning is cheap) from [`Framework::model`](crate::Framework::model).
#[derive(Clone)]
pub struct Model {
    shared: Rc<Shared>,
    unit: Unit,
    app: Application,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.shared.context.model_name)
            .field("unit", &self.unit.name)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Builds the model of one dispatch. `ops::main` and `ops-testing` call this;
    /// charms receive the model from the [`Framework`](crate::Framework).
    pub fn new(backend: Arc<dyn Backend>, meta: Arc<CharmMeta>, context: JujuContext) -> Self {
        let shared = Rc::new(Shared {
            backend,
            meta,
            context,
            dispatch: RefCell::new(DispatchState::default()),
        });
        let unit = Unit::new(&shared, shared.context.unit_name.clone());
        let app = Application::new(&shared, shared.app_name().to_owned());
        Model { shared, unit, app }
    }

    pub(crate) fn shared(&self) -> &Rc<Shared> {
        &self.shared
    }

    /// This unit.
    pub fn unit(&self) -> &Unit {
        &self.unit
    }

    /// This unit's application.
    pub fn app(&self) -> &Application {
        &self.app
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.shared.context.model_name
    }

    /// The model's uuid.
    pub fn uuid(&self) -> &str {
        &self.shared.context.model_uuid
    }

    /// The Juju version running the charm, for example `3.6.14`.
    pub fn juju_version(&self) -> &str {
        &self.shared.context.version
    }

    /// The charm's metadata.
    pub fn meta(&self) -> &CharmMeta {
        &self.shared.meta
    }

    /// The hook environment of this dispatch.
    pub fn juju_context(&self) -> &JujuContext {
        &self.shared.context
    }

    /// A unit by name (this one, a peer, or a remote one).
    pub fn get_unit(&self, name: &str) -> Unit {
        if name == self.unit.name {
            self.unit.clone()
        } else {
            Unit::new(&self.shared, name.to_owned())
        }
    }

    /// An application by name (this one or a remote one).
    pub fn get_app(&self, name: &str) -> Application {
        if name == self.app.name {
            self.app.clone()
        } else {
            Application::new(&self.shared, name.to_owned())
        }
    }

    /// The charm's configuration: set options plus defaults (`config-get`).
    pub fn config(&self) -> Result<BTreeMap<String, Value>, ModelError> {
        self.shared.backend.config_get()
    }

    /// The configuration converted to the charm's own type with serde.
    ///
    /// Options often use hyphens: put `#[serde(rename_all = "kebab-case")]` on the type.
    pub fn load_config<T: serde::de::DeserializeOwned>(&self) -> Result<T, ModelError> {
        let config = self.config()?;
        let value = Value::Object(config.into_iter().collect());
        serde_json::from_value(value).map_err(|e| ModelError::Config {
            target: std::any::type_name::<T>().to_owned(),
            reason: e.to_string(),
        })
    }

    fn check_endpoint(&self, endpoint: &str) -> Result<(), ModelError> {
        if self.shared.meta.endpoint(endpoint).is_none() {
            return Err(ModelError::NotDeclared {
                kind: "relation endpoint".to_owned(),
                name: endpoint.to_owned(),
            });
        }
        Ok(())
    }

    /// Every live relation on an endpoint (the relation being broken is left out, as in ops).
    pub fn relations(&self, endpoint: &str) -> Result<Vec<Relation>, ModelError> {
        self.check_endpoint(endpoint)?;
        let broken = self.shared.dispatch.borrow().broken_relation;
        let ids = self.shared.backend.relation_ids(endpoint)?;
        ids.into_iter()
            .filter(|id| Some(*id) != broken)
            .map(|id| Relation::load(&self.shared, endpoint, id))
            .collect()
    }

    /// The one relation on an endpoint, `None` if there is none.
    ///
    /// Fails with [`ModelError::TooManyRelations`] when there are several:
    /// use [`Model::relations`] or [`Model::get_relation_by_id`] then.
    pub fn get_relation(&self, endpoint: &str) -> Result<Option<Relation>, ModelError> {
        let mut relations = self.relations(endpoint)?;
        match relations.len() {
            0 => Ok(None),
            1 => Ok(relations.pop()),
            count => Err(ModelError::TooManyRelations {
                endpoint: endpoint.to_owned(),
                count,
            }),
        }
    }

    /// A relation by endpoint and id. A relation Juju no longer knows comes
    /// back with `active() == false` and no units, as in ops.
    pub fn get_relation_by_id(
        &self,
        endpoint: &str,
        id: RelationId,
    ) -> Result<Relation, ModelError> {
        self.check_endpoint(endpoint)?;
        Relation::load(&self.shared, endpoint, id)
    }

    /// A secret by id, label, or both (both attaches the label to it).
    ///
    /// The secret's current content is fetched now and cached, as ops does.
    pub fn get_secret(&self, query: SecretQuery) -> Result<Secret, ModelError> {
        Secret::fetch(&self.shared, query)
    }

    /// The network of a binding (an endpoint or an extra binding).
    pub fn get_network(&self, binding: &str) -> Result<Network, ModelError> {
        self.shared.backend.network_get(binding, None)
    }

    /// The cloud the model runs on, with its credential (`credential-get`).
    /// Juju answers only when the application is trusted (`juju trust`).
    pub fn get_cloud_spec(&self) -> Result<CloudSpec, ModelError> {
        self.shared.backend.credential_get()
    }

    /// Asks Juju for `count` more instances of the storage `name`
    /// (`storage-add`; ops' `model.storages.request`). Juju adds them after
    /// the hook, and a storage-attached event follows for each.
    pub fn request_storage(&self, name: &str, count: u32) -> Result<(), ModelError> {
        if !self.shared.meta.storage.contains_key(name) {
            return Err(ModelError::NotDeclared {
                kind: "storage".to_owned(),
                name: name.to_owned(),
            });
        }
        self.shared.backend.storage_add(name, count)
    }
}

/// A unit: this one (which the charm can change) or another one.
#[derive(Clone)]
pub struct Unit {
    name: String,
    shared: Rc<Shared>,
}

impl fmt::Debug for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Unit({})", self.name)
    }
}

impl PartialEq for Unit {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Unit {}
impl PartialOrd for Unit {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Unit {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name.cmp(&other.name)
    }
}

impl Unit {
    pub(crate) fn new(shared: &Rc<Shared>, name: String) -> Self {
        Unit {
            name,
            shared: shared.clone(),
        }
    }

    /// The unit's name, for example `app/0`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name of the unit's application.
    pub fn app_name(&self) -> &str {
        self.name.split_once('/').map_or(&self.name, |(app, _)| app)
    }

    /// Whether this is the unit running the charm.
    pub fn is_our_unit(&self) -> bool {
        self.name == self.shared.context.unit_name
    }

    fn ensure_ours(&self, action: &str) -> Result<(), ModelError> {
        if self.is_our_unit() {
            Ok(())
        } else {
            Err(ModelError::NotOurs {
                what: format!("unit {}", self.name),
                action: action.to_owned(),
            })
        }
    }

    /// Whether this unit is the leader (`is-leader`).
    ///
    /// Juju guarantees leadership for 30 seconds after a leader-elected event
    /// or an `is-leader` check: call this again in handlers that run longer.
    pub fn is_leader(&self) -> Result<bool, ModelError> {
        self.ensure_ours("check leadership of")?;
        self.shared.backend.is_leader()
    }

    /// This unit's status (`status-get`).
    pub fn status(&self) -> Result<Status, ModelError> {
        self.ensure_ours("get the status of")?;
        self.shared.backend.status_get(false)
    }

    /// Sets this unit's status (`status-set`).
    pub fn set_status(&self, status: impl Into<Status>) -> Result<(), ModelError> {
        self.ensure_ours("set the status of")?;
        let status = status.into();
        if !status.is_settable() {
            return Err(ModelError::InvalidStatus {
                name: status.name().to_owned(),
            });
        }
        self.shared.backend.status_set(&status, false)
    }

    /// Sets the workload version shown by `juju status` (`application-version-set`).
    pub fn set_workload_version(&self, version: &str) -> Result<(), ModelError> {
        self.ensure_ours("set the workload version of")?;
        self.shared.backend.application_version_set(version)
    }

    /// Opens a port (`open-port`).
    pub fn open_port(&self, port: Port) -> Result<(), ModelError> {
        self.ensure_ours("open a port on")?;
        port.validate()
            .map_err(|reason| ModelError::InvalidPort { reason })?;
        self.shared.backend.open_port(&port)
    }

    /// Closes a port (`close-port`); closing a closed port is not an error.
    pub fn close_port(&self, port: Port) -> Result<(), ModelError> {
        self.ensure_ours("close a port on")?;
        port.validate()
            .map_err(|reason| ModelError::InvalidPort { reason })?;
        self.shared.backend.close_port(&port)
    }

    /// The ports opened on this unit (`opened-ports`).
    pub fn opened_ports(&self) -> Result<BTreeSet<Port>, ModelError> {
        self.ensure_ours("list the ports of")?;
        Ok(self.shared.backend.opened_ports()?.into_iter().collect())
    }

    /// Adds a secret owned by this unit (`secret-add --owner unit`).
    pub fn add_secret(
        &self,
        content: StringMap,
        metadata: SecretMetadata,
    ) -> Result<Secret, ModelError> {
        self.ensure_ours("add a secret to")?;
        Secret::add(&self.shared, content, SecretOwner::Unit, metadata)
    }

    /// Asks Juju to reboot the machine (`juju-reboot`): after the hook, or
    /// at once with `now` (Juju then stops this process and runs the hook
    /// again after the reboot). Machine charms only.
    pub fn reboot(&self, now: bool) -> Result<(), ModelError> {
        self.ensure_ours("reboot")?;
        self.shared.backend.reboot(now)
    }
}

/// An application: this unit's (whose status the leader sets) or a remote one.
#[derive(Clone)]
pub struct Application {
    name: String,
    shared: Rc<Shared>,
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Application({})", self.name)
    }
}

impl PartialEq for Application {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Application {}

impl Application {
    pub(crate) fn new(shared: &Rc<Shared>, name: String) -> Self {
        Application {
            name,
            shared: shared.clone(),
        }
    }

    /// The application's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether this is the charm's own application.
    pub fn is_our_app(&self) -> bool {
        self.name == self.shared.app_name()
    }

    fn ensure_ours(&self, action: &str) -> Result<(), ModelError> {
        if self.is_our_app() {
            Ok(())
        } else {
            Err(ModelError::NotOurs {
                what: format!("application {}", self.name),
                action: action.to_owned(),
            })
        }
    }

    fn ensure_leader(&self, action: &str) -> Result<(), ModelError> {
        if self.shared.backend.is_leader()? {
            Ok(())
        } else {
            tracing::trace!(target: "ops::security", "authz_fail: unit {} tried to {action}", self.shared.context.unit_name);
            Err(ModelError::NotLeader {
                action: action.to_owned(),
            })
        }
    }

    /// The application's status; only the leader may read it.
    pub fn status(&self) -> Result<Status, ModelError> {
        self.ensure_ours("get the status of")?;
        self.ensure_leader("get application status")?;
        self.shared.backend.status_get(true)
    }

    /// Sets the application's status; only the leader may.
    pub fn set_status(&self, status: impl Into<Status>) -> Result<(), ModelError> {
        self.ensure_ours("set the status of")?;
        let status = status.into();
        if !status.is_settable() {
            return Err(ModelError::InvalidStatus {
                name: status.name().to_owned(),
            });
        }
        self.ensure_leader("set application status")?;
        self.shared.backend.status_set(&status, true)
    }

    /// Adds a secret owned by the application (`secret-add --owner application`).
    ///
    /// Juju refuses this for non-leaders; the refusal comes back as an error.
    pub fn add_secret(
        &self,
        content: StringMap,
        metadata: SecretMetadata,
    ) -> Result<Secret, ModelError> {
        self.ensure_ours("add a secret to")?;
        Secret::add(&self.shared, content, SecretOwner::App, metadata)
    }

    /// How many units Juju plans for this application (from `goal-state`,
    /// not counting dying units).
    pub fn planned_units(&self) -> Result<usize, ModelError> {
        self.ensure_ours("count the planned units of")?;
        let goal = self.shared.backend.goal_state()?;
        Ok(goal.units.values().filter(|u| u.status != "dying").count())
    }
}
