//! State JSON bytes -> `ops_testing::State` (serde), then the consistency
//! check and a run of a small charm (and a second run from its output):
//! any outcome but a panic is fine.
#![no_main]

#[path = "../../crates/ops-testing/tests/harness/probe_charm.rs"]
mod probe_charm;

use libfuzzer_sys::fuzz_target;
use ops_testing::{Context, State};
use probe_charm::{PROBE_META, ProbeCharm};

fuzz_target!(|data: &[u8]| {
    let Ok(state) = serde_json::from_slice::<State>(data) else {
        return;
    };
    let ids: Vec<String> = state.secrets.iter().map(|s| s.id.clone()).collect();
    let Ok(ctx) = Context::<ProbeCharm>::from_yaml(PROBE_META) else {
        return;
    };
    let mut ctx = ctx.with_charm(move |fw| ProbeCharm::build(fw, ids.clone()));
    if let Ok(out) = ctx.run(ctx.on.start(), &state) {
        let _ = ctx.run(ctx.on.update_status(), &out);
    }
});
