//! The charm's entry point: Juju runs this binary (through `dispatch`) for every event.
//!
//! The charm writes its config file to `/etc/leadership/leadership.conf`.
//! `LEADERSHIP_CONFIG_FILE` moves it elsewhere: Juju passes no such variable
//! to hooks, so in production the default holds; the integration test
//! (`juju-sim/tests/dispatch.rs`) sets it to a temporary path.

use leadership::LeadershipCharm;
use std::path::PathBuf;

/// Overrides where the charm writes its config file.
const CONFIG_FILE_VAR: &str = "LEADERSHIP_CONFIG_FILE";

fn main() {
    let code = match std::env::var_os(CONFIG_FILE_VAR) {
        Some(path) if !path.is_empty() => ops::main_with(move |framework| {
            LeadershipCharm::with_config_file(framework, PathBuf::from(path))
        }),
        _ => ops::main::<LeadershipCharm>(),
    };
    std::process::exit(code);
}
