//! Typed stored state across runs.

use crate::common::{Probe, uncaught};
use ops::{Charm, Framework, HandlerResult, StartEvent, StoredState, on};
use ops_testing::{Context, State};
use pretty_assertions::assert_eq;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What the charm remembers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Memory {
    starts: u32,
    last_unit: String,
    history: Vec<String>,
}

/// Counts its starts in stored state and records what it loaded.
struct CountingCharm {
    memory: StoredState<Memory>,
    unit: String,
    seen: Probe<Memory>,
}

impl Charm for CountingCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Probe::default())
    }
}

impl CountingCharm {
    fn build(framework: &mut Framework<Self>, seen: Probe<Memory>) -> Self {
        framework.observe(on::start(), Self::on_start);
        CountingCharm {
            memory: framework.stored_state("_stored"),
            unit: framework.model().unit().name().to_owned(),
            seen,
        }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.seen.push(self.memory.get());
        let mut memory = self.memory.borrow_mut();
        memory.starts += 1;
        memory.last_unit = self.unit.clone();
        let entry = format!("start {}", memory.starts);
        memory.history.push(entry);
        Ok(())
    }
}

fn context() -> (Context<CountingCharm>, Probe<Memory>) {
    let seen = Probe::default();
    let probe = seen.clone();
    let ctx = Context::new(ops::CharmMeta::new("counter"))
        .with_charm(move |fw| CountingCharm::build(fw, probe.clone()));
    (ctx, seen)
}

fn content(value: Value) -> BTreeMap<String, Value> {
    let Value::Object(map) = value else {
        panic!("stored content is a JSON object")
    };
    map.into_iter().collect()
}

#[test]
fn stored_state_round_trips_across_runs() {
    let (mut ctx, seen) = context();
    let once = ctx.run(ctx.on.start(), &State::default()).unwrap();
    let want_once = ops_testing::StoredState::new(
        "_stored",
        content(json!({"starts": 1, "last_unit": "counter/0", "history": ["start 1"]})),
    );
    assert_eq!(once.stored_states, vec![want_once]);

    let twice = ctx.run(ctx.on.start(), &once).unwrap();
    let want_twice = ops_testing::StoredState::new(
        "_stored",
        content(json!({
            "starts": 2,
            "last_unit": "counter/0",
            "history": ["start 1", "start 2"],
        })),
    );
    assert_eq!(twice.stored_states, vec![want_twice]);
    assert_eq!(
        twice.get_stored_state("_stored", None).unwrap().content["starts"],
        2
    );

    // The second run loaded exactly what the first one saved.
    let [first, second] = seen.take().try_into().unwrap();
    assert_eq!(first, Memory::default());
    assert_eq!(
        second,
        Memory {
            starts: 1,
            last_unit: "counter/0".into(),
            history: vec!["start 1".into()],
        }
    );
}

#[test]
fn missing_fields_of_input_stored_state_get_their_defaults() {
    let (mut ctx, seen) = context();
    let state = State {
        stored_states: vec![ops_testing::StoredState::new(
            "_stored",
            content(json!({"starts": 41})),
        )],
        ..State::default()
    };
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(
        seen.take(),
        vec![Memory {
            starts: 41,
            ..Memory::default()
        }]
    );
    let want = ops_testing::StoredState::new(
        "_stored",
        content(json!({"starts": 42, "last_unit": "counter/0", "history": ["start 42"]})),
    );
    assert_eq!(out.stored_states, vec![want]);
}

#[test]
fn stored_state_of_the_wrong_shape_is_a_charm_error_naming_the_handle() {
    let (mut ctx, seen) = context();
    let state = State {
        stored_states: vec![ops_testing::StoredState::new(
            "_stored",
            content(json!({"starts": "many"})),
        )],
        ..State::default()
    };
    let (message, panicked) = uncaught(ctx.run(ctx.on.start(), &state));
    assert!(!panicked);
    assert!(
        message.contains("CountingCharm/StoredStateData[_stored]"),
        "{message}"
    );
    assert_eq!(seen.take(), vec![], "no handler ran");
}
