//! Observers and deferred notices are identified by handle paths and
//! handler names, never by compiler-dependent type names.

use crate::common::Probe;
use ops::{Charm, ConfigChangedEvent, Framework, HandlerResult, StartEvent, observe, on};
use ops_testing::{Context, DeferredEvent, Error, State};
use std::marker::PhantomData;

fn deferred_names(out: &State) -> Vec<(String, String, String)> {
    out.deferred
        .iter()
        .map(|d| (d.handle_path.clone(), d.owner.clone(), d.observer.clone()))
        .collect()
}

/// Two closures observing one event, both deferring.
struct Closures;

impl Charm for Closures {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), |_: &mut Self, event: &mut StartEvent| {
            event.defer();
            Ok(())
        });
        framework.observe(on::start(), |_: &mut Self, event: &mut StartEvent| {
            event.defer();
            Ok(())
        });
        Closures
    }
}

#[test]
fn closure_observers_get_distinct_names() {
    let mut ctx = Context::<Closures>::new(ops::CharmMeta::new("foo"));
    let out = ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert_eq!(
        deferred_names(&out),
        [
            (
                "Closures/on/start[1]".to_owned(),
                "Closures".to_owned(),
                "closure#0".to_owned()
            ),
            (
                "Closures/on/start[2]".to_owned(),
                "Closures".to_owned(),
                "closure#1".to_owned()
            ),
        ]
    );
    // Fed back, each notice goes to its own closure and stays deferred:
    // no duplicate, nothing dropped.
    let again = ctx.run(ctx.on.update_status(), &out).unwrap();
    assert_eq!(deferred_names(&again), deferred_names(&out));
}

/// A generic charm: its handlers' type names all start `Generic<T>`.
struct Generic<T> {
    _marker: PhantomData<T>,
}

impl<T: 'static> Charm for Generic<T> {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        framework.observe(on::config_changed(), Self::on_config_changed);
        Generic {
            _marker: PhantomData,
        }
    }
}

impl<T: 'static> Generic<T> {
    fn on_start(&mut self, event: &mut StartEvent) -> HandlerResult {
        event.defer();
        Ok(())
    }

    fn on_config_changed(&mut self, event: &mut ConfigChangedEvent) -> HandlerResult {
        event.defer();
        Ok(())
    }
}

#[test]
fn handlers_of_a_generic_charm_are_named_by_method() {
    let mut ctx = Context::<Generic<u8>>::new(ops::CharmMeta::new("foo"));
    let started = ctx.run(ctx.on.start(), &State::default()).unwrap();
    let out = ctx.run(ctx.on.config_changed(), &started).unwrap();
    let observers: Vec<_> = out.deferred.iter().map(|d| d.observer.as_str()).collect();
    assert_eq!(observers, ["on_config_changed", "on_start"]);
    assert!(out.deferred.iter().all(|d| d.owner == "Generic"));
    // The harness names a handler the way the framework does.
    assert_eq!(
        ctx.on.start().deferred(Generic::<u8>::on_start).observer,
        "on_start"
    );
}

/// Records which handler ran; `observe!` and `observe_as` name them.
struct Named {
    seen: Probe<&'static str>,
}

impl Charm for Named {
    fn new(framework: &mut Framework<Self>) -> Self {
        observe!(framework, on::start(), Self::on_start);
        framework.observe_as("on_config", on::config_changed(), Self::config_renamed);
        Named {
            seen: Probe::default(),
        }
    }
}

impl Named {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.seen.push("on_start");
        Ok(())
    }

    fn config_renamed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        self.seen.push("config_renamed");
        Ok(())
    }
}

fn named(seen: &Probe<&'static str>) -> Context<Named> {
    let seen = seen.clone();
    Context::<Named>::new(ops::CharmMeta::new("foo")).with_charm(move |fw| {
        let mut charm = Named::new(fw);
        charm.seen = seen.clone();
        charm
    })
}

#[test]
fn a_renamed_handler_keeps_its_given_name() {
    let seen = Probe::default();
    let mut ctx = named(&seen);
    // Saved by a build whose method was still called `on_config`.
    let notice = ctx.on.config_changed().deferred_for::<Named>("on_config");
    let state = State {
        deferred: vec![notice],
        ..State::default()
    };
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(seen.take(), ["config_renamed"]);
    assert!(out.deferred.is_empty());
}

#[test]
fn a_notice_saved_before_a_handler_moved_modules_is_delivered() {
    // Handler names carry no module path: a notice written when `on_start`
    // lived in another module (or by another compiler) names it the same.
    let seen = Probe::default();
    let mut ctx = named(&seen);
    let state = State {
        deferred: vec![DeferredEvent {
            handle_path: "Named/on/start[4]".to_owned(),
            owner: "Named".to_owned(),
            observer: "on_start".to_owned(),
            snapshot_data: Default::default(),
        }],
        ..State::default()
    };
    ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(seen.take(), ["on_start"]);
}

#[test]
fn a_notice_for_a_handler_renamed_without_a_name_goes_to_the_only_observer() {
    let seen = Probe::default();
    let mut ctx = named(&seen);
    let state = State {
        deferred: vec![ctx.on.start().deferred_for::<Named>("handle_start_old")],
        ..State::default()
    };
    ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(seen.take(), ["on_start"]);
}

/// Observes one event twice under one name.
struct Twice;

impl Charm for Twice {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe_as("same", on::start(), |_: &mut Self, _: &mut StartEvent| {
            Ok(())
        });
        framework.observe_as("same", on::start(), |_: &mut Self, _: &mut StartEvent| {
            Ok(())
        });
        Twice
    }
}

#[test]
fn two_observers_with_one_name_are_refused() {
    let mut ctx = Context::<Twice>::new(ops::CharmMeta::new("foo"));
    let Err(Error::UncaughtCharmError { message, .. }) = ctx.run(ctx.on.start(), &State::default())
    else {
        panic!("expected a registration error");
    };
    assert!(
        message.contains("observer Twice.same of Twice/on/start") && message.contains("observe_as"),
        "{message}"
    );
}
