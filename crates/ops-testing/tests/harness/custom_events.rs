//! Custom events and charm libraries: a library object owns its observers,
//! emits its own typed events, and has its own stored state and deferral.

use crate::common::Probe;
use ops::framework::ObjectScope;
use ops::{
    Charm, CustomEvent, EventSource, Framework, HandlerResult, RelationChangedEvent, StartEvent,
    StoredState, on,
};
use ops_testing::{Context, EmitKind, Error, PeerRelation, State};
use serde::{Deserialize, Serialize};

/// The custom event's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LeaderKnown {
    leader: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct WatchState {
    changes: u32,
}

/// A charm library: watches a peer relation and emits `leader_known`
/// once the leader has written its name to the app databag.
struct PeerWatch {
    endpoint: String,
    model: ops::Model,
    leader_known: EventSource<LeaderKnown>,
    stored: StoredState<WatchState>,
}

impl PeerWatch {
    fn new<C: Charm>(mut scope: ObjectScope<'_, C, Self>, endpoint: &str) -> Self {
        scope.observe(on::relation_changed(endpoint), Self::on_changed);
        PeerWatch {
            endpoint: endpoint.to_owned(),
            model: scope.model().clone(),
            leader_known: scope.event_source("leader_known"),
            stored: scope.stored_state("_stored"),
        }
    }

    fn on_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        self.stored.borrow_mut().changes += 1;
        let app = self.model.app().clone();
        let leader = event.relation.data(&app).get("leader")?;
        match leader {
            None => event.defer(),
            Some(leader) => self.leader_known.emit(LeaderKnown { leader })?,
        }
        let _ = &self.endpoint;
        Ok(())
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Ready {
    ready: bool,
}

struct LibCharm {
    watch: PeerWatch,
    stored: StoredState<Ready>,
    seen: Probe<String>,
}

impl Charm for LibCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        let watch = PeerWatch::new(
            framework.object("replicas", |c: &mut Self| &mut c.watch),
            "replicas",
        );
        framework.observe(watch.leader_known.on(), Self::on_leader_known);
        framework.observe(on::start(), Self::on_start);
        LibCharm {
            watch,
            stored: framework.stored_state("_stored"),
            seen: Probe::default(),
        }
    }
}

impl LibCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.stored.borrow_mut().ready = true;
        Ok(())
    }

    fn on_leader_known(&mut self, event: &mut CustomEvent<LeaderKnown>) -> HandlerResult {
        if !self.stored.borrow().ready {
            event.defer();
            return Ok(());
        }
        self.seen.push(event.leader.clone());
        Ok(())
    }
}

fn context(seen: &Probe<String>) -> Context<LibCharm> {
    let seen = seen.clone();
    Context::<LibCharm>::from_yaml("name: app\npeers: {replicas: {interface: p}}\n")
        .unwrap()
        .with_charm(move |fw| {
            let mut charm = LibCharm::new(fw);
            charm.seen = seen.clone();
            charm
        })
}

fn peers() -> PeerRelation {
    let mut relation = PeerRelation::new("replicas");
    relation.peers_data = [(1, Default::default())].into();
    relation
}

#[test]
fn a_library_event_is_emitted_deferred_reemitted_and_observed() {
    let seen = Probe::default();
    let mut ctx = context(&seen);

    // The library defers the relation event while the leader is unknown.
    let silent = peers();
    let state = State {
        relations: vec![silent.clone().into()],
        ..State::default()
    };
    let out = ctx
        .run(ctx.on.relation_changed(silent.clone()), &state)
        .unwrap();
    assert_eq!(out.deferred.len(), 1);
    assert_eq!(out.deferred[0].owner, "LibCharm/PeerWatch[replicas]");
    assert_eq!(out.deferred[0].observer, "on_changed");
    assert_eq!(
        out.deferred[0].handle_path,
        "LibCharm/on/replicas_relation_changed[1]"
    );
    // A test builds the same notice for a library's observer.
    assert_eq!(
        ctx.on
            .relation_changed(silent.clone())
            .deferred_to("LibCharm/PeerWatch[replicas]", "on_changed"),
        out.deferred[0]
    );
    // The library's own stored state, under its handle path.
    let watch = out
        .get_stored_state("_stored", Some("LibCharm/PeerWatch[replicas]"))
        .unwrap();
    assert_eq!(watch.content["changes"], 1);

    // The leader speaks: the re-emitted relation event makes the library
    // emit `leader_known`; the charm is not ready and defers it.
    let mut state = out;
    let mut spoken = silent;
    spoken.local_app_data = [("leader".to_owned(), "app/1".to_owned())].into();
    state.relations = vec![spoken.into()];
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert!(seen.all().is_empty());
    let custom = &out.deferred[0];
    assert_eq!(
        custom.handle_path,
        "LibCharm/PeerWatch[replicas]/on/leader_known[1]"
    );
    assert_eq!(custom.owner, "LibCharm");
    assert_eq!(custom.observer, "on_leader_known");
    assert_eq!(custom.snapshot_data["leader"], "app/1");
    assert_eq!(out.deferred.len(), 1);
    let emitted: Vec<(&str, EmitKind)> = ctx
        .emitted_events
        .iter()
        .map(|e| (e.path.as_str(), e.kind))
        .collect();
    assert!(
        emitted.contains(&(
            "LibCharm/PeerWatch[replicas]/on/leader_known",
            EmitKind::Custom
        )),
        "{emitted:?}"
    );

    // start makes the charm ready; the deferred custom event, re-emitted
    // before it, is deferred once more, then delivered on the next event.
    let out = ctx.run(ctx.on.start(), &out).unwrap();
    assert_eq!(out.deferred.len(), 1);
    let out = ctx.run(ctx.on.update_status(), &out).unwrap();
    assert_eq!(seen.take(), ["app/1"]);
    assert!(out.deferred.is_empty());
}

#[test]
fn custom_events_reach_observers_before_the_next_observer_of_the_event() {
    struct Order {
        log: Probe<&'static str>,
        ping: EventSource<()>,
    }
    impl Charm for Order {
        fn new(framework: &mut Framework<Self>) -> Self {
            let ping = framework.event_source::<()>("ping");
            framework.observe(on::start(), |c: &mut Self, _: &mut StartEvent| {
                c.log.push("start 1");
                c.ping.emit(())?;
                Ok(())
            });
            framework.observe(on::start(), |c: &mut Self, _: &mut StartEvent| {
                c.log.push("start 2");
                Ok(())
            });
            framework.observe(ping.on(), |c: &mut Self, _: &mut CustomEvent<()>| {
                c.log.push("ping");
                Ok(())
            });
            Order {
                log: Probe::default(),
                ping,
            }
        }
    }
    let log = Probe::default();
    let probe = log.clone();
    let mut ctx = Context::<Order>::new(ops::CharmMeta::new("foo")).with_charm(move |fw| {
        let mut charm = Order::new(fw);
        charm.log = probe.clone();
        charm
    });
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert_eq!(log.take(), ["start 1", "ping", "start 2"]);
    let names: Vec<&str> = ctx.emitted_events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["start", "ping"]);
}

#[test]
fn custom_event_names_are_checked_when_the_charm_is_built() {
    struct Clash;
    impl Charm for Clash {
        fn new(framework: &mut Framework<Self>) -> Self {
            let _ = framework.event_source::<()>("config_changed");
            Clash
        }
    }
    let mut ctx = Context::<Clash>::new(ops::CharmMeta::new("foo"));
    let Err(Error::UncaughtCharmError { message, .. }) = ctx.run(ctx.on.start(), &State::default())
    else {
        panic!("expected a registration error");
    };
    assert!(
        message.contains("Clash/on/config_changed") && message.contains("name of a Juju event"),
        "{message}"
    );
}

#[test]
fn an_event_that_emits_itself_forever_is_a_clear_error() {
    struct Echo {
        echo: EventSource<()>,
    }
    impl Charm for Echo {
        fn new(framework: &mut Framework<Self>) -> Self {
            let echo = framework.event_source::<()>("echo");
            framework.observe(on::start(), |c: &mut Self, _: &mut StartEvent| {
                c.echo.emit(())?;
                Ok(())
            });
            framework.observe(echo.on(), |c: &mut Self, _: &mut CustomEvent<()>| {
                c.echo.emit(())?;
                Ok(())
            });
            Echo { echo }
        }
    }
    let mut ctx = Context::<Echo>::new(ops::CharmMeta::new("foo"));
    let Err(Error::UncaughtCharmError { message, .. }) = ctx.run(ctx.on.start(), &State::default())
    else {
        panic!("expected an emit-loop error");
    };
    assert!(
        message.contains("Echo/on/echo") && message.contains("deep"),
        "{message}"
    );
}

#[test]
fn a_library_event_run_directly_is_dispatched_deferred_and_keeps_library_state() {
    let seen = Probe::default();
    let mut ctx = context(&seen);
    let event = ctx
        .on
        .custom::<PeerWatch>("leader_known")
        .data(LeaderKnown {
            leader: "app/3".to_owned(),
        });

    // Not ready yet: the charm defers the library's event.
    let out = ctx.run(event.clone(), &State::default()).unwrap();
    assert!(seen.all().is_empty());
    assert_eq!(out.deferred.len(), 1);
    assert_eq!(
        out.deferred[0].handle_path,
        "LibCharm/PeerWatch[replicas]/on/leader_known[1]"
    );
    assert_eq!(out.deferred[0].snapshot_data["leader"], "app/3");
    // A test builds the same notice for the event it ran.
    assert_eq!(
        ctx.on
            .custom_at("LibCharm/PeerWatch[replicas]", "leader_known")
            .data(LeaderKnown {
                leader: "app/3".to_owned()
            })
            .deferred(LibCharm::on_leader_known),
        out.deferred[0]
    );
    let dispatched = &ctx.emitted_events[0];
    assert_eq!(
        dispatched.path,
        "LibCharm/PeerWatch[replicas]/on/leader_known"
    );
    assert_eq!(dispatched.kind, EmitKind::Dispatched);

    // start makes the charm ready; the deferred event is deferred once
    // more (it is re-emitted before start), then delivered.
    let out = ctx.run(ctx.on.start(), &out).unwrap();
    let out = ctx.run(ctx.on.update_status(), &out).unwrap();
    assert_eq!(seen.take(), ["app/3"]);
    assert!(out.deferred.is_empty());
    // The library's stored state (untouched by these events) is kept out
    // of the State, and the charm's is there.
    assert!(
        out.get_stored_state("_stored", Some("LibCharm/PeerWatch[replicas]"))
            .is_none()
    );
    assert_eq!(
        out.get_stored_state("_stored", None).unwrap().content["ready"],
        true
    );
}

#[test]
fn custom_event_data_must_be_a_map_of_fields() {
    let seen = Probe::default();
    let mut ctx = context(&seen);
    let event = ctx.on.custom::<PeerWatch>("leader_known").data(42);
    let err = ctx.run(event, &State::default()).unwrap_err();
    let Error::Inconsistent { problems } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(problems.len(), 1, "{err}");
    assert!(problems[0].field.ends_with("data"), "{err}");
    assert!(problems[0].message.contains("not a map of fields"), "{err}");
}
