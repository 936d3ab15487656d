//! Exploration over generated States: the seed charm keeps its invariants,
//! and a variant with a planted bug (a follower that claims leadership in
//! the peer data) is caught and shrunk to a minimal State.

use leadership::{LEADER_KEY, LeadershipCharm, PEER};
use ops::{Charm, Framework, HandlerResult, Model, RelationChangedEvent, on};
use ops_testing as testing;
use ops_testing::explore::{self, EventMaker, ExploreError, Run};
use proptest::prelude::*;

fn meta() -> ops::CharmMeta {
    ops::CharmMeta::load(env!("CARGO_MANIFEST_DIR")).expect("charmcraft.yaml loads")
}

/// The charm's own invariants: no failed hook, a follower never writes
/// the application databag, and a started unit has a status.
fn invariants(run: &Run<'_>) -> Result<(), String> {
    explore::no_uncaught_error(run)
        .and(explore::non_leader_never_writes_app_data(run))
        .and(explore::status_set_after_start(run))
}

/// States whose `port` fits the charm's `u16` (the charm's config schema
/// says `int`; a port out of range is a misconfiguration the charm reports
/// as a failed hook, which is not what these tests look at).
fn states() -> impl Strategy<Value = testing::State> {
    explore::states(&meta()).prop_filter("port fits u16", |state| {
        state
            .config
            .get("port")
            .and_then(serde_json::Value::as_i64)
            .is_none_or(|port| (1..=65535).contains(&port))
    })
}

/// Events a unit sees before and after leadership changes (config-changed
/// needs the application secret a leader-elected made first).
fn events() -> Vec<EventMaker> {
    let mut events = explore::standard_events();
    events.remove(1); // config-changed
    events
}

#[test]
fn the_seed_charm_keeps_its_invariants() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("leadership.conf");
    let meta = meta();
    explore::check(
        96,
        states(),
        &events(),
        || {
            let file = file.clone();
            testing::Context::new(meta.clone()).with_charm(move |framework| {
                LeadershipCharm::with_config_file(framework, file.clone())
            })
        },
        invariants,
    )
    .unwrap();
}

/// The planted bug: a unit that finds no leader in the peer data names
/// itself, without checking that it leads.
struct Usurper {
    model: Model,
}

impl Charm for Usurper {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::relation_changed(PEER), Self::on_peer_changed);
        framework.observe(on::start(), Self::on_start);
        Usurper {
            model: framework.model().clone(),
        }
    }
}

impl Usurper {
    fn on_peer_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        let data = event.relation.data(self.model.app());
        if data.get(LEADER_KEY)?.is_none() {
            data.set(LEADER_KEY, self.model.unit().name())?;
        }
        Ok(())
    }

    fn on_start(&mut self, _: &mut ops::StartEvent) -> HandlerResult {
        self.model.unit().set_status(ops::ActiveStatus::new(""))?;
        Ok(())
    }
}

#[test]
fn exploration_finds_the_planted_bug_and_shrinks_it() {
    let meta = meta();
    let err = explore::check(
        256,
        states(),
        &explore::standard_events(),
        || testing::Context::<Usurper>::new(meta.clone()),
        invariants,
    )
    .unwrap_err();
    let ExploreError::Counterexample {
        event,
        message,
        json,
        ..
    } = &err
    else {
        panic!("expected a counterexample, got {err}");
    };
    assert_eq!(event, "replicas_relation_changed");
    assert!(message.contains("is not leader"), "{message}");
    // Shrunk: a follower, no config, one peer relation with one other unit
    // and no leader named in the application databag.
    let state: testing::State = serde_json::from_str(json).unwrap();
    assert!(!state.leader, "{err}");
    assert!(state.config.is_empty(), "{err}");
    assert_eq!(state.relations.len(), 1, "{err}");
    let peers = state.get_peer_relation(state.relations[0].id()).unwrap();
    assert_eq!(peers.peers_data.len(), 1, "{err}");
    assert!(!peers.local_app_data.contains_key(LEADER_KEY), "{err}");
    // The report shows the State as Rust and as JSON.
    let text = err.to_string();
    assert!(text.contains("minimal failing State (Rust)"), "{text}");
    assert!(text.contains("PeerRelation"), "{text}");
}
