//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_state.py>.
//!
//! State objects are plain Rust data: constructors own their arguments
//! (no aliasing to copy away), fields have concrete types (no normalising),
//! and `Context::run` borrows its input and returns a new State. The
//! upstream tests of those Python mechanics are compile-time guarantees
//! here; what remains are the behaviours.

use crate::helpers::{CatchAll, Probe, is, meta, op, state_delta, trigger};
use ops::{
    ActiveStatus, CollectStatusEvent, Framework, HandlerResult, Model, ModelError, Port,
    SecretOwner, SecretQuery, StartEvent, UnknownStatus, WaitingStatus, on,
};
use ops_testing::{
    AnyRelation, Context, Databag, Error, Model as ModelState, PeerRelation, Relation, Secret,
    State, StoredState, SubordinateRelation, TcpPort, default_unit_databag,
};
use pretty_assertions::assert_eq;
use rstest::rstest;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

const META: &str = "name: foo\nconfig:\n  options:\n    foo: {type: string}\n";

fn state() -> State {
    State {
        config: [("foo".to_owned(), json!("bar"))].into(),
        leader: true,
        ..State::default()
    }
}

fn bag(pairs: &[(&str, &str)]) -> Databag {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn test_bare_event() {
    let state = state();
    let probe = Probe::default();
    let out = trigger(&state, |on| on.start(), META, &probe).unwrap();
    let out_purged = State {
        stored_states: state.stored_states.clone(),
        ..out
    };
    assert!(state_delta(&state, &out_purged).is_empty());
    assert_eq!(probe.seen.borrow()[0], "StartEvent");
}

#[test]
fn test_leader_get() {
    let probe = Probe {
        pre_event: Some(Rc::new(|model: &Model| {
            assert!(model.unit().is_leader()?);
            Ok(())
        })),
        ..Probe::default()
    };
    trigger(&state(), |on| on.start(), META, &probe).unwrap();
}

#[test]
fn test_status_setting() {
    let state = state();
    let probe = Probe::calling(|model, event| {
        if is::<CollectStatusEvent>(event) {
            return Ok(());
        }
        assert_eq!(model.unit().status()?, UnknownStatus);
        model.unit().set_status(ActiveStatus::new("foo test"))?;
        model.app().set_status(WaitingStatus::new("foo barz"))?;
        Ok(())
    });
    let out = trigger(&state, |on| on.start(), META, &probe).unwrap();
    assert_eq!(out.unit_status, ActiveStatus::new("foo test"));
    assert_eq!(out.app_status, WaitingStatus::new("foo barz"));
    assert_eq!(out.workload_version, "");

    // ignore stored state in the delta
    let out_purged = State {
        stored_states: state.stored_states.clone(),
        ..out
    };
    // This should be sorted by path then op.
    assert_eq!(
        state_delta(&out_purged, &state),
        [
            op("replace", "/app_status/message", json!("foo barz")),
            op("replace", "/app_status/name", json!("waiting")),
            op("replace", "/unit_status/message", json!("foo test")),
            op("replace", "/unit_status/name", json!("active")),
        ]
    );
}

#[test]
fn test_relation_get() {
    let probe = Probe {
        pre_event: Some(Rc::new(|model: &Model| {
            let rel = model.get_relation("foo")?.expect("relation foo");
            assert_eq!(rel.data(model.app()).get("a")?.as_deref(), Some("because"));
            assert_eq!(
                rel.data(rel.app().expect("remote app"))
                    .get("a")?
                    .as_deref(),
                Some("b")
            );
            assert_eq!(rel.data(model.unit()).get("c")?.as_deref(), Some("d"));
            assert_eq!(rel.units().len(), 3);
            for unit in rel.units() {
                if unit == model.unit() {
                    continue;
                }
                if unit.name() == "remote/1" {
                    assert_eq!(rel.data(unit).get("e")?.as_deref(), Some("f"));
                } else {
                    assert!(rel.data(unit).to_map()?.is_empty());
                }
            }
            Ok(())
        })),
        ..Probe::default()
    };
    let state = State {
        relations: vec![
            Relation {
                interface: Some("bar".into()),
                local_app_data: bag(&[("a", "because")]),
                remote_app_name: "remote".into(),
                remote_app_data: bag(&[("a", "b")]),
                local_unit_data: bag(&[("c", "d")]),
                remote_units_data: [(0, bag(&[])), (1, bag(&[("e", "f")])), (2, bag(&[]))].into(),
                ..Relation::new("foo")
            }
            .into(),
        ],
        // A non-leader cannot read its own application databag here (ops'
        // rule, enforced on every read), so this unit leads.
        leader: true,
        ..State::default()
    };
    trigger(
        &state,
        |on| on.start(),
        "name: local\nrequires:\n  foo: {interface: bar}\n",
        &probe,
    )
    .unwrap();
}

fn is_access_error<T: std::fmt::Debug>(result: Result<T, ModelError>) -> bool {
    matches!(result, Err(ModelError::RelationDataAccess { .. }))
}

#[test]
fn test_relation_set() {
    let mut probe = Probe::calling(|model, event| {
        if is::<CollectStatusEvent>(event) {
            return Ok(());
        }
        let rel = model.get_relation("foo")?.expect("relation foo");
        rel.data(model.app()).set("a", "b")?;
        rel.data(model.unit()).set("c", "d")?;

        assert!(is_access_error(
            rel.data(rel.app().expect("remote app")).set("a", "b")
        ));
        assert!(is_access_error(
            rel.data(&model.get_unit("remote/1")).set("c", "d")
        ));
        assert!(model.unit().is_leader()?);
        Ok(())
    });
    probe.pre_event = Some(Rc::new(|model: &Model| {
        assert!(model.get_relation("foo")?.is_some());
        assert_eq!(model.app().planned_units()?, 4);
        Ok(())
    }));
    let relation = Relation {
        interface: Some("bar".into()),
        remote_app_name: "remote".into(),
        remote_units_data: [(1, bag(&[])), (4, bag(&[]))].into(),
        ..Relation::new("foo")
    };
    let state = State {
        leader: true,
        planned_units: 4,
        relations: vec![relation.clone().into()],
        ..State::default()
    };

    assert!(probe.seen.borrow().is_empty());
    let out = trigger(
        &state,
        |on| on.start(),
        "name: foo\nrequires:\n  foo: {interface: bar}\n",
        &probe,
    )
    .unwrap();
    assert!(!probe.seen.borrow().is_empty());

    let mut local_unit_data = default_unit_databag();
    local_unit_data.insert("c".into(), "d".into());
    let expected: AnyRelation = Relation {
        local_app_data: bag(&[("a", "b")]),
        local_unit_data: local_unit_data.clone(),
        ..relation
    }
    .into();
    assert_eq!(out.get_relation(expected.id()), Some(&expected));
    assert_eq!(
        out.get_relation(expected.id()).unwrap().local_app_data(),
        &bag(&[("a", "b")])
    );
    assert_eq!(
        out.get_relation(expected.id()).unwrap().local_unit_data(),
        &local_unit_data
    );
}

/// Metadata declaring `endpoint` for the relation kind, and that relation.
fn endpoint_scenario(kind: &str, endpoint: &str) -> (String, AnyRelation) {
    let key = json!(endpoint);
    match kind {
        "Relation" => (
            format!("name: x\nrequires:\n  {key}: {{interface: i}}\n"),
            Relation::new(endpoint).into(),
        ),
        "PeerRelation" => (
            format!("name: x\npeers:\n  {key}: {{interface: i}}\n"),
            PeerRelation::new(endpoint).into(),
        ),
        _ => (
            format!("name: x\nprovides:\n  {key}: {{interface: i, scope: container}}\n"),
            SubordinateRelation::new(endpoint).into(),
        ),
    }
}

fn run_with_relation(kind: &str, endpoint: &str) -> Result<State, Error> {
    let (meta_yaml, relation) = endpoint_scenario(kind, endpoint);
    assert_eq!(relation.endpoint(), endpoint);
    let mut ctx = Context::<CatchAll>::new(meta(&meta_yaml));
    ctx.run(
        ctx.on.update_status(),
        &State {
            relations: vec![relation],
            ..State::default()
        },
    )
}

#[rstest]
fn test_relation_endpoint_name_valid(
    #[values("Relation", "PeerRelation", "SubordinateRelation")] klass: &str,
    #[values("db", "receive-ca-cert", "receive_ca_cert", "db0", "a1-b2")] endpoint: &str,
) {
    run_with_relation(klass, endpoint).unwrap();
}

// Upstream refuses these names when the relation is built; here the
// consistency check refuses them (even when the metadata declares them).
#[rstest]
fn test_relation_endpoint_name_invalid(
    #[values("Relation", "PeerRelation", "SubordinateRelation")] klass: &str,
    #[values("0db", "DB", "-db", "db-", "db--x", "db__x", "")] endpoint: &str,
) {
    let err = run_with_relation(klass, endpoint).unwrap_err();
    let Error::Inconsistent { problems } = &err else {
        panic!("expected an inconsistent scenario, got {err:?}");
    };
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("not a valid endpoint name")),
        "{err}"
    );
}

#[rstest]
fn test_storage_name_valid(#[values("store", "store-a", "s", "store-a1", "s0")] name: &str) {
    assert_eq!(ops_testing::Storage::new(name).name, name);
    // Declared and in the State, the name passes the consistency check.
    let storage = ops_testing::Storage::new(name);
    let mut ctx = crate::helpers::catch_all(
        &format!("name: foo\nstorage:\n  {name}: {{type: filesystem}}\n"),
        &Probe::default(),
    );
    let state = State {
        storages: vec![storage.clone()],
        ..State::default()
    };
    ctx.run(ctx.on.storage_attached(&storage), &state).unwrap();
}

// Upstream refuses these names when the Storage is built; here the
// consistency check refuses them (even when the metadata declares them).
#[rstest]
fn test_storage_name_invalid(
    #[values("store_a", "Store", "0store", "-store", "store-", "store-1", "")] name: &str,
) {
    let mut ctx = crate::helpers::catch_all(
        &format!("name: foo\nstorage:\n  {name:?}: {{type: filesystem}}\n"),
        &Probe::default(),
    );
    let state = State {
        storages: vec![ops_testing::Storage::new(name)],
        ..State::default()
    };
    let err = ctx.run(ctx.on.start(), &state).unwrap_err();
    let ops_testing::Error::Inconsistent { problems } = &err else {
        panic!("expected an inconsistent scenario, got {err:?}");
    };
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("not a valid storage name")),
        "{err}"
    );
}

#[test]
fn test_state_default_values() {
    let state = State::default();
    assert!(state.config.is_empty());
    assert!(state.relations.is_empty());
    assert!(state.networks.is_empty());
    assert!(state.opened_ports.is_empty());
    assert!(state.secrets.is_empty());
    assert!(state.deferred.is_empty());
    assert!(state.stored_states.is_empty());
    assert!(state.storages.is_empty());
    assert!(state.resources.is_empty());
    assert_eq!(state.model, ModelState::default());
    assert!(!state.leader);
    assert_eq!(state.planned_units, 1);
    assert_eq!(state.app_status, UnknownStatus);
    assert_eq!(state.unit_status, UnknownStatus);
    assert_eq!(state.workload_version, "");
}

#[rstest]
fn test_state_immutable_with_changed_data_relation(
    #[values("Relation", "PeerRelation", "SubordinateRelation")] relation_type: &str,
) {
    let endpoint = relation_type.to_lowercase();
    let name = endpoint.clone();
    let probe = Probe::calling(move |model, event| {
        if is::<CollectStatusEvent>(event) {
            return Ok(());
        }
        let rel = model.get_relation(&name)?.expect("the relation");
        rel.data(model.app()).set("a", "b")?;
        rel.data(model.unit()).set("c", "d")?;
        Ok(())
    });
    let relation_in: AnyRelation = match relation_type {
        "Relation" => Relation::new(&endpoint).into(),
        "PeerRelation" => PeerRelation::new(&endpoint).into(),
        _ => SubordinateRelation::new(&endpoint).into(),
    };
    let state_in = State {
        relations: vec![relation_in.clone()],
        leader: true,
        ..State::default()
    };
    let state_out = trigger(
        &state_in,
        |on| on.start(),
        "
name: foo
peers:
  peerrelation: {interface: bar}
requires:
  relation: {interface: bar}
  subordinaterelation: {interface: bar, scope: container}
",
        &probe,
    )
    .unwrap();

    let relation_out = state_out.get_relation(relation_in.id()).unwrap();
    assert!(relation_in.local_app_data().is_empty());
    assert!(state_in.relations[0].local_app_data().is_empty());
    assert_eq!(relation_out.local_app_data(), &bag(&[("a", "b")]));
    let mut unit_data = default_unit_databag();
    unit_data.insert("c".into(), "d".into());
    assert_eq!(relation_out.local_unit_data(), &unit_data);
}

#[test]
fn test_state_immutable_with_changed_data_ports() {
    let probe = Probe::calling(|model, event| {
        if is::<StartEvent>(event) {
            model.unit().open_port(Port::tcp(80))?;
        }
        Ok(())
    });
    let state_in = State::default();
    let state_out = trigger(&state_in, |on| on.start(), "name: foo", &probe).unwrap();
    assert!(state_in.opened_ports.is_empty());
    assert_eq!(state_out.opened_ports, [TcpPort(80).into()].into());
}

#[test]
fn test_state_immutable_with_changed_data_secret() {
    let probe = Probe::calling(|model, event| {
        if is::<StartEvent>(event) {
            let secret = model.get_secret(SecretQuery::label("my-secret"))?;
            secret.set_content([("password".to_owned(), "bar".to_owned())].into())?;
        }
        Ok(())
    });
    let secret_in = Secret {
        label: Some("my-secret".into()),
        owner: Some(SecretOwner::Unit),
        ..Secret::new([("password".to_owned(), "foo".to_owned())].into())
    };
    let state_in = State {
        secrets: vec![secret_in.clone()],
        ..State::default()
    };
    let state_out = trigger(&state_in, |on| on.start(), "name: foo", &probe).unwrap();

    let secret_out = state_out.get_secret(&secret_in.id).unwrap();
    assert_eq!(
        state_in.secrets[0].latest_content,
        [("password".to_owned(), "foo".to_owned())].into()
    );
    assert_eq!(
        secret_out.latest_content,
        [("password".to_owned(), "bar".to_owned())].into()
    );
}

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct Seen {
    seen: BTreeSet<String>,
}

struct MyCharm {
    stored: ops::StoredState<Seen>,
}

impl ops::Charm for MyCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        MyCharm {
            stored: framework.stored_state("_stored"),
        }
    }
}

impl MyCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.stored.borrow_mut().seen.insert("start".into());
        Ok(())
    }
}

#[test]
fn test_state_immutable_with_changed_data_stored_state() {
    let stored_state_in = StoredState {
        owner_path: Some("MyCharm".into()),
        ..StoredState::new("_stored", BTreeMap::new())
    };
    let state_in = State {
        stored_states: vec![stored_state_in.clone()],
        ..State::default()
    };
    let mut ctx = Context::<MyCharm>::new(meta("name: foo"));
    let state_out = ctx.run(ctx.on.start(), &state_in).unwrap();
    let stored_state_out = state_out
        .get_stored_state("_stored", Some("MyCharm"))
        .unwrap();
    assert!(state_in.stored_states[0].content.is_empty());
    assert!(stored_state_out.content.contains_key("seen"));
}

#[test]
fn test_get_relation_by_id() {
    let relation = Relation {
        interface: Some("bar".into()),
        ..Relation::new("foo")
    };
    let state = State {
        relations: vec![relation.clone().into()],
        ..State::default()
    };
    let result = state.get_relation(relation.id).unwrap();
    // Upstream: `result is relation`: the very object the State holds.
    assert!(std::ptr::eq(result, &state.relations[0]));
    assert_eq!(result, &relation.into());
}

// Upstream looks the relation up by the object; here by the object's id,
// which is what upstream matches on (its wrong-kind and wrong-endpoint
// checks have no counterpart: an id carries neither). `result is relation`
// becomes: the very element of the State, equal to the relation, of its kind.
#[rstest]
#[case::relation(Relation::new("foo").into())]
#[case::peer(PeerRelation::new("foo").into())]
#[case::subordinate(SubordinateRelation::new("foo").into())]
fn test_get_relation_by_rel_obj(#[case] relation: AnyRelation) {
    let state = State {
        relations: vec![relation.clone()],
        ..State::default()
    };
    let result = state.get_relation(relation.id()).unwrap();
    assert!(std::ptr::eq(result, &state.relations[0]));
    assert_eq!(result, &relation);
    assert_eq!(result.kind_name(), relation.kind_name());
}

#[rstest]
#[case::id(123)]
#[case::relation(Relation::new("foo").id)]
fn test_get_relation_not_found(#[case] missing: u32) {
    assert_eq!(State::default().get_relation(missing), None);
}

// Upstream checks that each object of the output State is a new object
// (`obj_in is not obj_out`), found by its key. Containers do not exist
// yet; the other ten cases are here.
#[rstest]
#[case::config("config")]
#[case::relation("relation")]
#[case::peer("peer")]
#[case::subordinate("sub")]
#[case::network("network")]
#[case::port("port")]
#[case::secret("secret")]
#[case::stored_state("stored_state")]
#[case::storage("storage")]
#[case::resource("resource")]
fn test_state_immutable(#[case] attribute: &str) {
    let meta_yaml = "name: foo
storage:
  foo: {type: filesystem}
resources:
  foo: {type: file}
extra-bindings:
  foo: {}
peers:
  peer: {interface: bar}
requires:
  rel: {interface: bar}
  sub: {interface: bar, scope: container}
config:
  options:
    foo: {type: string}
";
    let mut state_in = State::default();
    match attribute {
        "config" => state_in.config = [("foo".to_owned(), json!("bar"))].into(),
        "relation" => state_in.relations = vec![Relation::new("rel").into()],
        "peer" => state_in.relations = vec![PeerRelation::new("peer").into()],
        "sub" => state_in.relations = vec![SubordinateRelation::new("sub").into()],
        "network" => state_in.networks = [("foo".to_owned(), ops::Network::default())].into(),
        "port" => state_in.opened_ports = [TcpPort(80).into()].into(),
        "secret" => {
            state_in.secrets = vec![Secret::new([("foo".to_owned(), "bar".to_owned())].into())]
        }
        "storage" => state_in.storages = vec![ops_testing::Storage::new("foo")],
        "resource" => state_in.resources = vec![ops_testing::Resource::new("foo", "/foo")],
        _ => state_in.stored_states = vec![StoredState::default()],
    }
    let state_out = trigger(&state_in, |on| on.start(), meta_yaml, &Probe::default()).unwrap();
    let (obj_in, obj_out): (*const (), *const ()) = match attribute {
        "config" => (
            std::ptr::from_ref(&state_in.config).cast(),
            std::ptr::from_ref(&state_out.config).cast(),
        ),
        "relation" | "peer" | "sub" => {
            let id = state_in.relations[0].id();
            (
                std::ptr::from_ref(state_in.get_relation(id).unwrap()).cast(),
                std::ptr::from_ref(state_out.get_relation(id).unwrap()).cast(),
            )
        }
        "network" => (
            std::ptr::from_ref(&state_in.networks["foo"]).cast(),
            std::ptr::from_ref(&state_out.networks["foo"]).cast(),
        ),
        "port" => {
            let port: Port = TcpPort(80).into();
            (
                std::ptr::from_ref(state_in.opened_ports.get(&port).unwrap()).cast(),
                std::ptr::from_ref(state_out.opened_ports.get(&port).unwrap()).cast(),
            )
        }
        "secret" => {
            let id = &state_in.secrets[0].id;
            (
                std::ptr::from_ref(state_in.get_secret(id).unwrap()).cast(),
                std::ptr::from_ref(state_out.get_secret(id).unwrap()).cast(),
            )
        }
        "storage" => {
            let index = state_in.storages[0].index;
            (
                std::ptr::from_ref(state_in.get_storage("foo", index).unwrap()).cast(),
                std::ptr::from_ref(state_out.get_storage("foo", index).unwrap()).cast(),
            )
        }
        "resource" => (
            std::ptr::from_ref(state_in.get_resource("foo").unwrap()).cast(),
            std::ptr::from_ref(state_out.get_resource("foo").unwrap()).cast(),
        ),
        _ => (
            std::ptr::from_ref(state_in.get_stored_state("_stored", None).unwrap()).cast(),
            std::ptr::from_ref(state_out.get_stored_state("_stored", None).unwrap()).cast(),
        ),
    };
    assert_ne!(obj_in, obj_out);
}

// Upstream deep-copies a State holding containers (not yet here) and finds
// each by name in the copy; relations stand in, found by id.
#[test]
fn test_deepcopy_state() {
    let state = State {
        relations: vec![Relation::new("foo").into(), Relation::new("bar").into()],
        ..State::default()
    };
    let state_copy = state.clone();
    for relation in &state.relations {
        let copied = state_copy.get_relation(relation.id()).unwrap();
        assert_eq!(relation.endpoint(), copied.endpoint());
    }
}

// `dataclasses.replace` is struct update syntax; relations stand in for
// upstream's containers.
#[test]
fn test_replace_state() {
    let state = State {
        relations: vec![Relation::new("foo").into(), Relation::new("bar").into()],
        leader: true,
        ..State::default()
    };
    let state2 = State {
        leader: false,
        ..state.clone()
    };
    assert_ne!(state.leader, state2.leader);
    assert_eq!(state.relations, state2.relations);
}

#[rstest]
fn test_container(#[values(true, false)] connect: bool) {
    let probe = Probe {
        pre_event: Some(Rc::new(move |model| {
            let container = model.unit().get_container("foo")?;
            assert_eq!(container.name(), "foo");
            assert_eq!(container.can_connect(), connect);
            Ok(())
        })),
        ..Probe::default()
    };
    let state = State {
        containers: vec![ops_testing::Container::new("foo").can_connect(connect)],
        ..State::default()
    };
    trigger(
        &state,
        |on| on.start(),
        "name: foo\ncontainers: {foo: {resource: bar}}",
        &probe,
    )
    .unwrap();
}

#[test]
fn test_checkinfo_changeid_none() {
    let info = ops_testing::CheckInfo::new("foo");
    assert!(
        !info.change_id.is_empty(),
        "a new check info has a change id"
    );
    let info2 = ops_testing::CheckInfo::new("foo");
    assert_ne!(info.change_id, info2.change_id);
}

#[rstest]
fn test_checkinfo_changeid(#[values("", "28")] id: &str) {
    let info = ops_testing::CheckInfo::new("foo").change_id(id);
    assert_eq!(info.change_id, id);
}

fn run_with_container(name: &str) -> Result<State, Error> {
    let state = State {
        containers: vec![ops_testing::Container::new(name)],
        ..State::default()
    };
    let meta_yaml = format!("name: foo\ncontainers: {{{name:?}: {{}}}}");
    trigger(&state, |on| on.start(), &meta_yaml, &Probe::default())
}

#[rstest]
fn test_container_name_valid(
    #[values("workload", "workload-a", "a", "0", "w0rk-l0ad-2")] name: &str,
) {
    let out = run_with_container(name).unwrap();
    assert_eq!(out.containers[0].name, name);
}

// Upstream refuses these names when the container is built; here the
// consistency check refuses them (even when the metadata declares them).
#[rstest]
fn test_container_name_invalid(
    #[values(
        "workload_a",
        "Workload",
        "-workload",
        "workload-",
        "",
        "wörkload",
        &"a".repeat(64)
    )]
    name: &str,
) {
    let err = run_with_container(name).unwrap_err();
    let Error::Inconsistent { problems } = &err else {
        panic!("expected an inconsistent scenario, got {err:?}");
    };
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("not a valid container name")),
        "{err}"
    );
}

#[test]
fn test_container_default_values() {
    let container = ops_testing::Container::new("foo");
    assert_eq!(container.name, "foo");
    assert!(!container.can_connect);
    assert!(container.layers.is_empty());
    assert!(container.service_statuses.is_empty());
    assert!(container.mounts.is_empty());
    assert!(container.execs.is_empty());
    assert!(container.notices.is_empty());
    assert!(container.check_infos.is_empty());
}

#[test]
fn test_state_immutable_with_changed_data_container() {
    let layer_name = "my-layer";
    let layer = ops::pebble::Layer::from_yaml("services: {foo: {command: bar, override: replace}}")
        .unwrap();
    let added = layer.clone();
    let probe = Probe::calling(move |model, event| {
        if is::<ops::StartEvent>(event) {
            let container = model.unit().get_container("foo")?;
            container.add_layer(layer_name, &added, true)?;
        }
        Ok(())
    });
    let container_in = ops_testing::Container::new("foo").can_connect(true);
    let state_in = State {
        containers: vec![container_in.clone()],
        ..State::default()
    };
    let state_out = trigger(
        &state_in,
        |on| on.start(),
        "name: foo\ncontainers: {foo: {resource: bar}}",
        &probe,
    )
    .unwrap();
    let container_out = state_out.get_container(&container_in.name).unwrap();
    assert!(state_in.containers[0].layers.is_empty());
    assert_eq!(container_out.layers, [(layer_name.to_owned(), layer)]);
}

#[test]
fn test_deepcopy_state_containers() {
    let state = State {
        containers: vec![
            ops_testing::Container::new("foo"),
            ops_testing::Container::new("bar"),
        ],
        ..State::default()
    };
    let state_copy = state.clone();
    for container in &state.containers {
        let copied = state_copy.get_container(&container.name).unwrap();
        assert_eq!(container.name, copied.name);
    }
}

#[test]
fn test_state_with_containers_round_trips_through_json() {
    use ops::pebble::{CheckStatus, NoticeType, ServiceStatus};
    let container = ops_testing::Container::new("web")
        .can_connect(true)
        .layer(
            "base",
            ops::pebble::Layer::from_yaml(
                "services: {web: {override: replace, command: /bin/web, startup: enabled}}\n\
                 checks: {up: {override: replace, http: {url: 'http://localhost/'}}}",
            )
            .unwrap(),
        )
        .service_status("web", ServiceStatus::Active)
        .mount("data", ops_testing::Mount::new("/data", "/tmp/somewhere"))
        .exec(ops_testing::Exec::new(["ls"]).stdout("x").return_code(2))
        .notice(
            ops_testing::Notice::new("example.com/a")
                .notice_type(NoticeType::Custom)
                .last_data([("k", "v")]),
        )
        .check_info(ops_testing::CheckInfo::new("up").status(CheckStatus::Down));
    let state = State {
        containers: vec![container],
        ..State::default()
    };
    let json = serde_json::to_value(&state).unwrap();
    let back: State = serde_json::from_value(json).unwrap();
    assert_eq!(back, state);
}

// `State.from_context`. Storage is not filled in yet, so its parts of these
// tests wait for it: the metadata below declares it (it loads), and the
// checks on `State.storages` are left out.

const FROM_CONTEXT_META: &str = "
name: sam
containers: {container: {}}
peers: {peer: {interface: friend}}
requires:
  relreq: {interface: across}
  sub: {interface: below, scope: container}
provides: {relpro: {interface: around}}
storage: {storage: {type: filesystem}}
config:
  options:
    foo: {type: string, default: bar}
";

/// Upstream's `Charm` with a class-level `_stored = ops.StoredState()`.
struct StoredCharm {
    _stored: ops::StoredState<BTreeMap<String, String>>,
}

impl ops::Charm for StoredCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        StoredCharm {
            _stored: framework.stored_state("_stored"),
        }
    }
}

fn interface_of(state: &State, endpoint: &str) -> Option<String> {
    let relations = state.get_relations(endpoint);
    let [relation] = relations.as_slice() else {
        panic!("expected one relation on {endpoint}, got {relations:?}");
    };
    match relation {
        AnyRelation::Regular(r) => r.interface.clone(),
        AnyRelation::Peer(r) => r.interface.clone(),
        AnyRelation::Subordinate(r) => r.interface.clone(),
    }
}

fn assert_declared_relations(state: &State) {
    assert_eq!(interface_of(state, "peer").as_deref(), Some("friend"));
    assert!(state.get_relations("peer")[0].is_peer());
    assert_eq!(interface_of(state, "relreq").as_deref(), Some("across"));
    assert_eq!(interface_of(state, "relpro").as_deref(), Some("around"));
    assert_eq!(interface_of(state, "sub").as_deref(), Some("below"));
    assert!(state.get_relations("sub")[0].is_subordinate());
}

#[test]
fn test_state_from_context() {
    let ctx = Context::<StoredCharm>::new(meta(FROM_CONTEXT_META));
    let state = State::from_context(&ctx);
    assert_eq!(state.config, [("foo", json!("bar"))].into());
    assert_eq!(state.relations.len(), 4);
    assert_declared_relations(&state);
    assert_eq!(state.containers.len(), 1);
    assert!(state.get_container("container").unwrap().can_connect);
    assert_eq!(state.stored_states.len(), 1);
    let stored = state.get_stored_state("_stored", None).unwrap();
    assert_eq!(stored.name, "_stored");
    assert!(stored.content.is_empty());
    // The State runs as it is.
    let mut ctx = ctx;
    ctx.run(ctx.on.start(), &state).unwrap();
}

#[test]
fn test_state_from_context_extend() {
    let ctx = Context::<StoredCharm>::new(meta(FROM_CONTEXT_META));
    let relation = Relation {
        remote_app_data: [("a", "b")].into(),
        ..Relation::new("db")
    };
    let stored_state = StoredState::new("_stored", [("foo".to_owned(), json!("bar"))].into());
    let state = State::from_context_with(
        &ctx,
        State {
            config: [("foo", json!("baz"))].into(),
            leader: true,
            relations: vec![relation.clone().into()],
            stored_states: vec![stored_state.clone()],
            containers: vec![ops_testing::Container::new("other-container")],
            ..State::default()
        },
    );
    assert!(state.leader);
    assert_eq!(state.containers.len(), 2);
    assert!(state.get_container("container").unwrap().can_connect);
    assert!(!state.get_container("other-container").unwrap().can_connect);
    assert_eq!(state.config, [("foo", json!("baz"))].into());
    assert_eq!(state.relations.len(), 5);
    assert_declared_relations(&state);
    assert_eq!(
        state.get_relation(relation.id).unwrap().remote_app_data(),
        &Databag::from([("a", "b")])
    );
    assert_eq!(state.stored_states, [stored_state]);
}

#[test]
fn test_state_from_context_merge_config() {
    let ctx = Context::<CatchAll>::new(meta(
        "name: alex\nconfig:\n  options:\n    foo: {type: string, default: str}\n",
    ));
    let state = State::from_context_with(
        &ctx,
        State {
            config: [("bar", json!("baz"))].into(),
            ..State::default()
        },
    );
    assert_eq!(
        state.config,
        [("foo", json!("str")), ("bar", json!("baz"))].into()
    );
}

#[rstest]
#[case::relation("relreq")]
#[case::peer("peer")]
#[case::subordinate("sub")]
fn test_state_from_context_skip_exiting_relation(#[case] endpoint: &str) {
    let meta_yaml = "
name: sam
peers: {peer: {interface: friend}}
requires:
  relreq: {interface: across}
  sub: {interface: below, scope: container}
";
    let data: Databag = [("a", "b")].into();
    let rel: AnyRelation = match endpoint {
        "peer" => PeerRelation {
            local_app_data: data.clone(),
            ..PeerRelation::new(endpoint)
        }
        .into(),
        "sub" => SubordinateRelation {
            local_app_data: data.clone(),
            ..SubordinateRelation::new(endpoint)
        }
        .into(),
        _ => Relation {
            local_app_data: data.clone(),
            ..Relation::new(endpoint)
        }
        .into(),
    };
    let ctx = Context::<CatchAll>::new(meta(meta_yaml));
    let state = State::from_context_with(
        &ctx,
        State {
            relations: vec![rel.clone()],
            ..State::default()
        },
    );
    // We should have the relation passed in, that has data, not an empty
    // one from the context.
    assert_eq!(
        state.get_relation(rel.id()).unwrap().local_app_data(),
        &data
    );
    assert_eq!(state.get_relations(endpoint).len(), 1);
    assert_eq!(state.relations.len(), 3);
}

#[test]
fn test_state_from_context_skip_exiting_container() {
    let ctx = Context::<StoredCharm>::new(meta("name: sam\ncontainers: {container: {}}"));
    let notice = ops_testing::Notice::new("example.com/notice");
    let container = ops_testing::Container::new("container").notice(notice.clone());
    let state = State::from_context_with(
        &ctx,
        State {
            containers: vec![container.clone()],
            ..State::default()
        },
    );
    // We should have the container passed in, that has notices and has the
    // default can_connect, not a connectable one from the context.
    let got = state.get_container(&container.name).unwrap();
    assert_eq!(got.notices, [notice]);
    assert!(!got.can_connect);
}

#[test]
fn test_state_from_context_skip_exiting_storage() {
    let ctx = Context::<CatchAll>::new(meta("name: sam\nstorage: {storage: {type: filesystem}}"));
    let next_index = ops_testing::peek_next_storage_index();
    let storage = ops_testing::Storage::new("storage");
    assert_eq!(storage.index, next_index);
    let next_index = ops_testing::peek_next_storage_index();
    let state = State::from_context_with(
        &ctx,
        State {
            storages: vec![storage.clone()],
            ..State::default()
        },
    );
    // We should have the storage passed in. Had the context made another
    // one, the next index would have moved on.
    assert_eq!(
        state.get_storage(&storage.name, storage.index),
        Some(&storage)
    );
    assert_eq!(state.storages, [storage]);
    assert_eq!(ops_testing::peek_next_storage_index(), next_index);
}

#[test]
fn test_state_from_context_fills_in_storage() {
    let ctx = Context::<CatchAll>::new(meta(
        "name: sam\nstorage: {data: {type: filesystem}, cache: {type: filesystem}}",
    ));
    let next_index = ops_testing::peek_next_storage_index();
    let state = State::from_context(&ctx);
    // One instance per declared storage, each taking the next index.
    let names: BTreeSet<&str> = state.storages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["cache", "data"].into());
    let indexes: BTreeSet<u32> = state.storages.iter().map(|s| s.index).collect();
    assert_eq!(indexes, [next_index, next_index + 1].into());
    // The State runs as it is.
    let mut ctx = ctx;
    ctx.run(ctx.on.start(), &state).unwrap();
}

#[test]
fn test_state_from_context_skip_exiting_stored_state() {
    let ctx = Context::<StoredCharm>::new(meta("name: sam"));
    // Given with the owner written out, as upstream's `owner_path='Charm'`:
    // the charm's own stored state, the same one `from_context` would add.
    let stored_state = StoredState {
        owner_path: Some("StoredCharm".to_owned()),
        ..StoredState::new("_stored", [("foo".to_owned(), json!("bar"))].into())
    };
    let state = State::from_context_with(
        &ctx,
        State {
            stored_states: vec![stored_state.clone()],
            ..State::default()
        },
    );
    // We should have the stored state passed in, that has content, not an
    // empty one from the context.
    assert_eq!(state.stored_states, [stored_state]);
}

// Upstream passes frozensets, tuples, lists and generators; here the given
// objects are `Vec`s however they were made (by types, nothing else is
// accepted), so the four cases build them four ways.
#[rstest]
fn test_state_from_non_sets(#[values("array", "vec", "iterator", "once")] how: &str) {
    let ctx = Context::<StoredCharm>::new(meta(FROM_CONTEXT_META));
    let relation = Relation {
        remote_app_data: [("a", "b")].into(),
        ..Relation::new("db")
    };
    let stored_state = StoredState::new("_stored", [("foo".to_owned(), json!("bar"))].into());
    let relations: Vec<AnyRelation> = match how {
        "array" => [relation.into()].into(),
        "vec" => vec![relation.into()],
        "iterator" => [relation].into_iter().map(Into::into).collect(),
        _ => std::iter::once(relation.into()).collect(),
    };
    let state = State::from_context_with(
        &ctx,
        State {
            relations,
            stored_states: std::iter::once(stored_state).collect(),
            ..State::default()
        },
    );
    assert_eq!(state.relations.len(), 5);
    assert_eq!(state.stored_states.len(), 1);
}

/// The upstream cases of `test_layer_from_rockcraft`, as JSON (which is
/// YAML, so the file written is a valid rockcraft.yaml like upstream's
/// `yaml.safe_dump` output).
fn rockcraft_case(id: &str) -> serde_json::Value {
    match id {
        "empty-layer" => json!({"summary": "Empty Layer"}),
        "layer-with-description" => {
            json!({"summary": "Layer with description", "description": "This is a test layer."})
        }
        "layer-with-service" => json!({
            "summary": "Layer with a service",
            "services": {"srv1": {"override": "replace", "command": "echo hello"}},
        }),
        "layer-with-check" => json!({
            "summary": "Layer with a check",
            "checks": {"chk1": {"override": "merge", "exec": {"command": "echo hello"}}},
        }),
        // Rockcraft's reference example, with an extra service and two checks.
        "rockcraft-doc-example" => json!({
            "name": "hello",
            "title": "Hello World",
            "summary": "A Hello World rock",
            "description": "This is an example of a Rockcraft project for a Hello World rock.",
            "version": "latest",
            "base": "bare",
            "build-base": "ubuntu@22.04",
            "license": "Apache-2.0",
            "run-user": "_daemon_",
            "environment": {"FOO": "bar"},
            "services": {
                "hello": {
                    "override": "replace",
                    "command": "/usr/bin/hello -t",
                    "environment": {"VAR1": "value", "VAR2": "other value"},
                },
                "hello-echo": {"override": "replace", "command": "echo hello"},
            },
            "checks": {
                "chk1": {"override": "merge", "exec": {"command": "/usr/bin/hello -c"}},
                "chk2": {"override": "merge", "level": "ready", "tcp": {"port": 8000}},
            },
            "platforms": {
                "amd64": {},
                "armhf": {"build-on": ["armhf", "arm64"]},
                "ibm": {"build-on": ["s390x"], "build-for": "s390x"},
            },
            "parts": {"hello": {"plugin": "nil", "stage-packages": ["hello"]}},
        }),
        other => panic!("no rockcraft case {other}"),
    }
}

#[rstest]
fn test_layer_from_rockcraft(
    #[values(
        "empty-layer",
        "layer-with-description",
        "layer-with-service",
        "layer-with-check",
        "rockcraft-doc-example"
    )]
    id: &str,
) {
    let rockcraft = rockcraft_case(id);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rockcraft.yaml");
    std::fs::write(&path, serde_json::to_string_pretty(&rockcraft).unwrap()).unwrap();
    let layer = ops_testing::layer_from_rockcraft(&path).unwrap();

    assert_eq!(layer.summary, rockcraft["summary"].as_str().unwrap());
    if let Some(description) = rockcraft["description"].as_str() {
        assert!(layer.description.contains(description));
        assert!(layer.description.contains(&path.display().to_string()));
    }
    let empty = json!({});
    let services = rockcraft.get("services").unwrap_or(&empty);
    let services = services.as_object().unwrap();
    assert_eq!(layer.services.len(), services.len());
    for (name, service) in services {
        let got = &layer.services[name];
        assert_eq!(got.command, service["command"].as_str().unwrap());
        assert_eq!(json!(got.r#override), service["override"]);
        if let Some(environment) = service.get("environment") {
            assert_eq!(json!(got.environment), *environment);
        }
    }
    let checks = rockcraft.get("checks").unwrap_or(&empty);
    let checks = checks.as_object().unwrap();
    assert_eq!(layer.checks.len(), checks.len());
    for (name, check) in checks {
        let got = &layer.checks[name];
        assert_eq!(json!(got.r#override), check["override"]);
        // Unset on both sides when the rock leaves it out.
        assert_eq!(
            json!(got.level),
            check.get("level").cloned().unwrap_or_default()
        );
        if let Some(exec) = check.get("exec") {
            let got = got.exec.as_ref().expect("an exec check");
            assert_eq!(got.command, exec["command"].as_str().unwrap());
        }
        if let Some(tcp) = check.get("tcp") {
            let got = got.tcp.as_ref().expect("a tcp check");
            assert_eq!(json!(got.port), tcp["port"]);
        }
    }
}

#[test]
fn test_layer_from_rockcraft_safe() {
    let dangerous = "\n!!python/object/apply:os.system [\"echo unsafe\"]\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rockcraft.yaml");
    std::fs::write(&path, dangerous).unwrap();
    let err = ops_testing::layer_from_rockcraft(&path).unwrap_err();
    assert!(
        matches!(err, ops_testing::RockcraftError::Parse { .. }),
        "{err}"
    );
}
