//! The requirer side of Juju's `postgresql_client` interface, as a Rust
//! charm library: the part of data-platform-libs' `data_interfaces`
//! (`DatabaseRequires`) that a charm needs to ask a PostgreSQL charm
//! (`postgresql-k8s`, `postgresql`) for a database and to use it.
//!
//! # The protocol
//!
//! - When the relation is created, the requirer's leader writes, in its
//!   application databag, `database` (the name it wants), optionally
//!   `extra-user-roles`, and `requested-secrets` (a JSON list of the fields
//!   it would like as Juju secrets, when the model's Juju has secrets).
//! - The provider creates the database and a user, and answers in its own
//!   application databag: `endpoints` (`host:port`, comma-separated),
//!   `read-only-endpoints`, `version`, `uris`, and the credentials, either
//!   in the clear (`username`, `password`) or as the id of a secret granted
//!   to the requirer: `secret-user` (`username`, `password`, `uris`, ...)
//!   and `secret-tls` (`tls`, `tls-ca`).
//!
//! # What the library does
//!
//! [`DatabaseRequires`] observes the endpoint's `relation-created` (to ask),
//! `relation-changed` (to see the answer) and `relation-broken` (to forget
//! the relation). It compares the provider's databag with what it saw last
//! time (kept in the library's own stored state), and emits one of its own
//! events:
//!
//! - [`database_created`](DatabaseRequires::database_created) when the
//!   credentials arrive (`username` and `password`, or `secret-user`, are
//!   new); nothing else is emitted for that change, to spare the charm a
//!   second restart of its workload;
//! - otherwise [`endpoints_changed`](DatabaseRequires::endpoints_changed)
//!   when `endpoints` is new or changed;
//! - otherwise
//!   [`read_only_endpoints_changed`](DatabaseRequires::read_only_endpoints_changed)
//!   when `read-only-endpoints` is new or changed.
//!
//! [`DatabaseRequires::fetch_relation_data`] reads what the provider
//! answered, with the content of its secrets merged in, and
//! [`DatabaseRequires::database`] gives it typed as [`Database`].
//!
//! # Example
//!
//! ```
//! use ops::{ActiveStatus, Charm, Framework, HandlerResult, Model};
//! use postgresql_client::{DatabaseCreatedEvent, DatabaseRequires};
//!
//! pub struct MyCharm {
//!     model: Model,
//!     database: DatabaseRequires,
//! }
//!
//! impl Charm for MyCharm {
//!     fn new(framework: &mut Framework<Self>) -> Self {
//!         let database = DatabaseRequires::new(
//!             framework.object("database", |c: &mut Self| &mut c.database),
//!             "database",
//!             "names_db",
//!         );
//!         framework.observe(database.database_created.on(), Self::on_database_created);
//!         MyCharm { model: framework.model().clone(), database }
//!     }
//! }
//!
//! impl MyCharm {
//!     fn on_database_created(&mut self, event: &mut DatabaseCreatedEvent) -> HandlerResult {
//!         let Some(db) = self.database.database(event.relation_id)? else {
//!             return Ok(());
//!         };
//!         let message = format!("using {} as {}", db.endpoints.join(","), db.username);
//!         self.model.unit().set_status(ActiveStatus::new(&message))?;
//!         Ok(())
//!     }
//! }
//!
//! // In a unit test, the provider answers in its application databag.
//! use ops_testing::{Context, Relation, State};
//!
//! let meta = "name: app\nrequires:\n  database: {interface: postgresql_client}\n";
//! let mut ctx = Context::<MyCharm>::from_yaml(meta).unwrap();
//! let relation = Relation {
//!     remote_app_data: [
//!         ("endpoints", "db.local:5432"),
//!         ("username", "alice"),
//!         ("password", "s3cret"),
//!     ]
//!     .into(),
//!     ..Relation::new("database")
//! };
//! let state = State { relations: vec![relation.clone().into()], ..State::default() };
//! let out = ctx.run(ctx.on.relation_changed(&relation), &state).unwrap();
//! assert_eq!(out.unit_status, ActiveStatus::new("using db.local:5432 as alice"));
//! ```

use ops::framework::ObjectScope;
use ops::{
    Charm, CustomEvent, EventSource, HandlerResult, Model, ModelError, Relation,
    RelationBrokenEvent, RelationChangedEvent, RelationCreatedEvent, RelationId, SecretQuery,
    StoredState, StringMap, on,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The interface name, as `charmcraft.yaml` declares the endpoint's.
pub const INTERFACE: &str = "postgresql_client";

/// The requirer's key for the name of the database it asks for.
pub const DATABASE_KEY: &str = "database";

/// The requirer's key for the extra roles its user should have.
pub const EXTRA_USER_ROLES_KEY: &str = "extra-user-roles";

/// The requirer's key for the JSON list of fields it wants as secrets.
pub const REQUESTED_SECRETS_KEY: &str = "requested-secrets";

/// The fields the requirer asks the provider to share through Juju secrets
/// (written, as a JSON list, under [`REQUESTED_SECRETS_KEY`]).
pub const SECRET_FIELDS: &[&str] = &[
    "username",
    "password",
    "tls",
    "tls-ca",
    "uris",
    "read-only-uris",
    "entity-name",
    "entity-password",
];

/// How the provider's databag names a secret: `secret-<group>` holds the
/// id of the secret with that group's fields (`secret-user`, `secret-tls`).
pub const SECRET_KEY_PREFIX: &str = "secret-";

/// The secret groups a provider may share: `user` (`username`, `password`,
/// `uris`, `read-only-uris`), `tls` (`tls`, `tls-ca`), `mtls`, `entity`
/// (`entity-name`, `entity-password`) and `extra`.
pub const SECRET_GROUPS: &[&str] = &["user", "tls", "mtls", "entity", "extra"];

/// A key that is bookkeeping, not data: the provider keeps its own diff of
/// the requirer's databag under it. It never counts as a change.
const DIFF_KEY: &str = "data";

/// What a [`DatabaseRequires`] event carries: which relation it is about.
/// Read the data with [`DatabaseRequires::fetch_relation_data`] or
/// [`DatabaseRequires::database`] (the event does not carry credentials,
/// so that a deferred event does not keep them in the charm's state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseEvent {
    /// The relation whose provider answered.
    pub relation_id: RelationId,
    /// The provider application's name.
    pub app: Option<String>,
    /// The remote unit whose change was seen, if any.
    pub unit: Option<String>,
}

/// The event the charm's handler of
/// [`database_created`](DatabaseRequires::database_created) takes.
pub type DatabaseCreatedEvent = CustomEvent<DatabaseEvent>;

/// The event the charm's handler of
/// [`endpoints_changed`](DatabaseRequires::endpoints_changed) takes.
pub type DatabaseEndpointsChangedEvent = CustomEvent<DatabaseEvent>;

/// The event the charm's handler of
/// [`read_only_endpoints_changed`](DatabaseRequires::read_only_endpoints_changed)
/// takes.
pub type DatabaseReadOnlyEndpointsChangedEvent = CustomEvent<DatabaseEvent>;

/// Why the provider's data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseRequiresError {
    /// A secret the provider named in its databag could not be read.
    #[error(
        "cannot read the secret {uri} that relation {relation_id} names under {key:?}: {source}; \
         check that the provider granted it to this application (`juju show-secret`)"
    )]
    Secret {
        /// The relation.
        relation_id: RelationId,
        /// The databag key naming the secret (`secret-user`, ...).
        key: String,
        /// The secret's id as the provider wrote it.
        uri: String,
        /// What Juju said.
        #[source]
        source: Box<ModelError>,
    },
    /// The relation or its data could not be read.
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// The provider's answer on one relation, typed: where the database is and
/// how to log in. `Debug` hides the password and the URIs (which hold it).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Database {
    /// The relation it came over.
    pub relation_id: RelationId,
    /// `host:port` of the primary, one or more.
    pub endpoints: Vec<String>,
    /// `host:port` of the read-only replicas.
    pub read_only_endpoints: Vec<String>,
    /// The user name.
    pub username: String,
    /// The user's password.
    pub password: String,
    /// Connection URIs, if the provider shares them.
    pub uris: Option<String>,
    /// The database server's version, if given.
    pub version: Option<String>,
    /// Whether TLS is on (`tls` is `"True"`/`"true"`).
    pub tls: bool,
    /// The CA certificate for TLS, if given.
    pub tls_ca: Option<String>,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("Database")
            .field("relation_id", &self.relation_id)
            .field("endpoints", &self.endpoints)
            .field("read_only_endpoints", &self.read_only_endpoints)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("uris", &redacted(&self.uris))
            .field("version", &self.version)
            .field("tls", &self.tls)
            .field("tls_ca", &self.tls_ca.as_ref().map(|_| "<certificate>"))
            .finish()
    }
}

impl Database {
    /// Reads the provider's answer (as [`DatabaseRequires::fetch_relation_data`]
    /// returns it): `None` until it has given `endpoints`, `username` and
    /// `password`.
    pub fn from_data(relation_id: RelationId, data: &StringMap) -> Option<Self> {
        let list = |key: &str| -> Vec<String> {
            data.get(key)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let endpoints = list("endpoints");
        let username = data.get("username").filter(|v| !v.is_empty())?;
        let password = data.get("password").filter(|v| !v.is_empty())?;
        if endpoints.is_empty() {
            return None;
        }
        Some(Database {
            relation_id,
            endpoints,
            read_only_endpoints: list("read-only-endpoints"),
            username: username.clone(),
            password: password.clone(),
            uris: data.get("uris").cloned(),
            version: data.get("version").cloned(),
            tls: data
                .get("tls")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            tls_ca: data.get("tls-ca").cloned(),
        })
    }
}

/// What the library remembers between events: the provider's databag as
/// last seen, by relation id, to tell what changed.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Seen {
    #[serde(default)]
    relations: BTreeMap<String, StringMap>,
}

/// What changed in the provider's databag since the library last saw it.
#[derive(Debug, Default, PartialEq, Eq)]
struct Diff {
    added: Vec<String>,
    changed: Vec<String>,
    deleted: Vec<String>,
}

impl Diff {
    fn between(old: &StringMap, new: &StringMap) -> Self {
        let mut diff = Diff::default();
        for (key, value) in new {
            match old.get(key) {
                None => diff.added.push(key.clone()),
                Some(before) if before != value => diff.changed.push(key.clone()),
                Some(_) => {}
            }
        }
        diff.deleted = old
            .keys()
            .filter(|k| !new.contains_key(*k))
            .cloned()
            .collect();
        diff
    }

    fn added(&self, key: &str) -> bool {
        self.added.iter().any(|k| k == key)
    }

    fn added_or_changed(&self, key: &str) -> bool {
        self.added(key) || self.changed.iter().any(|k| k == key)
    }
}

/// The requirer of a PostgreSQL database over one endpoint (upstream's
/// `DatabaseRequires(charm, relation_name, database_name)`).
///
/// Build it in the charm's `new` from [`Framework::object`](ops::Framework::object)
/// and observe its events; see the [crate] documentation for an example.
pub struct DatabaseRequires {
    model: Model,
    relation_name: String,
    database_name: String,
    extra_user_roles: Option<String>,
    seen: StoredState<Seen>,
    /// The provider created the database and shared the credentials.
    pub database_created: EventSource<DatabaseEvent>,
    /// The provider's `endpoints` appeared or changed (and no credentials
    /// arrived in the same change).
    pub endpoints_changed: EventSource<DatabaseEvent>,
    /// The provider's `read-only-endpoints` appeared or changed (and
    /// neither credentials nor `endpoints` did in the same change).
    pub read_only_endpoints_changed: EventSource<DatabaseEvent>,
}

impl fmt::Debug for DatabaseRequires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseRequires")
            .field("relation_name", &self.relation_name)
            .field("database_name", &self.database_name)
            .field("extra_user_roles", &self.extra_user_roles)
            .finish_non_exhaustive()
    }
}

impl DatabaseRequires {
    /// A requirer of `database_name` over the endpoint `relation_name`,
    /// under `scope` (from `framework.object(key, access)`): it observes
    /// the endpoint's relation events and declares its own events.
    pub fn new<C: Charm>(
        mut scope: ObjectScope<'_, C, Self>,
        relation_name: impl Into<String>,
        database_name: impl Into<String>,
    ) -> Self {
        let relation_name = relation_name.into();
        scope.observe(
            on::relation_created(&relation_name),
            Self::on_relation_created,
        );
        scope.observe(
            on::relation_changed(&relation_name),
            Self::on_relation_changed,
        );
        scope.observe(
            on::relation_broken(&relation_name),
            Self::on_relation_broken,
        );
        DatabaseRequires {
            model: scope.model().clone(),
            relation_name,
            database_name: database_name.into(),
            extra_user_roles: None,
            seen: scope.stored_state("_stored"),
            database_created: scope.event_source("database_created"),
            endpoints_changed: scope.event_source("endpoints_changed"),
            read_only_endpoints_changed: scope.event_source("read_only_endpoints_changed"),
        }
    }

    /// Also asks for these roles for the database user (a comma-separated
    /// list such as `"CREATEDB,CREATEROLE"`; upstream's `extra_user_roles`).
    pub fn with_extra_user_roles(mut self, roles: impl Into<String>) -> Self {
        self.extra_user_roles = Some(roles.into());
        self
    }

    /// The endpoint.
    pub fn relation_name(&self) -> &str {
        &self.relation_name
    }

    /// The database asked for.
    pub fn database_name(&self) -> &str {
        &self.database_name
    }

    /// The relations on the endpoint.
    pub fn relations(&self) -> Result<Vec<Relation>, ModelError> {
        self.model.relations(&self.relation_name)
    }

    /// Asks the provider on `relation` for the database (what the library
    /// does on `relation-created`; only the leader writes, other units do
    /// nothing). Call it again to ask again, for example after
    /// [`with_extra_user_roles`](Self::with_extra_user_roles) changed.
    pub fn request(&self, relation: &Relation) -> Result<(), ModelError> {
        if !self.model.unit().is_leader()? {
            return Ok(());
        }
        let mut data = StringMap::new();
        if self.model.juju_version().has_secrets() {
            let fields = serde_json::to_string(SECRET_FIELDS).unwrap_or_default();
            data.insert(REQUESTED_SECRETS_KEY.to_owned(), fields);
        }
        data.insert(DATABASE_KEY.to_owned(), self.database_name.clone());
        if let Some(roles) = &self.extra_user_roles {
            data.insert(EXTRA_USER_ROLES_KEY.to_owned(), roles.clone());
        }
        relation.data(self.model.app()).update(data)
    }

    /// What the provider answered on each relation of the endpoint, by
    /// relation id: its application databag, with the content of the
    /// secrets it names (`secret-user`, `secret-tls`, ...) merged in.
    /// A relation whose provider has not answered maps to an empty map.
    pub fn fetch_relation_data(
        &self,
    ) -> Result<BTreeMap<RelationId, StringMap>, DatabaseRequiresError> {
        let mut data = BTreeMap::new();
        for relation in self.relations()? {
            data.insert(relation.id(), self.fetch_data_of(&relation)?);
        }
        Ok(data)
    }

    /// One field of what the provider answered on `relation_id` (secrets
    /// resolved); `None` if it is not there or the relation is gone.
    pub fn fetch_relation_field(
        &self,
        relation_id: RelationId,
        field: &str,
    ) -> Result<Option<String>, DatabaseRequiresError> {
        let Some(relation) = self.relation(relation_id)? else {
            return Ok(None);
        };
        Ok(self.fetch_data_of(&relation)?.remove(field))
    }

    /// The provider's answer on `relation_id`, typed; `None` until it has
    /// shared endpoints and credentials, or if the relation is gone.
    pub fn database(
        &self,
        relation_id: RelationId,
    ) -> Result<Option<Database>, DatabaseRequiresError> {
        let Some(relation) = self.relation(relation_id)? else {
            return Ok(None);
        };
        Ok(Database::from_data(
            relation_id,
            &self.fetch_data_of(&relation)?,
        ))
    }

    /// Whether the provider has shared credentials: on `relation_id`, or,
    /// with `None`, on every relation of the endpoint (false without any).
    pub fn is_resource_created(
        &self,
        relation_id: Option<RelationId>,
    ) -> Result<bool, DatabaseRequiresError> {
        let relations = self.relations()?;
        let mut any = false;
        for relation in relations {
            if relation_id.is_some_and(|id| id != relation.id()) {
                continue;
            }
            any = true;
            let data = self.fetch_data_of(&relation)?;
            let has = |key: &str| data.get(key).is_some_and(|v| !v.is_empty());
            if !(has("username") && has("password")) {
                return Ok(false);
            }
        }
        Ok(any)
    }

    fn relation(&self, relation_id: RelationId) -> Result<Option<Relation>, ModelError> {
        Ok(self
            .relations()?
            .into_iter()
            .find(|r| r.id() == relation_id))
    }

    /// The provider's databag with its secrets' content merged in.
    fn fetch_data_of(&self, relation: &Relation) -> Result<StringMap, DatabaseRequiresError> {
        let Some(app) = relation.app() else {
            return Ok(StringMap::new());
        };
        let mut data = relation.data(app).to_map()?;
        let secrets: Vec<(String, String, String)> = data
            .iter()
            .filter_map(|(key, uri)| {
                let group = key.strip_prefix(SECRET_KEY_PREFIX)?;
                SECRET_GROUPS
                    .contains(&group)
                    .then(|| (key.clone(), group.to_owned(), uri.clone()))
            })
            .collect();
        for (key, group, uri) in secrets {
            let label = secret_label(&self.relation_name, relation.id(), &group);
            let content = self
                .model
                .get_secret(SecretQuery::id(&uri).and_label(label))
                .and_then(|secret| secret.get_content(true))
                .map_err(|source| DatabaseRequiresError::Secret {
                    relation_id: relation.id(),
                    key,
                    uri,
                    source: Box::new(source),
                })?;
            data.extend(content);
        }
        Ok(data)
    }

    fn on_relation_created(&mut self, event: &mut RelationCreatedEvent) -> HandlerResult {
        self.request(&event.relation)?;
        Ok(())
    }

    fn on_relation_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        let Some(app) = event.app.clone() else {
            return Ok(());
        };
        let mut new = event.relation.data(&app).to_map()?;
        new.remove(DIFF_KEY);
        let key = event.relation.id().to_string();
        let diff = {
            let mut seen = self.seen.borrow_mut();
            let old = seen.relations.get(&key).cloned().unwrap_or_default();
            let diff = Diff::between(&old, &new);
            seen.relations.insert(key, new);
            diff
        };
        let data = DatabaseEvent {
            relation_id: event.relation.id(),
            app: Some(app.name().to_owned()),
            unit: event.unit.as_ref().map(|u| u.name().to_owned()),
        };
        let user_secret = format!("{SECRET_KEY_PREFIX}user");
        if (diff.added("username") && diff.added("password")) || diff.added(&user_secret) {
            tracing::info!("database created on relation {}", event.relation.id());
            self.database_created.emit(data)?;
        } else if diff.added_or_changed("endpoints") {
            tracing::info!("endpoints changed on relation {}", event.relation.id());
            self.endpoints_changed.emit(data)?;
        } else if diff.added_or_changed("read-only-endpoints") {
            tracing::info!(
                "read-only-endpoints changed on relation {}",
                event.relation.id()
            );
            self.read_only_endpoints_changed.emit(data)?;
        }
        Ok(())
    }

    fn on_relation_broken(&mut self, event: &mut RelationBrokenEvent) -> HandlerResult {
        self.seen
            .borrow_mut()
            .relations
            .remove(&event.relation.id().to_string());
        Ok(())
    }
}

/// The label the requirer gives the provider's secret of `group` on a
/// relation (upstream's `<endpoint>.<relation id>.<group>.secret`).
pub fn secret_label(relation_name: &str, relation_id: RelationId, group: &str) -> String {
    format!("{relation_name}.{relation_id}.{group}.secret")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn diff_sorts_keys_into_added_changed_and_deleted() {
        let old = map(&[("a", "1"), ("b", "2"), ("c", "3")]);
        let new = map(&[("a", "1"), ("b", "20"), ("d", "4")]);
        assert_eq!(
            Diff::between(&old, &new),
            Diff {
                added: vec!["d".into()],
                changed: vec!["b".into()],
                deleted: vec!["c".into()],
            }
        );
    }

    #[test]
    fn database_needs_endpoints_and_credentials() {
        assert_eq!(Database::from_data(1, &map(&[("endpoints", "h:1")])), None);
        let db = Database::from_data(
            1,
            &map(&[
                ("endpoints", "a:1, b:2"),
                ("read-only-endpoints", "c:3"),
                ("username", "u"),
                ("password", "p"),
                ("tls", "True"),
            ]),
        )
        .unwrap();
        assert_eq!(db.endpoints, ["a:1", "b:2"]);
        assert_eq!(db.read_only_endpoints, ["c:3"]);
        assert!(db.tls);
        assert!(!format!("{db:?}").contains("\"p\""));
    }
}
