//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_deferred.py>.
//!
//! Upstream's `mycharm` observes every non-lifecycle event with one
//! `_on_event` handler that defers the next `defer_next` events; here that is
//! the catch-all charm's generic `on_event` (collect-status cannot be
//! deferred, so it never consumes `defer_next`).

use crate::helpers::{CatchAll, Probe, catch_all, meta, trigger};
use ops::{
    Charm, Framework, HandlerResult, PebbleReadyEvent, RelationChangedEvent, UpdateStatusEvent, on,
};
use ops_testing::{Container, Context, EmitKind, Relation, State};
use pretty_assertions::assert_eq;
use std::cell::RefCell;
use std::rc::Rc;

const META: &str = "
name: mycharm
requires:
  foo: {interface: bar}
containers:
  foo: {type: oci-image}
";

fn deferring(count: u32) -> Probe {
    let probe = Probe::default();
    probe.defer_next.set(count);
    probe
}

#[test]
fn test_defer() {
    let out = trigger(&State::default(), |on| on.start(), META, &deferring(1)).unwrap();
    assert_eq!(out.deferred.len(), 1);
    assert_eq!(out.deferred[0].name(), "start");
}

#[test]
fn test_deferred_evt_emitted() {
    let probe = deferring(2);
    let ctx = catch_all(META, &probe);
    let deferred = ctx
        .on
        .update_status()
        .deferred(CatchAll::on_event::<UpdateStatusEvent>);
    // A generic handler still names its charm in the handle path.
    assert_eq!(deferred.handle_path, "CatchAll/on/update_status[1]");
    assert_eq!(deferred.observer, "on_event");
    let state = State {
        deferred: vec![deferred],
        ..State::default()
    };
    let out = trigger(&state, |on| on.start(), META, &probe).unwrap();

    // we deferred the first 2 events we saw: update-status, start.
    let names: Vec<&str> = out.deferred.iter().map(|d| d.name()).collect();
    assert_eq!(names, ["start", "update_status"]);
    // we saw start and update-status.
    assert_eq!(
        probe.seen_without_collect_status(),
        ["UpdateStatusEvent", "StartEvent"]
    );
}

#[test]
fn test_deferred_relation_event() {
    let probe = deferring(2);
    let ctx = catch_all(META, &probe);
    let rel = Relation {
        remote_app_name: "remote".into(),
        ..Relation::new("foo")
    };
    let state = State {
        relations: vec![rel.clone().into()],
        deferred: vec![
            ctx.on
                .relation_changed(&rel)
                .deferred(CatchAll::on_event::<RelationChangedEvent>),
        ],
        ..State::default()
    };
    let out = trigger(&state, |on| on.start(), META, &probe).unwrap();

    // we deferred the first 2 events we saw: relation-changed, start.
    let names: Vec<&str> = out.deferred.iter().map(|d| d.name()).collect();
    assert_eq!(names, ["foo_relation_changed", "start"]);
    // we saw start and relation-changed.
    assert_eq!(
        probe.seen_without_collect_status(),
        ["RelationChangedEvent", "StartEvent"]
    );
}

#[test]
fn test_deferred_relation_event_from_relation() {
    let probe = deferring(2);
    let ctx = catch_all(META, &probe);
    let rel = Relation {
        remote_app_name: "remote".into(),
        ..Relation::new("foo")
    };
    let state = State {
        relations: vec![rel.clone().into()],
        deferred: vec![
            ctx.on
                .relation_changed(&rel)
                .remote_unit(1)
                .deferred(CatchAll::on_event::<RelationChangedEvent>),
        ],
        ..State::default()
    };
    let out = trigger(&state, |on| on.start(), META, &probe).unwrap();

    // we deferred the first 2 events we saw: foo_relation_changed, start.
    let (relation_changed, start) = (&out.deferred[0], &out.deferred[1]);
    assert_eq!(out.deferred.len(), 2);
    assert_eq!(relation_changed.name(), "foo_relation_changed");
    let expected: ops::Snapshot = [
        ("relation_name".to_owned(), "foo".into()),
        ("relation_id".to_owned(), rel.id.into()),
        ("app_name".to_owned(), "remote".into()),
        ("unit_name".to_owned(), "remote/1".into()),
    ]
    .into();
    assert_eq!(relation_changed.snapshot_data, expected);
    assert_eq!(start.name(), "start");
    // we saw start and foo_relation_changed.
    assert_eq!(
        probe.seen_without_collect_status(),
        ["RelationChangedEvent", "StartEvent"]
    );
}

/// Upstream's `HyphenatedCharm`: records the kind of every event it handles.
struct HyphenatedCharm {
    captured: Rc<RefCell<Vec<String>>>,
}

impl Charm for HyphenatedCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Rc::default())
    }
}

impl HyphenatedCharm {
    fn build(framework: &mut Framework<Self>, captured: Rc<RefCell<Vec<String>>>) -> Self {
        framework.observe(on::pebble_ready("workload-a"), Self::on_ready);
        framework.observe(on::relation_changed("foo-bar"), Self::on_changed);
        framework.observe(on::update_status(), Self::on_update_status);
        HyphenatedCharm { captured }
    }

    fn on_ready(&mut self, event: &mut PebbleReadyEvent) -> HandlerResult {
        let kind = format!("{}_pebble_ready", event.workload.name().replace('-', "_"));
        self.captured.borrow_mut().push(kind);
        Ok(())
    }

    fn on_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        let kind = format!(
            "{}_relation_changed",
            event.relation.name().replace('-', "_")
        );
        self.captured.borrow_mut().push(kind);
        Ok(())
    }

    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        self.captured.borrow_mut().push("update_status".into());
        Ok(())
    }
}

#[test]
fn test_deferred_workload_event_hyphenated_container_name() {
    // A deferred event for a hyphenated container (or endpoint) name uses
    // the Python-attribute form of the event name in its handle path and is
    // re-emitted, then dropped.
    let captured = Rc::new(RefCell::new(Vec::new()));
    let seen = captured.clone();
    let mut ctx = Context::<HyphenatedCharm>::new(meta(
        "name: dashcharm\ncontainers:\n  workload-a: {}\nrequires:\n  foo-bar: {interface: baz}\n",
    ))
    .with_charm(move |framework| HyphenatedCharm::build(framework, seen.clone()));
    let container = Container::new("workload-a").can_connect(true);
    let relation = Relation::new("foo-bar");
    let deferred_ready = ctx
        .on
        .pebble_ready(&container)
        .deferred(HyphenatedCharm::on_ready);
    assert_eq!(
        deferred_ready.handle_path,
        "HyphenatedCharm/on/workload_a_pebble_ready[1]"
    );
    let deferred_changed = ctx
        .on
        .relation_changed(&relation)
        .deferred(HyphenatedCharm::on_changed);
    assert_eq!(
        deferred_changed.handle_path,
        "HyphenatedCharm/on/foo_bar_relation_changed[1]"
    );
    let state_in = State {
        containers: vec![container],
        relations: vec![relation.into()],
        deferred: vec![deferred_ready, deferred_changed],
        ..State::default()
    };

    let state_out = ctx.run(ctx.on.update_status(), &state_in).unwrap();

    assert_eq!(
        *captured.borrow(),
        [
            "workload_a_pebble_ready",
            "foo_bar_relation_changed",
            "update_status"
        ]
    );
    assert!(state_out.deferred.is_empty());
}

#[test]
fn test_deferred_workload_event() {
    let probe = deferring(2);
    let ctx = catch_all(META, &probe);
    let ctr = Container::new("foo");
    let state = State {
        containers: vec![ctr.clone()],
        deferred: vec![
            ctx.on
                .pebble_ready(&ctr)
                .deferred(CatchAll::on_event::<PebbleReadyEvent>),
        ],
        ..State::default()
    };
    let out = trigger(&state, |on| on.start(), META, &probe).unwrap();

    // we deferred the first 2 events we saw: foo_pebble_ready, start.
    assert_eq!(out.deferred.len(), 2);
    assert_eq!(out.deferred[0].name(), "foo_pebble_ready");
    assert_eq!(out.deferred[1].name(), "start");
    // we saw start and foo_pebble_ready.
    assert_eq!(
        probe.seen_without_collect_status(),
        ["PebbleReadyEvent", "StartEvent"]
    );
}

#[test]
fn test_defer_reemit_lifecycle_event() {
    let probe = deferring(1);
    let mut ctx = catch_all(META, &probe).capture_deferred_events(true);
    let state_1 = ctx.run(ctx.on.update_status(), &State::default()).unwrap();

    probe.defer_next.set(0);
    let state_2 = ctx.run(ctx.on.start(), &state_1).unwrap();

    let emitted: Vec<(&str, EmitKind)> = ctx
        .emitted_events
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    assert_eq!(
        emitted,
        [
            ("update_status", EmitKind::Dispatched),
            ("update_status", EmitKind::Deferred),
            ("start", EmitKind::Dispatched),
        ]
    );
    assert_eq!(state_1.deferred.len(), 1);
    assert!(state_2.deferred.is_empty());
}

#[test]
fn test_defer_reemit_relation_event() {
    let probe = deferring(1);
    let mut ctx = catch_all(META, &probe).capture_deferred_events(true);
    let rel = Relation::new("foo");
    let state_1 = ctx
        .run(
            ctx.on.relation_created(&rel),
            &State {
                relations: vec![rel.clone().into()],
                ..State::default()
            },
        )
        .unwrap();

    probe.defer_next.set(0);
    let state_2 = ctx.run(ctx.on.start(), &state_1).unwrap();

    let emitted: Vec<(&str, EmitKind)> = ctx
        .emitted_events
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    assert_eq!(
        emitted,
        [
            ("foo_relation_created", EmitKind::Dispatched),
            ("foo_relation_created", EmitKind::Deferred),
            ("start", EmitKind::Dispatched),
        ]
    );
    assert_eq!(
        probe.seen_without_collect_status(),
        ["RelationCreatedEvent", "RelationCreatedEvent", "StartEvent"]
    );
    assert_eq!(state_1.deferred.len(), 1);
    assert!(state_2.deferred.is_empty());
}

mod custom {
    use ops::framework::ObjectScope;
    use ops::{Charm, CustomEvent, EventSource, Framework, HandlerResult, StartEvent, on};
    use ops_testing::{Context, State};
    use pretty_assertions::assert_eq;
    use serde::{Deserialize, Serialize};
    use serde_json::json;
    use std::cell::Cell;

    #[derive(Debug, Serialize, Deserialize)]
    struct FooChanged {
        arg0: String,
        arg1: i64,
    }

    struct MyConsumer {
        foo_changed: EventSource<FooChanged>,
    }

    thread_local! {
        static DEFER_NEXT: Cell<u32> = const { Cell::new(0) };
    }

    struct MyCharm {
        _consumer: MyConsumer,
    }

    impl Charm for MyCharm {
        fn new(framework: &mut Framework<Self>) -> Self {
            let consumer = {
                let mut scope: ObjectScope<'_, Self, MyConsumer> =
                    framework.object("my-consumer", |c: &mut Self| &mut c._consumer);
                MyConsumer {
                    foo_changed: scope.event_source("foo_changed"),
                }
            };
            framework.observe(consumer.foo_changed.on(), Self::on_event);
            framework.observe(on::start(), |_: &mut Self, _: &mut StartEvent| Ok(()));
            MyCharm {
                _consumer: consumer,
            }
        }
    }

    impl MyCharm {
        fn on_event(&mut self, event: &mut CustomEvent<FooChanged>) -> HandlerResult {
            let pending = DEFER_NEXT.get();
            if pending > 0 {
                DEFER_NEXT.set(pending - 1);
                event.defer();
            }
            Ok(())
        }
    }

    #[test]
    fn test_defer_custom_event() {
        let mut ctx =
            Context::<MyCharm>::new(ops::CharmMeta::new("mycharm")).capture_deferred_events(true);
        DEFER_NEXT.set(1);
        let event = ctx.on.custom::<MyConsumer>("foo_changed").data(FooChanged {
            arg0: "foo".to_owned(),
            arg1: 28,
        });
        let state_1 = ctx.run(event, State::default()).unwrap();
        let names: Vec<&str> = ctx.emitted_events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["foo_changed"]);
        let snapshot = json!({"arg0": "foo", "arg1": 28});
        assert_eq!(json!(ctx.emitted_events[0].snapshot), snapshot);
        assert_eq!(state_1.deferred.len(), 1);
        assert_eq!(
            state_1.deferred[0].handle_path,
            "MyCharm/MyConsumer[my-consumer]/on/foo_changed[1]"
        );

        DEFER_NEXT.set(0);
        let state_2 = ctx.run(ctx.on.start(), state_1).unwrap();
        let names: Vec<&str> = ctx.emitted_events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["foo_changed", "foo_changed", "start"]);
        assert_eq!(json!(ctx.emitted_events[0].snapshot), snapshot);
        assert_eq!(json!(ctx.emitted_events[1].snapshot), snapshot);
        assert!(state_2.deferred.is_empty());
    }
}
