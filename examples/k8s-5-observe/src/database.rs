//! The requirer side of the `postgresql_client` interface, as far as this
//! charm needs it: the part of the data-platform `data_interfaces` Python
//! library (`DatabaseRequires`) that upstream's charm uses.
//!
//! The requirer asks for a database by writing its name to the relation's
//! application databag (the leader does, when the relation is created); the
//! provider answers in its own application databag with `endpoints`
//! (`host:port`, comma-separated), `username` and `password`.
//!
//! A full Rust port of the library, with its own custom events, belongs in
//! its own crate under `libs/`; until then this module offers the two calls
//! the charm makes.

use ops::{Model, ModelError, Relation, RelationId, StringMap};
use std::collections::BTreeMap;

/// The databag key the requirer writes the database name under.
pub const DATABASE_KEY: &str = "database";

/// Requests a database over the relations of one endpoint, and reads what
/// the provider answered.
#[derive(Debug, Clone)]
pub struct DatabaseRequires {
    model: Model,
    relation_name: String,
    database_name: String,
}

impl DatabaseRequires {
    /// A requirer of `database_name` over the endpoint `relation_name`.
    pub fn new(
        model: &Model,
        relation_name: impl Into<String>,
        database_name: impl Into<String>,
    ) -> Self {
        DatabaseRequires {
            model: model.clone(),
            relation_name: relation_name.into(),
            database_name: database_name.into(),
        }
    }

    /// The endpoint.
    pub fn relation_name(&self) -> &str {
        &self.relation_name
    }

    /// Asks the provider on `relation` for the database (only the leader
    /// may write the application databag; other units do nothing).
    pub fn request(&self, relation: &Relation) -> Result<(), ModelError> {
        if self.model.unit().is_leader()? {
            relation
                .data(self.model.app())
                .set(DATABASE_KEY, &self.database_name)?;
        }
        Ok(())
    }

    /// What the provider wrote, by relation id: one entry per relation on
    /// the endpoint, empty until the provider answers.
    pub fn fetch_relation_data(&self) -> Result<BTreeMap<RelationId, StringMap>, ModelError> {
        let mut data = BTreeMap::new();
        for relation in self.model.relations(&self.relation_name)? {
            let remote = match relation.app() {
                Some(app) => relation.data(app).to_map()?,
                None => StringMap::new(),
            };
            data.insert(relation.id(), remote);
        }
        Ok(data)
    }
}
