//! Deferred events: in the output State, re-emitted on the next run, kept
//! when deferred again, dropped otherwise.

use crate::common::Probe;
use ops::{
    Charm, Framework, HandlerResult, RelationChangedEvent, StartEvent, UpdateStatusEvent, on,
};
use ops_testing::{Context, DeferredEvent, EmitKind, Relation, State, default_unit_databag};
use pretty_assertions::assert_eq;
use serde_json::json;

const META: &str = "
name: procrastinator
requires:
  db: {interface: pgsql}
";

/// Records every event it handles; defers update-status and
/// db-relation-changed when `defer` is set.
struct DeferringCharm {
    defer: bool,
    seen: Probe<String>,
}

impl Charm for DeferringCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, true, Probe::default())
    }
}

impl DeferringCharm {
    fn build(framework: &mut Framework<Self>, defer: bool, seen: Probe<String>) -> Self {
        framework.observe(on::update_status(), Self::on_update_status);
        framework.observe(on::start(), Self::on_start);
        framework.observe(on::relation_changed("db"), Self::on_db_changed);
        DeferringCharm { defer, seen }
    }

    fn on_update_status(&mut self, event: &mut UpdateStatusEvent) -> HandlerResult {
        self.seen.push("update_status".into());
        if self.defer {
            event.defer();
        }
        Ok(())
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.seen.push("start".into());
        Ok(())
    }

    fn on_db_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        let unit = event.unit.as_ref().map(|u| u.name().to_owned());
        self.seen.push(format!(
            "db_relation_changed {} {}",
            event.relation.id(),
            unit.unwrap_or_default()
        ));
        if self.defer {
            event.defer();
        }
        Ok(())
    }
}

fn context(defer: bool) -> (Context<DeferringCharm>, Probe<String>) {
    let seen = Probe::default();
    let probe = seen.clone();
    let ctx = Context::from_yaml(META)
        .unwrap()
        .with_charm(move |fw| DeferringCharm::build(fw, defer, probe.clone()));
    (ctx, seen)
}

#[test]
fn a_deferred_event_is_in_the_output_state() {
    let (mut ctx, seen) = context(true);
    let out = ctx.run(ctx.on.update_status(), &State::default()).unwrap();
    assert_eq!(seen.take(), vec!["update_status"]);
    let want = DeferredEvent {
        handle_path: "DeferringCharm/on/update_status[1]".into(),
        owner: "DeferringCharm".into(),
        observer: "on_update_status".into(),
        snapshot_data: Default::default(),
    };
    assert_eq!(out.deferred, vec![want.clone()]);
    assert_eq!(out.deferred[0].name(), "update_status");
    // What a test builds by hand is what the framework stores.
    assert_eq!(
        ctx.on
            .update_status()
            .deferred(DeferringCharm::on_update_status),
        want
    );
}

#[test]
fn a_deferred_relation_event_keeps_its_snapshot() {
    let (mut ctx, _) = context(true);
    let db = Relation {
        remote_app_name: "postgresql".into(),
        remote_units_data: [(2, default_unit_databag())].into(),
        ..Relation::new("db")
    };
    let state = State {
        relations: vec![db.clone().into()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_changed(&db), &state).unwrap();
    let [deferred] = out.deferred.clone().try_into().unwrap();
    assert_eq!(
        deferred.handle_path,
        "DeferringCharm/on/db_relation_changed[1]"
    );
    assert_eq!(deferred.owner, "DeferringCharm");
    assert_eq!(deferred.observer, "on_db_changed");
    let snapshot = json!({
        "relation_name": "db",
        "relation_id": db.id,
        "app_name": "postgresql",
        "unit_name": "postgresql/2",
    });
    assert_eq!(json!(deferred.snapshot_data), snapshot);
    assert_eq!(
        ctx.on
            .relation_changed(&db)
            .deferred(DeferringCharm::on_db_changed),
        deferred
    );
}

#[test]
fn the_output_of_one_run_re_emits_the_deferred_event_in_the_next() {
    let (mut first, _) = context(true);
    let deferred = first
        .run(first.on.update_status(), &State::default())
        .unwrap();
    assert_eq!(deferred.deferred.len(), 1);

    let (second, seen) = context(false);
    let mut second = second.capture_deferred_events(true);
    let out = second.run(second.on.start(), &deferred).unwrap();
    assert_eq!(seen.take(), vec!["update_status", "start"]);
    assert_eq!(out.deferred, vec![], "handled without deferring: dropped");
    let emitted: Vec<_> = second
        .emitted_events
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    assert_eq!(
        emitted,
        vec![
            ("update_status", EmitKind::Deferred),
            ("start", EmitKind::Dispatched)
        ]
    );

    // Without capture, only the dispatched event is recorded.
    let (mut third, seen) = context(false);
    third.run(third.on.start(), &deferred).unwrap();
    assert_eq!(seen.take(), vec!["update_status", "start"]);
    let names: Vec<_> = third
        .emitted_events
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, vec!["start"]);
}

#[test]
fn a_handler_that_defers_again_keeps_the_event() {
    let (mut ctx, seen) = context(true);
    let deferred = ctx
        .on
        .update_status()
        .deferred(DeferringCharm::on_update_status);
    let state = State {
        deferred: vec![deferred.clone()],
        ..State::default()
    };
    let once = ctx.run(ctx.on.start(), &state).unwrap();
    let twice = ctx.run(ctx.on.start(), &once).unwrap();
    assert_eq!(
        seen.take(),
        vec!["update_status", "start", "update_status", "start"]
    );
    assert_eq!(once.deferred, vec![deferred.clone()]);
    assert_eq!(twice.deferred, vec![deferred]);
}

#[test]
fn a_hand_built_deferred_event_is_re_emitted_first_and_then_dropped() {
    let (ctx, seen) = context(false);
    let mut ctx = ctx.capture_deferred_events(true);
    let state = State {
        deferred: vec![
            ctx.on
                .update_status()
                .deferred(DeferringCharm::on_update_status),
        ],
        ..State::default()
    };
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(seen.take(), vec!["update_status", "start"]);
    assert_eq!(out.deferred, vec![]);
    assert_eq!(ctx.emitted_events[0].name, "update_status");
    assert_eq!(ctx.emitted_events[0].kind, EmitKind::Deferred);
}

#[test]
fn a_deferred_relation_event_is_rebuilt_with_its_relation() {
    let (mut ctx, seen) = context(false);
    let db = Relation {
        remote_units_data: [(0, default_unit_databag()), (1, default_unit_databag())].into(),
        ..Relation::new("db")
    };
    let state = State {
        relations: vec![db.clone().into()],
        deferred: vec![
            ctx.on
                .relation_changed(&db)
                .remote_unit(1)
                .deferred(DeferringCharm::on_db_changed),
        ],
        ..State::default()
    };
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(
        seen.take(),
        vec![
            format!("db_relation_changed {} remote/1", db.id),
            "start".into()
        ]
    );
    assert_eq!(out.deferred, vec![]);
}

#[test]
fn output_deferred_events_are_ordered_by_handle_path() {
    let (mut ctx, _) = context(true);
    let db = Relation::new("db");
    let state = State {
        relations: vec![db.clone().into()],
        deferred: vec![
            ctx.on
                .update_status()
                .deferred(DeferringCharm::on_update_status),
        ],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_changed(&db), &state).unwrap();
    let paths: Vec<_> = out
        .deferred
        .iter()
        .map(|d| d.handle_path.as_str())
        .collect();
    assert_eq!(
        paths,
        vec![
            "DeferringCharm/on/db_relation_changed[2]",
            "DeferringCharm/on/update_status[1]"
        ]
    );
}

// ops.testing lists deferred events as its notice store holds them: by
// handle path as text (so `[10]` before `[9]`), and for one path in the
// order the notices were queued.
#[test]
fn output_deferred_events_are_ordered_by_handle_path_as_text() {
    let (mut ctx, _) = context(true);
    let update_status = ctx
        .on
        .update_status()
        .deferred(DeferringCharm::on_update_status);
    let state = State {
        deferred: vec![
            update_status.clone().event_id(9),
            update_status.clone().event_id(10),
            DeferredEvent {
                observer: "other_handler".into(),
                ..update_status.clone().event_id(10)
            },
        ],
        ..State::default()
    };
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    let notices: Vec<_> = out
        .deferred
        .iter()
        .map(|d| (d.handle_path.as_str(), d.observer.as_str()))
        .collect();
    assert_eq!(
        notices,
        vec![
            ("DeferringCharm/on/update_status[10]", "on_update_status"),
            ("DeferringCharm/on/update_status[10]", "other_handler"),
            ("DeferringCharm/on/update_status[9]", "on_update_status"),
        ]
    );
}

#[test]
fn a_deferred_event_takes_an_event_id() {
    let (ctx, _) = context(true);
    let deferred = ctx.on.start().deferred(DeferringCharm::on_start);
    assert_eq!(deferred.handle_path, "DeferringCharm/on/start[1]");
    let renumbered = deferred.clone().event_id(42);
    assert_eq!(renumbered.handle_path, "DeferringCharm/on/start[42]");
    assert_eq!(renumbered.name(), "start");
    assert_eq!(
        DeferredEvent {
            handle_path: deferred.handle_path.clone(),
            ..renumbered
        },
        deferred
    );
}

/// A queued notice holding the last sequence number, deferred again, then
/// another event deferred behind it: a typed error, not an overflow (a panic in
/// debug builds, a wrap to 0 in release ones).
#[test]
fn deferring_past_the_last_sequence_number_is_a_typed_error() {
    let (mut ctx, _) = context(true);
    let mut last = ctx
        .on
        .update_status()
        .deferred(DeferringCharm::on_update_status);
    last.handle_path = format!("DeferringCharm/on/update_status[{}]", u64::MAX);
    let db = Relation::new("db");
    let state = State {
        relations: vec![db.clone().into()],
        deferred: vec![last],
        ..State::default()
    };
    let err = ctx.run(ctx.on.relation_changed(&db), &state).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("no number is left") && !message.contains("panicked"),
        "{message}"
    );
}
