//! Integration tests of the `ops-testing` harness, in one test binary.
//!
//! Each module covers one area and defines the small charms it runs; every
//! test arranges an input `State`, runs one event with a `Context`, and
//! asserts on the output `State` and the Context's records.

mod action_params;
mod actions;
mod by_value;
mod charm_dir;
mod collect_status;
mod common;
mod config;
mod consistency;
mod container_files;
mod custom_events;
mod deferral;
mod deployment;
mod error_text;
mod failures;
mod handles;
mod immutability;
mod leadership;
mod lease;
mod literals;
mod logging;
mod model;
mod observe_names;
mod ports;
mod probe_charm;
mod properties;
mod relations;
mod secrets;
mod serde_state;
mod statuses;
mod storage;
mod stored_state;
