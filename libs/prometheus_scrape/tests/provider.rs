//! The provider against ops-testing, with a tiny charm that exposes metrics.

use ops::{Charm, CharmMeta, Framework, on};
use ops_testing as testing;
use pretty_assertions::assert_eq;
use prometheus_scrape::MetricsEndpointProvider;
use serde_json::{Value, json};

struct MetricsCharm {
    _metrics: MetricsEndpointProvider,
}

impl Charm for MetricsCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        let mut scope = framework.object("metrics-endpoint", |c: &mut Self| &mut c._metrics);
        let jobs = vec![json!({"static_configs": [{"targets": ["*:8000"]}], "bogus": 1})];
        let metrics = MetricsEndpointProvider::new(&mut scope, "metrics-endpoint", jobs);
        MetricsEndpointProvider::refresh_on(&mut scope, on::config_changed());
        MetricsCharm { _metrics: metrics }
    }
}

fn context() -> testing::Context<MetricsCharm> {
    let meta = CharmMeta::from_yaml(
        "name: metrics\nprovides:\n  metrics-endpoint:\n    interface: prometheus_scrape\n",
    )
    .unwrap();
    testing::Context::new(meta)
}

fn relation() -> testing::Relation {
    testing::Relation {
        remote_app_name: "prometheus".into(),
        ..testing::Relation::new("metrics-endpoint")
    }
}

fn json_of(bag: &testing::Databag, key: &str) -> Value {
    serde_json::from_str(&bag[key]).unwrap()
}

#[test]
fn leader_publishes_jobs_metadata_and_address_on_joined() {
    let mut ctx = context();
    let rel = relation();
    let state = testing::State {
        leader: true,
        relations: vec![rel.clone().into()],
        ..testing::State::default()
    };
    let out = ctx.run(ctx.on.relation_joined(&rel), &state).unwrap();
    let out_rel = out.get_relation(rel.id).unwrap();
    let app = out_rel.local_app_data();
    assert_eq!(
        json_of(app, "scrape_jobs"),
        json!([{"metrics_path": "/metrics", "static_configs": [{"targets": ["*:8000"]}]}])
    );
    let meta = json_of(app, "scrape_metadata");
    assert_eq!(meta["application"], "metrics");
    assert_eq!(meta["unit"], "metrics/0");
    assert_eq!(meta["charm_name"], "metrics");
    assert!(meta["model"].is_string() && meta["model_uuid"].is_string());
    assert_eq!(json_of(app, "alert_rules"), json!({}));
    let unit = out_rel.local_unit_data();
    assert_eq!(unit["prometheus_scrape_unit_address"], "192.0.2.0");
    assert_eq!(unit["prometheus_scrape_unit_name"], "metrics/0");
    // An empty value deletes the key in Juju, as upstream's empty path does.
    assert!(!unit.contains_key("prometheus_scrape_unit_path"));
}

#[test]
fn follower_publishes_only_its_address() {
    let mut ctx = context();
    let rel = relation();
    let state = testing::State {
        leader: false,
        relations: vec![rel.clone().into()],
        ..testing::State::default()
    };
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    let out_rel = out.get_relation(rel.id).unwrap();
    assert!(!out_rel.local_app_data().contains_key("scrape_jobs"));
    assert_eq!(
        out_rel.local_unit_data()["prometheus_scrape_unit_name"],
        "metrics/0"
    );
}

#[test]
fn refresh_event_republishes() {
    let mut ctx = context();
    let rel = relation();
    let state = testing::State {
        leader: true,
        relations: vec![rel.clone().into()],
        ..testing::State::default()
    };
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert!(
        out.get_relation(rel.id)
            .unwrap()
            .local_app_data()
            .contains_key("scrape_jobs")
    );
}

#[test]
fn no_jobs_means_the_default_job() {
    assert_eq!(
        prometheus_scrape::sanitize_scrape_config(&json!("not a job")),
        prometheus_scrape::default_job()
    );
}

struct DetachedCharm {
    _metrics: MetricsEndpointProvider,
}

impl Charm for DetachedCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        let metrics =
            MetricsEndpointProvider::detached(framework.model(), "metrics-endpoint", vec![]);
        DetachedCharm { _metrics: metrics }
    }
}

#[test]
fn a_detached_provider_publishes_nothing() {
    let meta = CharmMeta::from_yaml(
        "name: metrics\nprovides:\n  metrics-endpoint:\n    interface: prometheus_scrape\n",
    )
    .unwrap();
    let mut ctx = testing::Context::<DetachedCharm>::new(meta);
    let rel = relation();
    let state = testing::State {
        leader: true,
        relations: vec![rel.clone().into()],
        ..testing::State::default()
    };
    let out = ctx.run(ctx.on.relation_joined(&rel), &state).unwrap();
    let out_rel = out.get_relation(rel.id).unwrap();
    assert!(out_rel.local_app_data().get("scrape_jobs").is_none());
    assert!(
        out_rel
            .local_unit_data()
            .get("prometheus_scrape_unit_name")
            .is_none()
    );
}
