//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_trace_data.py>.
//!
//! Upstream observes every charm event; the events a `start` run emits are
//! `start` and the two collect-status events, so those are observed here.

use crate::helpers::meta;
use ops::trace::Tracing;
use ops::{CollectStatusEvent, Framework, HandlerResult, StartEvent, on};
use ops_testing::{Context, Relation, State};
use pretty_assertions::assert_eq;
use std::collections::BTreeSet;

const META: &str = "name: traced_charm
requires:
  charm-tracing:
    interface: tracing
    limit: 1
";

struct TracedCharm {
    _tracing: Tracing,
}

impl ops::Charm for TracedCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        let tracing = Tracing::new(
            framework.object("charm-tracing", |c: &mut Self| &mut c._tracing),
            "charm-tracing",
        );
        framework.observe(on::start(), Self::on_start);
        framework.observe(on::collect_app_status(), Self::on_collect);
        framework.observe(on::collect_unit_status(), Self::on_collect);
        TracedCharm { _tracing: tracing }
    }
}

impl TracedCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        // A span of the charm's own, inside the handler's.
        tracing::debug_span!("render config").in_scope(|| Ok(()))
    }

    fn on_collect(&mut self, _: &mut CollectStatusEvent) -> HandlerResult {
        Ok(())
    }
}

fn names(ctx: &Context<TracedCharm>) -> BTreeSet<&str> {
    ctx.trace_data.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn test_trace_data() {
    let mut ctx = Context::<TracedCharm>::new(meta(META));
    let state = State {
        leader: true,
        ..State::default()
    };
    ctx.run(ctx.on.start(), state).unwrap();

    let mut expected: BTreeSet<&str> = [
        // The entry point and root span.
        "ops.main",
        // The first-party charm library.
        "ops.tracing.Tracing",
        // Start event emitted on this charm.
        "start: TracedCharm",
        // Start event emitted on the first-party charm library.
        "start: Tracing",
        // Emitted on the leader.
        "collect_app_status: TracedCharm",
        // Emitted on all units.
        "collect_unit_status: TracedCharm",
    ]
    .into();
    // Beyond upstream: the charm's own span.
    expected.insert("render config");
    assert_eq!(names(&ctx), expected);

    let main_span = ctx
        .trace_data
        .iter()
        .find(|s| s.name == "ops.main")
        .unwrap();
    assert_eq!(main_span.parent, None);
    let events: BTreeSet<&str> = main_span.events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        events,
        [
            "StartEvent",
            "CollectStatusEvent",
            "PreCommitEvent",
            "CommitEvent"
        ]
        .into()
    );
}

#[test]
fn spans_nest_under_the_observer_call_that_opened_them() {
    let mut ctx = Context::<TracedCharm>::new(meta(META));
    ctx.run(ctx.on.start(), State::default()).unwrap();
    let spans = &ctx.trace_data;
    let index = |name: &str| spans.iter().position(|s| s.name == name).unwrap();
    assert_eq!(spans[index("start: TracedCharm")].parent, Some(0));
    assert_eq!(
        spans[index("render config")].parent,
        Some(index("start: TracedCharm"))
    );
    assert_eq!(spans[index("ops.tracing.Tracing")].parent, Some(0));
    // A follower runs no collect-app-status.
    assert!(!names(&ctx).contains("collect_app_status: TracedCharm"));
    for span in spans {
        assert!(span.end >= span.start, "{span:?}");
    }
}

#[test]
fn each_run_replaces_the_trace_data() {
    let mut ctx = Context::<TracedCharm>::new(meta(META));
    ctx.run(ctx.on.start(), State::default()).unwrap();
    ctx.run(ctx.on.update_status(), State::default()).unwrap();
    assert!(
        !names(&ctx).contains("start: TracedCharm"),
        "{:?}",
        names(&ctx)
    );
    let roots = ctx.trace_data.iter().filter(|s| s.parent.is_none()).count();
    assert_eq!(roots, 1);
}

fn tracing_relation(receivers: &str) -> Relation {
    Relation {
        interface: Some("tracing".into()),
        remote_app_name: "tempo".into(),
        remote_app_data: [("receivers".to_owned(), receivers.to_owned())]
            .into_iter()
            .collect(),
        ..Relation::new("charm-tracing")
    }
}

#[test]
fn the_leader_asks_for_otlp_http_and_the_unit_keeps_the_endpoint() {
    let mut ctx = Context::<TracedCharm>::new(meta(META));
    let receivers = r#"[{"protocol": {"name": "otlp_grpc", "type": "grpc"}, "url": "tempo:4317"},
        {"protocol": {"name": "otlp_http", "type": "http"}, "url": "http://tempo:4318"}]"#;
    let relation = tracing_relation(receivers);
    let state = State {
        leader: true,
        relations: vec![relation.clone().into()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_changed(&relation), state).unwrap();
    let relation_out = out.get_relation(relation.id).unwrap();
    assert_eq!(
        relation_out
            .local_app_data()
            .get("receivers")
            .map(String::as_str),
        Some(r#"["otlp_http"]"#)
    );
    let stored = out
        .get_stored_state("_stored", Some("TracedCharm/Tracing[charm-tracing]"))
        .unwrap();
    assert_eq!(stored.content["endpoint"], "http://tempo:4318");
}

#[test]
fn an_https_endpoint_is_not_used_and_a_follower_writes_nothing() {
    let mut ctx = Context::<TracedCharm>::new(meta(META));
    let receivers =
        r#"[{"protocol": {"name": "otlp_http", "type": "http"}, "url": "https://tempo:4318"}]"#;
    let relation = tracing_relation(receivers);
    let state = State {
        relations: vec![relation.clone().into()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_changed(&relation), state).unwrap();
    assert!(
        out.get_relation(relation.id)
            .unwrap()
            .local_app_data()
            .is_empty()
    );
    let stored = out.get_stored_state("_stored", Some("TracedCharm/Tracing[charm-tracing]"));
    assert!(
        stored.is_none_or(|s| s.content.get("endpoint").is_none_or(|v| v.is_null())),
        "{stored:?}"
    );
    assert!(
        ctx.juju_log
            .iter()
            .any(|line| line.message.contains("not an http:// URL")),
        "{:?}",
        ctx.juju_log
    );
}
