//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_emitted_events_util.py>.
//!
//! `ctx.emitted_events` holds `EmittedEvent` records (name and kind) rather
//! than event objects, and the framework has no `pre_commit`/`commit`
//! events: with framework events captured, collect-status is the last.

use ops::{Charm, CustomEvent, EventSource, Framework, HandlerResult, StartEvent, on};
use ops_testing::{Context, DeferredEvent, EmitKind, State};
use pretty_assertions::assert_eq;

/// Upstream's `MyCharm`: emits its custom event `foo` on start.
struct MyCharm {
    foo: EventSource<()>,
}

impl Charm for MyCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        let source = framework.event_source::<()>("foo");
        framework.observe(on::start(), Self::on_start);
        framework.observe(source.on(), Self::on_foo);
        MyCharm { foo: source }
    }
}

impl MyCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.foo.emit(())?;
        Ok(())
    }

    fn on_foo(&mut self, _: &mut CustomEvent<()>) -> HandlerResult {
        Ok(())
    }
}

fn context() -> Context<MyCharm> {
    Context::new(ops::CharmMeta::new("mycharm"))
}

fn emitted(ctx: &Context<MyCharm>) -> Vec<(&str, EmitKind)> {
    ctx.emitted_events
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect()
}

/// Upstream's `_Event('foo').deferred(handler=MyCharm._on_foo)`.
fn deferred_foo() -> DeferredEvent {
    DeferredEvent {
        handle_path: "MyCharm/on/foo[1]".into(),
        owner: "MyCharm".into(),
        observer: "on_foo".into(),
        snapshot_data: Default::default(),
    }
}

// Upstream: [Start, Foo, CollectStatus, PreCommit, Commit].
#[test]
fn test_capture_custom_evt_nonspecific_capture_include_fw_evts() {
    let mut ctx = context().capture_framework_events(true);
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert_eq!(
        emitted(&ctx),
        [
            ("start", EmitKind::Dispatched),
            ("foo", EmitKind::Custom),
            ("collect_unit_status", EmitKind::Framework),
        ]
    );
}

#[test]
fn test_capture_juju_evt() {
    let mut ctx = context();
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert_eq!(
        emitted(&ctx),
        [("start", EmitKind::Dispatched), ("foo", EmitKind::Custom)]
    );
}

#[test]
fn test_capture_deferred_evt() {
    let mut ctx = context().capture_deferred_events(true);
    let state = State {
        deferred: vec![deferred_foo()],
        ..State::default()
    };
    ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(
        emitted(&ctx),
        [
            ("foo", EmitKind::Deferred),
            ("start", EmitKind::Dispatched),
            ("foo", EmitKind::Custom),
        ]
    );
}

#[test]
fn test_capture_no_deferred_evt() {
    let mut ctx = context();
    let state = State {
        deferred: vec![deferred_foo()],
        ..State::default()
    };
    ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(
        emitted(&ctx),
        [("start", EmitKind::Dispatched), ("foo", EmitKind::Custom)]
    );
}
