//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_manager.py>.
//!
//! Upstream's `with ctx(event, state) as manager:` block is the closure
//! given to `Context::run_with`; `manager.run()` is `mgr.run()`, and leaving
//! the closure without calling it runs the event then.

use crate::helpers::meta;
use ops::{ActionEvent, ActiveStatus, Charm, Framework, HandlerResult, Model, StartEvent, on};
use ops_testing::{Context, Error, State};
use pretty_assertions::assert_eq;

/// Upstream's `mycharm`: every event sets the unit status to its kind.
struct MyCharm {
    model: Model,
    /// The kinds of the events handled, in order.
    handled: Vec<&'static str>,
}

impl Charm for MyCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        framework.observe(on::action("do-x"), Self::on_do_x);
        MyCharm {
            model: framework.model().clone(),
            handled: Vec::new(),
        }
    }
}

impl MyCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.handled.push("start");
        self.model.unit().set_status(ActiveStatus::new("start"))?;
        Ok(())
    }

    fn on_do_x(&mut self, _: &mut ActionEvent) -> HandlerResult {
        self.handled.push("do_x_action");
        self.model
            .unit()
            .set_status(ActiveStatus::new("do_x_action"))?;
        Ok(())
    }
}

fn context() -> Context<MyCharm> {
    Context::new(meta("name: mycharm\nactions:\n  do-x: {}\n"))
}

#[test]
fn test_manager() {
    let mut ctx = context();
    let state_out = ctx
        .run_with(ctx.on.start(), State::default(), |manager| {
            // `isinstance(manager.charm, mycharm)` holds by types; the
            // charm is the live one, built but not yet run.
            let charm: &MyCharm = manager.charm();
            assert!(charm.handled.is_empty());
            let state_out = manager.run()?;
            assert_eq!(manager.charm().handled, ["start"]);
            Ok(state_out)
        })
        .unwrap();
    assert_eq!(state_out.unit_status, ActiveStatus::new("start"));
}

#[test]
fn test_manager_implicit() {
    let mut ctx = context();
    let emitted_inside = ctx
        .run_with(ctx.on.start(), State::default(), |manager| {
            assert!(manager.charm().handled.is_empty());
            // do not call .run()
            Ok(manager.emitted())
        })
        .unwrap();
    assert!(!emitted_inside);
    // run is called automatically
    assert_eq!(ctx.emitted_events.len(), 1);
    assert_eq!(ctx.emitted_events[0].name, "start");
    assert_eq!(ctx.unit_status_history, [ops::Status::Unknown]);
}

#[test]
fn test_manager_reemit_fails() {
    let mut ctx = context();
    ctx.run_with(ctx.on.start(), State::default(), |manager| {
        manager.run()?;
        assert!(manager.emitted());
        let again = manager.run();
        assert!(matches!(again, Err(Error::AlreadyEmitted)), "{again:?}");
        // The charm is still there, and ran once.
        assert_eq!(manager.charm().handled, ["start"]);
        Ok(())
    })
    .unwrap();
    assert_eq!(ctx.emitted_events.len(), 1);
}

#[test]
fn test_context_manager() {
    let mut ctx = context();
    ctx.run_with(ctx.on.start(), State::default(), |manager| {
        assert!(manager.context().emitted_events.is_empty());
        let state_out = manager.run()?;
        assert_eq!(state_out.unit_status, ActiveStatus::new("start"));
        // The run's records are on the Context as soon as it returns.
        assert_eq!(manager.context().emitted_events[0].name, "start");
        Ok(())
    })
    .unwrap();
    assert_eq!(ctx.emitted_events[0].name, "start");
}

#[test]
fn test_context_action_manager() {
    let mut ctx = context();
    ctx.run_with(ctx.on.action("do-x"), State::default(), |manager| {
        let state_out = manager.run()?;
        assert_eq!(state_out.unit_status, ActiveStatus::new("do_x_action"));
        Ok(())
    })
    .unwrap();
    assert_eq!(ctx.emitted_events[0].name, "do_x_action");
}
