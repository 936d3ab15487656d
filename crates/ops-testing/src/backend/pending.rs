//! The input State's relations and secrets that no hook tool has touched
//! yet: a run costs what the charm touches, not what the State holds.
//!
//! The model store of a run starts with no relation and no secret. The
//! first hook tool that names one (by id, or a secret by label) moves that
//! one from the State into the store, where the store's operation answers
//! with Juju's rules; tools that need them all (`secret-ids`, an ambiguous
//! label) move them all, in the State's order. When the run ends, the
//! store's relations and secrets are projected back into the slots they
//! came from, so the output keeps the input's order and every untouched
//! relation or secret is the input's own value, never copied or rebuilt.
//!
//! A relation's reads and writes (`relation-list`, `relation-get`,
//! `relation-set`) are answered from the State's relation in its slot and
//! move nothing; only tools that need the store's relation
//! (`relation-model-get`, secret grants) move it.
//!
//! Relations stay in the State's list while pending. A moved one leaves a
//! placeholder in its slot that keeps only its id (so the list can still
//! be searched by id); a moved secret's placeholder keeps only its id.

use crate::juju::{Actor, ModelStore, relation_record, secret_record};
use crate::state::{AnyRelation, Databag, PeerRelation, Secret, State};
use ops::RelationId;
use std::collections::{BTreeMap, HashMap};

/// Above this many relations, slots are found by binary search (ids in
/// order) or an index (otherwise) rather than a scan.
const SCAN_UP_TO: usize = 8;

/// How relation slots are found by id.
#[derive(Default)]
enum Lookup {
    /// Ids out of order, not indexed yet (nothing looked up).
    #[default]
    Unknown,
    /// A scan: few relations.
    Scan,
    /// Ids strictly ascending, as `Relation::new` hands them out.
    Sorted,
    /// Anything else: an index built once.
    Index(HashMap<RelationId, usize>),
}

/// The State's relations and secrets, with which of them the store holds.
#[derive(Default)]
pub(super) struct Pending {
    relations: Vec<AnyRelation>,
    /// Which relation slots were moved into the store (empty until one is).
    relation_moved: Vec<bool>,
    lookup: Lookup,
    /// The slots moved into the store, in the order they were moved (the
    /// store's order, so the output finds each one's slot at once).
    moved_order: Vec<usize>,
    /// The relation id the last lookup named, and its slot: the several
    /// hook tools a charm calls on one relation in a row look it up once.
    last: Option<(RelationId, Option<usize>)>,
    secrets: Vec<Secret>,
    /// Which secret slots were moved into the store (empty until one is).
    secret_moved: Vec<bool>,
    secrets_left: usize,
}

/// What a moved relation leaves in its slot: its id, nothing else
/// (allocates nothing).
fn relation_placeholder(id: RelationId) -> AnyRelation {
    AnyRelation::Peer(PeerRelation {
        endpoint: String::new(),
        interface: None,
        id,
        local_app_data: Databag::new(),
        local_unit_data: Databag::new(),
        peers_data: BTreeMap::new(),
    })
}

/// What a moved secret leaves in its slot: its id, nothing else.
fn secret_placeholder(id: String) -> Secret {
    Secret {
        id,
        tracked_content: Databag::new(),
        latest_content: Databag::new(),
        owner: None,
        remote_grants: BTreeMap::new(),
        label: None,
        description: None,
        expire: None,
        rotate: None,
        tracked_revision: 0,
        latest_revision: 0,
    }
}

/// The unique part of a secret id in any of its forms (`secret:ID`,
/// `secret://UUID/ID`, `ID`): what two forms of one id share.
fn id_tail(id: &str) -> &str {
    let id = id.trim();
    let rest = id.strip_prefix("secret:").unwrap_or(id);
    rest.rsplit('/').next().unwrap_or(rest)
}

impl Pending {
    /// Takes the relations and secrets out of `state`; `ids_ascending`
    /// says the relation ids are strictly ascending (the consistency check
    /// found it, so the list need not be walked again to know).
    pub(super) fn take(state: &mut State, ids_ascending: bool) -> Self {
        let relations = std::mem::take(&mut state.relations);
        let secrets = std::mem::take(&mut state.secrets);
        let lookup = if relations.len() <= SCAN_UP_TO {
            Lookup::Scan
        } else if ids_ascending {
            Lookup::Sorted
        } else {
            Lookup::Unknown
        };
        Pending {
            relations,
            relation_moved: Vec::new(),
            lookup,
            moved_order: Vec::new(),
            last: None,
            secrets_left: secrets.len(),
            secrets,
            secret_moved: Vec::new(),
        }
    }

    /// The slot of relation `id`, if the State has it.
    fn relation_slot(&mut self, id: RelationId) -> Option<usize> {
        let next = match self.last {
            Some((last, slot)) if last == id => return slot,
            // A charm going through the relations in order names the next
            // slot's: ids ascending are distinct, so it is the one.
            Some((_, Some(slot))) if matches!(self.lookup, Lookup::Sorted) => self
                .relations
                .get(slot + 1)
                .filter(|r| r.id() == id)
                .map(|_| slot + 1),
            _ => None,
        };
        let slot = next.or_else(|| self.find_relation_slot(id));
        self.last = Some((id, slot));
        slot
    }

    fn find_relation_slot(&mut self, id: RelationId) -> Option<usize> {
        if let Lookup::Unknown = self.lookup {
            // Ids out of order: index them once, on the first lookup.
            let mut index = HashMap::with_capacity(self.relations.len());
            for (slot, relation) in self.relations.iter().enumerate() {
                index.entry(relation.id()).or_insert(slot);
            }
            self.lookup = Lookup::Index(index);
        }
        match &self.lookup {
            Lookup::Unknown | Lookup::Scan => self.relations.iter().position(|r| r.id() == id),
            Lookup::Sorted => self
                .relations
                .binary_search_by_key(&id, AnyRelation::id)
                .ok(),
            Lookup::Index(index) => index.get(&id).copied(),
        }
    }

    fn is_relation_moved(&self, slot: usize) -> bool {
        self.relation_moved.get(slot).copied().unwrap_or(false)
    }

    /// Moves relation `id` into the store, if it is still pending.
    pub(super) fn relation(&mut self, store: &mut ModelStore, actor: &Actor, id: RelationId) {
        let Some(slot) = self.relation_slot(id) else {
            return;
        };
        if self.is_relation_moved(slot) {
            return;
        }
        if self.relation_moved.is_empty() {
            self.relation_moved = vec![false; self.relations.len()];
        }
        self.relation_moved[slot] = true;
        self.moved_order.push(slot);
        let relation = std::mem::replace(&mut self.relations[slot], relation_placeholder(id));
        store.relations.push(relation_record(relation, actor));
    }

    /// Relation `id` as the State holds it, while no hook tool has moved it
    /// into the store: reads are answered from it in place.
    pub(super) fn unmoved_relation(&mut self, id: RelationId) -> Option<&AnyRelation> {
        let slot = self.relation_slot(id)?;
        (!self.is_relation_moved(slot)).then(|| &self.relations[slot])
    }

    /// [`Pending::unmoved_relation`], to change in place.
    pub(super) fn unmoved_relation_mut(&mut self, id: RelationId) -> Option<&mut AnyRelation> {
        let slot = self.relation_slot(id)?;
        (!self.is_relation_moved(slot)).then(|| &mut self.relations[slot])
    }

    /// `relation-ids <endpoint>`, over the pending relations and the
    /// store's, in the State's order.
    pub(super) fn relation_ids(
        &self,
        store: &ModelStore,
        actor: &Actor,
        endpoint: &str,
    ) -> Vec<RelationId> {
        self.relations
            .iter()
            .enumerate()
            .filter(|(slot, relation)| {
                if self.is_relation_moved(*slot) {
                    store.relations.get(relation.id()).is_some_and(|r| {
                        r.side_index(actor.app()).is_some_and(|local| {
                            r.sides[local].endpoint.as_deref() == Some(endpoint)
                        })
                    })
                } else {
                    relation.endpoint() == endpoint
                }
            })
            .map(|(_, relation)| relation.id())
            .collect()
    }

    fn mark_secret_moved(&mut self, slot: usize) {
        if self.secret_moved.is_empty() {
            self.secret_moved = vec![false; self.secrets.len()];
        }
        self.secret_moved[slot] = true;
        self.secrets_left -= 1;
    }

    fn is_secret_moved(&self, slot: usize) -> bool {
        self.secret_moved.get(slot).copied().unwrap_or(false)
    }

    fn move_secret(&mut self, store: &mut ModelStore, actor: &Actor, slot: usize) {
        self.mark_secret_moved(slot);
        let id = self.secrets[slot].id.clone();
        let secret = std::mem::replace(&mut self.secrets[slot], secret_placeholder(id));
        store.secrets.push(secret_record(secret, actor));
    }

    /// Moves the secret that `id` (in any form) names into the store, if
    /// it is still pending.
    pub(super) fn secret_by_id(&mut self, store: &mut ModelStore, actor: &Actor, id: &str) {
        if self.secrets_left == 0 {
            return;
        }
        let tail = id_tail(id);
        let mut found = None;
        for (slot, secret) in self.secrets.iter().enumerate() {
            if !self.is_secret_moved(slot) && id_tail(&secret.id) == tail {
                if found.is_some() {
                    // Two forms of one id: let the store choose among all, in order.
                    return self.all_secrets(store, actor);
                }
                found = Some(slot);
            }
        }
        if let Some(slot) = found {
            self.move_secret(store, actor, slot);
        }
    }

    /// Moves the secret labelled `label` into the store, if it is still
    /// pending. When the label is not unique, every secret is moved, so the
    /// store finds the first in the State's order.
    pub(super) fn secret_by_label(&mut self, store: &mut ModelStore, actor: &Actor, label: &str) {
        if self.secrets_left == 0 {
            return;
        }
        let mut found = None;
        for (slot, secret) in self.secrets.iter().enumerate() {
            if !self.is_secret_moved(slot) && secret.label.as_deref() == Some(label) {
                if found.is_some() {
                    return self.all_secrets(store, actor);
                }
                found = Some(slot);
            }
        }
        let Some(slot) = found else {
            return;
        };
        if store
            .secrets
            .iter()
            .any(|s| s.label_for(actor) == Some(label))
        {
            return self.all_secrets(store, actor);
        }
        self.move_secret(store, actor, slot);
    }

    /// Moves every pending secret into the store, keeping the State's order
    /// (secrets the charm added stay after them).
    pub(super) fn all_secrets(&mut self, store: &mut ModelStore, actor: &Actor) {
        if self.secrets_left == 0 {
            return;
        }
        let mut current = std::mem::take(&mut store.secrets);
        let mut rebuilt = Vec::with_capacity(self.secrets.len() + current.len());
        for slot in 0..self.secrets.len() {
            if self.is_secret_moved(slot) {
                // Gone from the store if the charm removed it.
                let id = &self.secrets[slot].id;
                if let Some(position) = current.iter().position(|s| s.id == *id) {
                    rebuilt.push(current.remove(position));
                }
            } else {
                self.mark_secret_moved(slot);
                let id = self.secrets[slot].id.clone();
                let secret = std::mem::replace(&mut self.secrets[slot], secret_placeholder(id));
                rebuilt.push(secret_record(secret, actor));
            }
        }
        rebuilt.extend(current);
        store.secrets = rebuilt;
    }

    /// Puts the relations and secrets back into `state`, the output of the
    /// store: each one the store holds replaces the placeholder in its
    /// slot; a secret the store no longer shows the unit leaves its slot;
    /// secrets the charm added go last, in the order they were added.
    pub(super) fn restore(mut self, state: &mut State) {
        let touched = std::mem::take(&mut state.relations);
        for (position, relation) in touched.into_iter().enumerate() {
            // The store holds the moved relations in the order they were
            // moved: the slot is known unless the store's list changed.
            let slot = match self.moved_order.get(position) {
                Some(&slot) if self.relations[slot].id() == relation.id() => Some(slot),
                _ => self.relation_slot(relation.id()),
            };
            if let Some(slot) = slot {
                self.relations[slot] = relation;
            }
        }
        state.relations = self.relations;

        if self.secret_moved.is_empty() {
            // Nothing moved: only what the charm added is in the store.
            let added = std::mem::replace(&mut state.secrets, self.secrets);
            state.secrets.extend(added);
            return;
        }
        let touched = std::mem::take(&mut state.secrets);
        let mut filled = vec![false; self.secrets.len()];
        let mut added = Vec::new();
        for secret in touched {
            let slot = (0..self.secrets.len()).find(|&slot| {
                self.secret_moved[slot] && !filled[slot] && self.secrets[slot].id == secret.id
            });
            match slot {
                Some(slot) => {
                    filled[slot] = true;
                    self.secrets[slot] = secret;
                }
                None => added.push(secret),
            }
        }
        let moved = self.secret_moved;
        let gone = (0..moved.len()).any(|slot| moved[slot] && !filled[slot]);
        if gone {
            // Removed (or no longer visible): their slots go.
            let mut slot = 0;
            self.secrets.retain(|_| {
                let keep = !moved[slot] || filled[slot];
                slot += 1;
                keep
            });
        }
        self.secrets.extend(added);
        state.secrets = self.secrets;
    }
}
