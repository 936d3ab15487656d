//! ops.testing's own benchmark suite (`testing/tests/benchmark/test_testing.py`
//! in canonical/operator), case for case, run with divan:
//!
//! ```sh
//! cargo bench -p juju-ops-testing --bench testing
//! ```
//!
//! Side by side with ops.testing: `just bench-compare` (docs/performance.md).
//! The allocation profiler adds to the times shown here; the side-by-side
//! table times the same cases without it.

#[allow(dead_code)]
mod common;

use common::{
    BenchCharm, NoObserverCharm, autoloaded, check_upstream_cases, explicit_meta,
    explicit_meta_config_actions, four_events, full_state,
};
use divan::{AllocProfiler, Bencher, black_box};
use ops_testing::{Context, State};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    check_upstream_cases();
    divan::main();
}

/// `Context` with metadata given in code.
#[divan::bench]
fn context_explicit_meta() -> Context<NoObserverCharm> {
    Context::new(explicit_meta())
}

/// `Context` with metadata, config options and actions given in code.
#[divan::bench]
fn context_meta_config_actions() -> Context<NoObserverCharm> {
    Context::new(explicit_meta_config_actions())
}

/// `Context` with metadata loaded from the charm's `charmcraft.yaml`.
#[divan::bench]
fn context_autoload_meta() -> Context<BenchCharm> {
    autoloaded()
}

/// Runs `event` against `state` on one Context, as ops.testing's suite
/// does, the State given by value (each run gets its own copy, made before
/// the timing; the output is dropped after it).
fn bench_run(
    bencher: Bencher,
    mut ctx: Context<BenchCharm>,
    event: fn(&Context<BenchCharm>) -> ops_testing::Event,
    state: State,
) {
    bencher
        .with_inputs(|| state.clone())
        .bench_local_values(|state| {
            let event = event(&ctx);
            ctx.run(event, black_box(state)).unwrap()
        });
}

/// The same given by reference: the run copies the State.
fn bench_run_by_ref(
    bencher: Bencher,
    mut ctx: Context<BenchCharm>,
    event: fn(&Context<BenchCharm>) -> ops_testing::Event,
    state: State,
) {
    bencher.bench_local(|| {
        let event = event(&ctx);
        ctx.run(event, black_box(&state)).unwrap()
    });
}

/// `start`, which the charm does not observe.
#[divan::bench]
fn run_no_observer(bencher: Bencher) {
    bench_run(
        bencher,
        autoloaded(),
        |ctx| ctx.on.start(),
        State::default(),
    );
}

/// `stop`, whose handler does nothing.
#[divan::bench]
fn run_observed(bencher: Bencher) {
    bench_run(bencher, autoloaded(), |ctx| ctx.on.stop(), State::default());
}

/// A deferred `stop` re-emitted before `config-changed`, which defers itself.
#[divan::bench]
fn deferred_events(bencher: Bencher) {
    let ctx = autoloaded::<BenchCharm>().capture_deferred_events(true);
    let state = State {
        deferred: vec![ctx.on.stop().deferred(BenchCharm::on_stop)],
        ..State::default()
    };
    bench_run(bencher, ctx, |ctx| ctx.on.config_changed(), state);
}

/// `update-status`, whose handler logs 200 lines.
#[divan::bench]
fn lots_of_logs(bencher: Bencher) {
    bench_run(
        bencher,
        autoloaded(),
        |ctx| ctx.on.update_status(),
        State::default(),
    );
}

/// Building a State with something in every field (what ops.testing's
/// `test_full_state` times).
#[divan::bench]
fn full_state_build() -> State {
    full_state()
}

/// Running `start` against that State.
#[divan::bench]
fn full_state_run(bencher: Bencher) {
    bench_run(bencher, autoloaded(), |ctx| ctx.on.start(), full_state());
}

/// Running `start` against that State given by reference (one copy).
#[divan::bench]
fn full_state_run_by_ref(bencher: Bencher) {
    bench_run_by_ref(bencher, autoloaded(), |ctx| ctx.on.start(), full_state());
}

/// A fresh Context (metadata in code), then install, start, stop and
/// remove, each run on the last one's output.
#[divan::bench]
fn four_events_explicit_meta() -> State {
    four_events(Context::<NoObserverCharm>::new(explicit_meta()))
}

/// The same with metadata loaded from `charmcraft.yaml`.
#[divan::bench]
fn four_events_autoload_meta() -> State {
    four_events(autoloaded::<BenchCharm>())
}
