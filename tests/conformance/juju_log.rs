//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_juju_log.py>.
//!
//! Python's `logging` maps to `tracing` here: the charm's `tracing::warn!`
//! goes to `juju-log`, stdout does not.

use crate::helpers::meta;
use ops::{Charm, Framework, HandlerResult, LogLevel, StartEvent, on};
use ops_testing::{Context, JujuLogLine, State};

struct LoggingCharm;

impl Charm for LoggingCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        LoggingCharm
    }
}

impl LoggingCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        println!("foo!");
        tracing::warn!("bar!");
        Ok(())
    }
}

#[test]
fn test_juju_log() {
    let mut ctx = Context::<LoggingCharm>::new(meta("name: foo"));
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert!(
        ctx.juju_log.contains(&JujuLogLine::new(
            LogLevel::Debug,
            "Emitting Juju event start."
        )),
        "{:?}",
        ctx.juju_log
    );
    assert!(
        ctx.juju_log
            .contains(&JujuLogLine::new(LogLevel::Warning, "bar!"))
    );
    // prints are not juju-logged.
    assert!(
        !ctx.juju_log
            .iter()
            .any(|line| line.message.contains("foo!"))
    );
}
