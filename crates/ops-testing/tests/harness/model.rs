//! What the charm reads of the model: planned units, names, identity.

use crate::common::Probe;
use ops::{Charm, Framework, HandlerResult, Model, StartEvent, on};
use ops_testing::{Context, State};
use pretty_assertions::assert_eq;
use rstest::rstest;

/// Records the planned units and its identity on start.
struct CensusCharm {
    model: Model,
    seen: Probe<(usize, String, String, String)>,
}

impl Charm for CensusCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Probe::default())
    }
}

impl CensusCharm {
    fn build(
        framework: &mut Framework<Self>,
        seen: Probe<(usize, String, String, String)>,
    ) -> Self {
        framework.observe(on::start(), Self::on_start);
        CensusCharm {
            model: framework.model().clone(),
            seen,
        }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.seen.push((
            self.model.app().planned_units()?,
            self.model.unit().name().to_owned(),
            self.model.app().name().to_owned(),
            self.model.name().to_owned(),
        ));
        Ok(())
    }
}

#[rstest]
fn planned_units_come_from_the_state(#[values(1, 4)] planned_units: u32) {
    let seen = Probe::default();
    let probe = seen.clone();
    let mut ctx = Context::new(ops::CharmMeta::new("census"))
        .app_name("people")
        .unit_id(3)
        .with_charm(move |fw| CensusCharm::build(fw, probe.clone()));
    let state = State {
        planned_units,
        model: ops_testing::Model {
            name: "prod".into(),
            ..ops_testing::Model::default()
        },
        ..State::default()
    };
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(
        seen.take(),
        vec![(
            planned_units as usize,
            "people/3".to_owned(),
            "people".to_owned(),
            "prod".to_owned()
        )]
    );
    assert_eq!(out.planned_units, planned_units);
}

/// On start, calls the model facade named by `call` and records the outcome.
struct FacadeCharm {
    model: Model,
    call: &'static str,
    seen: Probe<Result<String, ops::ModelError>>,
}

impl Charm for FacadeCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, "", Probe::default())
    }
}

impl FacadeCharm {
    fn build(
        framework: &mut Framework<Self>,
        call: &'static str,
        seen: Probe<Result<String, ops::ModelError>>,
    ) -> Self {
        framework.observe(on::start(), Self::on_start);
        FacadeCharm {
            model: framework.model().clone(),
            call,
            seen,
        }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        let outcome = match self.call {
            "request_storage" => self
                .model
                .request_storage("data", 2)
                .map(|()| "requested".to_owned()),
            "request_undeclared_storage" => self
                .model
                .request_storage("nope", 1)
                .map(|()| "requested".to_owned()),
            "remote_model_uuid" => {
                let relation = self
                    .model
                    .get_relation("db")?
                    .expect("the db relation exists");
                relation.remote_model_uuid()
            }
            "reboot" => self
                .model
                .unit()
                .reboot(false)
                .map(|()| "rebooting".to_owned()),
            other => panic!("unknown call {other}"),
        };
        self.seen.push(outcome);
        Ok(())
    }
}

const FACADE_META: &str = "
name: facades
requires:
  db: {interface: pgsql}
storage:
  data: {type: filesystem}
";

fn call_facade(
    call: &'static str,
    juju_version: &str,
    state: &State,
) -> (Context<FacadeCharm>, Result<String, ops::ModelError>) {
    let seen = Probe::default();
    let probe = seen.clone();
    let mut ctx = Context::<FacadeCharm>::from_yaml(FACADE_META)
        .unwrap()
        .juju_version(juju_version)
        .with_charm(move |fw| FacadeCharm::build(fw, call, probe.clone()));
    ctx.run(ctx.on.start(), state).unwrap();
    let outcome = seen.take().pop().expect("the start handler ran");
    (ctx, outcome)
}

#[test]
fn requested_storage_is_recorded_on_the_context() {
    let (ctx, outcome) = call_facade("request_storage", "3.6.14", &State::default());
    assert_eq!(outcome.unwrap(), "requested");
    assert_eq!(ctx.requested_storages, [("data".to_owned(), 2)].into());
}

#[test]
fn requesting_undeclared_storage_is_refused_before_juju_is_asked() {
    let (ctx, outcome) = call_facade("request_undeclared_storage", "3.6.14", &State::default());
    assert!(
        matches!(outcome, Err(ops::ModelError::NotDeclared { ref name, .. }) if name == "nope"),
        "{outcome:?}"
    );
    assert!(ctx.requested_storages.is_empty());
}

#[rstest]
#[case::cross_model(
    Some("6f0c3a30-0000-4000-8000-000000000001"),
    "6f0c3a30-0000-4000-8000-000000000001"
)]
#[case::same_model(None, "c0ffee00-0000-4000-8000-000000000000")]
fn remote_model_uuid_is_the_other_model_or_this_one(
    #[case] remote: Option<&str>,
    #[case] want: &str,
) {
    let db = ops_testing::Relation {
        remote_model_uuid: remote.map(str::to_owned),
        ..ops_testing::Relation::new("db")
    };
    let state = State {
        relations: vec![db.into()],
        ..State::default()
    };
    let (_, outcome) = call_facade("remote_model_uuid", "3.6.14", &state);
    assert_eq!(outcome.unwrap(), want);
}

#[test]
fn remote_model_needs_juju_3_6_2() {
    let state = State {
        relations: vec![ops_testing::Relation::new("db").into()],
        ..State::default()
    };
    let (_, outcome) = call_facade("remote_model_uuid", "3.6.1", &state);
    assert!(
        matches!(outcome, Err(ops::ModelError::HookTool { ref tool, .. }) if tool == "relation-model-get"),
        "{outcome:?}"
    );
}

#[test]
fn reboot_is_not_simulated() {
    let (_, outcome) = call_facade("reboot", "3.6.14", &State::default());
    assert!(
        matches!(outcome, Err(ops::ModelError::Unsupported { ref tool, .. }) if tool == "juju-reboot"),
        "{outcome:?}"
    );
}
