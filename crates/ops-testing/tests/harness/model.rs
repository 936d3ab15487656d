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
