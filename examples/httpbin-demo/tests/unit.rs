//! Unit tests of the httpbin-demo charm, one for one with upstream's
//! `tests/unit/test_charm.py`, run through ops-testing: no Juju, Kubernetes
//! or Pebble needed.

use httpbin_demo::{CONTAINER_NAME, HttpbinDemoCharm, SERVICE_NAME};
use ops::pebble::{Layer, Plan, ServiceStatus};
use ops::{ActiveStatus, Charm, MaintenanceStatus, Status};
use ops_testing as testing;
use pretty_assertions::assert_eq;
use rstest::rstest;
use serde_json::json;
use std::time::Duration;

/// A layer that defines the service with a stand-in command.
fn mock_layer() -> Layer {
    Layer::from_yaml(&format!(
        "
services:
  {SERVICE_NAME}:
    override: replace
    command: mock-command
    startup: enabled
"
    ))
    .expect("the mock layer parses")
}

fn context() -> testing::Context<HttpbinDemoCharm> {
    testing::Context::from_charm_root(env!("CARGO_MANIFEST_DIR"))
        .expect("charmcraft.yaml loads")
        // No test waits on a real second.
        .with_charm(|framework| HttpbinDemoCharm::new(framework).with_retry_delay(Duration::ZERO))
}

fn state(container: testing::Container) -> testing::State {
    testing::State {
        containers: vec![container],
        ..testing::State::default()
    }
}

/// Check that the charm correctly starts the service in the container.
#[test]
fn test_pebble_ready() {
    // Arrange:
    let mut ctx = context();
    let container = testing::Container::new(CONTAINER_NAME).can_connect(true);
    let state_in = state(container.clone());
    // Act:
    let state_out = ctx.run(ctx.on.pebble_ready(&container), &state_in).unwrap();
    // Assert:
    let out = state_out.get_container(&container.name).unwrap();
    let updated_plan = out.plan();
    let expected_plan: Plan = Layer::from_yaml(&format!(
        "
services:
  {SERVICE_NAME}:
    override: replace
    summary: httpbin
    command: gunicorn -b 0.0.0.0:80 httpbin:app -k gevent
    startup: enabled
    environment:
      GUNICORN_CMD_ARGS: --log-level info
"
    ))
    .unwrap();
    assert_eq!(expected_plan, updated_plan);
    assert_eq!(out.service_statuses[SERVICE_NAME], ServiceStatus::Active);
    assert_eq!(state_out.unit_status, ActiveStatus::new(""));
}

/// Check that the charm goes into active status if the service is active,
/// whichever event was handled.
#[test]
fn test_status_service_active() {
    let mut ctx = context();
    let container = testing::Container::new(CONTAINER_NAME)
        .layer("base", mock_layer())
        .service_status(SERVICE_NAME, ServiceStatus::Active)
        .can_connect(true);
    let state_out = ctx.run(ctx.on.update_status(), &state(container)).unwrap();
    assert_eq!(state_out.unit_status, ActiveStatus::new(""));
}

/// Check that the charm goes into maintenance status if the service isn't active.
#[test]
fn test_status_service_inactive() {
    let mut ctx = context();
    let container = testing::Container::new(CONTAINER_NAME)
        .layer("base", mock_layer())
        .service_status(SERVICE_NAME, ServiceStatus::Inactive)
        .can_connect(true);
    let state_out = ctx.run(ctx.on.update_status(), &state(container)).unwrap();
    assert_eq!(
        state_out.unit_status,
        MaintenanceStatus::new("waiting for workload")
    );
}

/// Check that the charm goes into maintenance status if the service hasn't been defined.
#[test]
fn test_status_no_service() {
    let mut ctx = context();
    let container = testing::Container::new(CONTAINER_NAME).can_connect(true);
    let state_out = ctx.run(ctx.on.update_status(), &state(container)).unwrap();
    assert_eq!(
        state_out.unit_status,
        MaintenanceStatus::new("waiting for workload container")
    );
}

/// Check that the charm goes into maintenance status if the container is down.
#[test]
fn test_status_no_pebble() {
    let mut ctx = context();
    let container = testing::Container::new(CONTAINER_NAME).can_connect(false);
    let state_out = ctx.run(ctx.on.update_status(), &state(container)).unwrap();
    assert_eq!(
        state_out.unit_status,
        MaintenanceStatus::new("waiting for workload container")
    );
}

/// A config-changed event when the config is valid.
#[rstest]
#[case("debug", "debug")]
#[case("DEBUG", "debug")]
fn test_config_changed(#[case] user_log_level: &str, #[case] gunicorn_log_level: &str) {
    let mut ctx = context();
    let container = testing::Container::new(CONTAINER_NAME).can_connect(true);
    let state_in = testing::State {
        config: [("log-level", json!(user_log_level))].into(),
        ..state(container)
    };
    let state_out = ctx.run(ctx.on.config_changed(), &state_in).unwrap();
    let updated_plan = state_out.get_container(CONTAINER_NAME).unwrap().plan();
    let gunicorn_args = &updated_plan.services[SERVICE_NAME].environment["GUNICORN_CMD_ARGS"];
    assert_eq!(*gunicorn_args, format!("--log-level {gunicorn_log_level}"));
    assert_eq!(state_out.unit_status, ActiveStatus::new(""));
}

/// A config-changed event when the config is invalid.
#[rstest]
fn test_config_changed_invalid(#[values("", "foobar")] user_log_level: &str) {
    let mut ctx = context();
    let container = testing::Container::new(CONTAINER_NAME).can_connect(true);
    let state_in = testing::State {
        config: [("log-level", json!(user_log_level))].into(),
        ..state(container)
    };
    let state_out = ctx.run(ctx.on.config_changed(), &state_in).unwrap();
    let Status::Blocked(message) = &state_out.unit_status else {
        panic!("expected blocked, got {:?}", state_out.unit_status);
    };
    assert!(
        message.starts_with(&format!("Invalid log level: '{user_log_level}'.")),
        "{message}"
    );
}

// Beyond upstream.

/// When Pebble never answers, config-changed gives up after three attempts
/// without failing the hook (pebble-ready will configure the workload).
#[test]
fn config_changed_without_pebble_gives_up_quietly() {
    let mut ctx = context();
    let container = testing::Container::new(CONTAINER_NAME).can_connect(false);
    let state_out = ctx.run(ctx.on.config_changed(), &state(container)).unwrap();
    assert_eq!(
        state_out.unit_status,
        MaintenanceStatus::new("waiting for workload container")
    );
    let attempts = ctx
        .juju_log
        .iter()
        .filter(|line| {
            line.message
                .contains("Unable to reconfigure gunicorn (attempt")
        })
        .count();
    assert_eq!(attempts, 3);
}
