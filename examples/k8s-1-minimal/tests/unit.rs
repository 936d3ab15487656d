//! Unit tests of the k8s-1-minimal charm, one for one with upstream's
//! `tests/unit/test_charm.py`, run through ops-testing: no Juju, Kubernetes
//! or Pebble needed.
//!
//! Upstream monkeypatches `fastapi_demo.get_version`; here the charm is built
//! with [`FastApiDemoCharm::with_workload`] and given [`MockVersion`].

use k8s_1_minimal::FastApiDemoCharm;
use k8s_1_minimal::fastapi_demo::{Workload, WorkloadError};
use ops::ActiveStatus;
use ops::pebble::{Layer, Plan, ServiceStatus};
use ops_testing as testing;
use pretty_assertions::assert_eq;
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

#[test]
fn test_pebble_layer() {
    let mut ctx = context();
    let container = testing::Container::new("demo-server")
        .can_connect(true)
        .layer("rock", rock_layer());
    let state_in = testing::State {
        containers: vec![container.clone()],
        leader: true,
        ..testing::State::default()
    };
    let state_out = ctx.run(ctx.on.pebble_ready(&container), &state_in).unwrap();
    // Expected plan after Pebble ready (our charm doesn't add any layers).
    let expected_plan: Plan = rock_layer();

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
