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

/// A newer revision's state: a field this charm does not know, and one
/// inside a nested struct.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Nested {
    inner: Inner,
    starts: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Inner {
    known: u32,
}

/// Bumps `starts` and `inner.known` of a [`Nested`] state.
struct NestedCharm {
    stored: StoredState<Nested>,
}

impl Charm for NestedCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        NestedCharm {
            stored: framework.stored_state("_stored"),
        }
    }
}

impl NestedCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        let mut stored = self.stored.borrow_mut();
        stored.starts += 1;
        stored.inner.known += 10;
        Ok(())
    }
}

#[test]
fn fields_the_stored_type_does_not_know_survive_a_save() {
    let mut ctx = Context::<NestedCharm>::new(ops::CharmMeta::new("nested"));
    let state = State {
        stored_states: vec![ops_testing::StoredState::new(
            "_stored",
            content(json!({
                "starts": 1,
                "from_newer_revision": {"deep": [1, 2]},
                "inner": {"known": 1, "also_unknown": "kept"},
            })),
        )],
        ..State::default()
    };
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    let want = ops_testing::StoredState::new(
        "_stored",
        content(json!({
            "starts": 2,
            "from_newer_revision": {"deep": [1, 2]},
            "inner": {"known": 11, "also_unknown": "kept"},
        })),
    );
    assert_eq!(out.stored_states, vec![want]);
    // And again from the output: nothing is lost on the second save either.
    let again = ctx.run(ctx.on.start(), &out).unwrap();
    assert_eq!(
        again.stored_states[0].content["from_newer_revision"],
        json!({"deep": [1, 2]})
    );
    assert_eq!(again.stored_states[0].content["starts"], json!(3));
}

/// Registers a stored state with the name it is given.
struct NamedCharm;

impl NamedCharm {
    fn build(framework: &mut Framework<Self>, name: &str) -> Self {
        framework.observe(on::start(), |_: &mut Self, _: &mut StartEvent| Ok(()));
        let _: StoredState<Memory> = framework.stored_state(name);
        NamedCharm
    }
}

impl Charm for NamedCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, "_stored")
    }
}

#[rstest::rstest]
#[case::slash("a/b")]
#[case::bracket("a[0]")]
#[case::closing("x]")]
#[case::empty("")]
fn a_stored_state_name_that_breaks_its_handle_path_is_refused(#[case] name: &'static str) {
    // At registration, by the framework (the same code runs in production).
    let mut ctx = Context::<NamedCharm>::new(ops::CharmMeta::new("named"))
        .with_charm(move |fw| NamedCharm::build(fw, name));
    let (message, _) = uncaught(ctx.run(ctx.on.start(), &State::default()));
    assert!(message.contains("stored state"), "{message}");
    assert!(message.contains(&format!("{name:?}")), "{message}");
    // And in the input State, by the consistency check.
    let mut ctx = Context::<NamedCharm>::new(ops::CharmMeta::new("named"));
    let state = State {
        stored_states: vec![ops_testing::StoredState::new(name, BTreeMap::new())],
        ..State::default()
    };
    let Err(ops_testing::Error::Inconsistent { problems }) = ctx.run(ctx.on.start(), &state) else {
        panic!("expected Error::Inconsistent");
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].field, "stored_states[0].name");
}

#[test]
fn a_stored_state_name_with_other_punctuation_round_trips() {
    let mut ctx = Context::<NamedCharm>::new(ops::CharmMeta::new("named"))
        .with_charm(|fw| NamedCharm::build(fw, "my_state-1.x"));
    // Given in the input (a state the run does not touch and the input
    // lacks is left out of the output), it comes back under its name.
    let state = State {
        stored_states: vec![ops_testing::StoredState::new(
            "my_state-1.x",
            [("starts".to_owned(), 3.into())].into(),
        )],
        ..State::default()
    };
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(out.stored_states.len(), 1);
    assert_eq!(out.stored_states[0].name, "my_state-1.x");
    assert_eq!(out.stored_states[0].owner_path, None);
}
