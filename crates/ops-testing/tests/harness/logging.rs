//! Charm `tracing` lines land in `ctx.juju_log`, per Context, even when
//! Contexts run on parallel threads.

use ops::{Charm, Framework, HandlerResult, LogLevel, Model, StartEvent, on};
use ops_testing::{Context, JujuLogLine, State};
use pretty_assertions::assert_eq;
use std::sync::Barrier;

/// Logs at every level on start, naming its unit.
struct ChattyCharm {
    model: Model,
}

impl Charm for ChattyCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        ChattyCharm {
            model: framework.model().clone(),
        }
    }
}

impl ChattyCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        let unit = self.model.unit().name();
        tracing::trace!("charm: too fine to record");
        tracing::debug!("charm: debug from {unit}");
        tracing::info!(port = 8080, "charm: info from {unit}");
        tracing::warn!("charm: warning from {unit}");
        tracing::error!("charm: error from {unit}");
        Ok(())
    }
}

fn charm_lines(log: &[JujuLogLine]) -> Vec<JujuLogLine> {
    log.iter()
        .filter(|line| line.message.starts_with("charm: "))
        .cloned()
        .collect()
}

#[test]
fn charm_log_lines_are_recorded_with_their_level() {
    let mut ctx = Context::<ChattyCharm>::new(ops::CharmMeta::new("chatty"));
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    let run = vec![
        JujuLogLine::new(LogLevel::Debug, "charm: debug from chatty/0"),
        JujuLogLine::new(LogLevel::Info, "charm: info from chatty/0 port=8080"),
        JujuLogLine::new(LogLevel::Warning, "charm: warning from chatty/0"),
        JujuLogLine::new(LogLevel::Error, "charm: error from chatty/0"),
    ];
    assert_eq!(charm_lines(&ctx.juju_log), run);
    // ops' own debug lines are recorded too.
    assert!(
        ctx.juju_log.contains(&JujuLogLine::new(
            LogLevel::Debug,
            "Emitting Juju event start."
        )),
        "{:?}",
        ctx.juju_log
    );

    // Each run appends its own lines.
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert_eq!(charm_lines(&ctx.juju_log), [run.clone(), run].concat());
}

#[test]
fn contexts_on_parallel_threads_see_only_their_own_lines() {
    const RUNS: usize = 20;
    let barrier = Barrier::new(2);
    let run = |app: &'static str| {
        let mut ctx = Context::<ChattyCharm>::new(ops::CharmMeta::new("chatty")).app_name(app);
        barrier.wait();
        for _ in 0..RUNS {
            ctx.run(ctx.on.start(), &State::default()).unwrap();
        }
        ctx.juju_log
    };
    let (alpha, beta) = std::thread::scope(|scope| {
        let alpha = scope.spawn(|| run("alpha"));
        let beta = scope.spawn(|| run("beta"));
        (alpha.join().unwrap(), beta.join().unwrap())
    });
    for (log, own, other) in [(&alpha, "alpha/0", "beta/0"), (&beta, "beta/0", "alpha/0")] {
        let lines = charm_lines(log);
        assert_eq!(lines.len(), 4 * RUNS);
        assert!(lines.iter().all(|l| l.message.contains(own)), "{lines:?}");
        assert!(!log.iter().any(|l| l.message.contains(other)), "{log:?}");
    }
}

/// Logs one line with `ops::critical!`.
struct CriticalCharm;

impl Charm for CriticalCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), |_: &mut Self, _: &mut StartEvent| {
            ops::critical!("charm: the database is gone");
            tracing::error!("charm: an ordinary error");
            Ok(())
        });
        CriticalCharm
    }
}

#[test]
fn critical_lines_reach_juju_log_at_critical() {
    let mut ctx = Context::<CriticalCharm>::new(ops::CharmMeta::new("foo"));
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert_eq!(
        charm_lines(&ctx.juju_log),
        [
            JujuLogLine::new(LogLevel::Critical, "charm: the database is gone"),
            JujuLogLine::new(LogLevel::Error, "charm: an ordinary error"),
        ]
    );
}
