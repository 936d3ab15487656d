//! One unit's [`State`] as a [`ModelStore`], and back.
//!
//! The conversion moves the State's data into the store and back out
//! again: nothing is copied but names and one databag per relation kind's
//! bookkeeping, so a run costs one walk over the State each way.

use super::relations::{RelationKind, RelationRecord, RelationSide};
use super::secrets::{SecretConsumer, SecretContent, SecretOwnerRef, SecretRecord, SecretRevision};
use super::{Actor, Application, ModelStore};
use crate::state::{
    AnyRelation, DeferredEvent, Model, PeerRelation, Relation, Resource, Secret, State, Storage,
    StoredState, SubordinateRelation,
};
use ops::{Network, SecretOwner, Status};
use std::collections::BTreeMap;

/// The parts of a unit's [`State`] that the model store does not hold:
/// what only the harness answers from (networks, planned units, the
/// model's name, type and cloud) and what the framework, not Juju, keeps
/// (deferred events, stored state).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitExtras {
    /// `State::networks`.
    pub networks: BTreeMap<String, Network>,
    /// `State::planned_units`.
    pub planned_units: u32,
    /// `State::model`, except its uuid, which is the store's
    /// [`ModelStore::model_uuid`] (empty here).
    pub model: Model,
    /// `State::deferred`.
    pub deferred: Vec<DeferredEvent>,
    /// `State::stored_states`.
    pub stored_states: Vec<StoredState>,
    /// `State::storages`.
    pub storages: Vec<Storage>,
    /// `State::resources`.
    pub resources: Vec<Resource>,
}

/// Nothing: no networks, one planned unit, a model with empty name and
/// uuid (allocates nothing).
impl Default for UnitExtras {
    fn default() -> Self {
        UnitExtras {
            networks: BTreeMap::new(),
            planned_units: 1,
            model: Model {
                name: String::new(),
                uuid: String::new(),
                kind: Default::default(),
                cloud_spec: None,
            },
            deferred: Vec::new(),
            stored_states: Vec::new(),
            storages: Vec::new(),
            resources: Vec::new(),
        }
    }
}

impl ModelStore {
    /// The model as `actor`'s State describes it: its application (with the
    /// actor as its only unit, and as leader if `state.leader`), the
    /// relations with both sides' databags, the secrets it can see, its
    /// config, statuses and ports. The State is moved in, not copied.
    ///
    /// A peer relation's `peers_data` must not hold the actor itself (the
    /// consistency check refuses such a State); if it does, the actor's
    /// `local_unit_data` wins.
    pub fn from_state(state: State, actor: &Actor) -> (ModelStore, UnitExtras) {
        // Listing every field makes a new State field a compile error here.
        let State {
            config,
            relations,
            networks,
            leader,
            mut model,
            secrets,
            planned_units,
            deferred,
            stored_states,
            app_status,
            unit_status,
            workload_version,
            opened_ports,
            // Pebble, not Juju, holds the containers: the harness's mock
            // Pebble takes them out of the State before it comes here.
            containers: _,
            storages,
            resources,
        } = state;
        let mut store = ModelStore::new(std::mem::take(&mut model.uuid));
        let app = actor.app_name().clone();
        let unit = actor.unit_name().clone();
        store.applications.insert(
            app.clone(),
            Application {
                units: [actor.unit_id()].into(),
                leader: leader.then_some(actor.unit_id()),
            },
        );
        // Values that equal what a missing entry means are not stored, so an
        // empty State costs no map entries.
        if !config.is_empty() {
            store.config.insert(app.clone(), config.into_inner());
        }
        store.relations = relations
            .into_iter()
            .map(|relation| relation_record(relation, actor))
            .collect::<Vec<_>>()
            .into();
        store.secrets = secrets
            .into_iter()
            .map(|secret| secret_record(secret, actor))
            .collect();
        if app_status != Status::Unknown {
            store.statuses.apps.insert(app, app_status);
        }
        if unit_status != Status::Unknown {
            store.statuses.units.insert(unit.clone(), unit_status);
        }
        if !workload_version.is_empty() {
            store
                .statuses
                .workload_versions
                .insert(unit.clone(), workload_version);
        }
        if !opened_ports.is_empty() {
            store.ports.insert(unit, opened_ports);
        }
        let extras = UnitExtras {
            networks,
            planned_units,
            model,
            deferred,
            stored_states,
            storages,
            resources,
        };
        (store, extras)
    }

    /// `actor`'s State: the relations its application is in, the secrets
    /// it can see (in the store's order), its leadership, config, statuses
    /// and ports, with `extras` for the rest. The store is moved out, not
    /// copied; what does not concern the actor is dropped.
    ///
    /// For a State made by [`ModelStore::from_state`], this gives that
    /// State back, as changed by the operations run in between.
    pub fn into_state(self, actor: &Actor, extras: UnitExtras) -> State {
        let ModelStore {
            model_uuid,
            applications,
            mut relations,
            secrets,
            mut config,
            mut statuses,
            mut ports,
            unit_state: _,
        } = self;
        let UnitExtras {
            networks,
            planned_units,
            mut model,
            deferred,
            stored_states,
            storages,
            resources,
        } = extras;
        model.uuid = model_uuid;
        let leader = applications
            .get(actor.app())
            .is_some_and(|app| app.leader == Some(actor.unit_id()));
        State {
            config: config.remove(actor.app()).unwrap_or_default().into(),
            relations: relations
                .take_all()
                .into_iter()
                .filter_map(|relation| project_relation(relation, actor))
                .collect(),
            networks,
            leader,
            model,
            secrets: secrets
                .into_iter()
                .filter(|secret| secret.visible_to(actor))
                .map(|secret| project_secret(secret, actor))
                .collect(),
            planned_units,
            deferred,
            stored_states,
            app_status: statuses.apps.remove(actor.app()).unwrap_or_default(),
            unit_status: statuses.units.remove(actor.unit()).unwrap_or_default(),
            workload_version: statuses
                .workload_versions
                .remove(actor.unit())
                .unwrap_or_default(),
            opened_ports: ports.remove(actor.unit()).unwrap_or_default(),
            storages,
            resources,
            containers: Vec::new(),
        }
    }
}

fn local_side(actor: &Actor, endpoint: String, app_data: crate::Databag) -> RelationSide {
    RelationSide {
        app_data,
        ..RelationSide::new(actor.app(), Some(endpoint))
    }
}

/// One of `actor`'s State relations as a store relation (moved, not copied).
pub(crate) fn relation_record(relation: AnyRelation, actor: &Actor) -> RelationRecord {
    match relation {
        AnyRelation::Regular(Relation {
            endpoint,
            interface,
            id,
            local_app_data,
            local_unit_data,
            remote_app_name,
            limit,
            remote_app_data,
            remote_units_data,
            remote_model_uuid,
        }) => {
            let mut local = local_side(actor, endpoint, local_app_data);
            local.limit = Some(limit);
            local.units.insert(actor.unit_id(), local_unit_data);
            let remote = RelationSide {
                app_data: remote_app_data,
                units: remote_units_data,
                ..RelationSide::new(remote_app_name, None)
            };
            RelationRecord {
                id,
                kind: RelationKind::Regular,
                interface,
                remote_model_uuid,
                sides: vec![local, remote],
            }
        }
        AnyRelation::Peer(PeerRelation {
            endpoint,
            interface,
            id,
            local_app_data,
            local_unit_data,
            peers_data,
        }) => {
            let mut side = local_side(actor, endpoint, local_app_data);
            side.units = peers_data;
            side.units.insert(actor.unit_id(), local_unit_data);
            RelationRecord {
                id,
                kind: RelationKind::Peer,
                interface,
                remote_model_uuid: None,
                sides: vec![side],
            }
        }
        AnyRelation::Subordinate(SubordinateRelation {
            endpoint,
            interface,
            id,
            local_app_data,
            local_unit_data,
            remote_app_data,
            remote_unit_data,
            remote_app_name,
            remote_unit_id,
        }) => {
            let mut local = local_side(actor, endpoint, local_app_data);
            local.units.insert(actor.unit_id(), local_unit_data);
            let remote = RelationSide {
                app_data: remote_app_data,
                units: [(remote_unit_id, remote_unit_data)].into(),
                ..RelationSide::new(remote_app_name, None)
            };
            RelationRecord {
                id,
                kind: RelationKind::Subordinate,
                interface,
                remote_model_uuid: None,
                sides: vec![local, remote],
            }
        }
    }
}

/// The actor's relation as a State relation; `None` if the actor's
/// application is not in it.
fn project_relation(relation: RelationRecord, actor: &Actor) -> Option<AnyRelation> {
    let RelationRecord {
        id,
        kind,
        interface,
        remote_model_uuid,
        mut sides,
    } = relation;
    let local_index = sides.iter().position(|side| side.app == actor.app())?;
    let mut local = sides.remove(local_index);
    let remote = (!sides.is_empty()).then(|| sides.remove(0));
    let local_unit_data = local.units.remove(&actor.unit_id()).unwrap_or_default();
    let endpoint = local.endpoint.unwrap_or_default();
    Some(match (kind, remote) {
        (RelationKind::Peer, _) | (_, None) => AnyRelation::Peer(PeerRelation {
            endpoint,
            interface,
            id,
            local_app_data: local.app_data,
            local_unit_data,
            peers_data: local.units,
        }),
        (RelationKind::Regular, Some(remote)) => AnyRelation::Regular(Relation {
            endpoint,
            interface,
            id,
            local_app_data: local.app_data,
            local_unit_data,
            remote_app_name: remote.app,
            limit: local.limit.unwrap_or(1),
            remote_app_data: remote.app_data,
            remote_units_data: remote.units,
            remote_model_uuid,
        }),
        (RelationKind::Subordinate, Some(mut remote)) => {
            let (remote_unit_id, remote_unit_data) = remote.units.pop_first().unwrap_or_default();
            AnyRelation::Subordinate(SubordinateRelation {
                endpoint,
                interface,
                id,
                local_app_data: local.app_data,
                local_unit_data,
                remote_app_data: remote.app_data,
                remote_unit_data,
                remote_app_name: remote.app,
                remote_unit_id,
            })
        }
    })
}

/// One of `actor`'s State secrets as a store secret (moved, not copied).
pub(crate) fn secret_record(secret: Secret, actor: &Actor) -> SecretRecord {
    let Secret {
        id,
        tracked_content,
        latest_content,
        owner,
        remote_grants,
        label,
        description,
        expire,
        rotate,
        tracked_revision,
        latest_revision,
    } = secret;
    let owner = owner.map(|owner| match owner {
        SecretOwner::App => SecretOwnerRef::Application(actor.app_name().clone()),
        SecretOwner::Unit => SecretOwnerRef::Unit(actor.unit_name().clone()),
    });
    let mut consumer = SecretConsumer::at(actor.unit_name().clone(), tracked_revision);
    let owner_label = match owner {
        Some(_) => label,
        None => {
            consumer.label = label;
            None
        }
    };
    let mut earlier = Vec::new();
    if tracked_revision == latest_revision {
        // The unit's own copy, so that projecting back moves it out again.
        consumer.content = Some(SecretContent(tracked_content.into_inner()));
    } else {
        earlier.push(SecretRevision {
            revision: tracked_revision,
            content: SecretContent(tracked_content.into_inner()),
        });
    }
    SecretRecord {
        id,
        owner,
        latest: SecretRevision {
            revision: latest_revision,
            content: SecretContent(latest_content.into_inner()),
        },
        earlier,
        owner_label,
        consumers: vec![consumer],
        description,
        expire,
        rotate,
        grants: remote_grants,
    }
}

fn project_secret(secret: SecretRecord, actor: &Actor) -> Secret {
    let owned = secret.owned_by(actor);
    let SecretRecord {
        id,
        owner,
        latest,
        mut earlier,
        owner_label,
        mut consumers,
        description,
        expire,
        rotate,
        grants,
    } = secret;
    let consumer = consumers
        .iter()
        .position(|c| c.unit == actor.unit())
        .map(|position| consumers.swap_remove(position));
    let (tracked_revision, consumer_label, own_copy) = match consumer {
        Some(c) => (c.revision, c.label, c.content),
        None => (latest.revision, None, None),
    };
    let owner = match owner {
        Some(SecretOwnerRef::Application(_)) if owned => Some(SecretOwner::App),
        Some(SecretOwnerRef::Unit(_)) if owned => Some(SecretOwner::Unit),
        _ => None,
    };
    let tracked_content = match own_copy {
        Some(SecretContent(content)) => content,
        None if tracked_revision == latest.revision => latest.content.0.clone(),
        None => earlier
            .iter()
            .position(|r| r.revision == tracked_revision)
            .map(|position| earlier.swap_remove(position).content.0)
            .unwrap_or_default(),
    };
    Secret {
        id,
        tracked_content: tracked_content.into(),
        latest_content: latest.content.0.into(),
        owner,
        remote_grants: grants,
        label: if owned { owner_label } else { consumer_label },
        description,
        expire,
        rotate,
        tracked_revision,
        latest_revision: latest.revision,
    }
}
