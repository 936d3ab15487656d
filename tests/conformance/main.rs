//! Ports of ops.testing's own test suite (canonical/operator,
//! `testing/tests/`), one module per upstream file. Test names keep the
//! upstream Python names so parity can be grepped; `docs/parity.md` lists
//! every upstream test and what became of it.
//!
//! Upstream files with nothing left to port are not listed: their tests
//! check Python-only
//! mechanics that Rust guarantees at compile time (`test_rubbish_events.py`,
//! `test_emitted_events_util.py`, `test_breakpoint.py`, ...).

mod helpers;

mod actions;
mod charm_spec_autoload;
mod check_info;
mod cloud_spec;
mod config;
mod consistency_checker;
mod consistency_rules;
mod context;
mod context_on;
mod deferred;
mod emitted_events_util;
mod event;
mod juju_log;
mod manager;
mod network;
mod pebble;
mod play_assertions;
mod ports;
mod relations;
mod resource;
mod rubbish_events;
mod runtime;
mod secrets;
mod state;
mod status;
mod storage;
mod stored_state;
mod trace_data;
mod vroot;
