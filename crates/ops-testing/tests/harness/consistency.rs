//! The consistency check reports every problem of an input at once.

use crate::common::Probe;
use ops::{Charm, Framework, HandlerResult, StartEvent, on};
use ops_testing::{Context, Error, PeerRelation, Problem, Relation, State};
use pretty_assertions::assert_eq;
use serde_json::json;

const META: &str = "
name: strict
requires:
  db: {interface: pgsql}
peers:
  peers: {interface: strict_peers}
config:
  options:
    port: {type: int, default: 8080}
actions:
  backup: {}
";

/// Records that it ran.
struct StrictCharm {
    seen: Probe<&'static str>,
}

impl Charm for StrictCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Probe::default())
    }
}

impl StrictCharm {
    fn build(framework: &mut Framework<Self>, seen: Probe<&'static str>) -> Self {
        framework.observe(on::start(), Self::on_start);
        StrictCharm { seen }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.seen.push("start");
        Ok(())
    }
}

fn context() -> (Context<StrictCharm>, Probe<&'static str>) {
    let seen = Probe::default();
    let probe = seen.clone();
    let ctx = Context::from_yaml(META)
        .unwrap()
        .with_charm(move |fw| StrictCharm::build(fw, probe.clone()));
    (ctx, seen)
}

/// Four problems in the State itself.
fn broken_state() -> State {
    State {
        config: [
            ("colour".to_owned(), json!("blue")),
            ("port".to_owned(), json!("eighty")),
        ]
        .into(),
        relations: vec![
            Relation::new("cache").into(),
            PeerRelation {
                peers_data: [(0, Default::default()), (1, Default::default())].into(),
                ..PeerRelation::new("peers")
            }
            .into(),
        ],
        ..State::default()
    }
}

fn problems(result: Result<State, Error>) -> (Vec<Problem>, String) {
    match result {
        Err(error @ Error::Inconsistent { .. }) => {
            let text = error.to_string();
            let Error::Inconsistent { problems } = error else {
                unreachable!()
            };
            (problems, text)
        }
        other => panic!("expected Error::Inconsistent, got {other:?}"),
    }
}

fn assert_state_problems(problems: &[Problem]) {
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields[..4],
        [
            "config.colour",
            "config.port",
            "relations[0] (Relation \"cache\")",
            "relations[1] (PeerRelation \"peers\").peers_data",
        ]
    );
    for (problem, words) in problems.iter().zip([
        "not a config option",
        "not of the option's type `int`",
        "not declared",
        "holds unit 0",
    ]) {
        assert!(problem.message.contains(words), "{problem}");
    }
}

#[test]
fn every_problem_is_reported_at_once_with_a_relation_event() {
    let (mut ctx, seen) = context();
    let missing = Relation::new("db");
    let (problems, text) = problems(ctx.run(ctx.on.relation_changed(&missing), &broken_state()));
    assert_eq!(problems.len(), 5, "{text}");
    assert_state_problems(&problems);
    assert_eq!(problems[4].field, "event db_relation_changed");
    assert!(
        problems[4].message.contains(&format!(
            "relation {} is not in State.relations",
            missing.id
        )),
        "{}",
        problems[4]
    );
    assert!(text.contains("5 problem(s)"), "{text}");
    for problem in &problems {
        assert!(text.contains(&problem.to_string()), "{text}");
    }
    assert!(seen.take().is_empty(), "the charm did not run");
}

#[test]
fn every_problem_is_reported_at_once_with_an_undeclared_action() {
    let (mut ctx, seen) = context();
    let (problems, text) = problems(ctx.run(ctx.on.action("restore"), &broken_state()));
    assert_eq!(problems.len(), 5, "{text}");
    assert_state_problems(&problems);
    assert_eq!(problems[4].field, "event restore_action");
    assert!(
        problems[4]
            .message
            .contains("action \"restore\" is not declared"),
        "{}",
        problems[4]
    );
    assert!(seen.take().is_empty(), "the charm did not run");
}

#[test]
fn a_consistent_state_runs() {
    let (mut ctx, seen) = context();
    let state = State {
        config: [("port".to_owned(), json!(9000))].into(),
        relations: vec![
            Relation::new("db").into(),
            PeerRelation {
                peers_data: [(1, Default::default())].into(),
                ..PeerRelation::new("peers")
            }
            .into(),
        ],
        ..State::default()
    };
    ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(seen.take(), vec!["start"]);
}

#[test]
fn an_unparsable_juju_version_is_a_problem_not_a_panic() {
    for bad in ["latest", "3.6.x", "3.6-", ""] {
        let (ctx, seen) = context();
        let mut ctx = ctx.juju_version(bad);
        let (problems, text) = problems(ctx.run(ctx.on.start(), &State::default()));
        assert_eq!(problems.len(), 1, "{text}");
        assert_eq!(problems[0].field, "Context.juju_version");
        assert!(
            problems[0]
                .message
                .starts_with(&format!("{bad:?} is not a Juju version")),
            "{text}"
        );
        assert!(seen.take().is_empty(), "the charm did not run");
    }
}

#[test]
fn juju_versions_are_read_as_juju_writes_them() {
    // Pre-releases, build numbers and ops.testing's short forms all run.
    for good in ["3.6-beta1", "3.6-rc2.1", "3.5.4.1", "3.4", "3"] {
        let (ctx, seen) = context();
        let mut ctx = ctx.juju_version(good);
        ctx.run(ctx.on.start(), &State::default())
            .unwrap_or_else(|e| panic!("{good}: {e}"));
        assert_eq!(seen.take(), vec!["start"], "{good}");
    }
}

// Version gates order pre-releases as Juju does: 3.7-beta1 is after 3.6.10
// (it used to read as 3.0), 3.6-rc1 is before it.
#[test]
fn version_gates_order_pre_releases_as_juju_does() {
    let state = State {
        model: ops_testing::Model {
            kind: ops_testing::ModelType::Kubernetes,
            cloud_spec: Some(ops::CloudSpec::default()),
            ..ops_testing::Model::default()
        },
        ..State::default()
    };
    let (ctx, seen) = context();
    let mut ctx = ctx.juju_version("3.7-beta1");
    ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(seen.take(), vec!["start"]);

    let (ctx, _) = context();
    let mut ctx = ctx.juju_version("3.6-rc1");
    let (problems, text) = problems(ctx.run(ctx.on.start(), &state));
    assert_eq!(problems.len(), 1, "{text}");
    assert_eq!(problems[0].field, "model.cloud_spec");
}

// `Event::name` and `Event::kind` are public: an event changed after
// `ctx.on` built it is refused when it no longer fits what it carries.
#[test]
fn an_event_changed_to_no_longer_fit_its_data_is_refused() {
    let (mut ctx, seen) = context();
    let mut action = ctx.on.start();
    action.kind = ops::event::EventKind::Action;
    action.name = "backup_action".into();
    let (found, _) = problems(ctx.run(action, &State::default()));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].field, "event backup_action");
    assert!(found[0].message.contains("does not carry"), "{found:?}");

    let mut renamed = ctx.on.start();
    renamed.name = "stop".into();
    let (found, _) = problems(ctx.run(renamed, &State::default()));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("expected \"start\""), "{found:?}");

    let db = Relation::new("db");
    let mut relation_as_start = ctx.on.relation_changed(&db);
    relation_as_start.kind = ops::event::EventKind::Start;
    let state = State {
        relations: vec![db.into()],
        ..State::default()
    };
    let (found, _) = problems(ctx.run(relation_as_start, &state));
    assert!(found[0].message.contains("does not carry"), "{found:?}");
    assert!(seen.all().is_empty(), "nothing ran");
}

#[test]
fn too_many_planned_units_are_a_problem_not_an_abort() {
    use ops_testing::MAX_PLANNED_UNITS;
    let (mut ctx, seen) = context();
    for planned_units in [MAX_PLANNED_UNITS + 1, u32::MAX] {
        let state = State {
            planned_units,
            ..State::default()
        };
        let (problems, text) = problems(ctx.run(ctx.on.start(), &state));
        assert_eq!(problems.len(), 1, "{text}");
        assert_eq!(problems[0].field, "planned_units");
        assert!(
            problems[0].message.contains(&MAX_PLANNED_UNITS.to_string()),
            "{text}"
        );
    }
    assert!(seen.take().is_empty());
    // The limit itself runs.
    let state = State {
        planned_units: MAX_PLANNED_UNITS,
        ..State::default()
    };
    ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(seen.take(), ["start"]);
}
