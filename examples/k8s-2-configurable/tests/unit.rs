//! Unit tests of the k8s-2-configurable charm, one for one with upstream's
//! `tests/unit/test_charm.py`, run through ops-testing: no Juju, Kubernetes
//! or Pebble needed.
//!
//! Upstream monkeypatches `fastapi_demo.get_version`; here the charm is built
//! with [`FastApiDemoCharm::with_workload`] and given [`MockVersion`].

use k8s_2_configurable::FastApiDemoCharm;
use k8s_2_configurable::fastapi_demo::{Workload, WorkloadError};
use ops::pebble::{Layer, Override, Plan, ServiceStatus};
use ops::{ActiveStatus, BlockedStatus, MaintenanceStatus};
use ops_testing as testing;
use pretty_assertions::assert_eq;
use rstest::rstest;
use serde_json::json;
use std::rc::Rc;

/// The default Pebble layer in the application image (defined by the
/// api_demo_server rock's `rockcraft.yaml`).
fn rock_layer() -> Layer {
    Layer::from_yaml(
        r#"
services:
  fastapi:
    override: replace
    summary: FastAPI demo server
    command: /bin/uvicorn api_demo_server.app:app --host 0.0.0.0 --port 8000
    startup: enabled
    environment:
      DEMO_SERVER_LOGFILE: /tmp/demo_server.log
    on-success: shutdown
    on-failure: shutdown
"#,
    )
    .expect("the rock's layer parses")
}

/// A version without running the workload's code (upstream's `mock_get_version`).
struct MockVersion;

impl Workload for MockVersion {
    fn get_version(&self, _port: u16) -> Result<String, WorkloadError> {
        Ok("0.0.1".to_owned())
    }
}

/// A Context over the charm's own charmcraft.yaml, with the mocked version
/// (upstream's `mock_version` fixture).
fn context() -> testing::Context<FastApiDemoCharm> {
    testing::Context::from_charm_root(env!("CARGO_MANIFEST_DIR"))
        .expect("charmcraft.yaml loads")
        .with_charm(|framework| FastApiDemoCharm::with_workload(framework, Rc::new(MockVersion)))
}

fn container() -> testing::Container {
    testing::Container::new("demo-server")
        .can_connect(true)
        .layer("rock", rock_layer())
}

fn state(config: testing::Config) -> testing::State {
    testing::State {
        containers: vec![container()],
        config,
        leader: true,
        ..testing::State::default()
    }
}

fn server_port(port: i64) -> testing::Config {
    [("server-port", json!(port))].into()
}

#[test]
fn test_pebble_layer() {
    let mut ctx = context();
    let container = container();
    let state_in = state(testing::Config::default());
    let state_out = ctx.run(ctx.on.pebble_ready(&container), &state_in).unwrap();
    // Expected plan after Pebble ready with default config.
    let mut expected_plan: Plan = rock_layer();
    expected_plan
        .services
        .get_mut("fastapi")
        .unwrap()
        .r#override = Some(Override::Merge);

    let out = state_out.get_container(&container.name).unwrap();
    // Check that we have the plan we expected:
    assert_eq!(out.plan(), expected_plan);
    // Check the unit is active:
    assert_eq!(state_out.unit_status, ActiveStatus::new(""));
    // Check the service was started:
    assert_eq!(out.service_statuses["fastapi"], ServiceStatus::Active);
    // Check the workload version is set:
    assert_eq!(state_out.workload_version, "0.0.1");
}

#[test]
fn test_config_changed() {
    let mut ctx = context();
    let state_out = ctx
        .run(ctx.on.config_changed(), &state(server_port(8080)))
        .unwrap();
    let plan = state_out.get_container("demo-server").unwrap().plan();
    let command = &plan.services["fastapi"].command;
    assert!(command.contains("--port 8080"), "{command}");
}

#[test]
fn test_config_changed_invalid_port() {
    let mut ctx = context();
    let state_out = ctx
        .run(ctx.on.config_changed(), &state(server_port(22)))
        .unwrap();
    assert_eq!(
        state_out.unit_status,
        BlockedStatus::new("Invalid port number, 22 is reserved for SSH")
    );
}

// Beyond upstream.

#[rstest]
fn a_value_that_is_not_a_tcp_port_blocks_the_unit(#[values(0, -1, 65536)] port: i64) {
    let mut ctx = context();
    let state_out = ctx
        .run(ctx.on.config_changed(), &state(server_port(port)))
        .unwrap();
    assert_eq!(
        state_out.unit_status,
        BlockedStatus::new(format!(
            "Invalid port number, {port} is not between 1 and 65535"
        ))
    );
    // The image's layer is all there is.
    let plan = state_out.get_container("demo-server").unwrap().plan();
    assert_eq!(plan, rock_layer());
}

#[test]
fn a_pebble_that_does_not_answer_yet_leaves_the_unit_waiting() {
    let mut ctx = context();
    let state_in = testing::State {
        containers: vec![container().can_connect(false)],
        ..testing::State::default()
    };
    let state_out = ctx.run(ctx.on.config_changed(), &state_in).unwrap();
    assert_eq!(
        state_out.unit_status,
        MaintenanceStatus::new("Waiting for Pebble in workload container")
    );
    assert_eq!(state_out.workload_version, "");
}
