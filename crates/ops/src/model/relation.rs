//! Relations and their databags, with ops' access rules.
//!
//! A [`Relation`] from [`Model::relations`](super::Model::relations) or
//! [`Model::get_relation`](super::Model::get_relation) is a cheap handle: it
//! asks Juju nothing until the charm reads its units, its remote application
//! or a databag, and keeps each answer for the rest of the handle's life
//! (one dispatch). A relation from
//! [`Model::get_relation_by_id`](super::Model::get_relation_by_id) (and an
//! event's relation) lists its units when it is made, as ops does, since
//! only `relation-list` tells whether Juju still knows the relation.

use super::{Application, Shared, Unit};
use crate::error::ModelError;
use crate::meta::RelationRole;
use crate::types::{RelationId, StringMap};
use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

/// A relation between this application and another (or its peers).
#[derive(Clone)]
pub struct Relation {
    id: RelationId,
    endpoint: Rc<str>,
    is_peer: bool,
    active: Cell<bool>,
    /// The remote application, once known (at once for a peer relation or
    /// the event's relation; otherwise on first ask).
    app: OnceCell<Option<Application>>,
    /// The remote units, once `relation-list` was asked.
    units: OnceCell<Vec<Unit>>,
    /// A failed lazy `relation-list` (other than "relation not found").
    list_error: OnceCell<ModelError>,
    shared: Rc<Shared>,
}

impl fmt::Debug for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Relation({}:{})", self.endpoint, self.id)
    }
}

impl PartialEq for Relation {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.endpoint == other.endpoint
    }
}

impl Relation {
    /// A handle that asks Juju nothing yet: for a relation `relation-ids`
    /// just listed, so Juju knows it.
    pub(crate) fn lazy(shared: &Rc<Shared>, endpoint: Rc<str>, id: RelationId) -> Self {
        let is_peer = Relation::is_peer_endpoint(shared, &endpoint);
        Relation::lazy_on(shared, endpoint, is_peer, id)
    }

    /// Whether `endpoint` is declared under `peers`.
    pub(crate) fn is_peer_endpoint(shared: &Shared, endpoint: &str) -> bool {
        matches!(
            shared.meta.endpoint(endpoint),
            Some((RelationRole::Peer, _))
        )
    }

    /// [`Relation::lazy`] for an endpoint whose role is known (the same for
    /// every relation `relation-ids` lists on it).
    pub(crate) fn lazy_on(
        shared: &Rc<Shared>,
        endpoint: Rc<str>,
        is_peer: bool,
        id: RelationId,
    ) -> Self {
        let relation = Relation {
            id,
            endpoint,
            is_peer,
            active: Cell::new(true),
            app: OnceCell::new(),
            units: OnceCell::new(),
            list_error: OnceCell::new(),
            shared: shared.clone(),
        };
        let ctx = &shared.context;
        let known = if is_peer {
            Some(shared.app_name().to_owned())
        } else if ctx.relation_id == Some(id) {
            ctx.remote_app.clone()
        } else {
            None
        };
        if let Some(name) = known {
            let _ = relation.app.set(Some(Application::new(shared, name)));
        }
        relation
    }

    /// A handle whose units are listed now, as ops lists them: a relation
    /// Juju no longer knows comes back inactive, and a failing
    /// `relation-list` fails here.
    pub(crate) fn load(
        shared: &Rc<Shared>,
        endpoint: &str,
        id: RelationId,
    ) -> Result<Self, ModelError> {
        let relation = Relation::lazy(shared, Rc::from(endpoint), id);
        relation.try_units()?;
        relation.try_app()?;
        Ok(relation)
    }

    /// Lists the units (once): `relation-list`, plus the unit leaving
    /// during departed and broken, as ops lists it.
    fn list(&self) -> Result<&[Unit], ModelError> {
        if let Some(units) = self.units.get() {
            return Ok(units);
        }
        if let Some(e) = self.list_error.get() {
            return Err(e.clone());
        }
        let shared = &self.shared;
        let names = match shared.backend.relation_list(self.id) {
            Ok(names) => names,
            Err(e) if e.is_relation_not_found() => {
                self.active.set(false);
                Vec::new()
            }
            Err(e) => {
                let _ = self.list_error.set(e.clone());
                return Err(e);
            }
        };
        let mut units: Vec<Unit> = names
            .into_iter()
            .map(|name| Unit::new(shared, name))
            .collect();
        let ctx = &shared.context;
        if ctx.relation_id == Some(self.id)
            && let Some(remote) = ctx.remote_unit.as_ref()
            && *remote != ctx.unit_name
            && !units.iter().any(|u| u.name() == remote)
        {
            units.push(Unit::new(shared, remote.clone()));
        }
        units.sort();
        Ok(self.units.get_or_init(|| units))
    }

    /// The remote application (once): from the backend when it knows it
    /// without a hook-tool call, else from the first remote unit, else
    /// `relation-list --app`.
    fn find_app(&self) -> Result<Option<Application>, ModelError> {
        let shared = &self.shared;
        if self.units.get().is_none() {
            match shared.backend.relation_remote_app_without_call(self.id) {
                Ok(Some(name)) => return Ok(Some(Application::new(shared, name))),
                Ok(None) => {}
                Err(e) if e.is_relation_not_found() => self.active.set(false),
                Err(e) => return Err(e),
            }
        }
        if let Some(first) = self.list()?.first() {
            return Ok(Some(Application::new(shared, first.app_name().to_owned())));
        }
        if !self.active.get() {
            return Ok(None);
        }
        match shared.backend.relation_remote_app_name(self.id) {
            Ok(name) => Ok(name.map(|name| Application::new(shared, name))),
            Err(e) if e.is_relation_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The relation id.
    pub fn id(&self) -> RelationId {
        self.id
    }

    /// The endpoint name (ops calls it `name`).
    pub fn name(&self) -> &str {
        &self.endpoint
    }

    /// Whether this is a peer relation.
    pub fn is_peer(&self) -> bool {
        self.is_peer
    }

    /// Whether Juju still knows the relation (false once it is gone).
    ///
    /// A relation from [`Model::relations`](super::Model::relations) was
    /// just listed by `relation-ids`, so it is active unless a later call
    /// found it gone.
    pub fn active(&self) -> bool {
        self.active.get()
    }

    /// The remote application (this application for a peer relation), if known.
    ///
    /// Asked of Juju the first time (see [`Relation::try_app`]); if that
    /// fails, `None` (use `try_app` to see the error).
    pub fn app(&self) -> Option<&Application> {
        match self.try_app() {
            Ok(app) => app,
            Err(error) => {
                // Not silent: the charm chose the infallible accessor, so
                // the failure goes to the unit's log.
                tracing::warn!(
                    "relation {}:{}: the remote application is unknown: {error}; \
                     use `Relation::try_app` to handle the error",
                    self.endpoint,
                    self.id
                );
                None
            }
        }
    }

    /// The remote application, with the error of the hook-tool call that
    /// finds it. Known at once for a peer relation and the event's
    /// relation; otherwise found the first time and kept: from the first
    /// remote unit's name (`relation-list`, which also lists
    /// [`Relation::units`]), or `relation-list --app` when there is no unit.
    pub fn try_app(&self) -> Result<Option<&Application>, ModelError> {
        if let Some(app) = self.app.get() {
            return Ok(app.as_ref());
        }
        let app = self.find_app()?;
        Ok(self.app.get_or_init(|| app).as_ref())
    }

    /// The remote units (the other peers, for a peer relation), sorted by name.
    ///
    /// Listed (`relation-list`) the first time and kept. If listing fails
    /// with anything but "relation not found", this is empty and a warning
    /// naming the error goes to the unit's log: use
    /// [`Relation::try_units`] to handle the error.
    pub fn units(&self) -> &[Unit] {
        match self.list() {
            Ok(units) => units,
            Err(error) => {
                tracing::warn!(
                    "relation {}:{}: the remote units are unknown: {error}; \
                     use `Relation::try_units` to handle the error",
                    self.endpoint,
                    self.id
                );
                &[]
            }
        }
    }

    /// The remote units, with the error of `relation-list` if it fails
    /// (a relation Juju no longer knows has no units and becomes inactive).
    pub fn try_units(&self) -> Result<&[Unit], ModelError> {
        self.list()
    }

    /// The uuid of the model the remote application is in: another model's
    /// for a cross-model relation, this model's otherwise
    /// (`relation-model-get`; needs Juju 3.6.2 or later).
    pub fn remote_model_uuid(&self) -> Result<String, ModelError> {
        self.shared.backend.relation_model_get(self.id)
    }

    /// The databag of a unit or application in this relation.
    ///
    /// ```no_run
    /// # fn demo(model: &ops::Model) -> Result<(), ops::ModelError> {
    /// let relation = model.get_relation("replicas")?.expect("peer relation exists");
    /// relation.data(model.unit()).set("ready", "yes")?;
    /// if model.unit().is_leader()? {
    ///     relation.data(model.app()).set("leader", model.unit().name())?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn data<'a>(&self, owner: impl Into<DataOwner<'a>>) -> RelationDataContent {
        let (name, is_app) = match owner.into() {
            DataOwner::Unit(unit) => (unit.name(), false),
            DataOwner::App(app) => (app.name(), true),
        };
        let is_local = if is_app {
            name == self.shared.app_name()
        } else {
            name == self.shared.context.unit_name
        };
        // This unit's and application's names are the dispatch's own: a
        // handle on their bags copies no name.
        let member = if is_local {
            Member::Local
        } else {
            Member::Remote(name.to_owned())
        };
        RelationDataContent {
            relation_id: self.id,
            endpoint: self.endpoint.clone(),
            member,
            is_app,
            is_local,
            is_peer: self.is_peer,
            active: self.active.get(),
            cache: RefCell::new(None),
            shared: self.shared.clone(),
        }
    }
}

/// Whose databag: a unit's or an application's. Built from `&Unit` or `&Application`.
#[derive(Debug, Clone, Copy)]
pub enum DataOwner<'a> {
    /// A unit's databag.
    Unit(&'a Unit),
    /// An application's databag.
    App(&'a Application),
}

impl<'a> From<&'a Unit> for DataOwner<'a> {
    fn from(unit: &'a Unit) -> Self {
        DataOwner::Unit(unit)
    }
}

impl<'a> From<&'a Application> for DataOwner<'a> {
    fn from(app: &'a Application) -> Self {
        DataOwner::App(app)
    }
}

/// One databag of a relation: read and write it like a map of strings.
///
/// Reads go through `relation-get` once and are cached; writes go through
/// `relation-set`. ops' rules apply: only this unit's bag and (for the leader)
/// this application's bag can be written; a non-leader cannot read its own
/// application's bag on a regular relation (peers can).
pub struct RelationDataContent {
    relation_id: RelationId,
    endpoint: Rc<str>,
    member: Member,
    is_app: bool,
    is_local: bool,
    is_peer: bool,
    active: bool,
    /// The bag as `relation-get` answered, shared with the backend.
    cache: RefCell<Option<Arc<StringMap>>>,
    shared: Rc<Shared>,
}

/// Whose bag a [`RelationDataContent`] is, by name.
enum Member {
    /// This unit's (or this application's): named by the dispatch's context.
    Local,
    /// Another unit's or application's.
    Remote(String),
}

impl fmt::Debug for RelationDataContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RelationDataContent({}:{} {})",
            self.endpoint,
            self.relation_id,
            self.member()
        )
    }
}

impl RelationDataContent {
    /// The name of the unit or application whose bag this is.
    fn member(&self) -> &str {
        match &self.member {
            Member::Local if self.is_app => self.shared.app_name(),
            Member::Local => &self.shared.context.unit_name,
            Member::Remote(name) => name,
        }
    }

    /// `endpoint:id`, for messages.
    fn relation(&self) -> String {
        format!("{}:{}", self.endpoint, self.relation_id)
    }

    fn check_read(&self) -> Result<(), ModelError> {
        if self.is_app && self.is_local && !self.is_peer && !self.shared.backend.is_leader()? {
            return Err(ModelError::RelationDataAccess {
                message: format!(
                    "{} is not leader and cannot read its own application databag in relation {}; \
                     only the leader reads it (peer relations excepted)",
                    self.shared.context.unit_name,
                    self.relation()
                ),
            });
        }
        Ok(())
    }

    fn check_write(&self) -> Result<(), ModelError> {
        let me = &self.shared.context.unit_name;
        if !self.is_local {
            let message = if self.is_app {
                format!(
                    "{} cannot write the data of remote application {} in relation {}: only its own databags are writable",
                    self.shared.app_name(),
                    self.member(),
                    self.relation()
                )
            } else {
                format!(
                    "{me} cannot write databag of {} in relation {}: not the same unit",
                    self.member(),
                    self.relation()
                )
            };
            return Err(ModelError::RelationDataAccess { message });
        }
        if self.is_app && !self.shared.backend.is_leader()? {
            return Err(ModelError::RelationDataAccess {
                message: format!(
                    "{me} is not leader and cannot write application data in relation {}; \
                     guard the write with `unit.is_leader()?`",
                    self.relation()
                ),
            });
        }
        Ok(())
    }

    /// Reads the bag into the cache (once) and runs `read` on it. The
    /// cached bag is the backend's own, shared: nothing is copied.
    fn with_bag<T>(&self, read: impl FnOnce(&StringMap) -> T) -> Result<T, ModelError> {
        if let Some(cached) = self.cache.borrow().as_deref() {
            return Ok(read(cached));
        }
        let data = if self.active {
            match self
                .shared
                .backend
                .relation_get(self.relation_id, self.member(), self.is_app)
            {
                Ok(data) => data,
                Err(e) if e.is_relation_not_found() => Arc::new(StringMap::new()),
                Err(e) => return Err(e),
            }
        } else {
            Arc::new(StringMap::new())
        };
        let answer = read(&data);
        *self.cache.borrow_mut() = Some(data);
        Ok(answer)
    }

    /// The checks every write makes first, in ops' order: the bag is
    /// writable, then every key is a non-empty string.
    fn check_update<'k>(&self, mut keys: impl Iterator<Item = &'k str>) -> Result<(), ModelError> {
        self.check_write()?;
        if let Some(key) = keys.find(|k| k.is_empty()) {
            return Err(ModelError::RelationDataType {
                message: format!("relation data keys must be non-empty strings, got {key:?}"),
            });
        }
        Ok(())
    }

    /// Sends `delta` (keys whose value changes) with `relation-set`.
    fn write(&self, delta: StringMap) -> Result<(), ModelError> {
        // Let go of the bag first: the backend then changes its own in
        // place instead of copying it for this handle, and the next read
        // gets the bag as written from the backend, which keeps what it
        // handed out (no hook-tool call).
        self.cache.borrow_mut().take();
        self.shared
            .backend
            .relation_set(self.relation_id, delta, self.is_app)
    }

    /// The whole databag (a copy).
    pub fn to_map(&self) -> Result<StringMap, ModelError> {
        self.check_read()?;
        self.with_bag(StringMap::clone)
    }

    /// One value, `None` if the key is absent (only that value is copied).
    pub fn get(&self, key: &str) -> Result<Option<String>, ModelError> {
        self.check_read()?;
        self.with_bag(|bag| bag.get(key).cloned())
    }

    /// Sets one key; an empty value removes it, as in Juju. Setting a key
    /// to the value it has sends nothing.
    pub fn set(&self, key: &str, value: &str) -> Result<(), ModelError> {
        self.check_update(std::iter::once(key))?;
        let unchanged = self.with_bag(|current| {
            current
                .get(key)
                .map_or(value.is_empty(), |old| old == value)
        })?;
        if unchanged {
            return Ok(());
        }
        self.write([(key.to_owned(), value.to_owned())].into())
    }

    /// Removes one key.
    pub fn remove(&self, key: &str) -> Result<(), ModelError> {
        self.set(key, "")
    }

    /// Writes several keys at once; only keys whose value changes are sent.
    pub fn update(&self, changes: StringMap) -> Result<(), ModelError> {
        self.check_update(changes.keys().map(String::as_str))?;
        let delta: StringMap = self.with_bag(|current| {
            changes
                .into_iter()
                .filter(|(k, v)| current.get(k).map_or(!v.is_empty(), |old| old != v))
                .collect()
        })?;
        if delta.is_empty() {
            return Ok(());
        }
        self.write(delta)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Model;
    use std::os::unix::fs::PermissionsExt;

    /// A model on fake hook tools that log their calls: relations `db:1`
    /// (units `pg/1`, `pg/0`) and `db:2`, whose `relation-list` fails.
    fn model_on_fake_tools() -> (Model, tempfile::TempDir) {
        let tools = tempfile::Builder::new()
            .prefix("juju-ops-relation-facade-")
            .tempdir()
            .unwrap();
        let log = tools.path().join("calls");
        let script = |name: &str, body: &str| {
            let path = tools.path().join(name);
            let record = format!("echo \"$(basename \"$0\") $*\" >> '{}'", log.display());
            std::fs::write(&path, format!("#!/bin/sh\n{record}\n{body}\n")).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        script("relation-ids", "echo '[\"db:1\",\"db:2\"]'");
        script(
            "relation-list",
            "if [ \"$3\" = 2 ]; then echo 'ERROR tool crashed' >&2; exit 2; fi\n\
             echo '[\"pg/1\",\"pg/0\"]'",
        );
        script("relation-get", "echo '{\"seen\":\"7\"}'");
        let meta =
            crate::meta::CharmMeta::from_yaml("name: app\nrequires: {db: {interface: pg}}\n")
                .unwrap();
        let model = Model::new(
            std::sync::Arc::new(crate::backend::juju::JujuBackend::with_tools_dir(
                tools.path(),
            )),
            std::sync::Arc::new(meta),
            crate::juju_context::JujuContext::default(),
        );
        (model, tools)
    }

    fn calls(tools: &tempfile::TempDir) -> String {
        std::fs::read_to_string(tools.path().join("calls")).unwrap_or_default()
    }

    #[test]
    fn relations_ask_for_units_and_databags_only_when_read() {
        let (model, tools) = model_on_fake_tools();
        let relations = model.relations("db").unwrap();
        assert_eq!(relations.len(), 2);
        assert_eq!(calls(&tools), "relation-ids db --format=json\n");

        let db1 = &relations[0];
        let names: Vec<&str> = db1.units().iter().map(|u| u.name()).collect();
        assert_eq!(names, ["pg/0", "pg/1"]);
        assert_eq!(db1.app().map(|a| a.name()), Some("pg"));
        assert_eq!(db1.units().len(), 2);
        assert!(db1.active());
        assert_eq!(
            calls(&tools),
            "relation-ids db --format=json\nrelation-list --format=json -r 1\n",
            "units are listed once and the application comes from them"
        );

        let bag = db1.data(&db1.units()[0]);
        assert_eq!(bag.get("seen").unwrap().as_deref(), Some("7"));
        assert_eq!(bag.get("absent").unwrap(), None);
        assert_eq!(bag.to_map().unwrap().len(), 1);
        assert_eq!(calls(&tools).matches("relation-get").count(), 1);
    }

    #[test]
    fn a_failing_relation_list_surfaces_at_first_read_of_a_lazy_relation_and_at_once_by_id() {
        let (model, tools) = model_on_fake_tools();
        let relations = model.relations("db").unwrap();
        let db2 = &relations[1];
        let error = db2.try_units().unwrap_err();
        assert!(error.to_string().contains("tool crashed"), "{error}");
        assert_eq!(db2.try_app().unwrap_err(), error);
        assert!(db2.units().is_empty());
        assert_eq!(db2.app(), None);
        assert!(db2.active(), "relation-ids listed it: Juju knows it");
        // The failure is kept: the tool ran once.
        assert_eq!(calls(&tools).matches("relation-list").count(), 1);

        let by_id = model.get_relation_by_id("db", 2).unwrap_err();
        assert!(by_id.to_string().contains("tool crashed"), "{by_id}");
    }

    #[test]
    fn setting_a_key_to_the_value_it_has_sends_nothing() {
        let (model, tools) = model_on_fake_tools();
        let relations = model.relations("db").unwrap();
        let mine = relations[0].data(model.unit());
        mine.set("seen", "7").unwrap();
        mine.remove("absent").unwrap();
        mine.update([("seen".to_owned(), "7".to_owned())].into())
            .unwrap();
        assert_eq!(mine.get("seen").unwrap().as_deref(), Some("7"));
        let calls = calls(&tools);
        assert_eq!(calls.matches("relation-get").count(), 1, "{calls}");
        assert!(!calls.contains("relation-set"), "{calls}");
    }
}
