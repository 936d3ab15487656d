//! A small charm built on a charm library object, for the dispatch tests:
//! it proves that a library's observers, custom events, deferral and stored
//! state work under (simulated) Juju, across dispatches, exactly as they do
//! in the harness.
//!
//! `PeerWatch`, the library, observes the peer relation and emits
//! `leader_known` once the leader has written its name to the application
//! databag, deferring the relation event until then. The charm observes
//! `leader_known` and defers it until `start` has run.

use ops::framework::ObjectScope;
use ops::{
    ActiveStatus, Charm, CustomEvent, EventSource, Framework, HandlerResult, Model,
    RelationChangedEvent, StartEvent, StoredState, on,
};
use serde::{Deserialize, Serialize};

/// The data of `leader_known`.
#[derive(Debug, Serialize, Deserialize)]
struct LeaderKnown {
    leader: String,
}

/// What the library keeps between dispatches.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct WatchState {
    changes: u32,
}

/// The library object.
struct PeerWatch {
    model: Model,
    leader_known: EventSource<LeaderKnown>,
    stored: StoredState<WatchState>,
}

impl PeerWatch {
    fn new<C: Charm>(mut scope: ObjectScope<'_, C, Self>, endpoint: &str) -> Self {
        scope.observe(on::relation_changed(endpoint), Self::on_changed);
        PeerWatch {
            model: scope.model().clone(),
            leader_known: scope.event_source("leader_known"),
            stored: scope.stored_state("_stored"),
        }
    }

    fn on_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        self.stored.borrow_mut().changes += 1;
        match event.relation.data(self.model.app()).get("leader")? {
            None => event.defer(),
            Some(leader) => self.leader_known.emit(LeaderKnown { leader })?,
        }
        Ok(())
    }
}

/// What the charm keeps between dispatches.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Ready {
    ready: bool,
}

/// The charm.
struct LibraryCharm {
    model: Model,
    _watch: PeerWatch,
    stored: StoredState<Ready>,
}

impl Charm for LibraryCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        let watch = PeerWatch::new(
            framework.object("replicas", |c: &mut Self| &mut c._watch),
            "replicas",
        );
        framework.observe(watch.leader_known.on(), Self::on_leader_known);
        framework.observe(on::start(), Self::on_start);
        LibraryCharm {
            model: framework.model().clone(),
            _watch: watch,
            stored: framework.stored_state("_stored"),
        }
    }
}

impl LibraryCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.stored.borrow_mut().ready = true;
        Ok(())
    }

    fn on_leader_known(&mut self, event: &mut CustomEvent<LeaderKnown>) -> HandlerResult {
        if !self.stored.borrow().ready {
            event.defer();
            return Ok(());
        }
        let message = format!("leader is {}", event.leader);
        self.model.unit().set_status(ActiveStatus::new(message))?;
        Ok(())
    }
}

fn main() {
    std::process::exit(ops::main::<LibraryCharm>());
}
