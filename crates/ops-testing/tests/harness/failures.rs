//! A handler that panics or returns an error fails the hook: a typed
//! error, no output state, and the Context keeps what was recorded.

use crate::common::uncaught;
use ops::{Charm, Framework, HandlerResult, MaintenanceStatus, Model, StartEvent, on};
use ops_testing::{Context, JujuLogLine, State, Status};
use pretty_assertions::assert_eq;
use rstest::rstest;

/// Logs, sets a status, then fails on start (by panicking or returning `Err`).
struct FailingCharm {
    model: Model,
    panic: bool,
}

impl Charm for FailingCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, false)
    }
}

impl FailingCharm {
    fn build(framework: &mut Framework<Self>, panic: bool) -> Self {
        framework.observe(on::start(), Self::on_start);
        FailingCharm {
            model: framework.model().clone(),
            panic,
        }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        tracing::info!("starting the workload");
        self.model
            .unit()
            .set_status(MaintenanceStatus::new("starting"))?;
        if self.panic {
            panic!("kaboom: the workload binary is missing");
        }
        Err("the database is on fire".into())
    }
}

#[rstest]
fn a_failing_handler_is_a_typed_error_and_records_are_kept(#[values(true, false)] panic: bool) {
    let mut ctx = Context::new(ops::CharmMeta::new("fragile"))
        .with_charm(move |fw| FailingCharm::build(fw, panic));
    let state = State::default();
    let result = ctx.run(ctx.on.start(), &state);
    let (message, panicked) = uncaught(result);
    assert_eq!(panicked, panic);
    let want = if panic {
        "kaboom: the workload binary is missing"
    } else {
        "the database is on fire"
    };
    assert!(message.contains(want), "{message}");

    // What happened before the failure is still on the Context.
    assert!(
        ctx.juju_log.contains(&JujuLogLine::new(
            ops::LogLevel::Info,
            "starting the workload"
        )),
        "{:?}",
        ctx.juju_log
    );
    assert_eq!(ctx.unit_status_history, vec![Status::Unknown]);
}

#[test]
fn the_error_display_names_the_event_and_the_handler() {
    let mut ctx = Context::new(ops::CharmMeta::new("fragile"))
        .with_charm(move |fw| FailingCharm::build(fw, false));
    let error = ctx.run(ctx.on.start(), &State::default()).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("start"), "{text}");
    assert!(text.contains("on_start"), "{text}");
    assert!(text.contains("the database is on fire"), "{text}");
}
