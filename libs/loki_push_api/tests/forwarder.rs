//! The forwarder against ops-testing, with a tiny charm with one workload.

use loki_push_api::LogForwarder;
use ops::pebble::{LogTargetType, Override};
use ops::{Charm, CharmMeta, Framework};
use ops_testing as testing;
use pretty_assertions::assert_eq;

struct LoggingCharm {
    _logging: LogForwarder,
}

impl Charm for LoggingCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        let mut scope = framework.object("logging", |c: &mut Self| &mut c._logging);
        LoggingCharm {
            _logging: LogForwarder::new(&mut scope, "logging"),
        }
    }
}

fn context() -> testing::Context<LoggingCharm> {
    let meta = CharmMeta::from_yaml(
        "name: app\ncontainers:\n  workload: {}\nrequires:\n  logging:\n    interface: loki_push_api\n",
    )
    .unwrap();
    testing::Context::new(meta)
}

fn loki(units: &[(u32, &str)]) -> testing::Relation {
    testing::Relation {
        remote_app_name: "loki".into(),
        remote_units_data: units
            .iter()
            .map(|(id, url)| {
                let endpoint = serde_json::json!({ "url": url }).to_string();
                (*id, [("endpoint", endpoint.as_str())].into())
            })
            .collect(),
        ..testing::Relation::new("logging")
    }
}

fn state(rel: &testing::Relation, container: testing::Container) -> testing::State {
    testing::State {
        relations: vec![rel.clone().into()],
        containers: vec![container],
        ..testing::State::default()
    }
}

#[test]
fn relation_changed_sets_a_loki_log_target_per_unit() {
    let mut ctx = context();
    let rel = loki(&[(0, "http://loki-0:3100/loki/api/v1/push")]);
    let container = testing::Container::new("workload").can_connect(true);
    let out = ctx
        .run(ctx.on.relation_changed(&rel), &state(&rel, container))
        .unwrap();
    let plan = out.get_container("workload").unwrap().plan();
    let target = &plan.log_targets["loki/0"];
    assert_eq!(target.target_type, Some(LogTargetType::Loki));
    assert_eq!(target.location, "http://loki-0:3100/loki/api/v1/push");
    assert_eq!(target.services, vec!["all".to_owned()]);
    assert_eq!(target.labels["product"], "Juju");
    assert_eq!(target.labels["juju_application"], "app");
    assert_eq!(target.labels["juju_unit"], "app/0");
    assert!(target.labels["job"].starts_with("juju_"));
    assert!(target.labels["job"].ends_with("_app"));
    assert_eq!(target.r#override, Some(Override::Replace));
}

#[test]
fn a_gone_loki_unit_is_disabled() {
    let mut ctx = context();
    let before = loki(&[(0, "http://a/push"), (1, "http://b/push")]);
    let container = testing::Container::new("workload").can_connect(true);
    let first = ctx
        .run(ctx.on.relation_changed(&before), &state(&before, container))
        .unwrap();
    let after = testing::Relation {
        remote_units_data: [(0, before.remote_units_data[&0].clone())].into(),
        ..before.clone()
    };
    let container = first.get_container("workload").unwrap().clone();
    let out = ctx
        .run(ctx.on.relation_changed(&after), &state(&after, container))
        .unwrap();
    let plan = out.get_container("workload").unwrap().plan();
    assert_eq!(plan.log_targets["loki/0"].services, vec!["all".to_owned()]);
    assert_eq!(plan.log_targets["loki/1"].services, vec!["-all".to_owned()]);
    assert_eq!(plan.log_targets["loki/1"].location, "(removed)");
}

#[test]
fn pebble_ready_sets_targets_and_no_endpoint_changes_nothing() {
    let mut ctx = context();
    let rel = loki(&[(0, "http://a/push")]);
    let container = testing::Container::new("workload").can_connect(true);
    let out = ctx
        .run(
            ctx.on.pebble_ready(&container),
            &state(&rel, container.clone()),
        )
        .unwrap();
    assert!(
        out.get_container("workload")
            .unwrap()
            .plan()
            .log_targets
            .contains_key("loki/0")
    );

    let empty = testing::Relation {
        remote_units_data: [(0, testing::Databag::default())].into(),
        ..rel
    };
    let out = ctx
        .run(ctx.on.relation_changed(&empty), &state(&empty, container))
        .unwrap();
    assert!(
        out.get_container("workload")
            .unwrap()
            .plan()
            .log_targets
            .is_empty()
    );
}
