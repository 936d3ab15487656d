//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_context_on.py>.
//!
//! Upstream's `ContextCharm` records every event object it observes; here
//! the catch-all charm records each event's kind, and a callback captures
//! the attributes each test checks. Python lets the secret and relation
//! arguments be passed by position or keyword (`as_kwarg`); Rust has one
//! calling convention, so those parametrizations collapse into one case.

use crate::helpers::{AnyEvent, Probe, RelationView, catch_all, relation_view};
use ops::{SecretChangedEvent, SecretExpiredEvent, SecretRemoveEvent, SecretRotateEvent};
use ops::{StorageAttachedEvent, StorageDetachingEvent};
use ops_testing::{CharmEvents, Databag, Event, Relation, Secret, SecretOwner, State, Storage};
use pretty_assertions::assert_eq;
use rstest::rstest;
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;

const META: &str = "
name: context-charm
containers:
  bar: {}
requires:
  baz: {interface: charmlink}
storage:
  foo: {type: filesystem}
actions:
  act:
    params:
      param:
        description: some parameter
        type: string
        default: ''
";

/// Runs `event` against `state` with the catch-all charm; returns the kinds
/// it observed and what `inspect` extracted from the first event.
fn observe<T: 'static>(
    meta_yaml: &str,
    state: &State,
    event: impl FnOnce(&CharmEvents) -> Event,
    inspect: impl Fn(&mut dyn AnyEvent) -> Option<T> + 'static,
) -> (Vec<&'static str>, Option<T>) {
    let captured = Rc::new(RefCell::new(None));
    let slot = captured.clone();
    let probe = Probe::calling(move |_, event| {
        if slot.borrow().is_none() {
            *slot.borrow_mut() = inspect(event);
        }
        Ok(())
    });
    let mut ctx = catch_all(meta_yaml, &probe);
    let event = event(&ctx.on);
    ctx.run(event, state).unwrap();
    let seen = probe.seen.borrow().clone();
    (seen, captured.take())
}

#[rstest]
#[case("install", "InstallEvent")]
#[case("start", "StartEvent")]
#[case("stop", "StopEvent")]
#[case("remove", "RemoveEvent")]
#[case("update_status", "UpdateStatusEvent")]
#[case("config_changed", "ConfigChangedEvent")]
#[case("upgrade_charm", "UpgradeCharmEvent")]
#[case("leader_elected", "LeaderElectedEvent")]
fn test_simple_events(#[case] event_name: &str, #[case] event_kind: &str) {
    let (seen, _) = observe::<()>(
        META,
        &State::default(),
        |on| match event_name {
            "install" => on.install(),
            "start" => on.start(),
            "stop" => on.stop(),
            "remove" => on.remove(),
            "update_status" => on.update_status(),
            "config_changed" => on.config_changed(),
            "upgrade_charm" => on.upgrade_charm(),
            "leader_elected" => on.leader_elected(),
            other => panic!("no event {other}"),
        },
        |_| None,
    );
    assert_eq!(seen, [event_kind, "CollectStatusEvent"]);
}

// Python also warns (DeprecationWarning); Rust has no such warning.
#[rstest]
#[case("pre_series_upgrade", "PreSeriesUpgradeEvent")]
#[case("post_series_upgrade", "PostSeriesUpgradeEvent")]
fn test_simple_deprecated_events(#[case] event_name: &str, #[case] event_kind: &str) {
    let (seen, _) = observe::<()>(
        META,
        &State::default(),
        |on| match event_name {
            "pre_series_upgrade" => on.pre_series_upgrade(),
            _ => on.post_series_upgrade(),
        },
        |_| None,
    );
    assert_eq!(seen, [event_kind, "CollectStatusEvent"]);
}

fn secret_id(event: &mut dyn AnyEvent) -> Option<(Option<String>, Option<u32>)> {
    let any = event.as_any();
    if let Some(e) = any.downcast_ref::<SecretChangedEvent>() {
        return Some((e.secret.id(), None));
    }
    if let Some(e) = any.downcast_ref::<SecretRotateEvent>() {
        return Some((e.secret.id(), None));
    }
    if let Some(e) = any.downcast_ref::<SecretExpiredEvent>() {
        return Some((e.secret.id(), Some(e.revision)));
    }
    any.downcast_ref::<SecretRemoveEvent>()
        .map(|e| (e.secret.id(), Some(e.revision)))
}

#[rstest]
#[case("secret_changed", "SecretChangedEvent", None)]
#[case("secret_rotate", "SecretRotateEvent", Some(SecretOwner::App))]
fn test_simple_secret_events(
    #[case] event_name: &str,
    #[case] event_kind: &str,
    #[case] owner: Option<SecretOwner>,
) {
    let secret = Secret {
        owner,
        ..Secret::new([("password".to_owned(), "xxxx".to_owned())].into())
    };
    let state_in = State {
        secrets: vec![secret.clone()],
        ..State::default()
    };
    // The secret must always be passed because the same event name is used
    // for all secrets.
    let (seen, id) = observe(
        META,
        &state_in,
        |on| match event_name {
            "secret_changed" => on.secret_changed(&secret),
            _ => on.secret_rotate(&secret),
        },
        secret_id,
    );
    assert_eq!(seen, [event_kind, "CollectStatusEvent"]);
    assert_eq!(id, Some((Some(secret.id.clone()), None)));
}

#[rstest]
#[case("secret_expired", "SecretExpiredEvent")]
#[case("secret_remove", "SecretRemoveEvent")]
fn test_revision_secret_events(#[case] event_name: &str, #[case] event_kind: &str) {
    let secret = Secret {
        latest_content: [("password".to_owned(), "xxxx".to_owned())].into(),
        owner: Some(SecretOwner::App),
        ..Secret::new([("password".to_owned(), "yyyy".to_owned())].into())
    };
    let state_in = State {
        secrets: vec![secret.clone()],
        ..State::default()
    };
    // The secret and revision must always be passed because the same event
    // name is used for all secrets.
    let (seen, id) = observe(
        META,
        &state_in,
        |on| match event_name {
            "secret_expired" => on.secret_expired(&secret, 42),
            _ => on.secret_remove(&secret, 42),
        },
        secret_id,
    );
    assert_eq!(seen, [event_kind, "CollectStatusEvent"]);
    assert_eq!(id, Some((Some(secret.id.clone()), Some(42))));
}

#[test]
fn test_action_event_no_params() {
    let (seen, _) = observe::<()>(META, &State::default(), |on| on.action("act"), |_| None);
    assert_eq!(seen, ["ActionEvent", "CollectStatusEvent"]);
}

#[test]
fn test_action_event_with_params() {
    // The event's id is not readable from the built event here, so the
    // charm's id is compared with the one the harness gave Juju's context.
    let probe = Probe::default();
    let captured = Rc::new(RefCell::new(None));
    let slot = captured.clone();
    let probe = Probe {
        call: Some(Rc::new(
            move |model: &ops::Model, event: &mut dyn AnyEvent| {
                if let Some(action) = event.as_any().downcast_mut::<ops::ActionEvent>() {
                    *slot.borrow_mut() = Some((
                        action.id.clone(),
                        model.juju_context().action_uuid.clone(),
                        action.params().clone(),
                    ));
                }
                Ok(())
            },
        )),
        ..probe
    };
    let mut ctx = catch_all(META, &probe);
    let call_event = ctx.on.action("act").params(json!({"param": "hello"}));
    ctx.run(call_event, &State::default()).unwrap();
    assert_eq!(*probe.seen.borrow(), ["ActionEvent", "CollectStatusEvent"]);
    let (id, uuid, params) = captured.take().unwrap();
    assert!(!id.is_empty());
    assert_eq!(Some(id), uuid);
    assert_eq!(params["param"], "hello");
}

fn view(event: &mut dyn AnyEvent) -> Option<RelationView> {
    relation_view(event)
}

// Upstream's `as_kwarg` axis passes the relation positionally or by
// keyword; a Rust call has one form, and the two ways it takes the relation
// are by reference and by value.
#[rstest]
#[case("relation_created", "RelationCreatedEvent")]
#[case("relation_broken", "RelationBrokenEvent")]
fn test_relation_app_events(
    #[values(true, false)] by_value: bool,
    #[case] event_name: &str,
    #[case] event_kind: &str,
) {
    let relation = Relation::new("baz");
    let state_in = State {
        relations: vec![relation.clone().into()],
        ..State::default()
    };
    let (seen, view) = observe(
        META,
        &state_in,
        |on| match (event_name, by_value) {
            ("relation_created", true) => on.relation_created(relation.clone()),
            ("relation_created", false) => on.relation_created(&relation),
            (_, true) => on.relation_broken(relation.clone()),
            (_, false) => on.relation_broken(&relation),
        },
        view,
    );
    assert_eq!(seen, [event_kind, "CollectStatusEvent"]);
    let view = view.unwrap();
    assert_eq!(view.relation.id(), relation.id);
    assert_eq!(view.app.unwrap().name(), relation.remote_app_name);
    assert!(view.unit.is_none());
}

#[test]
fn test_relation_complex_name() {
    let meta_yaml = META.replace(
        "  baz: {interface: charmlink}\n",
        "  baz: {interface: charmlink}\n  foo-bar-baz: {interface: another-one}\n",
    );
    let relation = Relation::new("foo-bar-baz");
    let state_in = State {
        relations: vec![relation.clone().into()],
        ..State::default()
    };
    let (seen, view) = observe(
        &meta_yaml,
        &state_in,
        |on| on.relation_created(&relation),
        view,
    );
    assert_eq!(seen, ["RelationCreatedEvent", "CollectStatusEvent"]);
    let view = view.unwrap();
    assert_eq!(view.relation.id(), relation.id);
    assert_eq!(view.app.unwrap().name(), relation.remote_app_name);
    assert!(view.unit.is_none());
}

fn units(ids: &[(u32, &str)]) -> std::collections::BTreeMap<u32, Databag> {
    ids.iter()
        .map(|(id, y)| (*id, [("x".to_owned(), y.to_string())].into()))
        .collect()
}

#[rstest]
#[case("relation_joined", "RelationJoinedEvent")]
#[case("relation_changed", "RelationChangedEvent")]
fn test_relation_unit_events_default_unit(#[case] event_name: &str, #[case] event_kind: &str) {
    let relation = Relation {
        remote_units_data: units(&[(1, "y")]),
        ..Relation::new("baz")
    };
    let state_in = State {
        relations: vec![relation.clone().into()],
        ..State::default()
    };
    // The unit is chosen automatically.
    let (seen, view) = observe(
        META,
        &state_in,
        |on| match event_name {
            "relation_joined" => on.relation_joined(&relation),
            _ => on.relation_changed(&relation),
        },
        view,
    );
    assert_eq!(seen, [event_kind, "CollectStatusEvent"]);
    let view = view.unwrap();
    assert_eq!(view.relation.id(), relation.id);
    assert_eq!(view.app.unwrap().name(), relation.remote_app_name);
    assert_eq!(view.unit.unwrap().name(), "remote/1");
}

#[rstest]
#[case("relation_joined", "RelationJoinedEvent")]
#[case("relation_changed", "RelationChangedEvent")]
fn test_relation_unit_events(#[case] event_name: &str, #[case] event_kind: &str) {
    let relation = Relation {
        remote_units_data: units(&[(1, "y"), (2, "z")]),
        ..Relation::new("baz")
    };
    let state_in = State {
        relations: vec![relation.clone().into()],
        ..State::default()
    };
    let (seen, view) = observe(
        META,
        &state_in,
        |on| match event_name {
            "relation_joined" => on.relation_joined(&relation).remote_unit(2),
            _ => on.relation_changed(&relation).remote_unit(2),
        },
        view,
    );
    assert_eq!(seen, [event_kind, "CollectStatusEvent"]);
    let view = view.unwrap();
    assert_eq!(view.relation.id(), relation.id);
    assert_eq!(view.app.unwrap().name(), relation.remote_app_name);
    assert_eq!(view.unit.unwrap().name(), "remote/2");
}

#[test]
fn test_relation_departed_event() {
    let relation = Relation::new("baz");
    let state_in = State {
        relations: vec![relation.clone().into()],
        ..State::default()
    };
    let (seen, view) = observe(
        META,
        &state_in,
        |on| {
            on.relation_departed(&relation)
                .remote_unit(2)
                .departing_unit(1)
        },
        view,
    );
    assert_eq!(seen, ["RelationDepartedEvent", "CollectStatusEvent"]);
    let view = view.unwrap();
    assert_eq!(view.relation.id(), relation.id);
    assert_eq!(view.app.unwrap().name(), relation.remote_app_name);
    assert_eq!(view.unit.unwrap().name(), "remote/2");
    assert_eq!(view.departing_unit.unwrap().name(), "remote/1");
}

#[rstest]
#[case("receive-ca-cert", "created", "-relation-created")]
#[case("receive-ca-cert", "joined", "-relation-joined")]
#[case("receive-ca-cert", "changed", "-relation-changed")]
#[case("receive_ca_cert", "changed", "-relation-changed")]
fn test_relation_event_juju_name_preserves_endpoint(
    #[case] endpoint: &str,
    #[case] suffix: &str,
    #[case] expected_suffix: &str,
) {
    let probe = Probe::default();
    let ctx = catch_all(
        &format!("name: foo\nrequires:\n  {endpoint}: {{interface: whatever}}\n"),
        &probe,
    );
    let relation = Relation::new(endpoint);
    let event = crate::helpers::relation_event(&ctx.on, suffix, &relation);
    assert_eq!(event.juju_name(), format!("{endpoint}{expected_suffix}"));
}

#[test]
fn test_pebble_ready_event() {
    let container = ops_testing::Container::new("bar").can_connect(true);
    let state_in = State {
        containers: vec![container.clone()],
        ..State::default()
    };
    let (seen, workload) = observe(
        META,
        &state_in,
        |on| on.pebble_ready(&container),
        |event| {
            event
                .as_any()
                .downcast_mut::<ops::PebbleReadyEvent>()
                .map(|e| e.workload.name().to_owned())
        },
    );
    assert_eq!(seen, ["PebbleReadyEvent", "CollectStatusEvent"]);
    assert_eq!(workload.as_deref(), Some(container.name.as_str()));
}

#[rstest]
#[case("temporal-worker", "pebble_ready", "-pebble-ready")]
#[case("temporal-worker", "pebble_check_failed", "-pebble-check-failed")]
#[case("temporal-worker", "pebble_check_recovered", "-pebble-check-recovered")]
fn test_workload_event_juju_name_preserves_container_name(
    #[case] container_name: &str,
    #[case] event_attr: &str,
    #[case] expected_suffix: &str,
) {
    use ops::pebble::CheckStatus;
    use ops_testing::{CheckInfo, Container};
    let ctx = catch_all(
        &format!("name: foo\ncontainers: {{{container_name}: {{}}}}"),
        &Probe::default(),
    );
    let check = CheckInfo::new("my-check")
        .failures(3)
        .status(CheckStatus::Down);
    let container = Container::new(container_name).check_info(check.clone());
    let event = match event_attr {
        "pebble_check_failed" => ctx.on.pebble_check_failed(&container, &check),
        "pebble_check_recovered" => ctx.on.pebble_check_recovered(&container, &check),
        _ => ctx.on.pebble_ready(&Container::new(container_name)),
    };
    assert_eq!(
        event.juju_name(),
        format!("{container_name}{expected_suffix}")
    );
}

#[rstest]
#[case("storage_attached", "StorageAttachedEvent")]
#[case("storage_detaching", "StorageDetachingEvent")]
fn test_storage_events(#[case] event_name: &str, #[case] event_kind: &str) {
    let storage = Storage::new("foo");
    let state_in = State {
        storages: vec![storage.clone()],
        ..State::default()
    };
    let (seen, found) = observe(
        META,
        &state_in,
        |on| match event_name {
            "storage_attached" => on.storage_attached(&storage),
            _ => on.storage_detaching(&storage),
        },
        |event| {
            let any = event.as_any();
            if let Some(e) = any.downcast_ref::<StorageAttachedEvent>() {
                return Some((e.storage.name().to_owned(), e.storage.index()));
            }
            any.downcast_ref::<StorageDetachingEvent>()
                .map(|e| (e.storage.name().to_owned(), e.storage.index()))
        },
    );
    assert_eq!(seen, [event_kind, "CollectStatusEvent"]);
    assert_eq!(found, Some((storage.name.clone(), storage.index)));
}

#[rstest]
#[case("my-store", "storage_attached", "-storage-attached")]
#[case("my-store", "storage_detaching", "-storage-detaching")]
fn test_storage_event_juju_name_preserves_storage_name(
    #[case] storage_name: &str,
    #[case] event_attr: &str,
    #[case] expected_suffix: &str,
) {
    let probe = crate::helpers::Probe::default();
    let ctx = crate::helpers::catch_all(
        &format!("name: foo\nstorage:\n  {storage_name}: {{type: filesystem}}\n"),
        &probe,
    );
    let storage = Storage::new(storage_name);
    let event = match event_attr {
        "storage_attached" => ctx.on.storage_attached(&storage),
        _ => ctx.on.storage_detaching(&storage),
    };
    assert_eq!(
        event.juju_name(),
        format!("{storage_name}{expected_suffix}")
    );
}

// Custom events run directly (`ctx.on.custom`). Upstream's `MyConsumer`
// defines its events on a class-level `ObjectEvents`; here a library
// object defines them with `event_source`, and `ctx.on.custom::<Lib>(name)`
// finds the one object of that type defining `name`.

mod custom {
    use ops::framework::ObjectScope;
    use ops::{
        Charm, CloudCredential, CloudSpec, CollectStatusEvent, CustomEvent, EventSource, Framework,
        HandlerResult, Model, Port, SecretQuery, Status, on,
    };
    use ops_testing::{
        CharmEvents, Context, Error, PeerRelation, Relation, Secret, State, Storage,
        SubordinateRelation,
    };
    use pretty_assertions::assert_eq;
    use serde::{Deserialize, Serialize};
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Upstream's `CustomEvent`: no data.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct FooStarted;

    /// Upstream's `CustomEventWithArgs`.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct FooChanged {
        pub arg0: String,
        pub arg1: i64,
    }

    /// Upstream's `CustomEventWithScenarioArgs`, as serde data: objects
    /// with a model facade are named by what finds them (ids, endpoints).
    #[derive(Debug, Serialize, Deserialize)]
    pub struct StateEvent {
        pub cloudcredential: CloudCredential,
        pub cloudspec: CloudSpec,
        pub secret: String,
        pub relation: (String, u32),
        pub peerrelation: (String, u32),
        pub subordinaterelation: (String, u32),
        pub statuses: Vec<Status>,
        pub ports: Vec<Port>,
        pub storage: (String, u32),
    }

    /// Upstream's `OtherEvent`.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct OtherEvent {}

    pub struct MyConsumer {
        pub foo_started: EventSource<FooStarted>,
        pub foo_changed: EventSource<FooChanged>,
        pub state_event: EventSource<StateEvent>,
    }

    impl MyConsumer {
        fn new<C: Charm>(mut scope: ObjectScope<'_, C, Self>) -> Self {
            MyConsumer {
                foo_started: scope.event_source("foo_started"),
                foo_changed: scope.event_source("foo_changed"),
                state_event: scope.event_source("state_event"),
            }
        }
    }

    pub struct OtherConsumer {
        pub foo_changed: EventSource<OtherEvent>,
    }

    impl OtherConsumer {
        fn new<C: Charm>(mut scope: ObjectScope<'_, C, Self>) -> Self {
            OtherConsumer {
                foo_changed: scope.event_source("foo_changed"),
            }
        }
    }

    type Observed = Rc<RefCell<Vec<String>>>;

    thread_local! {
        static OBSERVED: Observed = Rc::default();
    }

    fn observed() -> Vec<String> {
        OBSERVED.with(|o| o.take())
    }

    fn push(what: String) {
        OBSERVED.with(|o| o.borrow_mut().push(what));
    }

    /// Upstream's `CustomCharm` (and `TwoLibraryCharm`, with `two: true`).
    pub struct CustomCharm {
        model: Model,
        consumer: MyConsumer,
        other: Option<OtherConsumer>,
    }

    impl Charm for CustomCharm {
        fn new(framework: &mut Framework<Self>) -> Self {
            let consumer =
                MyConsumer::new(framework.object("my-consumer", |c: &mut Self| &mut c.consumer));
            framework.observe(consumer.foo_started.on(), Self::on_foo_started);
            framework.observe(consumer.foo_changed.on(), Self::on_foo_changed);
            framework.observe(consumer.state_event.on(), Self::on_state_event);
            framework.observe(on::collect_unit_status(), Self::on_collect);
            let two = framework.model().meta().name == "two-library-charm";
            let other = two.then(|| {
                let other =
                    OtherConsumer::new(framework.object("some-relation", |c: &mut Self| {
                        c.other.as_mut().expect("the second library")
                    }));
                framework.observe(other.foo_changed.on(), Self::on_other);
                other
            });
            CustomCharm {
                model: framework.model().clone(),
                consumer,
                other,
            }
        }
    }

    impl CustomCharm {
        fn on_foo_started(&mut self, _: &mut CustomEvent<FooStarted>) -> HandlerResult {
            let _ = (&self.consumer, &self.other);
            push("CustomEvent".to_owned());
            Ok(())
        }
        fn on_foo_changed(&mut self, event: &mut CustomEvent<FooChanged>) -> HandlerResult {
            push(format!(
                "CustomEventWithArgs({}, {})",
                event.arg0, event.arg1
            ));
            Ok(())
        }
        fn on_other(&mut self, _: &mut CustomEvent<OtherEvent>) -> HandlerResult {
            push("OtherEvent".to_owned());
            Ok(())
        }
        fn on_state_event(&mut self, event: &mut CustomEvent<StateEvent>) -> HandlerResult {
            let model = &self.model;
            let secret = model.get_secret(SecretQuery::id(event.secret.clone()))?;
            let relation = model.get_relation_by_id(&event.relation.0, event.relation.1)?;
            let peer = model.get_relation_by_id(&event.peerrelation.0, event.peerrelation.1)?;
            let sub = model
                .get_relation_by_id(&event.subordinaterelation.0, event.subordinaterelation.1)?;
            let storage = model
                .storages()
                .get(&event.storage.0)?
                .into_iter()
                .find(|s| s.index() == event.storage.1)
                .expect("the storage is attached");
            push(format!(
                "CustomEventWithScenarioArgs {} {} {} {} {} {} {} {:?} {} {}",
                event.cloudcredential.auth_type,
                event.cloudspec.name,
                secret.id().unwrap_or_default(),
                relation.name(),
                peer.name(),
                sub.name(),
                event
                    .statuses
                    .iter()
                    .map(|s| format!("{}:{}", s.name(), s.message()))
                    .collect::<Vec<_>>()
                    .join(","),
                event.ports,
                storage.name(),
                storage.index(),
            ));
            Ok(())
        }
        fn on_collect(&mut self, _: &mut CollectStatusEvent) -> HandlerResult {
            push("CollectStatusEvent".to_owned());
            Ok(())
        }
    }

    const META: &str = "
name: context-charm
containers:
  bar: {}
requires:
  baz: {interface: charmlink}
  endpoint: {interface: int1}
  sub-endpoint: {interface: int2, scope: container}
peers:
  peer-endpoint: {interface: int3}
storage:
  foo: {type: filesystem}
  store: {type: filesystem}
";

    fn context(name: &str) -> Context<CustomCharm> {
        Context::<CustomCharm>::from_yaml(&META.replace("context-charm", name)).unwrap()
    }

    fn run(
        name: &str,
        event: impl FnOnce(&CharmEvents) -> ops_testing::Event,
        state: &State,
    ) -> Result<State, Error> {
        let mut ctx = context(name);
        let event = event(&ctx.on);
        let _ = observed();
        ctx.run(event, state)
    }

    #[test]
    fn test_custom_event_no_args() {
        run(
            "context-charm",
            |on| on.custom::<MyConsumer>("foo_started"),
            &State::default(),
        )
        .unwrap();
        assert_eq!(observed(), ["CustomEvent", "CollectStatusEvent"]);
    }

    #[test]
    fn test_custom_event_with_args() {
        run(
            "context-charm",
            |on| {
                on.custom::<MyConsumer>("foo_changed").data(FooChanged {
                    arg0: "foo".to_owned(),
                    arg1: 42,
                })
            },
            &State::default(),
        )
        .unwrap();
        assert_eq!(
            observed(),
            ["CustomEventWithArgs(foo, 42)", "CollectStatusEvent"]
        );
    }

    // Upstream: `ctx.on.custom(MyConsumer.on.foo_relation_changed)`, whose
    // event class derives from a hook event, raises ValueError when built.
    // A library here cannot define an event with a Juju event's name (the
    // framework refuses it when the charm is built), and running one with
    // `ctx.on.custom` is refused by the consistency check.
    #[test]
    fn test_custom_event_is_hookevent() {
        let err = run(
            "context-charm",
            |on| on.custom::<MyConsumer>("foo_relation_changed"),
            &State::default(),
        )
        .unwrap_err();
        let Error::Inconsistent { problems } = &err else {
            panic!("expected an inconsistent scenario, got {err:?}");
        };
        assert!(
            problems[0].message.contains("name of a Juju event"),
            "{err}"
        );
        assert!(observed().is_empty());
    }

    // The container, notice and check-info arguments are left out: they
    // come with container support.
    #[test]
    fn test_custom_event_with_scenario_args() {
        let cloudcredential = CloudCredential {
            auth_type: "auth".to_owned(),
            ..CloudCredential::default()
        };
        let cloudspec = CloudSpec {
            kind: "cloud".to_owned(),
            name: "localhost".to_owned(),
            ..CloudSpec::default()
        };
        let secret = Secret::new([("password".to_owned(), "xxxx".to_owned())].into());
        let relation = Relation::new("endpoint");
        let peerrelation = PeerRelation::new("peer-endpoint");
        let subordinaterelation = SubordinateRelation::new("sub-endpoint");
        let storage = Storage::new("store");
        let statuses: Vec<Status> = vec![
            ops::ErrorStatus::new("error").into(),
            ops::ActiveStatus::new("working").into(),
            ops::BlockedStatus::new("blocked").into(),
            ops::MaintenanceStatus::new("maintaining").into(),
            ops::WaitingStatus::new("waiting").into(),
        ];
        let ports = vec![Port::tcp(8000), Port::udp(8001), Port::icmp()];
        let state = State {
            secrets: vec![secret.clone()],
            relations: vec![
                relation.clone().into(),
                peerrelation.clone().into(),
                subordinaterelation.clone().into(),
            ],
            storages: vec![storage.clone()],
            ..State::default()
        };
        let data = StateEvent {
            cloudcredential,
            cloudspec,
            secret: secret.id.clone(),
            relation: (relation.endpoint.clone(), relation.id),
            peerrelation: (peerrelation.endpoint.clone(), peerrelation.id),
            subordinaterelation: (subordinaterelation.endpoint.clone(), subordinaterelation.id),
            statuses,
            ports: ports.clone(),
            storage: (storage.name.clone(), storage.index),
        };
        run(
            "context-charm",
            |on| on.custom::<MyConsumer>("state_event").data(data),
            &state,
        )
        .unwrap();
        assert_eq!(
            observed(),
            [
                format!(
                    "CustomEventWithScenarioArgs auth localhost {} endpoint peer-endpoint sub-endpoint \
                     error:error,active:working,blocked:blocked,maintenance:maintaining,waiting:waiting \
                     {ports:?} store {}",
                    secret.id, storage.index
                ),
                "CollectStatusEvent".to_owned()
            ]
        );
    }

    #[test]
    fn test_custom_event_two_libraries() {
        run(
            "two-library-charm",
            |on| {
                on.custom::<MyConsumer>("foo_changed").data(FooChanged {
                    arg0: String::new(),
                    arg1: 0,
                })
            },
            &State::default(),
        )
        .unwrap();
        assert_eq!(
            observed(),
            ["CustomEventWithArgs(, 0)", "CollectStatusEvent"]
        );
        run(
            "two-library-charm",
            |on| on.custom::<OtherConsumer>("foo_changed"),
            &State::default(),
        )
        .unwrap();
        assert_eq!(observed(), ["OtherEvent", "CollectStatusEvent"]);
    }

    // Beyond upstream: the typed errors for an event the owner does not
    // define (NoObserverError) and an owner that is not there (BadOwnerPath).
    #[test]
    fn undefined_events_and_owners_are_typed_errors() {
        let err = run(
            "context-charm",
            |on| on.custom::<MyConsumer>("foo_stopped"),
            &State::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::NoObserver { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "cannot fire \"foo_stopped\" on CustomCharm/MyConsumer[my-consumer]: invalid event; \
             it defines \"foo_changed\", \"foo_started\", \"state_event\". Use the name given \
             to `event_source`"
        );
        let err = run(
            "context-charm",
            |on| on.custom::<OtherConsumer>("foo_changed"),
            &State::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::BadOwnerPath { .. }), "{err:?}");
        let err = run(
            "context-charm",
            |on| on.custom_at("CustomCharm/Nope[x]", "foo_changed"),
            &State::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::BadOwnerPath { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("CustomCharm/MyConsumer[my-consumer]"),
            "{err}"
        );
        assert!(observed().is_empty());
        // The explicit path finds the same event as the type.
        run(
            "context-charm",
            |on| on.custom_at("CustomCharm/MyConsumer[my-consumer]", "foo_started"),
            &State::default(),
        )
        .unwrap();
        assert_eq!(observed(), ["CustomEvent", "CollectStatusEvent"]);
    }
}
