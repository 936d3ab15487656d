//! How a run's time and memory grow with the State: 1 to 1000 relations of
//! 10 units each, and 100 secrets, with a charm that touches nothing, one
//! relation, every relation, or one secret.
//!
//! ```sh
//! cargo bench -p juju-ops-testing --bench scale
//! ```
//!
//! Memory columns come from divan's allocation profiler: `alloc` is what one
//! iteration allocates in all, `max alloc` the most it holds at once.

#[allow(dead_code)]
mod common;

use common::{SCALE_RELATIONS, ScaleCharm, Touch, autoloaded, check_scale, scale_state};
use divan::{AllocProfiler, Bencher, black_box};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    for touch in Touch::ALL {
        for relations in SCALE_RELATIONS {
            check_scale(touch, relations);
        }
    }
    divan::main();
}

/// One clone of the input State: what a run given `&state` adds.
#[divan::bench(args = SCALE_RELATIONS)]
fn state_clone(bencher: Bencher, relations: usize) {
    let state = scale_state(relations);
    bencher.bench_local(|| black_box(&state).clone());
}

/// The State given by value: each run gets its own copy, made before the
/// timing (the output is dropped after it).
fn bench_touch(bencher: Bencher, touch: Touch, relations: usize) {
    let mut ctx = autoloaded::<ScaleCharm>();
    let state = scale_state(relations);
    let event = touch.event(&ctx, &state);
    bencher
        .with_inputs(|| state.clone())
        .bench_local_values(|state| {
            let out = ctx.run(event.clone(), black_box(state)).unwrap();
            ctx.emitted_events.clear();
            out
        });
}

/// The State given by reference: the run copies it.
#[divan::bench(args = SCALE_RELATIONS)]
fn idle_by_ref(bencher: Bencher, relations: usize) {
    let mut ctx = autoloaded::<ScaleCharm>();
    let state = scale_state(relations);
    bencher.bench_local(|| {
        let out = ctx.run(ctx.on.update_status(), black_box(&state)).unwrap();
        ctx.emitted_events.clear();
        out
    });
}

/// update-status: the charm touches nothing.
#[divan::bench(args = SCALE_RELATIONS)]
fn idle(bencher: Bencher, relations: usize) {
    bench_touch(bencher, Touch::Idle, relations);
}

/// db-relation-changed: the charm reads and writes the event's relation.
#[divan::bench(args = SCALE_RELATIONS)]
fn one_relation(bencher: Bencher, relations: usize) {
    bench_touch(bencher, Touch::OneRelation, relations);
}

/// config-changed: the charm reads and writes every relation.
#[divan::bench(args = SCALE_RELATIONS)]
fn all_relations(bencher: Bencher, relations: usize) {
    bench_touch(bencher, Touch::AllRelations, relations);
}

/// leader-elected: the charm reads one secret, by label, of 100.
#[divan::bench(args = SCALE_RELATIONS)]
fn one_secret(bencher: Bencher, relations: usize) {
    bench_touch(bencher, Touch::OneSecret, relations);
}
