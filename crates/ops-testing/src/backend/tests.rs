//! The mock backend over the model store, for one unit's State.

use super::*;
use crate::state::{AnyRelation, Relation, Secret};

fn backend(relations: u32, secrets: Vec<Secret>) -> MockBackend {
    let state = State {
        leader: true,
        relations: (1..=relations)
            .map(|id| {
                Relation {
                    id,
                    remote_app_name: format!("app{id}"),
                    ..Relation::new("db")
                }
                .into()
            })
            .collect(),
        secrets,
        ..State::default()
    };
    let identity = Identity {
        app_name: "me".to_owned(),
        unit_id: 0,
        juju_version: ops::JujuVersion::new(3, 6, 14),
        app_trusted: false,
    };
    MockBackend::new(
        state,
        false,
        identity,
        Actor::new("me", 0),
        Arc::new(CharmMeta::new("me")),
        None,
        Default::default(),
    )
}

// Few relations are scanned, many go through the index: both must find
// the same relation by id.
#[test]
fn relations_are_found_by_id_in_small_and_large_states() {
    for count in [3, 20] {
        let backend = backend(count, Vec::new());
        for id in 1..=count {
            let app = backend.relation_remote_app_name(id).unwrap();
            assert_eq!(app.as_deref(), Some(format!("app{id}").as_str()));
        }
        let missing = backend.relation_list(count + 1).unwrap_err();
        assert!(missing.is_relation_not_found(), "{missing}");

        let data: StringMap = [("k".to_owned(), "v".to_owned())].into();
        backend.relation_set(count, data.clone(), true).unwrap();
        assert_eq!(*backend.relation_get(count, "me", true).unwrap(), data);
        let (state, _) = backend.finish();
        let written: Vec<_> = state
            .relations
            .iter()
            .filter(|r| r.local_app_data().contains_key("k"))
            .map(AnyRelation::id)
            .collect();
        assert_eq!(written, [count]);
    }
}

#[test]
fn secrets_are_found_by_any_form_of_their_id() {
    let uuid = State::default().model.uuid;
    let short = Secret {
        id: format!("secret://{uuid}/0123456789abcdefghij"),
        owner: Some(SecretOwner::App),
        ..Secret::new([("key".to_owned(), "short".to_owned())].into())
    };
    let plain = Secret {
        owner: Some(SecretOwner::App),
        ..Secret::new([("key".to_owned(), "plain".to_owned())].into())
    };
    let backend = backend(0, vec![plain.clone(), short.clone()]);
    let found = |id: &str| {
        backend
            .secret_get(Some(id), None, false, false)
            .map(|content| content["key"].clone())
    };
    assert_eq!(found(&plain.id).unwrap(), "plain");
    assert_eq!(found(&format!("  {}  ", plain.id)).unwrap(), "plain");
    assert_eq!(found(&short.id).unwrap(), "short");
    // A bare id is canonicalised with the model's uuid.
    assert_eq!(found("0123456789abcdefghij").unwrap(), "short");
    assert!(found("secret://another-model/0123456789abcdefghij").is_err());
    assert!(found("abcdefghij0123456789").is_err());
}

#[test]
fn the_output_state_is_the_store_projected_back() {
    let backend = backend(2, Vec::new());
    backend
        .status_set(&ops::ActiveStatus::new("up").into(), false)
        .unwrap();
    backend.open_port(&Port::tcp(8080)).unwrap();
    backend.application_version_set("1.0").unwrap();
    backend.application_version_set("1.1").unwrap();
    let (state, records) = backend.finish();
    assert_eq!(state.unit_status, ops::ActiveStatus::new("up"));
    assert_eq!(state.opened_ports, [Port::tcp(8080)].into());
    assert_eq!(state.workload_version, "1.1");
    assert_eq!(state.relations.len(), 2);
    assert_eq!(records.unit_status_history, [Status::Unknown]);
    assert_eq!(records.workload_version_history, ["1.0"]);
}

/// A backend over one State with a regular, a peer and a subordinate
/// relation (ids 1, 2, 3), unit `me/0` under Juju `version`.
fn backend_with_every_kind(version: ops::JujuVersion) -> MockBackend {
    use crate::state::{PeerRelation, SubordinateRelation};
    let state = State {
        leader: false,
        relations: vec![
            Relation {
                id: 1,
                remote_app_name: "pg".into(),
                remote_app_data: [("host", "db")].into(),
                remote_units_data: [(0, [("a", "0")].into()), (3, [("a", "3")].into())].into(),
                local_app_data: [("mine", "app")].into(),
                ..Relation::new("db")
            }
            .into(),
            PeerRelation {
                id: 2,
                peers_data: [(1, [("p", "1")].into())].into(),
                local_app_data: [("peer-app", "x")].into(),
                ..PeerRelation::new("peers")
            }
            .into(),
            SubordinateRelation {
                id: 3,
                remote_app_name: "principal".into(),
                remote_unit_id: 4,
                remote_unit_data: [("u", "4")].into(),
                ..SubordinateRelation::new("info")
            }
            .into(),
        ],
        ..State::default()
    };
    let identity = Identity {
        app_name: "me".to_owned(),
        unit_id: 0,
        juju_version: version.clone(),
        app_trusted: false,
    };
    MockBackend::new(
        state,
        true,
        identity,
        Actor::new("me", 0).with_juju_version(version),
        Arc::new(CharmMeta::new("me")),
        None,
        Default::default(),
    )
}

/// Every read of relation `id` the relation tools answer, as text.
fn relation_reads(backend: &MockBackend, id: RelationId) -> Vec<String> {
    let members = [
        ("me", true),
        ("pg", true),
        ("principal", true),
        ("me/0", false),
        ("me/1", false),
        ("pg/0", false),
        ("pg/3", false),
        ("pg/9", false),
        ("principal/4", false),
        ("other/0", false),
        ("garbage", false),
    ];
    let mut reads = vec![
        format!("{:?}", backend.relation_list(id)),
        format!("{:?}", backend.relation_remote_app_name(id)),
    ];
    for (member, is_app) in members {
        reads.push(format!(
            "{member} {is_app}: {:?}",
            backend.relation_get(id, member, is_app)
        ));
    }
    reads
}

// A relation the charm only reads is answered from the State in place; one
// it writes is moved into the store. Both must answer every read alike,
// errors included.
#[test]
fn reads_in_place_answer_as_the_store_does() {
    for version in [
        ops::JujuVersion::new(3, 6, 14),
        ops::JujuVersion::new(2, 6, 0),
    ] {
        for id in [1, 2, 3, 4] {
            let in_place = backend_with_every_kind(version.clone());
            let before = relation_reads(&in_place, id);
            assert!(
                in_place.lock().store.relations.is_empty(),
                "reads move nothing into the store"
            );
            let stored = backend_with_every_kind(version.clone());
            // relation-model-get reads the store's relation: it moves it.
            let _ = stored.relation_model_get(id);
            if id != 4 {
                assert_eq!(stored.lock().store.relations.len(), 1);
            }
            assert_eq!(before, relation_reads(&stored, id), "relation {id}");
            let (out_in_place, _) = in_place.finish();
            let (out_stored, _) = stored.finish();
            assert_eq!(out_in_place, out_stored);
        }
    }
}

// A write after reads in place lands in the bag the reads saw.
#[test]
fn a_write_after_reads_in_place_is_seen_by_later_reads_and_the_output() {
    let backend = backend_with_every_kind(ops::JujuVersion::new(3, 6, 14));
    assert_eq!(backend.relation_get(1, "me/0", false).unwrap().len(), 3);
    let data: StringMap = [("seen".to_owned(), "1".to_owned())].into();
    backend.relation_set(1, data, false).unwrap();
    assert_eq!(backend.relation_get(1, "me/0", false).unwrap()["seen"], "1");
    assert!(
        backend.lock().store.relations.is_empty(),
        "a write moves nothing into the store"
    );
    // Written in place or in the store, the leader rule is the same.
    let app_data: StringMap = [("k".to_owned(), "v".to_owned())].into();
    let refused = backend.relation_set(1, app_data.clone(), true).unwrap_err();
    let _ = backend.relation_model_get(2);
    let refused_in_store = backend.relation_set(2, app_data, true).unwrap_err();
    assert_eq!(refused.to_string(), refused_in_store.to_string());
    let (state, _) = backend.finish();
    assert_eq!(state.relations[0].local_unit_data()["seen"], "1");
    assert_eq!(state.relations[1].id(), 2);
}
