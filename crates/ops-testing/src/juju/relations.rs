//! Relations: each side's application, endpoint and databags, which units
//! have joined, and the relation tools (`relation-ids`, `relation-list`,
//! `relation-get`, `relation-set`, `relation-model-get`).

use super::unit_state::merge_owned;
use super::{Actor, ModelStore, juju_error};
use crate::state::{AnyRelation, Databag, default_unit_databag};
use ops::{ModelError, RelationId, StringMap};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
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
/// Serialized as the list of [`RelationRecord`]s. While the ids ascend (as
/// the id generators hand them out, and as a run moves a State's relations
/// in), a lookup is a binary search; otherwise lookups in a store with many
/// relations go through an index, built on the first lookup and dropped
/// whenever the list changes other than at its end. The last relation
/// found is remembered, so the several hook tools a charm calls on one
/// relation in a row find it at once.
#[derive(Default)]
pub struct Relations {
    list: Vec<RelationRecord>,
    /// Whether the ids in `list` are strictly ascending.
    unsorted: bool,
    index: OnceLock<HashMap<RelationId, usize, BuildIdHasher>>,
    /// Where the last lookup found its relation (may be stale: checked).
    last: AtomicUsize,
}

/// Above this many relations, lookups by id do not scan.
const INDEX_FROM: usize = 8;

/// A hasher for relation ids: they are small distinct integers, so a
/// multiplication spreads them well enough, at a fraction of SipHash's cost
/// (nothing here hashes input an attacker chooses to collide).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Builds [`IdHasher`]s.
pub(crate) type BuildIdHasher = std::hash::BuildHasherDefault<IdHasher>;

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

    /// Makes room for `additional` more relations.
    pub fn reserve(&mut self, additional: usize) {
        self.list.reserve(additional);
    }

    /// Adds a relation at the end.
    pub fn push(&mut self, relation: RelationRecord) {
        if self.list.last().is_some_and(|last| last.id >= relation.id) {
            self.unsorted = true;
        }
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
        // Removing relations keeps ascending ids ascending.
        self.index = OnceLock::new();
    }

    /// Takes every relation out, in order.
    pub fn take_all(&mut self) -> Vec<RelationRecord> {
        self.index = OnceLock::new();
        self.unsorted = false;
        std::mem::take(&mut self.list)
    }

    fn position(&self, id: RelationId) -> Option<usize> {
        let last = self.last.load(Ordering::Relaxed);
        if self.list.get(last).is_some_and(|r| r.id == id) && !self.unsorted {
            return Some(last);
        }
        let found = self.find(id);
        if let Some(position) = found {
            self.last.store(position, Ordering::Relaxed);
        }
        found
    }

    fn find(&self, id: RelationId) -> Option<usize> {
        // A scan is cheapest for a few relations; a binary search or an
        // index keeps a charm that touches every relation of a large model
        // linear rather than quadratic.
        if self.list.len() <= INDEX_FROM {
            return self.list.iter().position(|r| r.id == id);
        }
        if !self.unsorted {
            return self.list.binary_search_by_key(&id, |r| r.id).ok();
        }
        let index = self.index.get_or_init(|| {
            let mut index =
                HashMap::with_capacity_and_hasher(self.list.len(), BuildIdHasher::default());
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
        let unsorted = list.windows(2).any(|pair| pair[0].id >= pair[1].id);
        Relations {
            list,
            unsorted,
            index: OnceLock::new(),
            last: AtomicUsize::new(0),
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

/// The remote units of a relation as the relation tools read them.
#[derive(Clone, Copy)]
pub(crate) enum RemoteUnits<'a> {
    /// By unit number (a peer relation's may hold the actor itself).
    Map(&'a BTreeMap<u32, Databag>),
    /// A subordinate relation's one principal unit.
    One(u32, &'a Databag),
}

impl<'a> RemoteUnits<'a> {
    fn get(self, number: u32) -> Option<&'a Databag> {
        match self {
            RemoteUnits::Map(units) => units.get(&number),
            RemoteUnits::One(only, bag) => (only == number).then_some(bag),
        }
    }

    fn numbers(self) -> impl Iterator<Item = u32> + 'a {
        let (map, one) = match self {
            RemoteUnits::Map(units) => (Some(units), None),
            RemoteUnits::One(only, _) => (None, Some(only)),
        };
        map.into_iter()
            .flat_map(|units| units.keys().copied())
            .chain(one)
    }
}

/// One relation as the actor's relation tools read it, borrowed from a
/// store's [`RelationRecord`] or straight from a State's relation (so a
/// run can answer reads of a relation it never moves into the store).
/// Juju's rules for `relation-list` and `relation-get` are written once,
/// here, for both.
#[derive(Clone, Copy)]
pub(crate) struct RelationView<'a> {
    pub(crate) id: RelationId,
    pub(crate) kind: RelationKind,
    /// The actor's endpoint.
    pub(crate) endpoint: &'a str,
    pub(crate) local_app_data: &'a Databag,
    /// The actor's own unit databag, if it has one.
    pub(crate) local_unit_data: Option<&'a Databag>,
    /// The application on the other side (the actor's own for peers).
    pub(crate) remote_app: &'a str,
    pub(crate) remote_app_data: &'a Databag,
    pub(crate) remote_units: RemoteUnits<'a>,
}

impl<'a> RelationView<'a> {
    /// The view of a store relation from the side at `local`.
    fn of_record(relation: &'a RelationRecord, local: usize, actor: &Actor) -> Self {
        let local_side = &relation.sides[local];
        let remote_side = &relation.sides[relation.remote_index(local)];
        RelationView {
            id: relation.id,
            kind: relation.kind,
            endpoint: local_side.endpoint.as_deref().unwrap_or_default(),
            local_app_data: &local_side.app_data,
            local_unit_data: local_side.units.get(&actor.unit_id()),
            remote_app: &remote_side.app,
            remote_app_data: &remote_side.app_data,
            remote_units: RemoteUnits::Map(&remote_side.units),
        }
    }

    /// The view of one of `actor`'s State relations, in place.
    pub(crate) fn of_state(relation: &'a AnyRelation, actor: &'a Actor) -> Self {
        let (kind, remote_units) = match relation {
            AnyRelation::Regular(r) => (
                RelationKind::Regular,
                RemoteUnits::Map(&r.remote_units_data),
            ),
            AnyRelation::Peer(r) => (RelationKind::Peer, RemoteUnits::Map(&r.peers_data)),
            AnyRelation::Subordinate(r) => (
                RelationKind::Subordinate,
                RemoteUnits::One(r.remote_unit_id, &r.remote_unit_data),
            ),
        };
        RelationView {
            id: relation.id(),
            kind,
            endpoint: relation.endpoint(),
            local_app_data: relation.local_app_data(),
            local_unit_data: Some(relation.local_unit_data()),
            remote_app: relation.remote_app_name(actor.app()),
            remote_app_data: relation.remote_app_data(),
            remote_units,
        }
    }

    /// `relation-list -r <id>`: the units on the other side that have
    /// joined (for a peer relation, the other peers).
    pub(crate) fn list(&self, actor: &Actor) -> Vec<String> {
        let peer = self.kind == RelationKind::Peer;
        self.remote_units
            .numbers()
            .filter(|n| !(peer && *n == actor.unit_id()))
            .map(|n| format!("{}/{n}", self.remote_app))
            .collect()
    }

    /// `relation-get -r <id> - <member> [--app]`: a unit's or (`is_app`) an
    /// application's databag, shared (not copied).
    pub(crate) fn get(
        &self,
        actor: &Actor,
        member: &str,
        is_app: bool,
    ) -> Result<Arc<StringMap>, ModelError> {
        if is_app && actor.version_below(2, 7, 0) {
            return Err(juju_error(
                "relation-get",
                "ERROR application data needs juju >= 2.7.0",
            ));
        }
        if is_app {
            let bag = if member == actor.app() {
                self.local_app_data
            } else {
                self.remote_app_data
            };
            return Ok(bag.to_shared());
        }
        let bag = if member == actor.unit() {
            self.local_unit_data
        } else {
            member
                .rsplit_once('/')
                .filter(|(app, _)| *app == self.remote_app)
                .and_then(|(_, number)| number.parse().ok())
                .and_then(|number: u32| self.remote_units.get(number))
        };
        bag.map(Databag::to_shared).ok_or_else(|| {
            juju_error(
                "relation-get",
                format!(
                    "ERROR cannot read settings for unit {member:?} in relation {}:{}: unit not found",
                    self.endpoint, self.id
                ),
            )
        })
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
        Ok(RelationView::of_record(relation, local, actor).list(actor))
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
        RelationView::of_record(relation, local, actor).get(actor, member, is_app)
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
        self.check_relation_set(actor, is_app)?;
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

    /// What `relation-set` checks before it finds the relation: only the
    /// leader writes its application's databag.
    fn check_relation_set(&self, actor: &Actor, is_app: bool) -> Result<(), ModelError> {
        if is_app && !self.is_leader(actor) {
            return Err(juju_error(
                "relation-set",
                "ERROR cannot write relation settings",
            ));
        }
        Ok(())
    }

    /// `relation-set` on one of the actor's State relations, in place
    /// (a relation a run never moved into the store): the same checks and
    /// merge as [`ModelStore::relation_set`].
    pub(crate) fn relation_set_in_state(
        &self,
        actor: &Actor,
        relation: &mut AnyRelation,
        data: StringMap,
        is_app: bool,
    ) -> Result<(), ModelError> {
        self.check_relation_set(actor, is_app)?;
        let bag = if is_app {
            relation.local_app_data_mut()
        } else {
            relation.local_unit_data_mut()
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
