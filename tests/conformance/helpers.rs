//! Shared fixtures of the upstream suite:
//! <https://github.com/canonical/operator/blob/main/testing/tests/helpers.py>
//! (`trigger`, `state_delta`), plus the catch-all charm most upstream files
//! define (`for evt in self.on.events().values(): observe(evt, self._on_event)`).
//!
//! Python's `pre_event` hook (the charm is built, the event not yet emitted)
//! runs here in the charm's constructor; `post_event` runs in a
//! collect-unit-status observer registered last, which ops runs after the
//! dispatched event and its handlers.

use ops::{
    ActionEvent, Charm, CharmMeta, CollectStatusEvent, ConfigChangedEvent, Framework,
    HandlerResult, InstallEvent, LeaderElectedEvent, Model, PebbleCheckFailedEvent,
    PebbleCheckRecoveredEvent, PebbleCustomNoticeEvent, PebbleReadyEvent, PostSeriesUpgradeEvent,
    PreSeriesUpgradeEvent, RelationBrokenEvent, RelationChangedEvent, RelationCreatedEvent,
    RelationDepartedEvent, RelationJoinedEvent, RemoveEvent, SecretChangedEvent,
    SecretExpiredEvent, SecretRemoveEvent, SecretRotateEvent, StartEvent, StopEvent,
    UpdateStatusEvent, UpgradeCharmEvent, on,
};
use ops::{StorageAttachedEvent, StorageDetachingEvent};
use ops_testing::{CharmEvents, Context, Error, Event, State};
use serde_json::{Value, json};
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Parses charm metadata (metadata, config and actions in one
/// charmcraft-style document), as upstream passes `meta=`, `config=` and
/// `actions=` dicts.
pub fn meta(yaml: &str) -> CharmMeta {
    CharmMeta::from_yaml(yaml).expect("test metadata parses")
}

/// Any event the catch-all charm observes, seen through one interface so a
/// test callback can inspect (downcast) whichever event arrived.
pub trait AnyEvent: Any {
    /// The ops class name, for example `StartEvent`.
    fn kind(&self) -> &'static str;
    /// Defers the event; false for events that cannot be deferred.
    fn defer_event(&mut self) -> bool;
    /// The event itself, for downcasting.
    fn as_any(&mut self) -> &mut dyn Any;
}

macro_rules! any_event {
    ($($event:ident),* $(,)?) => {$(
        impl AnyEvent for $event {
            fn kind(&self) -> &'static str {
                stringify!($event)
            }
            fn defer_event(&mut self) -> bool {
                self.defer();
                true
            }
            fn as_any(&mut self) -> &mut dyn Any {
                self
            }
        }
    )*};
}

any_event!(
    InstallEvent,
    StartEvent,
    StopEvent,
    RemoveEvent,
    UpdateStatusEvent,
    ConfigChangedEvent,
    UpgradeCharmEvent,
    PreSeriesUpgradeEvent,
    PostSeriesUpgradeEvent,
    LeaderElectedEvent,
    RelationCreatedEvent,
    RelationJoinedEvent,
    RelationChangedEvent,
    RelationDepartedEvent,
    RelationBrokenEvent,
    SecretChangedEvent,
    SecretRotateEvent,
    SecretRemoveEvent,
    SecretExpiredEvent,
    ActionEvent,
    PebbleReadyEvent,
    PebbleCustomNoticeEvent,
    PebbleCheckFailedEvent,
    PebbleCheckRecoveredEvent,
    StorageAttachedEvent,
    StorageDetachingEvent,
);

impl AnyEvent for CollectStatusEvent {
    fn kind(&self) -> &'static str {
        "CollectStatusEvent"
    }
    fn defer_event(&mut self) -> bool {
        false
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

/// What a test injects into the catch-all charm (upstream uses class
/// attributes such as `_call`, `called`, `defer_next`).
pub type Callback = Rc<dyn Fn(&Model, &mut dyn AnyEvent) -> HandlerResult>;

/// A hook run with the model only (`pre_event` / `post_event`).
pub type Hook = Rc<dyn Fn(&Model) -> HandlerResult>;

/// The test's handle on the catch-all charm: what it saw, and what it does.
#[derive(Clone, Default)]
pub struct Probe {
    /// The kind of every event observed, in order (collect-status included).
    pub seen: Rc<RefCell<Vec<&'static str>>>,
    /// Defer this many of the next deferrable events.
    pub defer_next: Rc<Cell<u32>>,
    /// Called for every observed event.
    pub call: Option<Callback>,
    /// Called in the charm's constructor, before any event.
    pub pre_event: Option<Hook>,
    /// Called after the dispatched event, in a collect-unit-status observer registered last.
    pub post_event: Option<Hook>,
}

impl Probe {
    /// A probe whose callback runs for every event.
    pub fn calling(call: impl Fn(&Model, &mut dyn AnyEvent) -> HandlerResult + 'static) -> Self {
        Probe {
            call: Some(Rc::new(call)),
            ..Probe::default()
        }
    }

    /// The kinds seen, collect-status left out.
    pub fn seen_without_collect_status(&self) -> Vec<&'static str> {
        self.seen
            .borrow()
            .iter()
            .copied()
            .filter(|k| *k != "CollectStatusEvent")
            .collect()
    }
}

/// The catch-all charm: observes every event its metadata allows (lifecycle,
/// collect-status, relation events of every endpoint, secret events, every
/// action) with one generic handler, `on_event`.
pub struct CatchAll {
    /// The model, for callbacks.
    pub model: Model,
    probe: Probe,
}

impl Charm for CatchAll {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Probe::default())
    }
}

impl CatchAll {
    /// Builds the charm around a probe (pass to `Context::with_charm`).
    pub fn build(framework: &mut Framework<Self>, probe: Probe) -> Self {
        framework.observe(on::install(), Self::on_event::<InstallEvent>);
        framework.observe(on::start(), Self::on_event::<StartEvent>);
        framework.observe(on::stop(), Self::on_event::<StopEvent>);
        framework.observe(on::remove(), Self::on_event::<RemoveEvent>);
        framework.observe(on::update_status(), Self::on_event::<UpdateStatusEvent>);
        framework.observe(on::config_changed(), Self::on_event::<ConfigChangedEvent>);
        framework.observe(on::upgrade_charm(), Self::on_event::<UpgradeCharmEvent>);
        framework.observe(
            on::pre_series_upgrade(),
            Self::on_event::<PreSeriesUpgradeEvent>,
        );
        framework.observe(
            on::post_series_upgrade(),
            Self::on_event::<PostSeriesUpgradeEvent>,
        );
        framework.observe(on::leader_elected(), Self::on_event::<LeaderElectedEvent>);
        framework.observe(on::secret_changed(), Self::on_event::<SecretChangedEvent>);
        framework.observe(on::secret_rotate(), Self::on_event::<SecretRotateEvent>);
        framework.observe(on::secret_remove(), Self::on_event::<SecretRemoveEvent>);
        framework.observe(on::secret_expired(), Self::on_event::<SecretExpiredEvent>);
        let meta = framework.model().meta().clone();
        for (endpoint, _, _) in meta.endpoints() {
            framework.observe(
                on::relation_created(endpoint),
                Self::on_event::<RelationCreatedEvent>,
            );
            framework.observe(
                on::relation_joined(endpoint),
                Self::on_event::<RelationJoinedEvent>,
            );
            framework.observe(
                on::relation_changed(endpoint),
                Self::on_event::<RelationChangedEvent>,
            );
            framework.observe(
                on::relation_departed(endpoint),
                Self::on_event::<RelationDepartedEvent>,
            );
            framework.observe(
                on::relation_broken(endpoint),
                Self::on_event::<RelationBrokenEvent>,
            );
        }
        for action in meta.actions.keys() {
            framework.observe(on::action(action), Self::on_event::<ActionEvent>);
        }
        for container in meta.containers.keys() {
            framework.observe(
                on::pebble_ready(container),
                Self::on_event::<PebbleReadyEvent>,
            );
            framework.observe(
                on::pebble_custom_notice(container),
                Self::on_event::<PebbleCustomNoticeEvent>,
            );
            framework.observe(
                on::pebble_check_failed(container),
                Self::on_event::<PebbleCheckFailedEvent>,
            );
            framework.observe(
                on::pebble_check_recovered(container),
                Self::on_event::<PebbleCheckRecoveredEvent>,
            );
        }
        for storage in meta.storage.keys() {
            framework.observe(
                on::storage_attached(storage),
                Self::on_event::<StorageAttachedEvent>,
            );
            framework.observe(
                on::storage_detaching(storage),
                Self::on_event::<StorageDetachingEvent>,
            );
        }
        framework.observe(
            on::collect_app_status(),
            Self::on_event::<CollectStatusEvent>,
        );
        framework.observe(
            on::collect_unit_status(),
            Self::on_event::<CollectStatusEvent>,
        );
        framework.observe(on::collect_unit_status(), Self::post_event);
        let model = framework.model().clone();
        if let Some(pre) = &probe.pre_event {
            pre(&model).expect("pre_event hook");
        }
        CatchAll { model, probe }
    }

    /// The one handler of every event.
    pub fn on_event<E: AnyEvent>(&mut self, event: &mut E) -> HandlerResult {
        self.probe.seen.borrow_mut().push(event.kind());
        if let Some(call) = &self.probe.call {
            call(&self.model, event)?;
        }
        let pending = self.probe.defer_next.get();
        if pending > 0 && event.defer_event() {
            self.probe.defer_next.set(pending - 1);
        }
        Ok(())
    }

    fn post_event(&mut self, _: &mut CollectStatusEvent) -> HandlerResult {
        match &self.probe.post_event {
            Some(post) => post(&self.model),
            None => Ok(()),
        }
    }
}

/// A Context over the catch-all charm driven by `probe`.
pub fn catch_all(meta_yaml: &str, probe: &Probe) -> Context<CatchAll> {
    let probe = probe.clone();
    Context::<CatchAll>::new(meta(meta_yaml))
        .with_charm(move |framework| CatchAll::build(framework, probe.clone()))
}

/// `helpers.trigger`: runs one event (built from `ctx.on`) through the
/// catch-all charm.
pub fn trigger(
    state: &State,
    event: impl FnOnce(&CharmEvents) -> Event,
    meta_yaml: &str,
    probe: &Probe,
) -> Result<State, Error> {
    let mut ctx = catch_all(meta_yaml, probe);
    let event = event(&ctx.on);
    ctx.run(event, state)
}

/// One operation of a [`state_delta`] patch.
pub fn op(op: &str, path: &str, value: Value) -> Value {
    json!({"op": op, "path": path, "value": value})
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn dict_diff(a: &Value, b: &Value, path: &str, out: &mut Vec<Value>) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().filter(|k| !b.contains_key(*k)) {
                out.push(json!({"op": "remove", "path": format!("{path}/{}", escape(key))}));
            }
            for (key, value) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                out.push(op("add", &format!("{path}/{}", escape(key)), value.clone()));
            }
            for (key, value) in a.iter() {
                if let Some(other) = b.get(key) {
                    dict_diff(value, other, &format!("{path}/{}", escape(key)), out);
                }
            }
        }
        _ if a != b => out.push(op("replace", path, b.clone())),
        _ => {}
    }
}

/// `helpers.state_delta(a, b)`: the JSON-patch operations turning `b` into
/// `a`, sorted by path and op (collections compare as whole values).
pub fn state_delta(a: &State, b: &State) -> Vec<Value> {
    let a = serde_json::to_value(a).expect("State serialises");
    let b = serde_json::to_value(b).expect("State serialises");
    let mut patch = Vec::new();
    dict_diff(&b, &a, "", &mut patch);
    patch.sort_by_key(|o| {
        format!(
            "{}{}",
            o["path"].as_str().unwrap_or_default(),
            o["op"].as_str().unwrap_or_default()
        )
    });
    patch
}

/// Whether the event is an `E` (Python's `isinstance(event, E)`).
pub fn is<E: 'static>(event: &mut dyn AnyEvent) -> bool {
    event.as_any().is::<E>()
}

/// `ctx.on.relation_<suffix>(relation)`, for tests parametrized on the suffix
/// (upstream's `getattr(ctx.on, f'relation_{evt_name}')`).
pub fn relation_event(
    on: &CharmEvents,
    suffix: &str,
    relation: impl Into<ops_testing::AnyRelation>,
) -> Event {
    match suffix {
        "created" => on.relation_created(relation),
        "joined" => on.relation_joined(relation),
        "changed" => on.relation_changed(relation),
        "departed" => on.relation_departed(relation),
        "broken" => on.relation_broken(relation),
        other => panic!("no relation event {other:?}"),
    }
}

/// What every relation event carries (upstream reads these attributes off
/// `ops.RelationEvent` whatever its class).
#[derive(Debug)]
pub struct RelationView {
    /// `event.relation`.
    pub relation: ops::Relation,
    /// `event.app`.
    pub app: Option<ops::Application>,
    /// `event.unit`.
    pub unit: Option<ops::Unit>,
    /// `event.departing_unit` (departed only).
    pub departing_unit: Option<ops::Unit>,
}

/// The relation parts of a relation event; `None` for any other event.
pub fn relation_view(event: &mut dyn AnyEvent) -> Option<RelationView> {
    let any = event.as_any();
    macro_rules! view {
        ($($ty:ident),*) => {$(
            if let Some(e) = any.downcast_ref::<$ty>() {
                return Some(RelationView {
                    relation: e.relation.clone(),
                    app: e.app.clone(),
                    unit: e.unit.clone(),
                    departing_unit: None,
                });
            }
        )*};
    }
    view!(
        RelationCreatedEvent,
        RelationJoinedEvent,
        RelationChangedEvent,
        RelationBrokenEvent
    );
    any.downcast_ref::<RelationDepartedEvent>()
        .map(|e| RelationView {
            relation: e.relation.clone(),
            app: e.app.clone(),
            unit: e.unit.clone(),
            departing_unit: e.departing_unit.clone(),
        })
}
