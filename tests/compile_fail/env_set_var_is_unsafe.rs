//! test_context.py::test_run_env_cleared: upstream's charm sets an
//! environment variable during the run and the runtime removes it after.
//! In edition 2024 `std::env::set_var` is an `unsafe fn` (other threads may
//! read the environment), so safe charm code cannot change the environment,
//! and the harness never does: there is nothing to clear.
use ops::{Charm, Framework, HandlerResult, StartEvent, on};

struct GoodCharm;

impl Charm for GoodCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        GoodCharm
    }
}

impl GoodCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        std::env::set_var("TEST_ENV_VAR", "1");
        Ok(())
    }
}

fn main() {}
