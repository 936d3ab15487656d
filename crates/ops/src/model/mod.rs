//! The model facades: what a charm reads and changes, with the rules that
//! Python `ops` enforces (databag access, leader-only app status, secret
//! content validation). They reach Juju only through [`Backend`].

mod app;
mod container;
mod relation;
mod secret;
mod storage;
mod unit;

pub use app::Application;
pub use container::{Container, ExecProcess};
pub use relation::{DataOwner, Relation, RelationDataContent};
pub use secret::{Secret, SecretQuery, canonical_secret_id};
pub use storage::{Resources, Storage, StorageMapping};
pub use unit::Unit;
// Ports are data (`crate::types`); `ops::model::Port` stays a path to them.
pub use crate::types::{Port, Protocol};

use crate::backend::Backend;
use crate::error::ModelError;
use crate::juju_context::JujuContext;
use crate::meta::CharmMeta;
use crate::types::{CloudSpec, JujuVersion, Network, RelationId, Status};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
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
    /// Where this dispatch's spans go, as `ops::trace::Tracing` found it.
    pub(crate) trace_destination: Option<String>,
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
    // Behind `Rc`s so that a clone (charms keep one, the framework makes
    // some every run) copies no name.
    unit: Rc<Unit>,
    app: Rc<Application>,
    storages: StorageMapping,
    resources: Resources,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.shared.context.model_name)
            .field("unit", &self.unit.name())
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
        let unit = Rc::new(Unit::new(&shared, shared.context.unit_name.clone()));
        let app = Rc::new(Application::new(&shared, shared.app_name().to_owned()));
        let storages = StorageMapping::new(&shared);
        let resources = Resources::new(&shared);
        Model {
            shared,
            unit,
            app,
            storages,
            resources,
        }
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

    /// The Juju version running the charm, for example `3.6.14`; compare it
    /// with [`JujuVersion::new`] or use its feature checks
    /// ([`JujuVersion::has_secrets`], …).
    pub fn juju_version(&self) -> &JujuVersion {
        &self.shared.context.version
    }

    /// The charm's metadata.
    pub fn meta(&self) -> &CharmMeta {
        &self.shared.meta
    }

    /// The hook environment of this dispatch.
    pub fn juju_context(&self) -> &JujuContext {
        self.shared.backend.use_charm_dir();
        &self.shared.context
    }

    /// A unit by name (this one, a peer, or a remote one).
    pub fn get_unit(&self, name: &str) -> Unit {
        if name == self.unit.name() {
            Unit::clone(&self.unit)
        } else {
            Unit::new(&self.shared, name.to_owned())
        }
    }

    /// An application by name (this one or a remote one).
    pub fn get_app(&self, name: &str) -> Application {
        if name == self.app.name() {
            Application::clone(&self.app)
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
        let name: Rc<str> = Rc::from(endpoint);
        let is_peer = Relation::is_peer_endpoint(&self.shared, endpoint);
        Ok(ids
            .into_iter()
            .filter(|id| Some(*id) != broken)
            .map(|id| Relation::lazy_on(&self.shared, name.clone(), is_peer, id))
            .collect())
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
    /// the hook, and a storage-attached event follows for each. The same as
    /// `model.storages().request(name, count)`.
    pub fn request_storage(&self, name: &str, count: u32) -> Result<(), ModelError> {
        self.storages.request(name, count)
    }

    /// The storage the charm declares and the instances attached to this
    /// unit (ops' `model.storages`): `model.storages().get("data")?` lists
    /// the instances of `data`, and each one's
    /// [`location`](Storage::location) is where it is mounted.
    pub fn storages(&self) -> &StorageMapping {
        &self.storages
    }

    /// The charm's resources (ops' `model.resources`):
    /// `model.resources().fetch("config-file")?` is the file's path.
    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    /// The storage instance with this name and index, without asking Juju
    /// which are attached: what a storage event names.
    pub(crate) fn storage_instance(&self, name: &str, index: u32) -> Storage {
        Storage::new(&self.shared, name, index, None)
    }
}
