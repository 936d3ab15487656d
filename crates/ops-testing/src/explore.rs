//! State exploration (feature `explore`): proptest strategies for
//! [`State`], and [`check`], which runs a charm over generated States and
//! events and checks invariants the test states, shrinking a failure to a
//! minimal State, printed as Rust (`Debug`) and as JSON.
//!
//! ```
//! use ops::{on, ActiveStatus, Charm, Framework, HandlerResult, Model, StartEvent};
//! use ops_testing::explore::{self, Run};
//! use ops_testing::Context;
//!
//! struct Ruler { model: Model }
//! impl Charm for Ruler {
//!     fn new(framework: &mut Framework<Self>) -> Self {
//!         framework.observe(on::start(), Self::on_start);
//!         Ruler { model: framework.model().clone() }
//!     }
//! }
//! impl Ruler {
//!     fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
//!         let text = if self.model.unit().is_leader()? { "I rule" } else { "I am ruled" };
//!         self.model.unit().set_status(ActiveStatus::new(text))?;
//!         Ok(())
//!     }
//! }
//!
//! let meta = ops::CharmMeta::new("ruler");
//! explore::check(
//!     64,
//!     explore::states(&meta),
//!     &explore::standard_events(),
//!     || Context::<Ruler>::new(meta.clone()),
//!     |run: &Run<'_>| explore::no_uncaught_error(run).and(explore::status_set_after_start(run)),
//! )
//! .unwrap();
//! ```

use crate::events::CharmEvents;
use crate::{Context, Databag, Error, Event, PeerRelation, State};
use ops::meta::ConfigType;
use ops::{Charm, CharmMeta, Status};
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde_json::Value;

/// Makes the event of a case from the Context's `on` and the input State;
/// `None` when the event does not apply to that State (the case is skipped).
pub type EventMaker = fn(&CharmEvents, &State) -> Option<Event>;

/// One run of the charm: what an invariant sees.
#[derive(Debug)]
pub struct Run<'a> {
    /// The generated input.
    pub input: &'a State,
    /// The event that ran (`start`, `replicas_relation_changed`, …).
    pub event: &'a Event,
    /// The output State, or why the run failed.
    pub result: &'a Result<State, Error>,
}

/// Why [`check`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    /// An invariant failed; the State is the smallest proptest found that
    /// still fails it.
    #[error(
        "invariant failed after {event}: {message}\nminimal failing State (Rust):\n{rust}\nas JSON:\n{json}\nrun this State and event in a test to debug it"
    )]
    Counterexample {
        /// The event, as ops names it.
        event: String,
        /// What the invariant said.
        message: String,
        /// The State as `Debug` prints it (Rust syntax).
        rust: String,
        /// The State as JSON (`serde_json::from_str::<State>` reads it back).
        json: String,
    },
    /// The exploration itself could not run (every case was skipped).
    #[error("the exploration did not run: {0}; give events that apply to the generated States")]
    Aborted(String),
}

const WORDS: &[&str] = &["", "a", "leader", "app/0", "app/1", "x-y"];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(str::to_owned)
}

fn databag() -> impl Strategy<Value = Databag> {
    prop::collection::btree_map(
        prop::sample::select(&["leader", "host", "port"][..]),
        word(),
        0..3,
    )
    .prop_map(|map| map.into_iter().collect())
}

/// Config values within the metadata's types (a missing value means the
/// default); `secret` and unknown types are left unset.
pub fn config(meta: &CharmMeta) -> BoxedStrategy<Vec<(String, Value)>> {
    let options: Vec<BoxedStrategy<Option<(String, Value)>>> = meta
        .config
        .options
        .iter()
        .filter_map(|(name, option)| {
            let name = name.clone();
            let value: BoxedStrategy<Value> = match option.kind.as_ref()? {
                ConfigType::String => word().prop_map(Value::from).boxed(),
                ConfigType::Int => (-2i64..70000).prop_map(Value::from).boxed(),
                ConfigType::Float => (-1.0f64..100.0).prop_map(Value::from).boxed(),
                ConfigType::Boolean => any::<bool>().prop_map(Value::from).boxed(),
                ConfigType::Secret | ConfigType::Other(_) => return None,
            };
            Some(
                prop::option::of(value)
                    .prop_map(move |v| v.map(|v| (name.clone(), v)))
                    .boxed(),
            )
        })
        .collect();
    options
        .prop_map(|values| values.into_iter().flatten().collect())
        .boxed()
}

/// States for a charm with this metadata: leadership, config within the
/// metadata's types, and for each peer endpoint possibly a peer relation
/// with up to three other units and small databags.
pub fn states(meta: &CharmMeta) -> BoxedStrategy<State> {
    let peers: Vec<BoxedStrategy<Option<PeerRelation>>> = meta
        .peers
        .keys()
        .map(|endpoint| {
            let endpoint = endpoint.clone();
            prop::option::of((
                databag(),
                databag(),
                prop::collection::btree_map(1u32..4, databag(), 0..3),
            ))
            .prop_map(move |parts| {
                parts.map(|(app, unit, peers)| PeerRelation {
                    local_app_data: app,
                    local_unit_data: unit,
                    peers_data: peers,
                    ..PeerRelation::new(endpoint.clone())
                })
            })
            .boxed()
        })
        .collect();
    (any::<bool>(), config(meta), peers)
        .prop_map(|(leader, config, peers)| State {
            leader,
            config: config.into_iter().collect(),
            relations: peers.into_iter().flatten().map(Into::into).collect(),
            ..State::default()
        })
        .boxed()
}

/// `start`, `config-changed`, `leader-elected`, `update-status`, and
/// `relation-changed` of the State's first relation.
pub fn standard_events() -> Vec<EventMaker> {
    vec![
        |on, _| Some(on.start()),
        |on, _| Some(on.config_changed()),
        |on, state| state.leader.then(|| on.leader_elected()),
        |on, _| Some(on.update_status()),
        |on, state| {
            let relation = state.relations.first()?.clone();
            let has_remote = match &relation {
                crate::AnyRelation::Peer(peer) => !peer.peers_data.is_empty(),
                _ => true,
            };
            has_remote.then(|| on.relation_changed(relation))
        },
    ]
}

/// Invariant: the charm never fails a hook.
pub fn no_uncaught_error(run: &Run<'_>) -> Result<(), String> {
    match run.result {
        Err(error) => Err(format!("the hook failed: {error}")),
        Ok(_) => Ok(()),
    }
}

/// Invariant: a unit that does not lead never changes an application
/// databag (ops and Juju refuse the write; a charm that tries fails).
pub fn non_leader_never_writes_app_data(run: &Run<'_>) -> Result<(), String> {
    let Ok(out) = run.result else {
        return Ok(());
    };
    if run.input.leader {
        return Ok(());
    }
    for relation in &out.relations {
        let before = run.input.get_relation(relation.id());
        if before.map(crate::AnyRelation::local_app_data) != Some(relation.local_app_data()) {
            return Err(format!(
                "a non-leader changed the application databag of relation {}",
                relation.id()
            ));
        }
    }
    Ok(())
}

/// Invariant: after `start`, the unit status is not unknown.
pub fn status_set_after_start(run: &Run<'_>) -> Result<(), String> {
    match run.result {
        Ok(out) if run.event.name == "start" && out.unit_status == Status::Unknown => {
            Err("the unit status is still unknown after start".to_owned())
        }
        _ => Ok(()),
    }
}

/// Runs `cases` generated cases: a State from `states` and one of
/// `events`, on a fresh Context from `context`, and checks `invariant` on
/// each run. The generator is seeded the same way every time, so a failure
/// repeats. On failure, proptest shrinks the State, and the error prints
/// the smallest one that still fails.
pub fn check<C: Charm>(
    cases: u32,
    states: impl Strategy<Value = State>,
    events: &[EventMaker],
    context: impl Fn() -> Context<C>,
    invariant: impl Fn(&Run<'_>) -> Result<(), String>,
) -> Result<(), ExploreError> {
    if events.is_empty() {
        return Err(ExploreError::Aborted("no events were given".to_owned()));
    }
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    // One case: `None` when the event does not apply, else the event's
    // name and the invariant's verdict.
    let case = |state: &State, index: usize| {
        let mut ctx = context();
        let event = events[index](&ctx.on, state)?;
        let result = ctx.run(event.clone(), state);
        let run = Run {
            input: state,
            event: &event,
            result: &result,
        };
        Some((event.name.clone(), invariant(&run)))
    };
    let result = runner.run(&(states, 0..events.len()), |(state, index)| {
        match case(&state, index) {
            None => Err(TestCaseError::reject("the event does not apply")),
            Some((_, Ok(()))) => Ok(()),
            Some((_, Err(message))) => Err(TestCaseError::fail(message)),
        }
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, (state, index))) => {
            // The minimal case, run once more for its event and message.
            let (event, message) = match case(&state, index) {
                Some((event, Err(message))) => (event, message),
                _ => (String::new(), reason.to_string()),
            };
            Err(ExploreError::Counterexample {
                event,
                message,
                rust: format!("{state:#?}"),
                json: serde_json::to_string_pretty(&state)
                    .unwrap_or_else(|e| format!("(not serializable: {e})")),
            })
        }
        Err(TestError::Abort(reason)) => Err(ExploreError::Aborted(reason.to_string())),
    }
}
