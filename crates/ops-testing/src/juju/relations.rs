//! Relations: each side's application, endpoint and databags, which units
//! have joined, and the relation tools (`relation-ids`, `relation-list`,
//! `relation-get`, `relation-set`, `relation-model-get`).

use super::unit_state::merge_owned;
use super::{Actor, ModelStore, juju_error};
use crate::state::{Databag, default_unit_databag};
use ops::{ModelError, RelationId, StringMap};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

/// The kind of a relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// Between two applications.
    Regular,
    /// Between the units of one application (one side).
    Peer,
    /// Between a subordinate and its principal (`scope: container`).
    Subordinate,
}

/// One application's side of a relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationSide {
    /// The application.
    pub app: String,
    /// Its endpoint; `None` when not known (the remote side of a relation
    /// built from one unit's State).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The endpoint's limit, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The application's databag.
    #[serde(default)]
    pub app_data: Databag,
    /// The databag of each unit that has joined, by unit number.
    #[serde(default)]
    pub units: BTreeMap<u32, Databag>,
}

impl RelationSide {
    /// `app`'s side on `endpoint` (if known), with no databag content and
    /// no unit joined yet.
    pub fn new(app: impl Into<String>, endpoint: Option<String>) -> Self {
        RelationSide {
            app: app.into(),
            endpoint,
            limit: None,
            app_data: Databag::new(),
            units: BTreeMap::new(),
        }
    }
}

/// One relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationRecord {
    /// The relation id.
    pub id: RelationId,
    /// Regular, peer or subordinate.
    pub kind: RelationKind,
    /// The interface, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// The remote model's uuid, for a cross-model relation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_model_uuid: Option<String>,
    /// The sides: one for a peer relation, two otherwise.
    pub sides: Vec<RelationSide>,
}

impl RelationRecord {
    /// Where `app`'s side is in [`RelationRecord::sides`] (the first one, if
    /// both sides name the same application).
    pub fn side_index(&self, app: &str) -> Option<usize> {
        self.sides.iter().position(|side| side.app == app)
    }

    /// The side facing the side at `local` (the same side for peers).
    pub fn remote_index(&self, local: usize) -> usize {
        if self.sides.len() <= 1 {
            local
        } else {
            (local + 1) % self.sides.len()
        }
    }
}

/// Every relation, in order, with a lookup by id.
///
/// Serialized as the list of [`RelationRecord`]s. Lookups in a store with
/// many relations go through an index, built on the first lookup and
/// dropped whenever the list changes.
#[derive(Default)]
pub struct Relations {
    list: Vec<RelationRecord>,
    index: OnceLock<HashMap<RelationId, usize>>,
}

/// Above this many relations, lookups by id go through an index.
const INDEX_FROM: usize = 8;

impl Relations {
    /// The relations, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, RelationRecord> {
        self.list.iter()
    }

    /// How many relations there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds a relation at the end.
    pub fn push(&mut self, relation: RelationRecord) {
        // An index already built stays valid with the new relation added
        // (rebuilding it on every push would make adding n relations quadratic).
        if let Some(index) = self.index.get_mut() {
            index.entry(relation.id).or_insert(self.list.len());
        }
        self.list.push(relation);
    }

    /// Keeps only the relations for which `keep` is true.
    pub fn retain(&mut self, keep: impl FnMut(&RelationRecord) -> bool) {
        self.list.retain(keep);
        self.index = OnceLock::new();
    }

    /// Takes every relation out, in order.
    pub fn take_all(&mut self) -> Vec<RelationRecord> {
        self.index = OnceLock::new();
        std::mem::take(&mut self.list)
    }

    fn position(&self, id: RelationId) -> Option<usize> {
        // A scan is cheapest for a few relations; an index keeps a charm that
        // touches every relation of a large model linear rather than quadratic.
        if self.list.len() <= INDEX_FROM {
            return self.list.iter().position(|r| r.id == id);
        }
        let index = self.index.get_or_init(|| {
            let mut index = HashMap::with_capacity(self.list.len());
            for (position, relation) in self.list.iter().enumerate() {
                // The first relation with an id wins, as a scan would find it.
                index.entry(relation.id).or_insert(position);
            }
            index
        });
        index.get(&id).copied()
    }

    /// The relation with this id.
    pub fn get(&self, id: RelationId) -> Option<&RelationRecord> {
        self.position(id).map(|position| &self.list[position])
    }

    /// The relation with this id, to change (its id must stay the same).
    pub fn get_mut(&mut self, id: RelationId) -> Option<&mut RelationRecord> {
        self.position(id).map(|position| &mut self.list[position])
    }
}

impl From<Vec<RelationRecord>> for Relations {
    fn from(list: Vec<RelationRecord>) -> Self {
        Relations {
            list,
            index: OnceLock::new(),
        }
    }
}

impl Clone for Relations {
    fn clone(&self) -> Self {
        Relations::from(self.list.clone())
    }
}

impl PartialEq for Relations {
    fn eq(&self, other: &Self) -> bool {
        self.list == other.list
    }
}

impl std::fmt::Debug for Relations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.list).finish()
    }
}

impl Serialize for Relations {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.list.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Relations {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<RelationRecord>::deserialize(deserializer).map(Relations::from)
    }
}

fn relation_not_found(id: RelationId) -> ModelError {
    ModelError::RelationNotFound {
        relation: id.to_string(),
    }
}

impl ModelStore {
    /// The relation `id` and where the actor's side is in it; the relation
    /// is not found unless the actor's application is in it.
    fn relation_of(
        &self,
        actor: &Actor,
        id: RelationId,
    ) -> Result<(&RelationRecord, usize), ModelError> {
        self.relations
            .get(id)
            .and_then(|r| r.side_index(actor.app()).map(|local| (r, local)))
            .ok_or_else(|| relation_not_found(id))
    }

    fn relation_of_mut(
        &mut self,
        actor: &Actor,
        id: RelationId,
    ) -> Result<(&mut RelationRecord, usize), ModelError> {
        self.relations
            .get_mut(id)
            .and_then(|r| r.side_index(actor.app()).map(|local| (r, local)))
            .ok_or_else(|| relation_not_found(id))
    }

    /// Joins unit `unit_id` of `app` to relation `id`, with the databag Juju
    /// fills in (its addresses). Joining again keeps the unit's databag.
    pub fn join_relation(
        &mut self,
        id: RelationId,
        app: &str,
        unit_id: u32,
    ) -> Result<(), ModelError> {
        let relation = self
            .relations
            .get_mut(id)
            .ok_or_else(|| relation_not_found(id))?;
        let side = relation
            .side_index(app)
            .ok_or_else(|| relation_not_found(id))?;
        relation.sides[side]
            .units
            .entry(unit_id)
            .or_insert_with(default_unit_databag);
        Ok(())
    }

    /// `relation-ids <endpoint>`: the relations of the actor's application
    /// on this endpoint, in order.
    pub fn relation_ids(&self, actor: &Actor, endpoint: &str) -> Vec<RelationId> {
        self.relations
            .iter()
            .filter(|r| {
                r.side_index(actor.app())
                    .is_some_and(|local| r.sides[local].endpoint.as_deref() == Some(endpoint))
            })
            .map(|r| r.id)
            .collect()
    }

    /// `relation-list -r <id>`: the units on the other side that have
    /// joined (for a peer relation, the other peers).
    pub fn relation_list(&self, actor: &Actor, id: RelationId) -> Result<Vec<String>, ModelError> {
        let (relation, local) = self.relation_of(actor, id)?;
        let remote = &relation.sides[relation.remote_index(local)];
        let peer = relation.kind == RelationKind::Peer;
        Ok(remote
            .units
            .keys()
            .filter(|n| !(peer && **n == actor.unit_id()))
            .map(|n| format!("{}/{n}", remote.app))
            .collect())
    }

    /// `relation-list -r <id> --app`: the application on the other side
    /// (the actor's own for a peer relation).
    pub fn relation_remote_app_name(
        &self,
        actor: &Actor,
        id: RelationId,
    ) -> Result<String, ModelError> {
        let (relation, local) = self.relation_of(actor, id)?;
        Ok(relation.sides[relation.remote_index(local)].app.clone())
    }

    /// `relation-get -r <id> - <member> [--app]`: a unit's or (`is_app`) an
    /// application's databag, shared with the store (not copied; the
    /// store's next change to it copies it first).
    pub fn relation_get(
        &self,
        actor: &Actor,
        id: RelationId,
        member: &str,
        is_app: bool,
    ) -> Result<Arc<StringMap>, ModelError> {
        if is_app && actor.version_below(2, 7, 0) {
            return Err(juju_error(
                "relation-get",
                "ERROR application data needs juju >= 2.7.0",
            ));
        }
        let (relation, local) = self.relation_of(actor, id)?;
        let remote = relation.remote_index(local);
        if is_app {
            let side = if member == actor.app() { local } else { remote };
            return Ok(relation.sides[side].app_data.to_shared());
        }
        let bag = if member == actor.unit() {
            relation.sides[local].units.get(&actor.unit_id())
        } else {
            let side = &relation.sides[remote];
            member
                .rsplit_once('/')
                .filter(|(app, _)| *app == side.app)
                .and_then(|(_, number)| number.parse().ok())
                .and_then(|number: u32| side.units.get(&number))
        };
        bag.map(Databag::to_shared).ok_or_else(|| {
            let endpoint = relation.sides[local].endpoint.as_deref().unwrap_or_default();
            juju_error(
                "relation-get",
                format!(
                    "ERROR cannot read settings for unit {member:?} in relation {endpoint}:{id}: unit not found"
                ),
            )
        })
    }

    /// `relation-set -r <id> [--app]`: merges `data` into the actor's unit
    /// databag or (`is_app`, leader only) its application's; an empty value
    /// deletes its key. The keys and values are moved in, not copied; a bag
    /// shared with a State or a charm's earlier read is copied first.
    pub fn relation_set(
        &mut self,
        actor: &Actor,
        id: RelationId,
        data: StringMap,
        is_app: bool,
    ) -> Result<(), ModelError> {
        if is_app && !self.is_leader(actor) {
            return Err(juju_error(
                "relation-set",
                "ERROR cannot write relation settings",
            ));
        }
        let (relation, local) = self.relation_of_mut(actor, id)?;
        let side = &mut relation.sides[local];
        let bag = if is_app {
            &mut side.app_data
        } else {
            side.units.entry(actor.unit_id()).or_default()
        };
        merge_owned(bag, data);
        Ok(())
    }

    /// `relation-model-get -r <id>`: the uuid of the model on the other side.
    pub fn relation_model_get(&self, actor: &Actor, id: RelationId) -> Result<String, ModelError> {
        if actor.version_below(3, 6, 2) {
            return Err(juju_error(
                "relation-model-get",
                "ERROR relation-model-get needs juju >= 3.6.2",
            ));
        }
        let (relation, _) = self.relation_of(actor, id)?;
        Ok(relation
            .remote_model_uuid
            .clone()
            .unwrap_or_else(|| self.model_uuid.clone()))
    }
}
