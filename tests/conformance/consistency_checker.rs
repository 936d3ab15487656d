//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_consistency_checker.py>.
//!
//! The consistency check is not public here: it runs at the start of every
//! `Context::run`. "Consistent" means the run succeeds (with a charm that
//! does nothing), "inconsistent" means it fails with `Error::Inconsistent`
//! before the charm runs. Upstream's default Juju version for these checks
//! is 3.0, and its metadata may lack a `name` (ours needs one). Upstream's
//! custom event `bar` is `update_status` here (no custom events yet).

use crate::helpers::{Probe, catch_all};
use ops::CharmMeta;
use ops::event::EventKind;
use ops_testing::{
    AnyRelation, CharmEvents, Databag, Error, Event, PeerRelation, Relation, Resource, Secret,
    State, Storage, StoredState, SubordinateRelation,
};
use rstest::rstest;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How to run a check: Juju version and unit id.
struct Setup {
    juju_version: &'static str,
    unit_id: u32,
}

const DEFAULT: Setup = Setup {
    juju_version: "3.0",
    unit_id: 0,
};

fn run(
    meta_yaml: &str,
    setup: &Setup,
    state: &State,
    event: impl FnOnce(&CharmEvents) -> Event,
) -> Result<State, Error> {
    let probe = Probe::default();
    let mut ctx = catch_all(meta_yaml, &probe)
        .juju_version(setup.juju_version)
        .unit_id(setup.unit_id);
    let event = event(&ctx.on);
    let result = ctx.run(event, state);
    // Nothing of the charm runs for an inconsistent scenario.
    if matches!(result, Err(Error::Inconsistent { .. })) {
        assert!(probe.seen.borrow().is_empty());
    }
    result
}

#[track_caller]
fn assert_consistent(
    meta_yaml: &str,
    setup: &Setup,
    state: &State,
    event: impl FnOnce(&CharmEvents) -> Event,
) {
    if let Err(err) = run(meta_yaml, setup, state, event) {
        panic!("expected a consistent scenario, got: {err}");
    }
}

/// The problems an inconsistent scenario reports; fails the test otherwise.
#[track_caller]
fn problems(
    meta_yaml: &str,
    setup: &Setup,
    state: &State,
    event: impl FnOnce(&CharmEvents) -> Event,
) -> Vec<String> {
    match run(meta_yaml, setup, state, event) {
        Err(Error::Inconsistent { problems }) => problems.iter().map(ToString::to_string).collect(),
        other => panic!("expected an inconsistent scenario, got {other:?}"),
    }
}

/// `event` with its public `name` changed, as upstream's `_Event(name, ...)`
/// builds an event under any name.
fn renamed(mut event: Event, name: &str) -> Event {
    event.name = name.to_owned();
    event
}

#[track_caller]
fn assert_inconsistent(
    meta_yaml: &str,
    setup: &Setup,
    state: &State,
    event: impl FnOnce(&CharmEvents) -> Event,
) {
    match run(meta_yaml, setup, state, event) {
        Err(Error::Inconsistent { .. }) => {}
        other => panic!("expected an inconsistent scenario, got {other:?}"),
    }
}

fn config(value: Value) -> ops_testing::Config {
    serde_json::from_value(value).unwrap()
}

fn with_config(value: Value) -> State {
    State {
        config: config(value),
        ..State::default()
    }
}

fn with_relations(relations: Vec<AnyRelation>) -> State {
    State {
        relations,
        ..State::default()
    }
}

fn relation_event(on: &CharmEvents, suffix: &str, relation: &Relation) -> Event {
    crate::helpers::relation_event(on, suffix, relation)
}

#[test]
fn test_base() {
    assert_consistent("name: x", &DEFAULT, &State::default(), |on| {
        on.update_status()
    });
}

// `ctx.on` names a relation event after its relation; upstream's `foo`
// event carrying relation `bar` is built by renaming one (`Event::name` is
// a public field), and the check refuses the mismatch.
#[rstest]
fn test_evt_bad_relation_name(
    #[values("broken", "changed", "created", "departed", "joined")] suffix: &str,
) {
    let found = problems(
        "name: x\nrequires:\n  foo: {interface: xxx}\n",
        &DEFAULT,
        &State::default(),
        |on| {
            renamed(
                relation_event(on, suffix, &Relation::new("bar")),
                &format!("foo_relation_{suffix}"),
            )
        },
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("the name does not match the event")),
        "{found:?}"
    );
    let relation = Relation::new("bar");
    assert_consistent(
        "name: x\nrequires:\n  bar: {interface: xxx}\n",
        &DEFAULT,
        &with_relations(vec![relation.clone().into()]),
        |on| relation_event(on, suffix, &relation),
    );
}

// `ctx.on`'s relation events always carry their relation; upstream's
// relation event without one is built by giving a plain event a relation
// kind and name (`Event::kind` and `Event::name` are public fields).
#[rstest]
fn test_evt_no_relation(
    #[values("broken", "changed", "created", "departed", "joined")] suffix: &str,
) {
    let name = format!("foo_relation_{suffix}");
    let found = problems("name: x", &DEFAULT, &State::default(), |on| {
        let mut event = renamed(on.start(), &name);
        event.kind = EventKind::parse_ops_name(&name).unwrap().0;
        event
    });
    assert!(
        found.iter().any(|p| p.contains("does not carry")),
        "{found:?}"
    );
    let relation = Relation::new("bar");
    assert_consistent(
        "name: x\nrequires:\n  bar: {interface: xxx}\n",
        &DEFAULT,
        &with_relations(vec![relation.clone().into()]),
        |on| relation_event(on, suffix, &relation),
    );
}

#[test]
fn test_config_key_missing_from_meta() {
    assert_inconsistent(
        "name: x",
        &DEFAULT,
        &with_config(json!({"foo": true})),
        |on| on.update_status(),
    );
    assert_consistent(
        "name: x\nconfig:\n  options:\n    foo: {type: boolean}\n",
        &DEFAULT,
        &with_config(json!({"foo": true})),
        |on| on.update_status(),
    );
}

#[test]
fn test_bad_config_option_type() {
    assert_inconsistent(
        "name: x\nconfig:\n  options:\n    foo: {type: string}\n",
        &DEFAULT,
        &with_config(json!({"foo": true})),
        |on| on.update_status(),
    );
    assert_inconsistent(
        "name: x\nconfig:\n  options:\n    foo: {}\n",
        &DEFAULT,
        &with_config(json!({"foo": true})),
        |on| on.update_status(),
    );
    assert_consistent(
        "name: x\nconfig:\n  options:\n    foo: {type: boolean}\n",
        &DEFAULT,
        &with_config(json!({"foo": true})),
        |on| on.update_status(),
    );
}

fn option_of_type(type_name: &str) -> String {
    format!("name: x\nconfig:\n  options:\n    foo: {{type: {type_name}}}\n")
}

#[rstest]
#[case::string("string", json!("foo"), json!(1))]
#[case::int("int", json!(1), json!("1"))]
#[case::float("float", json!(1.0), json!(1))]
#[case::boolean("boolean", json!(false), json!("foo"))]
fn test_config_types(#[case] type_name: &str, #[case] valid: Value, #[case] invalid: Value) {
    assert_consistent(
        &option_of_type(type_name),
        &DEFAULT,
        &with_config(json!({"foo": valid})),
        |on| on.update_status(),
    );
    assert_inconsistent(
        &option_of_type(type_name),
        &DEFAULT,
        &with_config(json!({"foo": invalid})),
        |on| on.update_status(),
    );
}

// Upstream checks the invalid values at its default Juju 3.0, where the
// `secret` type is unknown anyway; here they are checked at the Juju version
// that knows the type, so the value rule itself is what refuses them.
#[rstest]
fn test_config_secret(#[values("3.4", "3.5", "4.0")] juju_version: &'static str) {
    let setup = Setup {
        juju_version,
        unit_id: 0,
    };
    let meta_yaml = option_of_type("secret");
    assert_consistent(
        &meta_yaml,
        &setup,
        &with_config(json!({"foo": "secret:co28kefmp25c77utl3n0"})),
        |on| on.update_status(),
    );
    for bad in [
        json!(1),
        json!("co28kefmp25c77utl3n0"),
        json!("secret:secret"),
        json!("secret:co28kefmp25c77utl3n!"),
    ] {
        assert_inconsistent(
            &meta_yaml,
            &setup,
            &with_config(json!({"foo": bad})),
            |on| on.update_status(),
        );
    }
}

#[rstest]
fn test_config_secret_old_juju(#[values("2.9", "3.3")] juju_version: &'static str) {
    assert_inconsistent(
        &option_of_type("secret"),
        &Setup {
            juju_version,
            unit_id: 0,
        },
        &with_config(json!({"foo": "secret:co28kefmp25c77utl3n0"})),
        |on| on.update_status(),
    );
}

// Skipped upstream ("the right exception is raised but pytest.raises doesn't
// catch it"). Its secret-event assertions hold here; its first assertion
// (secrets in the state with a non-secret event) is not a rule upstream
// either: the Juju-version rule applies to secret events only.
#[rstest]
fn test_secrets_jujuv_bad(
    #[values("1.0", "0", "1.2", "2.35.42", "2.99.99", "2.99")] bad_v: &'static str,
) {
    let setup = Setup {
        juju_version: bad_v,
        unit_id: 0,
    };
    let secret = Secret::new([("a".to_owned(), "b".to_owned())].into());
    assert_inconsistent(
        "name: x",
        &setup,
        &State {
            secrets: vec![secret.clone()],
            ..State::default()
        },
        |on| on.secret_changed(&secret),
    );
    assert_inconsistent("name: x", &setup, &State::default(), |on| {
        on.secret_changed(&secret)
    });
}

#[rstest]
fn test_secrets_jujuv_good(#[values("3.0", "3.1", "3", "3.33", "4", "100")] good_v: &'static str) {
    assert_consistent(
        "name: x",
        &Setup {
            juju_version: good_v,
            unit_id: 0,
        },
        &State {
            secrets: vec![Secret::new([("a".to_owned(), "b".to_owned())].into())],
            ..State::default()
        },
        |on| on.update_status(),
    );
}

#[test]
fn test_secret_not_in_state() {
    let secret = Secret::new([("a".to_owned(), "b".to_owned())].into());
    assert_inconsistent("name: x", &DEFAULT, &State::default(), |on| {
        on.secret_changed(&secret)
    });
    assert_consistent(
        "name: x",
        &DEFAULT,
        &State {
            secrets: vec![secret.clone()],
            ..State::default()
        },
        |on| on.secret_changed(&secret),
    );
}

#[test]
fn test_peer_relation_consistency() {
    let meta_yaml = "name: x\npeers:\n  foo: {interface: bar}\n";
    assert_inconsistent(
        meta_yaml,
        &DEFAULT,
        &with_relations(vec![Relation::new("foo").into()]),
        |on| on.update_status(),
    );
    assert_consistent(
        meta_yaml,
        &DEFAULT,
        &with_relations(vec![PeerRelation::new("foo").into()]),
        |on| on.update_status(),
    );
}

// Duplicate endpoints are refused when the metadata is loaded, before any
// Context exists (upstream: by the consistency check).
#[test]
fn test_duplicate_endpoints_inconsistent() {
    let err = CharmMeta::from_yaml(
        "name: x\nrequires:\n  foo: {interface: bar}\nprovides:\n  foo: {interface: baz}\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("\"foo\""), "{err}");
}

#[test]
fn test_sub_relation_consistency() {
    let meta_yaml = "name: x\nrequires:\n  foo: {interface: bar, scope: container}\n";
    assert_inconsistent(
        meta_yaml,
        &DEFAULT,
        &with_relations(vec![Relation::new("foo").into()]),
        |on| on.update_status(),
    );
    assert_consistent(
        meta_yaml,
        &DEFAULT,
        &with_relations(vec![SubordinateRelation::new("foo").into()]),
        |on| on.update_status(),
    );
}

#[test]
fn test_relation_sub_inconsistent() {
    assert_inconsistent(
        "name: x\nrequires:\n  foo: {interface: bar}\n",
        &DEFAULT,
        &with_relations(vec![SubordinateRelation::new("foo").into()]),
        |on| on.update_status(),
    );
}

const FOO_REQUIRED: &str = "name: x\nrequires:\n  foo: {interface: bar}\n";

#[test]
fn test_relation_not_in_state() {
    let relation = Relation::new("foo");
    assert_inconsistent(FOO_REQUIRED, &DEFAULT, &State::default(), |on| {
        on.relation_changed(&relation)
    });
    assert_consistent(
        FOO_REQUIRED,
        &DEFAULT,
        &with_relations(vec![relation.clone().into()]),
        |on| on.relation_changed(&relation),
    );
}

#[test]
fn test_relation_changed_remote_unit_zero_is_explicit() {
    let relation = Relation {
        remote_units_data: [(0, Databag::new())].into(),
        ..Relation::new("foo")
    };
    assert_consistent(
        FOO_REQUIRED,
        &DEFAULT,
        &with_relations(vec![relation.clone().into()]),
        |on| on.relation_changed(&relation).remote_unit(0),
    );
    // Unit 0 given explicitly counts even when the relation lists no units.
    let no_units = Relation {
        remote_units_data: BTreeMap::new(),
        ..Relation::new("foo")
    };
    assert_consistent(
        FOO_REQUIRED,
        &DEFAULT,
        &with_relations(vec![no_units.clone().into()]),
        |on| on.relation_changed(&no_units).remote_unit(0),
    );
}

#[test]
fn test_relation_changed_without_available_remote_unit_is_inconsistent() {
    let relation = Relation {
        remote_units_data: BTreeMap::new(),
        ..Relation::new("foo")
    };
    assert_inconsistent(
        FOO_REQUIRED,
        &DEFAULT,
        &with_relations(vec![relation.clone().into()]),
        |on| on.relation_changed(&relation),
    );
}

#[test]
fn test_action_not_in_meta_inconsistent() {
    assert_inconsistent("name: x", &DEFAULT, &State::default(), |on| {
        on.action("foo").params(json!({"bar": "baz"}))
    });
}

#[test]
fn test_action_meta_type_inconsistent() {
    for actions in [
        "foo:\n    params:\n      bar: {type: zabazaba}\n",
        "foo:\n    params:\n      bar: {}\n",
        "foo:\n",
    ] {
        assert_inconsistent(
            &format!("name: x\nactions:\n  {actions}"),
            &DEFAULT,
            &State::default(),
            |on| on.action("foo").params(json!({"bar": "baz"})),
        );
    }
}

// Upstream's third case, event `box_action` carrying action `foo`, is an
// action event renamed (`Event::name` is a public field).
#[test]
fn test_action_name() {
    assert_consistent(
        "name: x\nactions:\n  foo:\n    params:\n      bar: {type: string}\n",
        &DEFAULT,
        &State::default(),
        |on| on.action("foo").params(json!({"bar": "baz"})),
    );
    assert_consistent(
        "name: x\nactions:\n  foo:\n",
        &DEFAULT,
        &State::default(),
        |on| on.action("foo").params(json!({})),
    );
    let found = problems(
        "name: x\nactions:\n  foo: {}\n",
        &DEFAULT,
        &State::default(),
        |on| renamed(on.action("foo").params(json!({"bar": "baz"})), "box_action"),
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("the name does not match the event")),
        "{found:?}"
    );
}

#[rstest]
#[case::string("string", json!("baz"), None)]
#[case::boolean("boolean", json!(true), Some(json!("baz")))]
#[case::integer("integer", json!(42), Some(json!(1.5)))]
#[case::number("number", json!(28.8), Some(json!("baz")))]
// A string is an acceptable array.
#[case::array("array", json!(["a", "b", "c"]), Some(json!(1.5)))]
#[case::object("object", json!({"k": "v"}), Some(json!("baz")))]
fn test_action_params_type(#[case] ptype: &str, #[case] good: Value, #[case] bad: Option<Value>) {
    let meta_yaml =
        format!("name: x\nactions:\n  foo:\n    params:\n      bar: {{type: {ptype}}}\n");
    assert_consistent(&meta_yaml, &DEFAULT, &State::default(), |on| {
        on.action("foo").params(json!({"bar": good}))
    });
    if let Some(bad) = bad {
        assert_inconsistent(&meta_yaml, &DEFAULT, &State::default(), |on| {
            on.action("foo").params(json!({"bar": bad}))
        });
    }
}

fn relation_with_id(endpoint: &str, id: u32) -> AnyRelation {
    Relation {
        id,
        ..Relation::new(endpoint)
    }
    .into()
}

#[test]
fn test_duplicate_relation_ids() {
    assert_inconsistent(
        "name: x\nrequires:\n  foo: {interface: foo}\n  bar: {interface: bar}\n",
        &DEFAULT,
        &with_relations(vec![relation_with_id("foo", 1), relation_with_id("bar", 1)]),
        |on| on.start(),
    );
}

#[test]
fn test_relation_without_endpoint() {
    assert_inconsistent(
        "name: charlemagne",
        &DEFAULT,
        &with_relations(vec![relation_with_id("foo", 1), relation_with_id("bar", 1)]),
        |on| on.start(),
    );
    assert_consistent(
        "name: x\nrequires:\n  foo: {interface: foo}\n  bar: {interface: bar}\n",
        &DEFAULT,
        &with_relations(vec![relation_with_id("foo", 1), relation_with_id("bar", 2)]),
        |on| on.start(),
    );
}

// E16: upstream's `_Event('foo-storage-attached')` without a storage.
// `ctx.on.storage_attached` always takes one, so the port gives a plain
// event the storage-attached kind and name: refused whatever the metadata.
#[test]
fn test_storage_event() {
    let storage = Storage::new("foo");
    let state = State {
        storages: vec![storage.clone()],
        ..State::default()
    };
    let without_storage = |on: &CharmEvents| {
        let mut event = renamed(on.start(), "foo_storage_attached");
        event.kind = EventKind::StorageAttached;
        event
    };
    assert_inconsistent("name: rupert\n", &DEFAULT, &state, without_storage);
    assert_inconsistent(
        "name: rupert\nstorage: {foo: {type: filesystem}}\n",
        &DEFAULT,
        &state,
        without_storage,
    );
}

#[test]
fn test_storage_states() {
    let storage1 = Storage::with_index("foo", 1);
    let storage2 = Storage::with_index("foo", 1);
    let found = problems(
        "name: everett\n",
        &DEFAULT,
        &State {
            storages: vec![storage1.clone(), storage2.clone()],
            ..State::default()
        },
        CharmEvents::start,
    );
    // T1 (not declared) for each, and T2 (the same name and index twice).
    assert!(
        found
            .iter()
            .any(|p| p.contains("not declared under `storage`")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.contains("same name and index")),
        "{found:?}"
    );
    assert_consistent(
        "name: frank\nstorage: {foo: {type: filesystem}}\n",
        &DEFAULT,
        &State {
            storages: vec![
                storage1.clone(),
                Storage {
                    index: 2,
                    ..storage2.clone()
                },
            ],
            ..State::default()
        },
        CharmEvents::start,
    );
    assert_consistent(
        "name: engels\nstorage: {foo: {type: filesystem}, marx: {type: filesystem}}\n",
        &DEFAULT,
        &State {
            storages: vec![
                storage1,
                Storage {
                    name: "marx".to_owned(),
                    ..storage2
                },
            ],
            ..State::default()
        },
        CharmEvents::start,
    );
}

#[test]
fn test_storage_not_in_state() {
    let storage = Storage::new("foo");
    let meta = "name: sam\nstorage: {foo: {type: filesystem}}\n";
    assert_inconsistent(meta, &DEFAULT, &State::default(), |on| {
        on.storage_attached(&storage)
    });
    assert_consistent(
        meta,
        &DEFAULT,
        &State {
            storages: vec![storage.clone()],
            ..State::default()
        },
        |on| on.storage_attached(&storage),
    );
}

#[test]
fn test_resource_states() {
    let meta = "name: yamlman\nresources: {foo: {type: oci-image}}\n";
    // A declared resource in the State: fine.
    assert_consistent(
        meta,
        &DEFAULT,
        &State {
            resources: vec![Resource::new("foo", "/foo/bar.yaml")],
            ..State::default()
        },
        CharmEvents::start,
    );
    // Declared resources missing from the State: fine.
    assert_consistent(meta, &DEFAULT, &State::default(), CharmEvents::start);
    // R1: a State resource the metadata does not declare.
    let undeclared = State {
        resources: vec![Resource::new("bar", "/foo/bar.yaml")],
        ..State::default()
    };
    assert_inconsistent(meta, &DEFAULT, &undeclared, CharmEvents::start);
    assert_inconsistent("name: yamlman\n", &DEFAULT, &undeclared, CharmEvents::start);
}

#[test]
fn test_networks_consistency() {
    let networks = State {
        networks: [("foo".to_owned(), ops::Network::default())].into(),
        ..State::default()
    };
    assert_inconsistent("name: wonky", &DEFAULT, &networks, |on| on.start());
    assert_inconsistent(
        "name: pinky\nextra-bindings:\n  foo: {}\nrequires:\n  foo: {interface: bar}\n",
        &DEFAULT,
        &networks,
        |on| on.start(),
    );
    assert_consistent(
        "name: pinky\nextra-bindings:\n  foo: {}\nrequires:\n  bar: {interface: bar}\n",
        &DEFAULT,
        &networks,
        |on| on.start(),
    );
}

// Stored-state content is JSON (`serde_json::Value`), so content that cannot
// be stored (upstream's second half: a Secret object) cannot be built.
#[test]
fn test_storedstate_consistency() {
    let content =
        |value: Value| -> BTreeMap<String, Value> { serde_json::from_value(value).unwrap() };
    assert_consistent(
        "name: foo",
        &DEFAULT,
        &State {
            stored_states: vec![
                StoredState::new("_stored", content(json!({"foo": "bar"}))),
                StoredState::new("my_stored_state", content(json!({"foo": 1}))),
                StoredState {
                    owner_path: Some("MyCharmLib".into()),
                    ..StoredState::new("_stored", content(json!({"foo": null})))
                },
                StoredState {
                    owner_path: Some("OtherCharmLib".into()),
                    ..StoredState::new("_stored", content(json!({"foo": [1, 2, 3]})))
                },
            ],
            ..State::default()
        },
        |on| on.start(),
    );
}

#[rstest]
fn test_own_unit_in_peers_data_consistency(#[values(0, 1, 42)] unit_id: u32) {
    let setup = Setup {
        juju_version: DEFAULT.juju_version,
        unit_id,
    };
    let meta_yaml = "name: x\npeers:\n  foo: {interface: bar}\n";
    let data = |v: &str| -> Databag { [("foo".to_owned(), v.to_owned())].into() };
    assert_consistent(
        meta_yaml,
        &setup,
        &with_relations(vec![
            PeerRelation {
                peers_data: [(unit_id + 1, data("bar"))].into(),
                ..PeerRelation::new("foo")
            }
            .into(),
        ]),
        |on| on.start(),
    );
    assert_inconsistent(
        meta_yaml,
        &setup,
        &with_relations(vec![
            PeerRelation {
                peers_data: [(unit_id, data("bar")), (unit_id + 1, data("baz"))].into(),
                ..PeerRelation::new("foo")
            }
            .into(),
        ]),
        |on| on.start(),
    );
}

#[test]
fn test_cloudspec_consistency() {
    let cloud_spec = ops::CloudSpec {
        name: "localhost".into(),
        kind: "lxd".into(),
        endpoint: Some("https://127.0.0.1:8443".into()),
        credential: Some(ops::CloudCredential {
            auth_type: "clientcertificate".into(),
            attributes: [
                ("client-cert", "foo"),
                ("client-key", "bar"),
                ("server-cert", "baz"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            redacted: vec![],
        }),
        ..ops::CloudSpec::default()
    };
    let model = |name: &str, kind| State {
        model: ops_testing::Model {
            name: name.into(),
            kind,
            cloud_spec: Some(cloud_spec.clone()),
            ..ops_testing::Model::default()
        },
        ..State::default()
    };
    assert_consistent(
        "name: MyVMCharm",
        &DEFAULT,
        &model("lxd-model", ops_testing::ModelType::Lxd),
        |on| on.start(),
    );
    assert_inconsistent(
        "name: MyK8sCharm",
        &DEFAULT,
        &model("k8s-model", ops_testing::ModelType::Kubernetes),
        |on| on.start(),
    );
    // Not upstream: from Juju 3.6.10 on, Kubernetes charms get their cloud spec.
    let new_juju = Setup {
        juju_version: "3.6.10",
        unit_id: 0,
    };
    assert_consistent(
        "name: MyK8sCharm",
        &new_juju,
        &model("k8s-model", ops_testing::ModelType::Kubernetes),
        |on| on.start(),
    );
}

fn with_containers(containers: Vec<ops_testing::Container>) -> State {
    State {
        containers,
        ..State::default()
    }
}

const META_FOO_CONTAINER: &str = "name: x\ncontainers: {foo: {}}";

#[test]
fn test_workload_event_without_container() {
    use ops_testing::{Container, Notice};
    assert_inconsistent("name: x", &DEFAULT, &State::default(), |on| {
        on.pebble_ready(&Container::new("foo"))
    });
    assert_consistent(
        META_FOO_CONTAINER,
        &DEFAULT,
        &with_containers(vec![Container::new("foo")]),
        |on| on.pebble_ready(&Container::new("foo")),
    );
    let notice = Notice::new("example.com/foo");
    assert_inconsistent("name: x", &DEFAULT, &State::default(), |on| {
        on.pebble_custom_notice(&Container::new("foo"), &notice)
    });
    let container = Container::new("foo").notice(notice.clone());
    assert_consistent(
        META_FOO_CONTAINER,
        &DEFAULT,
        &with_containers(vec![container.clone()]),
        |on| on.pebble_custom_notice(&container, &notice),
    );
    let container = Container::new("foo");
    assert_inconsistent(
        META_FOO_CONTAINER,
        &DEFAULT,
        &with_containers(vec![container.clone()]),
        |on| on.pebble_custom_notice(&container, &notice),
    );
}

#[rstest]
fn test_check_info_container_matches_event(#[values("failed", "recovered")] which: &str) {
    use ops_testing::{CheckInfo, Container};
    let check = CheckInfo::new("http-check").threshold(Some(3));
    let layer =
        ops::pebble::Layer::from_yaml("checks: {http-check: {override: replace, threshold: 3}}")
            .unwrap();
    let event = |on: &CharmEvents, container: &Container| match which {
        "failed" => on.pebble_check_failed(container, &check),
        _ => on.pebble_check_recovered(container, &check),
    };
    let container = Container::new("foo")
        .check_info(check.clone())
        .layer("base", layer.clone());
    assert_consistent(
        META_FOO_CONTAINER,
        &DEFAULT,
        &with_containers(vec![container.clone()]),
        |on| event(on, &container),
    );
    // The check used in the event is missing from the input state.
    let container = Container::new("foo").layer("base", layer.clone());
    assert_inconsistent(
        META_FOO_CONTAINER,
        &DEFAULT,
        &with_containers(vec![container.clone()]),
        |on| event(on, &container),
    );
    // The check is in the wrong container.
    let bar = Container::new("bar");
    assert_inconsistent(
        "name: x\ncontainers: {foo: {}, bar: {}}",
        &DEFAULT,
        &with_containers(vec![
            Container::new("foo").check_info(check.clone()),
            bar.clone(),
        ]),
        |on| event(on, &bar),
    );
    // The container name contains a hyphen.
    let container = Container::new("foo-bar")
        .check_info(check.clone())
        .layer("base", layer.clone());
    assert_consistent(
        "name: x\ncontainers: {foo-bar: {}}",
        &DEFAULT,
        &with_containers(vec![container.clone()]),
        |on| event(on, &container),
    );
}

#[test]
fn test_container_meta_mismatch() {
    use ops_testing::Container;
    let state = with_containers(vec![Container::new("bar")]);
    assert_inconsistent("name: x\ncontainers: {baz: {}}", &DEFAULT, &state, |on| {
        on.update_status()
    });
    assert_consistent("name: x\ncontainers: {bar: {}}", &DEFAULT, &state, |on| {
        on.update_status()
    });
}

#[test]
fn test_container_in_state_but_no_container_in_meta() {
    use ops_testing::Container;
    let state = with_containers(vec![Container::new("bar")]);
    assert_inconsistent("name: x", &DEFAULT, &state, |on| on.update_status());
    assert_consistent("name: x\ncontainers: {bar: {}}", &DEFAULT, &state, |on| {
        on.update_status()
    });
}

#[test]
fn test_container_not_in_state() {
    use ops_testing::Container;
    let container = Container::new("bar");
    let meta = "name: x\ncontainers: {bar: {}}";
    assert_inconsistent(meta, &DEFAULT, &State::default(), |on| {
        on.pebble_ready(&container)
    });
    assert_consistent(
        meta,
        &DEFAULT,
        &with_containers(vec![container.clone()]),
        |on| on.pebble_ready(&container),
    );
}

// Upstream's `foo-pebble-ready` event carrying container `bar` is built by
// renaming a `bar` one.
#[test]
fn test_evt_bad_container_name() {
    use ops_testing::Container;
    let problems = problems("name: x", &DEFAULT, &State::default(), |on| {
        renamed(on.pebble_ready(&Container::new("bar")), "foo_pebble_ready")
    });
    assert!(
        problems.iter().any(|p| p.contains("name does not match")),
        "{problems:?}"
    );
    assert_consistent(
        "name: x\ncontainers: {bar: {}}",
        &DEFAULT,
        &with_containers(vec![Container::new("bar")]),
        |on| on.pebble_ready(&Container::new("bar")),
    );
}

#[rstest]
#[case::matching(
    ops::pebble::CheckLevel::Ready,
    ops::pebble::CheckStartup::Disabled,
    42,
    "chk1",
    true
)]
#[case::level_unset(None, ops::pebble::CheckStartup::Disabled, 42, "chk1", false)]
#[case::startup_enabled(
    ops::pebble::CheckLevel::Ready,
    ops::pebble::CheckStartup::Enabled,
    42,
    "chk1",
    false
)]
#[case::default_threshold(
    ops::pebble::CheckLevel::Ready,
    ops::pebble::CheckStartup::Disabled,
    3,
    "chk1",
    false
)]
#[case::other_check(None, ops::pebble::CheckStartup::Enabled, 3, "chk2", false)]
fn test_checkinfo_matches_layer(
    #[case] level: impl Into<Option<ops::pebble::CheckLevel>>,
    #[case] startup: ops::pebble::CheckStartup,
    #[case] threshold: u32,
    #[case] name: &str,
    #[case] consistent: bool,
) {
    use ops_testing::{CheckInfo, Container};
    let layer = ops::pebble::Layer::from_yaml(
        "checks: {chk1: {override: replace, level: ready, startup: disabled, threshold: 42, \
         http: {url: 'http://localhost:5000/version'}}}",
    )
    .unwrap();
    let mut check = CheckInfo::new(name)
        .startup(startup)
        .threshold(Some(threshold));
    check.level = level.into();
    let container = Container::new("foo").check_info(check).layer("base", layer);
    let state = with_containers(vec![container.clone()]);
    if consistent {
        assert_consistent(META_FOO_CONTAINER, &DEFAULT, &state, |on| {
            on.pebble_ready(&container)
        });
    } else {
        assert_inconsistent(META_FOO_CONTAINER, &DEFAULT, &state, |on| {
            on.pebble_ready(&container)
        });
    }
}

#[test]
fn test_checkinfo_matches_layer_with_defaults() {
    use ops_testing::{CheckInfo, Container};
    // Pebble fills in default values for attributes the plan omits, so a
    // CheckInfo reporting the Pebble defaults must be considered consistent
    // with a layer that does not specify them.
    let layer =
        ops::pebble::Layer::from_yaml("checks: {chk1: {override: replace, exec: {command: echo}}}")
            .unwrap();
    let check = CheckInfo::new("chk1")
        .startup(ops::pebble::CheckStartup::Enabled)
        .threshold(Some(3));
    let container = Container::new("foo").check_info(check).layer("base", layer);
    assert_consistent(
        META_FOO_CONTAINER,
        &DEFAULT,
        &with_containers(vec![container.clone()]),
        |on| on.pebble_ready(&container),
    );
}

// Rules of the checker that upstream's suite does not test on their own.
// Upstream only logs a warning for E7 and L9; the harness has no warning
// channel, so the property checked is that the scenario stays consistent
// and the charm runs.

#[test]
fn test_workload_event_on_unconnectable_container_is_consistent() {
    // E7: the container cannot connect; the event still runs.
    let container = ops_testing::Container::new("foo");
    assert!(!container.can_connect);
    assert_consistent(
        META_FOO_CONTAINER,
        &DEFAULT,
        &State {
            containers: vec![container.clone()],
            ..State::default()
        },
        |on| on.pebble_ready(&container),
    );
}

#[test]
fn test_relation_changed_without_remote_unit_is_consistent_with_units() {
    // L9: no remote unit given, and the relation has one or several.
    for units in [vec![0], vec![0, 1, 2]] {
        let relation = Relation {
            remote_units_data: units.into_iter().map(|id| (id, Databag::new())).collect(),
            ..Relation::new("foo")
        };
        assert_consistent(
            FOO_REQUIRED,
            &DEFAULT,
            &with_relations(vec![relation.clone().into()]),
            |on| on.relation_changed(&relation),
        );
    }
}

#[test]
fn test_exec_duplicate_command_prefix_inconsistent() {
    // E8: two exec mocks of the event's container share a command prefix.
    let twice = ops_testing::Container::new("foo")
        .can_connect(true)
        .exec(ops_testing::Exec::new(["ls", "-l"]))
        .exec(ops_testing::Exec::new(["ls", "-l"]).return_code(1));
    let found = problems(
        META_FOO_CONTAINER,
        &DEFAULT,
        &State {
            containers: vec![twice.clone()],
            ..State::default()
        },
        |on| on.pebble_ready(&twice),
    );
    assert!(
        found.iter().any(|p| p.contains("command prefix")),
        "{found:?}"
    );
    // Different prefixes are fine.
    let distinct = ops_testing::Container::new("foo")
        .can_connect(true)
        .exec(ops_testing::Exec::new(["ls", "-l"]))
        .exec(ops_testing::Exec::new(["ls"]));
    assert_consistent(
        META_FOO_CONTAINER,
        &DEFAULT,
        &State {
            containers: vec![distinct.clone()],
            ..State::default()
        },
        |on| on.pebble_ready(&distinct),
    );
}
