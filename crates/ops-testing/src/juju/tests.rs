//! The store's operations for two units of one application, and the
//! round trip from a State to the store and back.

use super::*;
use crate::state::{
    Databag, PeerRelation, Relation, Secret, State, StoredState, SubordinateRelation,
};
use ops::{
    ActiveStatus, BlockedStatus, MaintenanceStatus, Network, SecretMetadata, SecretOwner,
    SecretRotate, WaitingStatus,
};
use serde_json::json;

fn map<M: FromIterator<(String, String)>>(pairs: &[(&str, &str)]) -> M {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn hook_tool_stderr(error: &ModelError) -> &str {
    error
        .hook_tool_stderr()
        .unwrap_or_else(|| panic!("expected a hook tool error, got {error:?}"))
}

/// Application `app` with units 0 (the leader) and 1, in peer relation 1.
fn two_units() -> (ModelStore, Actor, Actor) {
    let mut store = ModelStore::default();
    store.add_unit("app", 0);
    store.add_unit("app", 1);
    store.set_leader("app", Some(0));
    store.relations.push(RelationRecord {
        id: 1,
        kind: RelationKind::Peer,
        interface: None,
        remote_model_uuid: None,
        sides: vec![RelationSide::new("app", Some("peers".to_owned()))],
    });
    store.join_relation(1, "app", 0).unwrap();
    store.join_relation(1, "app", 1).unwrap();
    (store, Actor::new("app", 0), Actor::new("app", 1))
}

#[test]
fn a_peer_reads_what_another_unit_wrote() {
    let (mut store, zero, one) = two_units();
    assert!(store.is_leader(&zero));
    assert!(!store.is_leader(&one));
    assert_eq!(store.relation_ids(&one, "peers"), [1]);
    assert_eq!(store.relation_list(&zero, 1).unwrap(), ["app/1"]);
    assert_eq!(store.relation_list(&one, 1).unwrap(), ["app/0"]);
    assert_eq!(store.relation_remote_app_name(&one, 1).unwrap(), "app");

    store
        .relation_set(&zero, 1, map(&[("host", "10.0.0.1")]), false)
        .unwrap();
    store
        .relation_set(&zero, 1, map(&[("leader", "app/0")]), true)
        .unwrap();
    let bag = store.relation_get(&one, 1, "app/0", false).unwrap();
    assert_eq!(bag["host"], "10.0.0.1");
    assert_eq!(
        *store.relation_get(&one, 1, "app", true).unwrap(),
        map(&[("leader", "app/0")])
    );
    // Unit 1's own bag is untouched, and an empty value deletes a key.
    assert!(
        !store
            .relation_get(&one, 1, "app/1", false)
            .unwrap()
            .contains_key("host")
    );
    store
        .relation_set(&zero, 1, map(&[("host", "")]), false)
        .unwrap();
    assert!(
        !store
            .relation_get(&one, 1, "app/0", false)
            .unwrap()
            .contains_key("host")
    );

    let missing = store.relation_get(&one, 1, "app/7", false).unwrap_err();
    assert_eq!(
        hook_tool_stderr(&missing),
        "ERROR cannot read settings for unit \"app/7\" in relation peers:1: unit not found"
    );
    assert!(
        store
            .relation_list(&one, 9)
            .unwrap_err()
            .is_relation_not_found()
    );
    // Another application's unit is not in the relation.
    let stranger = Actor::new("other", 0);
    assert!(
        store
            .relation_get(&stranger, 1, "app/0", false)
            .unwrap_err()
            .is_relation_not_found()
    );
}

#[test]
fn leader_only_operations_are_refused_for_the_other_unit() {
    let (mut store, zero, one) = two_units();
    let app_bag = store
        .relation_set(&one, 1, map(&[("k", "v")]), true)
        .unwrap_err();
    assert_eq!(
        hook_tool_stderr(&app_bag),
        "ERROR cannot write relation settings"
    );

    let add = store
        .secret_add(
            &one,
            || "secret:one".to_owned(),
            map(&[("k", "v")]),
            SecretOwner::App,
            &SecretMetadata::default(),
        )
        .unwrap_err();
    assert_eq!(hook_tool_stderr(&add), "ERROR this unit is not the leader");

    let set_status = store
        .status_set(&one, ActiveStatus::new("x").into(), true)
        .unwrap_err();
    assert_eq!(
        hook_tool_stderr(&set_status),
        "ERROR setting application status: this unit is not the leader"
    );
    let get_status = store.status_get(&one, true).unwrap_err();
    assert_eq!(
        hook_tool_stderr(&get_status),
        "ERROR finding application status: this unit is not the leader"
    );

    // The leader's application secret: the other unit may read it but not manage it.
    let id = store
        .secret_add(
            &zero,
            || "secret:app".to_owned(),
            map(&[("k", "v")]),
            SecretOwner::App,
            &SecretMetadata::default(),
        )
        .unwrap();
    assert_eq!(
        store
            .secret_get(&one, Some(&id), None, false, false)
            .unwrap(),
        map(&[("k", "v")])
    );
    for error in [
        store
            .secret_set(
                &one,
                &id,
                Some(&map(&[("k", "w")])),
                &SecretMetadata::default(),
            )
            .unwrap_err(),
        store.secret_info_get(&one, Some(&id), None).unwrap_err(),
        store.secret_grant(&one, &id, 1, Some("app/1")).unwrap_err(),
        store.secret_remove(&one, &id, None).unwrap_err(),
    ] {
        assert_eq!(hook_tool_stderr(&error), "ERROR permission denied");
    }
    // Statuses are the leader's to set, and each unit has its own.
    store
        .status_set(&zero, WaitingStatus::new("app").into(), true)
        .unwrap();
    store
        .status_set(&one, BlockedStatus::new("one").into(), false)
        .unwrap();
    assert_eq!(
        store.status_get(&zero, true).unwrap(),
        WaitingStatus::new("app")
    );
    assert_eq!(
        store.status_get(&zero, false).unwrap(),
        ops::Status::Unknown
    );
    assert_eq!(
        store.status_get(&one, false).unwrap(),
        BlockedStatus::new("one")
    );
}

#[test]
fn each_unit_tracks_its_own_revision_of_an_app_secret() {
    let (mut store, zero, one) = two_units();
    let meta = SecretMetadata {
        label: Some("creds".to_owned()),
        ..SecretMetadata::default()
    };
    let id = store
        .secret_add(
            &zero,
            || "secret:creds".to_owned(),
            map(&[("pw", "v1")]),
            SecretOwner::App,
            &meta,
        )
        .unwrap();
    // Unit 1 reads revision 1 (its first read tracks it), by the owner's label.
    assert_eq!(
        store
            .secret_get(&one, None, Some("creds"), false, false)
            .unwrap(),
        map(&[("pw", "v1")])
    );
    store
        .secret_set(
            &zero,
            &id,
            Some(&map(&[("pw", "v2")])),
            &SecretMetadata::default(),
        )
        .unwrap();
    store
        .secret_set(
            &zero,
            &id,
            Some(&map(&[("pw", "v3")])),
            &SecretMetadata::default(),
        )
        .unwrap();
    // The leader refreshes to revision 3; unit 1 stays on 1 until it refreshes.
    assert_eq!(
        store
            .secret_get(&zero, Some(&id), None, true, false)
            .unwrap(),
        map(&[("pw", "v3")])
    );
    assert_eq!(
        store
            .secret_get(&one, Some(&id), None, false, false)
            .unwrap(),
        map(&[("pw", "v1")])
    );
    assert_eq!(
        store
            .secret_get(&one, Some(&id), None, false, true)
            .unwrap(),
        map(&[("pw", "v3")]),
        "peek shows the latest without tracking it"
    );
    let record = &store.secrets[0];
    assert_eq!(record.tracked_revision(&zero), 3);
    assert_eq!(record.tracked_revision(&one), 1);

    // Revision 1 is tracked by unit 1, so it stays; revision 2 nobody tracks.
    let tracked = store.secret_remove(&zero, &id, Some(1)).unwrap_err();
    assert!(hook_tool_stderr(&tracked).contains("cannot remove revision 1"));
    assert_eq!(
        store.secret_remove(&zero, &id, Some(2)).unwrap(),
        SecretRemoval::Revision(2)
    );
    assert_eq!(store.secrets[0].revision_numbers(), [1, 3]);

    assert_eq!(
        store
            .secret_get(&one, Some(&id), None, true, false)
            .unwrap(),
        map(&[("pw", "v3")])
    );
    assert_eq!(store.secrets[0].tracked_revision(&one), 3);
    assert_eq!(
        store
            .secret_info_get(&zero, None, Some("creds"))
            .unwrap()
            .revision,
        3
    );
    assert_eq!(store.secret_ids(&one).unwrap(), ["secret:creds"]);
}

#[test]
fn a_units_own_secret_is_hidden_from_the_other_unit() {
    let (mut store, zero, one) = two_units();
    let id = store
        .secret_add(
            &zero,
            || "secret:mine".to_owned(),
            map(&[("k", "v")]),
            SecretOwner::Unit,
            &SecretMetadata::default(),
        )
        .unwrap();
    let error = store
        .secret_get(&one, Some(&id), None, false, false)
        .unwrap_err();
    assert!(
        matches!(error, ModelError::SecretNotFound { .. }),
        "{error:?}"
    );
    assert_eq!(store.secret_ids(&one).unwrap(), Vec::<String>::new());
    assert_eq!(store.secret_ids(&zero).unwrap(), [id.as_str()]);

    // Granted to unit 1 over the peer relation, it becomes readable, not manageable.
    store.secret_grant(&zero, &id, 1, Some("app/1")).unwrap();
    assert_eq!(
        store
            .secret_get(&one, Some(&id), None, false, false)
            .unwrap(),
        map(&[("k", "v")])
    );
    let error = store.secret_info_get(&one, Some(&id), None).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("You must own secret 'secret:mine'"),
        "{error}"
    );
}

#[test]
fn ports_state_and_versions_are_per_unit() {
    let (mut store, zero, one) = two_units();
    store.open_port(&zero, ops::Port::tcp(8080)).unwrap();
    store.open_port(&zero, ops::Port::tcp(8080)).unwrap();
    store.open_port(&one, ops::Port::udp(53)).unwrap();
    assert_eq!(store.opened_ports(&zero), [ops::Port::tcp(8080)]);
    store.close_port(&zero, &ops::Port::tcp(8080)).unwrap();
    assert_eq!(store.opened_ports(&zero), []);
    assert_eq!(store.opened_ports(&one), [ops::Port::udp(53)]);

    store.state_set(&zero, &map(&[("a", "1"), ("b", "2")]));
    store.state_set(&zero, &map(&[("b", "")]));
    assert_eq!(store.state_get_all(&zero), map(&[("a", "1")]));
    assert_eq!(store.state_get(&one, "a"), None);
    store.state_delete(&zero, "a");
    assert_eq!(store.state_get(&zero, "a"), None);

    assert_eq!(store.application_version_set(&zero, "1.0"), "");
    assert_eq!(store.application_version_set(&zero, "1.1"), "1.0");
    assert_eq!(store.workload_version(&one), "");

    store.set_config("app", "port", Some(json!(8080)));
    assert_eq!(store.config_get(&one)["port"], json!(8080));
    store.set_config("app", "port", None);
    assert!(store.config_get(&one).is_empty());
}

#[test]
fn invalid_statuses_are_refused_with_jujus_message() {
    let (mut store, zero, _) = two_units();
    let error = store
        .status_set(&zero, ops::Status::Error("x".to_owned()), false)
        .unwrap_err();
    assert_eq!(
        hook_tool_stderr(&error),
        "ERROR invalid status \"error\", expected one of [active, blocked, maintenance, waiting]"
    );
}

fn rich_state() -> State {
    let db = Relation {
        interface: Some("pgsql".to_owned()),
        remote_app_name: "postgresql".to_owned(),
        limit: 2,
        local_app_data: map(&[("user", "me")]),
        remote_app_data: map(&[("host", "db")]),
        remote_units_data: [(0, map(&[("a", "0")])), (3, map(&[("a", "3")]))].into(),
        remote_model_uuid: Some("deadbeef".to_owned()),
        ..Relation::new("db")
    };
    let peers = PeerRelation {
        local_app_data: map(&[("leader", "app/2")]),
        peers_data: [(0, map(&[("p", "0")])), (5, map(&[]))].into(),
        ..PeerRelation::new("peers")
    };
    let logging = SubordinateRelation {
        remote_app_name: "principal".to_owned(),
        remote_unit_id: 4,
        remote_unit_data: map(&[("u", "4")]),
        remote_app_data: map(&[("x", "y")]),
        ..SubordinateRelation::new("juju-info")
    };
    let app_secret = Secret {
        owner: Some(SecretOwner::App),
        label: Some("app-label".to_owned()),
        description: Some("the app's".to_owned()),
        expire: Some("2030-01-01T00:00:00Z".to_owned()),
        rotate: Some(SecretRotate::Daily),
        latest_content: map(&[("pw", "new")]),
        latest_revision: 4,
        tracked_revision: 2,
        remote_grants: [(db.id, ["postgresql".to_owned()].into())].into(),
        ..Secret::new(map(&[("pw", "old")]))
    };
    let unit_secret = Secret {
        owner: Some(SecretOwner::Unit),
        ..Secret::new(map(&[("token", "t")]))
    };
    // Tracked and latest content differ at one revision: only a hand-built
    // State does that, and the store keeps it.
    let granted = Secret {
        label: Some("mine".to_owned()),
        latest_content: map(&[("a", "c")]),
        ..Secret::new(map(&[("a", "b")]))
    };
    State {
        config: [
            ("port".to_owned(), json!(8080)),
            ("debug".to_owned(), json!(true)),
        ]
        .into(),
        relations: vec![db.into(), peers.into(), logging.into()],
        networks: [("db".to_owned(), Network::default())].into(),
        leader: true,
        model: crate::state::Model {
            name: "rich".to_owned(),
            ..crate::state::Model::default()
        },
        secrets: vec![app_secret, unit_secret, granted],
        planned_units: 3,
        deferred: Vec::new(),
        stored_states: vec![StoredState::new(
            "_stored",
            [("n".to_owned(), json!(1))].into(),
        )],
        app_status: WaitingStatus::new("for db").into(),
        unit_status: MaintenanceStatus::new("busy").into(),
        workload_version: "1.2.3".to_owned(),
        opened_ports: [ops::Port::tcp(80), ops::Port::udp(53), ops::Port::icmp()].into(),
        // The store does not hold containers (Pebble does), so none round-trip here.
        containers: Vec::new(),
        storages: vec![crate::state::Storage::with_index("data", 0)],
        resources: vec![crate::state::Resource::new("blob", "/tmp/blob")],
    }
}

#[test]
fn a_state_survives_the_round_trip_through_the_store() {
    let state = rich_state();
    let actor = Actor::new("app", 2);
    let (store, extras) = ModelStore::from_state(state.clone(), &actor);
    // The store is plain serde data: JSON and back gives the same store.
    let text = serde_json::to_string(&store).unwrap();
    let read: ModelStore = serde_json::from_str(&text).unwrap();
    assert_eq!(read, store);
    pretty_assertions::assert_eq!(read.into_state(&actor, extras), state);
}

#[test]
fn a_follower_state_survives_the_round_trip_too() {
    let state = State {
        leader: false,
        ..rich_state()
    };
    let actor = Actor::new("app", 2);
    let (store, extras) = ModelStore::from_state(state.clone(), &actor);
    assert!(!store.is_leader(&actor));
    pretty_assertions::assert_eq!(store.into_state(&actor, extras), state);
}

#[test]
fn the_store_reads_the_state_as_the_unit_saw_it() {
    let state = rich_state();
    let db = state.relations[0].id();
    let actor = Actor::new("app", 2);
    let (mut store, _) = ModelStore::from_state(state, &actor);
    assert_eq!(
        store.relation_list(&actor, db).unwrap(),
        ["postgresql/0", "postgresql/3"]
    );
    assert_eq!(
        store
            .relation_get(&actor, db, "postgresql/3", false)
            .unwrap()["a"],
        "3"
    );
    assert_eq!(store.relation_model_get(&actor, db).unwrap(), "deadbeef");
    assert_eq!(
        store
            .secret_get(&actor, None, Some("app-label"), false, false)
            .unwrap(),
        map(&[("pw", "old")])
    );
    assert_eq!(
        store
            .secret_get(&actor, None, Some("mine"), false, false)
            .unwrap(),
        map(&[("a", "b")])
    );
    assert_eq!(store.opened_ports(&actor).len(), 3);
    assert_eq!(store.config_get(&actor)["port"], json!(8080));
}

#[test]
fn debug_output_shows_secret_keys_not_values() {
    let (store, _) = ModelStore::from_state(rich_state(), &Actor::new("app", 2));
    let debug = format!("{store:?}");
    assert!(debug.contains("\"pw\": <redacted>"), "{debug}");
    for value in ["\"old\"", "\"new\"", "\"t\""] {
        assert!(!debug.contains(value), "{value} leaked: {debug}");
    }
}

#[test]
fn old_juju_refuses_secrets_and_app_data() {
    let (store, zero, _) = two_units();
    let old = zero.clone().with_juju_version("2.9.44".parse().unwrap());
    let error = store.secret_ids(&old).unwrap_err();
    assert!(hook_tool_stderr(&error).contains("juju >= 3.0.2"));
    let older = zero.with_juju_version(JujuVersion::new(2, 6, 0));
    let error = store.relation_get(&older, 1, "app", true).unwrap_err();
    assert_eq!(
        hook_tool_stderr(&error),
        "ERROR application data needs juju >= 2.7.0"
    );
}

#[test]
fn actors_are_parsed_from_unit_names() {
    let actor = Actor::from_unit_name("my-app/12").unwrap();
    assert_eq!(
        (actor.app(), actor.unit_id(), actor.unit()),
        ("my-app", 12, "my-app/12")
    );
    assert_eq!(Actor::from_unit_name("my-app"), None);
    assert_eq!(Actor::from_unit_name("/1"), None);
    assert_eq!(Actor::from_unit_name("a/x"), None);
}

#[test]
fn many_relations_are_found_through_the_index() {
    let mut store = ModelStore::default();
    let actor = Actor::new("me", 0);
    for id in 1..=20 {
        let mut local = RelationSide::new("me", Some("db".to_owned()));
        local.units.insert(0, Databag::new());
        store.relations.push(RelationRecord {
            id,
            kind: RelationKind::Regular,
            interface: None,
            remote_model_uuid: None,
            sides: vec![local, RelationSide::new(format!("app{id}"), None)],
        });
    }
    for id in 1..=20 {
        assert_eq!(
            store.relation_remote_app_name(&actor, id).unwrap(),
            format!("app{id}")
        );
    }
    store.relations.retain(|r| r.id != 7);
    assert!(
        store
            .relation_list(&actor, 7)
            .unwrap_err()
            .is_relation_not_found()
    );
    assert_eq!(store.relation_remote_app_name(&actor, 8).unwrap(), "app8");
}

#[test]
fn a_secret_is_found_by_each_form_of_its_id() {
    let (mut store, leader, _) = two_units();
    store.model_uuid = "f00d".to_owned();
    let metadata = SecretMetadata::default();
    let content: ops::StringMap = map(&[("key", "v")]);
    let id = store
        .secret_add(
            &leader,
            || "secret:cvfake00000000000001".to_owned(),
            content.clone(),
            SecretOwner::App,
            &metadata,
        )
        .unwrap();
    // ops names a secret of this model `secret://<uuid>/<id>` after
    // `secret-info-get`; Juju takes every form.
    for form in [
        id.as_str(),
        "secret://f00d/cvfake00000000000001",
        "cvfake00000000000001",
    ] {
        let got = store.secret_get(&leader, Some(form), None, false, false);
        assert_eq!(got, Ok(content.clone()), "{form}");
    }
    let other_model = store.secret_get(
        &leader,
        Some("secret://beef/cvfake00000000000001"),
        None,
        false,
        false,
    );
    assert!(other_model.is_err());
}

#[test]
fn relation_get_shares_the_bag_and_a_write_copies_it_once() {
    let state = State {
        relations: vec![crate::Relation::new("db").into()],
        ..State::default()
    };
    let id = state.relations[0].id();
    let me = Actor::new("app", 0);
    let (mut store, _) = ModelStore::from_state(state.clone(), &me);
    let read = store.relation_get(&me, id, "app/0", false).unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&read, &state.relations[0].local_unit_data().to_shared()),
        "relation-get hands out the State's own bag, not a copy"
    );
    store
        .relation_set(&me, id, map(&[("k", "v")]), false)
        .unwrap();
    assert!(!read.contains_key("k"), "a bag once read never changes");
    assert!(!state.relations[0].local_unit_data().contains_key("k"));
    assert_eq!(
        store.relation_get(&me, id, "app/0", false).unwrap()["k"],
        "v"
    );
    // The remote bags were not written: still the State's own.
    let remote = store.relation_get(&me, id, "remote/0", false).unwrap();
    let input = state.relations[0].remote_unit_data(0).unwrap();
    assert!(std::sync::Arc::ptr_eq(&remote, &input.to_shared()));
}

// Ids pushed in order are found by binary search, others through the
// index; the remembered last hit must never hide a change of the list.
#[test]
fn relations_are_found_whether_their_ids_ascend_or_not() {
    let record = |id: ops::RelationId, app: &str| {
        let mut local = RelationSide::new("me", Some("db".to_owned()));
        local.units.insert(0, Databag::new());
        RelationRecord {
            id,
            kind: RelationKind::Regular,
            interface: None,
            remote_model_uuid: None,
            sides: vec![local, RelationSide::new(app, None)],
        }
    };
    let mut store = ModelStore::default();
    let actor = Actor::new("me", 0);
    let app = |store: &ModelStore, id| store.relation_remote_app_name(&actor, id).ok();
    for id in (10..=200).step_by(10) {
        store.relations.push(record(id, &format!("app{id}")));
    }
    assert_eq!(app(&store, 150).as_deref(), Some("app150"));
    assert_eq!(app(&store, 150).as_deref(), Some("app150"));
    assert_eq!(app(&store, 155), None);
    // Out of order, then an id twice: the first one with an id wins.
    store.relations.push(record(5, "app5"));
    store.relations.push(record(150, "second150"));
    assert_eq!(app(&store, 5).as_deref(), Some("app5"));
    assert_eq!(app(&store, 150).as_deref(), Some("app150"));
    store.relations.retain(|r| r.sides[1].app != "app150");
    assert_eq!(app(&store, 150).as_deref(), Some("second150"));
    assert_eq!(app(&store, 200).as_deref(), Some("app200"));
    let cloned = store.relations.clone();
    assert_eq!(cloned.get(5).map(|r| r.sides[1].app.as_str()), Some("app5"));
}
