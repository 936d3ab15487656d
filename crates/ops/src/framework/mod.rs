//! The framework: observers, dispatching one event (after re-emitting
//! deferred ones, before collect-status), and stored state.
//!
//! It reaches Juju only through the [`Model`] and its [`Backend`](crate::Backend).
//! Persistence is plain data in and out ([`Persisted`]): the production
//! entry point and the testing harness each decide where it lives.

mod log;
mod stored;

pub use stored::StoredState;

use crate::backend::LogLevel;
use crate::charm::Charm;
use crate::error::{HandlerError, HandlerResult, ModelError};
use crate::event::{Event, On, Snapshot};
use crate::juju_context::JujuContext;
use crate::model::Model;
use crate::types::Status;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// An event a handler deferred, waiting to be emitted again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeferredNotice {
    /// `<Owner>/on/<event>[<n>]`, as ops names it.
    pub handle_path: String,
    /// The charm type that observed the event.
    pub owner: String,
    /// The name of the handler method that deferred it.
    pub observer: String,
    /// What is needed to rebuild the event.
    pub snapshot: Snapshot,
}

impl DeferredNotice {
    /// The event's name (`start`, `db_relation_changed`, …): the last path
    /// segment without its `[n]`.
    pub fn event_name(&self) -> &str {
        event_name_of(&self.handle_path)
    }

    /// The `n` of `[n]`, 0 if absent.
    fn sequence(&self) -> u64 {
        self.handle_path
            .rsplit_once('[')
            .and_then(|(_, rest)| rest.strip_suffix(']'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    fn path_prefix(&self) -> &str {
        self.handle_path
            .rsplit_once('[')
            .map_or(&self.handle_path, |(prefix, _)| prefix)
    }
}

/// The event name in a handle path: `MyCharm/on/db_relation_changed[3]` →
/// `db_relation_changed`.
pub fn event_name_of(handle_path: &str) -> &str {
    let last = handle_path.rsplit('/').next().unwrap_or(handle_path);
    last.split('[').next().unwrap_or(last)
}

/// What the framework keeps between dispatches: the deferred-event queue
/// and stored state by handle path (`<Owner>/StoredStateData[<name>]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Persisted {
    /// Deferred events, in the order they will be re-emitted.
    pub deferred: Vec<DeferredNotice>,
    /// Stored state content by handle path.
    pub stored: BTreeMap<String, Value>,
}

/// How an event reached the handlers, for harness records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmitKind {
    /// A deferred event emitted again.
    Deferred,
    /// The event Juju dispatched.
    Dispatched,
    /// An event the framework emits itself (collect-status).
    Framework,
}

/// One event that went through the framework.
#[derive(Debug, Clone, PartialEq)]
pub struct EmittedEvent {
    /// The event's name, for example `start`.
    pub name: String,
    /// Its snapshot.
    pub snapshot: Snapshot,
    /// How it was emitted.
    pub kind: EmitKind,
}

/// The result of a successful dispatch.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchOutcome {
    /// What to persist for the next dispatch.
    pub persisted: Persisted,
    /// Every event that went through the framework, in order.
    pub emitted: Vec<EmittedEvent>,
}

/// Settings of one dispatch.
#[derive(Debug, Clone)]
pub struct DispatchOptions {
    /// The most verbose charm log level sent to `juju-log`.
    pub log_level: LogLevel,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        DispatchOptions {
            log_level: LogLevel::Info,
        }
    }
}

/// Why a dispatch failed. Nothing is persisted after a failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// A handler returned an error.
    #[error("{observer} failed while handling {event}: {source}")]
    Handler {
        /// The event's name.
        event: String,
        /// The handler's name.
        observer: String,
        /// What the handler returned.
        #[source]
        source: HandlerError,
    },
    /// The event could not be built (for example, a hook tool failed while
    /// loading its relation).
    #[error("cannot build event {event} for {observer}: {source}")]
    Event {
        /// The event's name.
        event: String,
        /// The handler it was for.
        observer: String,
        /// The model error.
        #[source]
        source: ModelError,
    },
    /// Stored state could not be loaded into or saved from the charm's type.
    #[error(
        "stored state {handle}: {reason}; make the stored type match what was saved (add #[serde(default)])"
    )]
    StoredState {
        /// The stored state's handle path.
        handle: String,
        /// What serde reported.
        reason: String,
    },
    /// Setting the status chosen by collect-status failed.
    #[error("cannot set the collected status: {source}")]
    CollectStatus {
        /// The model error.
        #[source]
        source: ModelError,
    },
}

type Call<C> = Box<dyn Fn(&mut C, &Model, &Snapshot) -> Result<bool, CallError>>;

enum CallError {
    Event(ModelError),
    Handler(HandlerError),
}

struct Observer<C> {
    event: String,
    method: String,
    call: Call<C>,
}

type SaveFn = Box<dyn Fn() -> Result<Value, String>>;

/// Registers a charm's observers and stored state, then runs one dispatch.
///
/// A charm sees it only in [`Charm::new`].
pub struct Framework<C> {
    model: Model,
    owner: String,
    observers: Vec<Observer<C>>,
    stored_in: BTreeMap<String, Value>,
    stored: Vec<(String, SaveFn)>,
    setup_errors: Vec<DispatchError>,
}

/// The last path segment of a type name, without generics: `my_charm::MyCharm<T>` → `MyCharm`.
pub fn short_type_name(full: &str) -> &str {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

impl<C: Charm> Framework<C> {
    fn new(model: Model, stored_in: BTreeMap<String, Value>) -> Self {
        Framework {
            model,
            owner: short_type_name(std::any::type_name::<C>()).to_owned(),
            observers: Vec::new(),
            stored_in,
            stored: Vec::new(),
            setup_errors: Vec::new(),
        }
    }

    /// The model: keep a clone in the charm.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Calls `handler` whenever the event `on` is emitted. Several handlers of
    /// one event run in registration order.
    ///
    /// The handler's name (for deferral) is the method's name, so pass a
    /// method path such as `Self::on_start` rather than a closure when the
    /// handler may defer.
    pub fn observe<E, F>(&mut self, on: On<E>, handler: F)
    where
        E: Event,
        F: Fn(&mut C, &mut E) -> HandlerResult + 'static,
    {
        let method = short_type_name(std::any::type_name::<F>()).to_owned();
        let call: Call<C> = Box::new(move |charm, model, snapshot| {
            let mut event = E::restore(model, snapshot).map_err(CallError::Event)?;
            handler(charm, &mut event).map_err(CallError::Handler)?;
            Ok(event.is_deferred())
        });
        self.observers.push(Observer {
            event: on.name().to_owned(),
            method,
            call,
        });
    }

    /// Typed state kept between dispatches under `name` (ops uses `_stored`).
    ///
    /// What was stored before is loaded now; what the charm leaves in it is
    /// saved when the dispatch succeeds.
    pub fn stored_state<T>(&mut self, name: &str) -> StoredState<T>
    where
        T: Serialize + serde::de::DeserializeOwned + Default + 'static,
    {
        let handle = format!("{}/StoredStateData[{name}]", self.owner);
        let value = match self.stored_in.get(&handle) {
            None => T::default(),
            Some(content) => match serde_json::from_value::<T>(content.clone()) {
                Ok(value) => value,
                Err(e) => {
                    self.setup_errors.push(DispatchError::StoredState {
                        handle: handle.clone(),
                        reason: e.to_string(),
                    });
                    T::default()
                }
            },
        };
        let cell = Rc::new(RefCell::new(value));
        let saved = cell.clone();
        let save: SaveFn = Box::new(move || {
            let value = serde_json::to_value(&*saved.borrow()).map_err(|e| e.to_string())?;
            if value.is_object() {
                Ok(value)
            } else {
                Err("stored state must serialise to a map of fields (use a struct)".to_owned())
            }
        });
        self.stored.push((handle, save));
        StoredState::new(cell)
    }

    fn call(
        &self,
        charm: &mut C,
        index: usize,
        name: &str,
        snapshot: &Snapshot,
    ) -> Result<bool, DispatchError> {
        let observer = &self.observers[index];
        (observer.call)(charm, &self.model, snapshot).map_err(|e| match e {
            CallError::Event(source) => DispatchError::Event {
                event: name.to_owned(),
                observer: observer.method.clone(),
                source,
            },
            CallError::Handler(source) => DispatchError::Handler {
                event: name.to_owned(),
                observer: observer.method.clone(),
                source,
            },
        })
    }

    fn observers_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.observers
            .iter()
            .enumerate()
            .filter(move |(_, o)| o.event == name)
            .map(|(i, _)| i)
    }

    fn collect_status(
        &self,
        charm: &mut C,
        is_app: bool,
        emitted: &mut Vec<EmittedEvent>,
    ) -> Result<(), DispatchError> {
        let name = if is_app {
            "collect_app_status"
        } else {
            "collect_unit_status"
        };
        let snapshot: Snapshot = [("is_app".to_owned(), Value::Bool(is_app))]
            .into_iter()
            .collect();
        emitted.push(EmittedEvent {
            name: name.to_owned(),
            snapshot: snapshot.clone(),
            kind: EmitKind::Framework,
        });
        self.model
            .shared()
            .dispatch
            .borrow_mut()
            .collected_statuses
            .clear();
        for index in self.observers_of(name).collect::<Vec<_>>() {
            self.call(charm, index, name, &snapshot)?;
        }
        let collected =
            std::mem::take(&mut self.model.shared().dispatch.borrow_mut().collected_statuses);
        if let Some(status) = Status::highest_priority(&collected) {
            let result = if is_app {
                self.model.app().set_status(status.clone())
            } else {
                self.model.unit().set_status(status.clone())
            };
            result.map_err(|source| DispatchError::CollectStatus { source })?;
        }
        Ok(())
    }
}

const RELATION_SUFFIXES: [&str; 5] = [
    "_relation_created",
    "_relation_joined",
    "_relation_changed",
    "_relation_departed",
    "_relation_broken",
];
const SECRET_EVENTS: [&str; 4] = [
    "secret_changed",
    "secret_rotate",
    "secret_remove",
    "secret_expired",
];

/// The snapshot of the event Juju dispatched, from its environment.
pub fn event_snapshot(context: &JujuContext) -> Snapshot {
    let name = context.event_name();
    let mut snapshot = Snapshot::new();
    let mut put = |key: &str, value: Value| {
        snapshot.insert(key.to_owned(), value);
    };
    if let Some(suffix) = RELATION_SUFFIXES.iter().find(|s| name.ends_with(*s)) {
        if let Some(endpoint) = &context.relation_name {
            put("relation_name", Value::from(endpoint.clone()));
        }
        if let Some(id) = context.relation_id {
            put("relation_id", Value::from(id));
        }
        if let Some(app) = &context.remote_app {
            put("app_name", Value::from(app.clone()));
        }
        let has_unit = !matches!(*suffix, "_relation_created" | "_relation_broken");
        if has_unit && let Some(unit) = &context.remote_unit {
            put("unit_name", Value::from(unit.clone()));
        }
        if *suffix == "_relation_departed"
            && let Some(unit) = &context.departing_unit
        {
            put("departing_unit", Value::from(unit.clone()));
        }
    } else if SECRET_EVENTS.contains(&name.as_str()) {
        if let Some(id) = &context.secret_id {
            put("secret_id", Value::from(id.clone()));
        }
        put(
            "secret_label",
            Value::from(context.secret_label.clone().unwrap_or_default()),
        );
        if let Some(revision) = context.secret_revision {
            put("secret_revision", Value::from(revision));
        }
    } else if context.is_action() {
        put(
            "id",
            Value::from(context.action_uuid.clone().unwrap_or_default()),
        );
    }
    snapshot
}

/// Runs one dispatch: builds the charm, re-emits deferred events, emits the
/// event named by the model's [`JujuContext`], runs collect-status, and
/// returns what to persist.
///
/// `build` constructs the charm (normally `C::new`; tests may inject
/// dependencies). Charm log lines go to `juju-log` for the whole dispatch.
pub fn dispatch<C: Charm>(
    model: &Model,
    persisted: Persisted,
    options: &DispatchOptions,
    build: impl FnOnce(&mut Framework<C>) -> C,
) -> Result<DispatchOutcome, DispatchError> {
    let subscriber = log::JujuLogSubscriber::new(model.shared().backend.clone(), options.log_level);
    tracing::subscriber::with_default(subscriber, || run(model, persisted, build))
}

fn run<C: Charm>(
    model: &Model,
    persisted: Persisted,
    build: impl FnOnce(&mut Framework<C>) -> C,
) -> Result<DispatchOutcome, DispatchError> {
    let context = model.juju_context();
    let name = context.event_name();
    if name.ends_with("_relation_broken") {
        model.shared().dispatch.borrow_mut().broken_relation = context.relation_id;
    }
    let Persisted { deferred, stored } = persisted;
    let mut framework = Framework::<C>::new(model.clone(), stored);
    let mut charm = build(&mut framework);
    if let Some(error) = framework.setup_errors.drain(..).next() {
        return Err(error);
    }
    let mut emitted = Vec::new();

    // Deferred events first, in queue order; each goes back to the handler
    // that deferred it, and stays queued if deferred again.
    let mut queue = Vec::new();
    for notice in deferred {
        let event = notice.event_name().to_owned();
        let observer = framework
            .observers_of(&event)
            .find(|&i| framework.observers[i].method == notice.observer);
        let Some(index) = observer else {
            tracing::warn!(
                "dropping deferred event {}: {} no longer observes it",
                notice.handle_path,
                notice.observer
            );
            continue;
        };
        tracing::debug!("Re-emitting deferred event {}.", notice.handle_path);
        emitted.push(EmittedEvent {
            name: event.clone(),
            snapshot: notice.snapshot.clone(),
            kind: EmitKind::Deferred,
        });
        if framework.call(&mut charm, index, &event, &notice.snapshot)? {
            queue.push(notice);
        }
    }

    tracing::debug!("Emitting Juju event {name}.");
    let snapshot = event_snapshot(context);
    emitted.push(EmittedEvent {
        name: name.clone(),
        snapshot: snapshot.clone(),
        kind: EmitKind::Dispatched,
    });
    let mut next_sequence = queue
        .iter()
        .map(DeferredNotice::sequence)
        .max()
        .unwrap_or(0)
        + 1;
    for index in framework.observers_of(&name).collect::<Vec<_>>() {
        let method = framework.observers[index].method.clone();
        // ops does not deliver an event to an observer that already has the
        // same event waiting in the queue.
        let already_queued = queue
            .iter()
            .any(|n| n.event_name() == name && n.observer == method && n.snapshot == snapshot);
        if already_queued {
            continue;
        }
        if framework.call(&mut charm, index, &name, &snapshot)? {
            let handle_path = format!("{}/on/{name}[{next_sequence}]", framework.owner);
            tracing::debug!("Deferring {handle_path}.");
            next_sequence += 1;
            queue.push(DeferredNotice {
                handle_path,
                owner: framework.owner.clone(),
                observer: method,
                snapshot: snapshot.clone(),
            });
        }
    }

    let is_leader = model
        .unit()
        .is_leader()
        .map_err(|source| DispatchError::CollectStatus { source })?;
    if is_leader {
        framework.collect_status(&mut charm, true, &mut emitted)?;
    }
    framework.collect_status(&mut charm, false, &mut emitted)?;

    let mut stored = std::mem::take(&mut framework.stored_in);
    for (handle, save) in &framework.stored {
        let value = save().map_err(|reason| DispatchError::StoredState {
            handle: handle.clone(),
            reason,
        })?;
        stored.insert(handle.clone(), value);
    }
    queue.sort_by(|a, b| (a.path_prefix(), a.sequence()).cmp(&(b.path_prefix(), b.sequence())));
    Ok(DispatchOutcome {
        persisted: Persisted {
            deferred: queue,
            stored,
        },
        emitted,
    })
}
