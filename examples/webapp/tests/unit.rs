//! Unit tests of the web app charm, run through ops-testing: no Juju, no
//! Kubernetes and no Pebble needed.

use ops::pebble::{CheckStatus, ServiceStatus};
use ops::{ActiveStatus, BlockedStatus, WaitingStatus};
use ops_testing as testing;
use pretty_assertions::assert_eq;
use rstest::rstest;
use serde_json::json;
use webapp::{CHECK, CONFIG_FILE, RELOADED_NOTICE, SERVICE, WebConfig, WebappCharm, layer};

fn context() -> testing::Context<WebappCharm> {
    testing::Context::from_charm_root(env!("CARGO_MANIFEST_DIR")).expect("charmcraft.yaml loads")
}

fn web() -> testing::Container {
    testing::Container::new("web").can_connect(true)
}

fn state(container: testing::Container) -> testing::State {
    testing::State {
        containers: vec![container],
        ..testing::State::default()
    }
}

fn defaults() -> WebConfig {
    WebConfig {
        port: 8080,
        greeting: "Hello".into(),
    }
}

#[test]
fn pebble_ready_writes_the_config_adds_the_layer_and_starts_the_server() {
    let mut ctx = context();
    let container = web();
    let out = ctx
        .run(ctx.on.pebble_ready(&container), state(container.clone()))
        .unwrap();

    let web = out.get_container("web").unwrap();
    assert_eq!(web.layers, [(SERVICE.to_owned(), layer(&defaults()))]);
    assert_eq!(web.services()[SERVICE].current, ServiceStatus::Active);
    assert_eq!(web.get_check_info(CHECK).unwrap().status, CheckStatus::Up);
    assert_eq!(out.unit_status, ActiveStatus::new("serving on port 8080"));
    let root = web.get_filesystem(&ctx).unwrap();
    let written = std::fs::read_to_string(root.join(CONFIG_FILE.trim_start_matches('/'))).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&written).unwrap(),
        json!({"port": 8080, "greeting": "Hello"})
    );
}

#[test]
fn a_config_change_restarts_the_server_with_the_new_port() {
    let mut ctx = context();
    let container = web();
    let running = ctx
        .run(ctx.on.pebble_ready(&container), state(container))
        .unwrap();
    let changed = testing::State {
        config: [("port", json!(9090))].into(),
        ..running
    };
    let out = ctx.run(ctx.on.config_changed(), changed).unwrap();

    let web = out.get_container("web").unwrap();
    let plan = web.plan();
    assert_eq!(plan.services[SERVICE].environment["WEBAPP_PORT"], "9090");
    assert_eq!(
        plan.checks[CHECK].http.as_ref().unwrap().url,
        "http://localhost:9090/health"
    );
    assert_eq!(web.services()[SERVICE].current, ServiceStatus::Active);
    assert_eq!(out.unit_status, ActiveStatus::new("serving on port 9090"));
    assert!(
        ctx.juju_log
            .iter()
            .any(|line| line.message.contains("restarting webapp"))
    );
}

#[rstest]
fn without_pebble_the_unit_waits(#[values(true, false)] pebble_ready_first: bool) {
    let mut ctx = context();
    let container = testing::Container::new("web");
    let event = if pebble_ready_first {
        ctx.on.pebble_ready(&container)
    } else {
        ctx.on.config_changed()
    };
    let out = ctx.run(event, state(container)).unwrap();
    assert_eq!(
        out.unit_status,
        WaitingStatus::new("waiting for Pebble in the web container")
    );
    assert!(out.get_container("web").unwrap().layers.is_empty());
}

fn with_check(status: CheckStatus, failures: u64) -> (testing::Container, testing::CheckInfo) {
    let info = testing::CheckInfo::new(CHECK)
        .level(ops::pebble::CheckLevel::Alive)
        .status(status)
        .failures(failures);
    let container = web()
        .layer(SERVICE, layer(&defaults()))
        .service_status(SERVICE, ServiceStatus::Active)
        .check_info(info.clone());
    (container, info)
}

#[test]
fn a_failing_health_check_blocks_the_unit_until_it_recovers() {
    let mut ctx = context();
    let (container, info) = with_check(CheckStatus::Down, 3);
    let out = ctx
        .run(
            ctx.on.pebble_check_failed(&container, &info),
            state(container),
        )
        .unwrap();
    assert_eq!(
        out.unit_status,
        BlockedStatus::new("health check failing (3 failures)")
    );

    let (container, info) = with_check(CheckStatus::Up, 0);
    let recovered = testing::State {
        containers: vec![container.clone()],
        ..out
    };
    let out = ctx
        .run(ctx.on.pebble_check_recovered(&container, &info), recovered)
        .unwrap();
    assert_eq!(out.unit_status, ActiveStatus::new("serving on port 8080"));
}

#[test]
fn a_reload_notice_is_reported() {
    let mut ctx = context();
    let notice = testing::Notice::new(RELOADED_NOTICE).occurrences(4);
    let container = web().notice(notice.clone());
    let out = ctx
        .run(
            ctx.on.pebble_custom_notice(&container, &notice),
            state(container),
        )
        .unwrap();
    assert_eq!(out.unit_status, ActiveStatus::new("reloaded 4 times"));
}
