//! Unit tests of the k8s-5-observe charm, one for one with upstream's
//! `tests/unit/test_charm.py`, run through ops-testing: no Juju, Kubernetes,
//! Pebble or PostgreSQL needed.
//!
//! Upstream monkeypatches `fastapi_demo.get_version`; here the charm is built
//! with [`FastApiDemoCharm::with_workload`] and given [`MockVersion`].

use k8s_5_observe::FastApiDemoCharm;
use k8s_5_observe::fastapi_demo::{Workload, WorkloadError};
use ops::pebble::{Layer, Override, Plan, ServiceStatus};
use ops::{ActiveStatus, BlockedStatus, WaitingStatus};
use ops_testing as testing;
use pretty_assertions::assert_eq;
use serde_json::json;
use std::collections::BTreeMap;
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
/// (upstream's `mock_version` fixture; the action tests, which upstream runs
/// without it, never reach the server either).
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

fn state(config: testing::Config, relations: Vec<testing::AnyRelation>) -> testing::State {
    testing::State {
        containers: vec![container()],
        relations,
        config,
        leader: true,
        ..testing::State::default()
    }
}

fn server_port(port: i64) -> testing::Config {
    [("server-port", json!(port))].into()
}

/// A database relation whose provider (postgresql-k8s) has answered.
fn database() -> testing::Relation {
    testing::Relation {
        interface: Some("postgresql_client".into()),
        remote_app_name: "postgresql-k8s".into(),
        remote_app_data: [
            ("endpoints", "example.com:5432"),
            ("username", "foo"),
            ("password", "bar"),
        ]
        .into(),
        ..testing::Relation::new("database")
    }
}

fn results(value: serde_json::Value) -> Option<serde_json::Map<String, serde_json::Value>> {
    value.as_object().cloned()
}

#[test]
fn test_pebble_layer() {
    let mut ctx = context();
    let container = container();
    let state_in = state(testing::Config::default(), vec![]);
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
    // Check the unit is blocked:
    assert_eq!(
        state_out.unit_status,
        BlockedStatus::new("Waiting for database relation")
    );
    // Check the service was started:
    assert_eq!(out.service_statuses["fastapi"], ServiceStatus::Active);
    // Check the workload version is set:
    assert_eq!(state_out.workload_version, "0.0.1");
}

#[test]
fn test_config_changed() {
    let mut ctx = context();
    let state_out = ctx
        .run(ctx.on.config_changed(), &state(server_port(8080), vec![]))
        .unwrap();
    let plan = state_out.get_container("demo-server").unwrap().plan();
    let command = &plan.services["fastapi"].command;
    assert!(command.contains("--port 8080"), "{command}");
}

#[test]
fn test_config_changed_invalid_port() {
    let mut ctx = context();
    let state_out = ctx
        .run(ctx.on.config_changed(), &state(server_port(22), vec![]))
        .unwrap();
    assert_eq!(
        state_out.unit_status,
        BlockedStatus::new("Invalid port number, 22 is reserved for SSH")
    );
}

#[test]
fn test_relation_data() {
    let mut ctx = context();
    let relation = database();
    let state_in = state(testing::Config::default(), vec![relation.clone().into()]);

    let state_out = ctx
        .run(ctx.on.relation_changed(&relation), &state_in)
        .unwrap();

    let plan = state_out.get_container("demo-server").unwrap().plan();
    let mut expected: BTreeMap<String, String> =
        rock_layer().services["fastapi"].environment.clone();
    expected.extend(
        [
            ("DEMO_SERVER_DB_HOST", "example.com"),
            ("DEMO_SERVER_DB_PORT", "5432"),
            ("DEMO_SERVER_DB_USER", "foo"),
            ("DEMO_SERVER_DB_PASSWORD", "bar"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    assert_eq!(plan.services["fastapi"].environment, expected);
}

#[test]
fn test_no_database_blocked() {
    let mut ctx = context();
    // We've omitted relation data from the input state.
    let state_in = state(testing::Config::default(), vec![]);

    let state_out = ctx.run(ctx.on.collect_unit_status(), &state_in).unwrap();

    assert_eq!(
        state_out.unit_status,
        BlockedStatus::new("Waiting for database relation")
    );
}

#[test]
fn test_get_db_info_action() {
    let mut ctx = context();
    let state_in = state(testing::Config::default(), vec![database().into()]);

    ctx.run(
        ctx.on
            .action("get-db-info")
            .params(json!({"show-password": false})),
        &state_in,
    )
    .unwrap();

    assert_eq!(
        ctx.action_results,
        results(json!({
            "db-host": "example.com",
            "db-port": "5432",
        }))
    );
}

#[test]
fn test_get_db_info_action_show_password() {
    let mut ctx = context();
    let state_in = state(testing::Config::default(), vec![database().into()]);

    ctx.run(
        ctx.on
            .action("get-db-info")
            .params(json!({"show-password": true})),
        &state_in,
    )
    .unwrap();

    assert_eq!(
        ctx.action_results,
        results(json!({
            "db-host": "example.com",
            "db-port": "5432",
            "db-username": "foo",
            "db-password": "bar",
        }))
    );
}

// Beyond upstream.

#[test]
fn the_leader_asks_for_the_names_db_database() {
    let mut ctx = context();
    let relation = testing::Relation::new("database");
    let state_in = state(testing::Config::default(), vec![relation.clone().into()]);
    let state_out = ctx
        .run(ctx.on.relation_created(&relation), &state_in)
        .unwrap();
    let Some(testing::AnyRelation::Regular(out)) = state_out.get_relation(relation.id) else {
        panic!("the relation is in the output state");
    };
    assert_eq!(
        out.local_app_data.get("database").map(String::as_str),
        Some("names_db")
    );
}

#[test]
fn a_database_that_has_not_answered_leaves_the_unit_waiting() {
    let mut ctx = context();
    // The service runs, so waiting is the most severe status left.
    let state_in = testing::State {
        containers: vec![container().service_status("fastapi", ServiceStatus::Active)],
        ..state(
            testing::Config::default(),
            vec![testing::Relation::new("database").into()],
        )
    };
    let state_out = ctx.run(ctx.on.collect_unit_status(), &state_in).unwrap();
    assert_eq!(
        state_out.unit_status,
        WaitingStatus::new("Waiting for database relation")
    );
}

#[test]
fn with_the_database_and_the_service_running_the_unit_is_active() {
    let mut ctx = context();
    let relation = database();
    let state_in = state(testing::Config::default(), vec![relation.clone().into()]);
    let state_out = ctx
        .run(ctx.on.relation_changed(&relation), &state_in)
        .unwrap();
    assert_eq!(state_out.unit_status, ActiveStatus::new(""));
}

#[test]
fn the_action_fails_without_a_database() {
    let mut ctx = context();
    let state_in = state(testing::Config::default(), vec![]);
    let err = ctx
        .run(
            ctx.on
                .action("get-db-info")
                .params(json!({"show-password": false})),
            &state_in,
        )
        .unwrap_err();
    assert!(err.to_string().contains("No database connected"), "{err}");
}

// Beyond upstream: the observability relations this example adds.

#[test]
fn prometheus_gets_a_scrape_job_for_the_configured_port() {
    let mut ctx = context();
    let metrics = testing::Relation {
        remote_app_name: "prometheus-k8s".into(),
        ..testing::Relation::new("metrics-endpoint")
    };
    let state_in = state(server_port(8080), vec![metrics.clone().into()]);
    let state_out = ctx.run(ctx.on.config_changed(), &state_in).unwrap();
    let rel = state_out.get_relation(metrics.id).unwrap();
    let jobs: serde_json::Value =
        serde_json::from_str(&rel.local_app_data()["scrape_jobs"]).unwrap();
    assert_eq!(
        jobs,
        json!([{"metrics_path": "/metrics", "static_configs": [{"targets": ["*:8080"]}]}])
    );
    assert_eq!(
        rel.local_unit_data()["prometheus_scrape_unit_name"],
        "fastapi-demo/0"
    );
}

#[test]
fn an_invalid_port_publishes_no_scrape_job() {
    let mut ctx = context();
    let metrics = testing::Relation::new("metrics-endpoint");
    let state_in = state(server_port(22), vec![metrics.clone().into()]);
    let state_out = ctx.run(ctx.on.config_changed(), &state_in).unwrap();
    let rel = state_out.get_relation(metrics.id).unwrap();
    assert!(rel.local_app_data().get("scrape_jobs").is_none());
}

#[test]
fn loki_units_become_pebble_log_targets() {
    let mut ctx = context();
    let logging = testing::Relation {
        remote_app_name: "loki-k8s".into(),
        remote_units_data: [(
            0,
            [(
                "endpoint",
                r#"{"url": "http://loki-0:3100/loki/api/v1/push"}"#,
            )]
            .into(),
        )]
        .into(),
        ..testing::Relation::new("logging")
    };
    let state_in = state(testing::Config::default(), vec![logging.clone().into()]);
    let state_out = ctx
        .run(ctx.on.relation_changed(&logging), &state_in)
        .unwrap();
    let plan = state_out.get_container("demo-server").unwrap().plan();
    assert_eq!(
        plan.log_targets["loki-k8s/0"].location,
        "http://loki-0:3100/loki/api/v1/push"
    );
    assert_eq!(
        plan.log_targets["loki-k8s/0"].services,
        vec!["all".to_owned()]
    );
}

/// The Grafana relation, as upstream's Grafana charm would be related.
fn grafana() -> testing::Relation {
    testing::Relation {
        remote_app_name: "grafana-k8s".into(),
        ..testing::Relation::new("grafana-dashboard")
    }
}

#[test]
fn the_leader_sends_grafana_the_dashboard() {
    let mut ctx = context();
    let rel = grafana();
    let state_in = state(testing::Config::default(), vec![rel.clone().into()]);
    let state_out = ctx.run(ctx.on.relation_created(&rel), &state_in).unwrap();
    let bag = state_out.get_relation(rel.id).unwrap().local_app_data();
    let sent: serde_json::Value = serde_json::from_str(&bag["dashboards"]).unwrap();
    let templates = sent["templates"].as_object().unwrap();
    // The id is upstream's `file:<stem>` of FastAPI-Monitoring.json.tmpl.
    assert_eq!(
        templates.keys().collect::<Vec<_>>(),
        ["file:FastAPI-Monitoring.json"]
    );
    let template = &templates["file:FastAPI-Monitoring.json"];
    assert_eq!(template["charm"], "fastapi-demo");
    assert_eq!(template["inject_dropdowns"], true);
    assert_eq!(template["juju_topology"]["application"], "fastapi-demo");
    assert_eq!(template["juju_topology"]["unit"], "fastapi-demo/0");
    // Computed with Python: hashlib.shake_256(
    // b"fastapi-demo-file:FastAPI-Monitoring.json").hexdigest(8).
    assert_eq!(template["dashboard_alt_uid"], "831ef532d49811fe");
    let content = grafana_dashboard::decode_content(template["content"].as_str().unwrap()).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&content).unwrap();
    assert_eq!(dashboard["title"], "FastAPI Monitoring");
    assert_eq!(dashboard["tags"], json!(["charm: fastapi-demo"]));
    // Computed with Python: hashlib.shake_256(b"fastapi-demo-src/
    // grafana_dashboards/FastAPI-Monitoring.json.tmpl").hexdigest(20).
    assert_eq!(dashboard["uid"], "a1f4eecad2ce7e2c8ea1935b970eb4a0a5a22712");
    assert!(sent["uuid"].is_string());
}

#[test]
fn a_follower_sends_grafana_nothing() {
    let mut ctx = context();
    let rel = grafana();
    let state_in = testing::State {
        leader: false,
        ..state(testing::Config::default(), vec![rel.clone().into()])
    };
    let state_out = ctx.run(ctx.on.config_changed(), &state_in).unwrap();
    let bag = state_out.get_relation(rel.id).unwrap().local_app_data();
    assert!(bag.get("dashboards").is_none());
}

#[test]
fn the_packed_charm_carries_the_dashboards_where_the_provider_looks() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let charmcraft = std::fs::read_to_string(root.join("charmcraft.yaml")).unwrap();
    let install = format!(
        "\"$CRAFT_PART_INSTALL/{}\" \\\n        \"$CRAFT_PART_BUILD\"/examples/k8s-5-observe/{}/*",
        grafana_dashboard::DEFAULT_DASHBOARDS_PATH,
        grafana_dashboard::DEFAULT_DASHBOARDS_PATH,
    );
    assert!(
        charmcraft.contains(&install),
        "charmcraft.yaml lacks {install:?}"
    );
    assert!(
        root.join(grafana_dashboard::DEFAULT_DASHBOARDS_PATH)
            .join("FastAPI-Monitoring.json.tmpl")
            .is_file()
    );
}
