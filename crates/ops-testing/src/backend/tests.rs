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
