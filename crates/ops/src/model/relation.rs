//! Relations and their databags, with ops' access rules.

use super::{Application, Shared, Unit};
use crate::error::ModelError;
use crate::meta::RelationRole;
use crate::types::{RelationId, StringMap};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// A relation between this application and another (or its peers).
#[derive(Clone)]
pub struct Relation {
    id: RelationId,
    endpoint: String,
    is_peer: bool,
    active: bool,
    app: Option<Application>,
    units: Vec<Unit>,
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
    pub(crate) fn load(
        shared: &Rc<Shared>,
        endpoint: &str,
        id: RelationId,
    ) -> Result<Self, ModelError> {
        let is_peer = matches!(
            shared.meta.endpoint(endpoint),
            Some((RelationRole::Peer, _))
        );
        let (units, active) = match shared.backend.relation_list(id) {
            Ok(names) => (names, true),
            Err(e) if e.is_relation_not_found() => (Vec::new(), false),
            Err(e) => return Err(e),
        };
        let mut units: Vec<Unit> = units
            .into_iter()
            .map(|name| Unit::new(shared, name))
            .collect();
        let ctx = &shared.context;
        let is_event_relation = ctx.relation_id == Some(id);
        // During departed and broken, ops still lists the unit that is leaving.
        if is_event_relation
            && let Some(remote) = ctx.remote_unit.as_ref()
            && *remote != ctx.unit_name
            && !units.iter().any(|u| u.name() == remote)
        {
            units.push(Unit::new(shared, remote.clone()));
        }
        units.sort();
        let app_name = if is_peer {
            Some(shared.app_name().to_owned())
        } else if let (true, Some(remote)) = (is_event_relation, ctx.remote_app.as_ref()) {
            Some(remote.clone())
        } else if let Some(first) = units.first() {
            Some(first.app_name().to_owned())
        } else if active {
            match shared.backend.relation_remote_app_name(id) {
                Ok(name) => name,
                Err(e) if e.is_relation_not_found() => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        Ok(Relation {
            id,
            endpoint: endpoint.to_owned(),
            is_peer,
            active,
            app: app_name.map(|name| Application::new(shared, name)),
            units,
            shared: shared.clone(),
        })
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
    pub fn active(&self) -> bool {
        self.active
    }

    /// The remote application (this application for a peer relation), if known.
    pub fn app(&self) -> Option<&Application> {
        self.app.as_ref()
    }

    /// The remote units (the other peers, for a peer relation), sorted by name.
    pub fn units(&self) -> &[Unit] {
        &self.units
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
        let (member, is_app) = match owner.into() {
            DataOwner::Unit(unit) => (unit.name().to_owned(), false),
            DataOwner::App(app) => (app.name().to_owned(), true),
        };
        let is_local = if is_app {
            member == self.shared.app_name()
        } else {
            member == self.shared.context.unit_name
        };
        RelationDataContent {
            relation_id: self.id,
            relation: format!("{}:{}", self.endpoint, self.id),
            member,
            is_app,
            is_local,
            is_peer: self.is_peer,
            active: self.active,
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
    relation: String,
    member: String,
    is_app: bool,
    is_local: bool,
    is_peer: bool,
    active: bool,
    cache: RefCell<Option<StringMap>>,
    shared: Rc<Shared>,
}

impl fmt::Debug for RelationDataContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RelationDataContent({} {})", self.relation, self.member)
    }
}

impl RelationDataContent {
    fn check_read(&self) -> Result<(), ModelError> {
        if self.is_app && self.is_local && !self.is_peer && !self.shared.backend.is_leader()? {
            return Err(ModelError::RelationDataAccess {
                message: format!(
                    "{} is not leader and cannot read its own application databag in relation {}; \
                     only the leader reads it (peer relations excepted)",
                    self.shared.context.unit_name, self.relation
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
                    self.member,
                    self.relation
                )
            } else {
                format!(
                    "{me} cannot write databag of {} in relation {}: not the same unit",
                    self.member, self.relation
                )
            };
            return Err(ModelError::RelationDataAccess { message });
        }
        if self.is_app && !self.shared.backend.is_leader()? {
            return Err(ModelError::RelationDataAccess {
                message: format!(
                    "{me} is not leader and cannot write application data in relation {}; \
                     guard the write with `unit.is_leader()?`",
                    self.relation
                ),
            });
        }
        Ok(())
    }

    fn load(&self) -> Result<StringMap, ModelError> {
        if let Some(cached) = self.cache.borrow().as_ref() {
            return Ok(cached.clone());
        }
        let data = if self.active {
            match self
                .shared
                .backend
                .relation_get(self.relation_id, &self.member, self.is_app)
            {
                Ok(data) => data,
                Err(e) if e.is_relation_not_found() => StringMap::new(),
                Err(e) => return Err(e),
            }
        } else {
            StringMap::new()
        };
        *self.cache.borrow_mut() = Some(data.clone());
        Ok(data)
    }

    /// The whole databag.
    pub fn to_map(&self) -> Result<StringMap, ModelError> {
        self.check_read()?;
        self.load()
    }

    /// One value, `None` if the key is absent.
    pub fn get(&self, key: &str) -> Result<Option<String>, ModelError> {
        Ok(self.to_map()?.remove(key))
    }

    /// Sets one key; an empty value removes it, as in Juju.
    pub fn set(&self, key: &str, value: &str) -> Result<(), ModelError> {
        self.update([(key.to_owned(), value.to_owned())].into_iter().collect())
    }

    /// Removes one key.
    pub fn remove(&self, key: &str) -> Result<(), ModelError> {
        self.set(key, "")
    }

    /// Writes several keys at once; only keys whose value changes are sent.
    pub fn update(&self, changes: StringMap) -> Result<(), ModelError> {
        self.check_write()?;
        if let Some(key) = changes.keys().find(|k| k.is_empty()) {
            return Err(ModelError::RelationDataType {
                message: format!("relation data keys must be non-empty strings, got {key:?}"),
            });
        }
        let current = self.load()?;
        let delta: StringMap = changes
            .into_iter()
            .filter(|(k, v)| current.get(k).map_or(!v.is_empty(), |old| old != v))
            .collect();
        if delta.is_empty() {
            return Ok(());
        }
        self.shared
            .backend
            .relation_set(self.relation_id, &delta, self.is_app)?;
        let mut updated = current;
        for (k, v) in delta {
            if v.is_empty() {
                updated.remove(&k);
            } else {
                updated.insert(k, v);
            }
        }
        *self.cache.borrow_mut() = Some(updated);
        Ok(())
    }
}
