//! One dispatch: build the charm, re-emit deferred events, emit the event
//! Juju dispatched, deliver custom events as they are emitted, run
//! collect-status, and return what to persist.

use super::Charm;
use super::log::with_juju_log;
use super::notice::{DeferredNotice, Persisted, SequenceExhausted, next_sequence};
use super::spans::{SpanData, SpanRecorder, event_type_name};
use super::{CallError, Framework};
use crate::backend::LogLevel;
use crate::error::{HandlerError, ModelError};
use crate::event::{EventKind, Scope, Snapshot, event_path};
use crate::juju_context::JujuContext;
use crate::meta::CharmMeta;
use crate::model::Model;
use crate::types::Status;
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;

/// How an event reached the handlers, for harness records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmitKind {
    /// A deferred event emitted again.
    Deferred,
    /// The event Juju dispatched (in the harness, also the custom event a
    /// test runs directly).
    Dispatched,
    /// A custom event a charm or library emitted.
    Custom,
    /// An event the framework emits itself (collect-status).
    Framework,
}

/// One event that went through the framework.
#[derive(Debug, Clone, PartialEq)]
pub struct EmittedEvent {
    /// The event's name, for example `start` or `db_ready`.
    pub name: String,
    /// Its handle path without `[n]`, for example `MyCharm/on/start` or
    /// `MyCharm/Db[db]/on/db_ready`.
    pub path: String,
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
    /// Handles of the stored states that were not stored before and that
    /// the dispatch never used: they hold their type's default. They are
    /// persisted all the same; the harness leaves them out of its output
    /// State.
    pub untouched_stored: Vec<String>,
    /// The dispatch's trace spans (`ops.main` first), when
    /// [`DispatchOptions::record_spans`] is on.
    pub spans: Vec<SpanData>,
    /// Where the spans should be sent, as `ops::trace::Tracing` found it.
    pub trace_destination: Option<String>,
}

/// Settings of one dispatch.
#[derive(Debug, Clone)]
pub struct DispatchOptions {
    /// The most verbose charm log level sent to `juju-log`.
    pub log_level: LogLevel,
    /// Record the dispatch's trace spans ([`crate::trace`]).
    pub record_spans: bool,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        DispatchOptions {
            log_level: LogLevel::Info,
            record_spans: true,
        }
    }
}

/// A custom event to dispatch instead of the one Juju's environment
/// names: what ops.testing's `ctx.on.custom(..)` runs. Juju never
/// dispatches custom events; only the harness uses this.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomDispatch {
    /// The object whose `on` defines the event.
    pub owner: CustomOwner,
    /// The event's name, for example `db_ready`.
    pub name: String,
    /// The event's data, as its snapshot.
    pub snapshot: Snapshot,
}

/// Which object defines a directly dispatched custom event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomOwner {
    /// The one object of this type (its type's name without module path or
    /// generics; the charm's own type names the charm).
    Type(String),
    /// The object at this handle path (`MyCharm`, `MyCharm/Db[db]`).
    Path(String),
}

impl std::fmt::Display for CustomOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CustomOwner::Type(name) => write!(f, "an object of type {name}"),
            CustomOwner::Path(path) => write!(f, "{path}"),
        }
    }
}

/// How deep custom events may emit further custom events before the
/// framework calls it a loop.
const MAX_EMIT_DEPTH: usize = 64;

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
    /// The charm's constructor registered something the framework refuses.
    #[error("cannot register {item}: {reason}")]
    Registration {
        /// The observer, event or object.
        item: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// The charm observed an event of a relation endpoint, action, storage
    /// or container its metadata does not declare (a typo, usually): the
    /// handler could never run. Python ops fails the same way when the
    /// charm is built.
    #[error(
        "cannot observe {event}: {what} {name:?} is not declared in the charm's metadata \
         (declared: {}). {}Fix the name, or declare it in charmcraft.yaml",
        declared_list(declared),
        closest.as_ref().map(|c| format!("Did you mean {c:?}? ")).unwrap_or_default()
    )]
    NotDeclared {
        /// The event, as ops names it (`dbx_relation_changed`).
        event: String,
        /// What kind of name: `relation endpoint`, `action`, `storage` or `container`.
        what: &'static str,
        /// The name that was observed.
        name: String,
        /// The names of that kind the metadata declares, sorted.
        declared: Vec<String>,
        /// The declared name closest to `name`, when one is close.
        closest: Option<String>,
    },
    /// Custom events kept emitting custom events.
    #[error(
        "custom events emitted each other more than {MAX_EMIT_DEPTH} deep (last: {event}); \
         a handler of an event must not emit it again unconditionally"
    )]
    EmitLoop {
        /// The event that was one too deep.
        event: String,
    },
    /// A directly dispatched custom event is not defined by its owner
    /// (ops' `NoObserverError`, "invalid event").
    #[error(
        "cannot fire {name:?} on {owner}: invalid event; it defines {}. Use the name given to \
         `event_source`",
        declared_list(defined)
    )]
    NoCustomEvent {
        /// The owner's handle path.
        owner: String,
        /// The event asked for.
        name: String,
        /// The custom events the owner defines, sorted.
        defined: Vec<String>,
    },
    /// A directly dispatched custom event's owner is not an object of the
    /// charm (ops.testing's `BadOwnerPath`).
    #[error("cannot dispatch custom event {name:?}: {reason}")]
    BadOwnerPath {
        /// The event asked for.
        name: String,
        /// Which owner was asked for and what the charm has instead.
        reason: String,
    },
    /// A deferral found no sequence number left for its notice.
    #[error(transparent)]
    SequenceExhausted(#[from] SequenceExhausted),
    /// [`Dispatch::run`] was called a second time: a dispatch emits its
    /// event once.
    #[error(
        "the event was already dispatched: a dispatch runs once; build a new one (or, in a test, call `run` once)"
    )]
    AlreadyRun,
    /// Setting the status chosen by collect-status failed.
    #[error("cannot set the collected status: {source}")]
    CollectStatus {
        /// The model error.
        #[source]
        source: ModelError,
    },
}

fn declared_list(declared: &[String]) -> String {
    if declared.is_empty() {
        "none".to_owned()
    } else {
        declared
            .iter()
            .map(|d| format!("{d:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The snapshot of the event Juju dispatched, from its environment, with
/// the keys ops uses.
pub fn event_snapshot(context: &JujuContext) -> Snapshot {
    let mut snapshot = Snapshot::new();
    let Some((kind, _)) = EventKind::parse_dispatch_path(&context.dispatch_path) else {
        return snapshot;
    };
    let mut put = |key: &str, value: Value| {
        snapshot.insert(key.to_owned(), value);
    };
    let text = |value: &Option<String>| value.clone().map(Value::from);
    match kind.scope() {
        Scope::Relation => {
            if let Some(endpoint) = text(&context.relation_name) {
                put("relation_name", endpoint);
            }
            if let Some(id) = context.relation_id {
                put("relation_id", Value::from(id));
            }
            if let Some(app) = text(&context.remote_app) {
                put("app_name", app);
            }
            if kind.carries_remote_unit()
                && let Some(unit) = text(&context.remote_unit)
            {
                put("unit_name", unit);
            }
            if kind.carries_departing_unit()
                && let Some(unit) = text(&context.departing_unit)
            {
                put("departing_unit", unit);
            }
        }
        Scope::Secret => {
            if let Some(id) = text(&context.secret_id) {
                put("secret_id", id);
            }
            put(
                "secret_label",
                Value::from(context.secret_label.clone().unwrap_or_default()),
            );
            if kind.carries_revision()
                && let Some(revision) = context.secret_revision
            {
                put("secret_revision", Value::from(revision));
            }
        }
        Scope::Storage => {
            if let Some((name, index)) = context
                .storage_id
                .as_deref()
                .and_then(|id| id.split_once('/'))
            {
                put("storage_name", Value::from(name));
                if let Ok(index) = index.parse::<u64>() {
                    put("storage_index", Value::from(index));
                }
            }
        }
        Scope::Workload => {
            if let Some(container) = text(&context.workload_name) {
                put("container_name", container);
            }
            if kind.carries_notice() {
                for (key, value) in [
                    ("notice_id", &context.notice_id),
                    ("notice_type", &context.notice_type),
                    ("notice_key", &context.notice_key),
                ] {
                    if let Some(value) = text(value) {
                        put(key, value);
                    }
                }
            }
            if kind.carries_check()
                && let Some(check) = text(&context.pebble_check_name)
            {
                put("check_name", check);
            }
        }
        Scope::Action => {
            put(
                "id",
                Value::from(context.action_uuid.clone().unwrap_or_default()),
            );
        }
        Scope::Unit | Scope::Framework => {}
    }
    snapshot
}

/// Whether the charm's metadata defines the event, as ops' `charm.on` does:
/// relation, storage, container and action events exist only for the
/// names the metadata declares.
pub fn is_defined(meta: &CharmMeta, kind: EventKind, entity: Option<&str>) -> bool {
    let Some(entity) = entity else {
        return !matches!(
            kind.scope(),
            Scope::Relation | Scope::Storage | Scope::Workload | Scope::Action
        );
    };
    match kind.scope() {
        Scope::Relation => meta.endpoint(entity).is_some(),
        Scope::Storage => meta.storage.contains_key(entity),
        Scope::Workload => meta.containers.contains_key(entity),
        Scope::Action => meta.actions.contains_key(entity),
        Scope::Unit | Scope::Secret | Scope::Framework => true,
    }
}

/// Runs one dispatch: builds the charm, re-emits deferred events, emits the
/// event named by the model's [`JujuContext`] (when the charm's metadata
/// defines it: ops emits nothing for an event the charm does not know, and
/// neither does this), runs collect-status, and returns what to persist.
///
/// `build` constructs the charm (normally `C::new`; tests may inject
/// dependencies). Charm log lines go to `juju-log` for the whole dispatch.
pub fn dispatch<C: Charm>(
    model: &Model,
    persisted: Persisted,
    options: &DispatchOptions,
    build: impl FnOnce(&mut Framework<C>) -> C,
) -> Result<DispatchOutcome, DispatchError> {
    Dispatch::start_and_run(model, persisted, options, None, build)
}

/// [`dispatch`] with a custom event as the dispatched event instead of the
/// one the environment names: deferred events are re-emitted first and
/// collect-status runs after it, as for any event. Fails with
/// [`DispatchError::BadOwnerPath`] or [`DispatchError::NoCustomEvent`],
/// before any handler runs, when the charm does not define the event.
pub fn dispatch_custom<C: Charm>(
    model: &Model,
    persisted: Persisted,
    options: &DispatchOptions,
    custom: CustomDispatch,
    build: impl FnOnce(&mut Framework<C>) -> C,
) -> Result<DispatchOutcome, DispatchError> {
    Dispatch::start_and_run(model, persisted, options, Some(custom), build)
}

/// The path of the custom event `custom` names, among what the charm
/// registered.
fn resolve_custom<C: Charm>(
    framework: &Framework<C>,
    custom: &CustomDispatch,
) -> Result<String, DispatchError> {
    let charm = framework.handle();
    let owners: Vec<&str> = match &custom.owner {
        CustomOwner::Path(path) => {
            let known = path == charm || framework.objects.iter().any(|(p, _)| p == path);
            if !known {
                return Err(DispatchError::BadOwnerPath {
                    name: custom.name.clone(),
                    reason: format!(
                        "{path:?} is not the charm or one of its objects (they are {})",
                        declared_list(&object_paths(framework))
                    ),
                });
            }
            vec![path.as_str()]
        }
        CustomOwner::Type(type_name) => {
            let mut owners: Vec<&str> = framework
                .objects
                .iter()
                .filter(|(_, t)| t == type_name)
                .map(|(p, _)| p.as_str())
                .collect();
            if type_name == charm {
                owners.insert(0, charm);
            }
            if owners.is_empty() {
                return Err(DispatchError::BadOwnerPath {
                    name: custom.name.clone(),
                    reason: format!(
                        "the charm has no object of type {type_name} (its objects are {}); \
                         name the type that calls `event_source`",
                        declared_list(&object_paths(framework))
                    ),
                });
            }
            owners
        }
    };
    let defining: Vec<String> = owners
        .iter()
        .map(|owner| event_path(owner, &custom.name))
        .filter(|path| framework.sources.contains(path))
        .collect();
    match defining.as_slice() {
        [path] => Ok(path.clone()),
        [] => {
            let mut defined: Vec<String> = framework
                .sources
                .iter()
                .filter_map(|source| {
                    owners.iter().find_map(|owner| {
                        source
                            .strip_prefix(owner)
                            .and_then(|rest| rest.strip_prefix("/on/"))
                            .map(str::to_owned)
                    })
                })
                .collect();
            defined.sort();
            Err(DispatchError::NoCustomEvent {
                owner: owners.join(", "),
                name: custom.name.clone(),
                defined,
            })
        }
        several => Err(DispatchError::BadOwnerPath {
            name: custom.name.clone(),
            reason: format!(
                "{} objects define it ({}); name one by its handle path",
                several.len(),
                several.join(", ")
            ),
        }),
    }
}

fn object_paths<C: Charm>(framework: &Framework<C>) -> Vec<String> {
    let mut paths = vec![framework.handle().to_owned()];
    paths.extend(framework.objects.iter().map(|(p, _)| p.clone()));
    paths
}

/// One dispatch in two steps, with the charm reachable in between and
/// afterwards: [`Dispatch::start`] builds the charm (and delivers the
/// custom events its constructor emitted), [`Dispatch::run`] does the rest
/// of what [`dispatch`] does. The harness's Manager flow uses it to give a
/// test the live charm before and after the event.
///
/// Charm log lines go to `juju-log` during each step (not between them).
pub struct Dispatch<C> {
    run: Run<C>,
    model: Model,
    log_level: LogLevel,
    /// Deferred notices to re-emit; taken by [`Dispatch::run`].
    deferred: Option<Vec<DeferredNotice>>,
    /// The custom event to emit instead of the environment's, with its
    /// resolved handle path ([`dispatch_custom`]).
    custom: Option<(String, CustomDispatch)>,
}

impl<C: Charm> std::fmt::Debug for Dispatch<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatch")
            .field("charm", &std::any::type_name::<C>())
            .field("ran", &self.deferred.is_none())
            .finish_non_exhaustive()
    }
}

impl<C: Charm> Dispatch<C> {
    /// Builds the charm with `build` and delivers the custom events emitted
    /// while it was built. Fails as [`dispatch`] fails when the charm's
    /// constructor registered something the framework refuses.
    pub fn start(
        model: &Model,
        persisted: Persisted,
        options: &DispatchOptions,
        build: impl FnOnce(&mut Framework<C>) -> C,
    ) -> Result<Self, DispatchError> {
        Self::start_with(model, persisted, options, None, build)
    }

    /// [`Dispatch::start`] that will emit `custom` (a custom event of the
    /// charm or of one of its objects) instead of the event the environment
    /// names. Fails with [`DispatchError::BadOwnerPath`] or
    /// [`DispatchError::NoCustomEvent`] when the charm does not define it.
    pub fn start_with(
        model: &Model,
        persisted: Persisted,
        options: &DispatchOptions,
        custom: Option<CustomDispatch>,
        build: impl FnOnce(&mut Framework<C>) -> C,
    ) -> Result<Self, DispatchError> {
        let log_level = options.log_level;
        let (spans, root) = Self::root_span(options);
        with_juju_log(
            model.shared().backend.clone(),
            log_level,
            spans.clone(),
            || Self::build(model, persisted, log_level, custom, spans, root, build),
        )
    }

    /// The span recorder of a dispatch that records spans, with its root
    /// span `ops.main` started (it covers both halves of the dispatch).
    fn root_span(options: &DispatchOptions) -> (Option<Rc<RefCell<SpanRecorder>>>, Option<usize>) {
        let spans = options
            .record_spans
            .then(|| Rc::new(RefCell::new(SpanRecorder::default())));
        let root = spans.as_ref().map(|recorder| {
            let mut recorder = recorder.borrow_mut();
            let root = recorder.start("ops.main", None);
            recorder.enter(root);
            root
        });
        (spans, root)
    }

    /// The first half, inside the dispatch's log scope.
    fn build(
        model: &Model,
        persisted: Persisted,
        log_level: LogLevel,
        custom: Option<CustomDispatch>,
        spans: Option<Rc<RefCell<SpanRecorder>>>,
        root: Option<usize>,
        build: impl FnOnce(&mut Framework<C>) -> C,
    ) -> Result<Self, DispatchError> {
        // Not `juju_context()`, which is for the charm (see `Backend::use_charm_dir`).
        let context = &model.shared().context;
        let dispatched = EventKind::parse_dispatch_path(&context.dispatch_path)
            .filter(|(kind, entity)| is_defined(model.meta(), *kind, *entity));
        if matches!(dispatched, Some((EventKind::RelationBroken, _))) {
            model.shared().dispatch.borrow_mut().broken_relation = context.relation_id;
        }
        let Persisted { deferred, stored } = persisted;
        let mut framework = Framework::<C>::new(model.clone(), stored);
        let charm = build(&mut framework);
        if let Some(error) = framework.setup_errors.drain(..).next() {
            return Err(error);
        }
        let custom = match custom {
            Some(custom) => Some((resolve_custom(&framework, &custom)?, custom)),
            None => None,
        };
        let mut run = Run {
            framework,
            charm,
            emitted: Vec::new(),
            queue: Vec::new(),
            spans,
            root,
        };
        // Events emitted while the charm was being built.
        run.deliver_pending(0)?;
        Ok(Dispatch {
            run,
            model: model.clone(),
            log_level,
            deferred: Some(deferred),
            custom,
        })
    }

    /// Both halves in one log scope: what [`dispatch`] and
    /// [`dispatch_custom`] do (setting up the scope once per dispatch
    /// instead of once per half).
    fn start_and_run(
        model: &Model,
        persisted: Persisted,
        options: &DispatchOptions,
        custom: Option<CustomDispatch>,
        build: impl FnOnce(&mut Framework<C>) -> C,
    ) -> Result<DispatchOutcome, DispatchError> {
        let log_level = options.log_level;
        let (spans, root) = Self::root_span(options);
        with_juju_log(
            model.shared().backend.clone(),
            log_level,
            spans.clone(),
            || {
                let mut dispatch =
                    Self::build(model, persisted, log_level, custom, spans, root, build)?;
                let deferred = dispatch.deferred.take().unwrap_or_default();
                dispatch.run_event(model, deferred)
            },
        )
    }

    /// The charm.
    pub fn charm(&self) -> &C {
        &self.run.charm
    }

    /// The charm, to change before (or after) the event.
    pub fn charm_mut(&mut self) -> &mut C {
        &mut self.run.charm
    }

    /// The handle paths of the stored states the charm (and its library
    /// objects) registered while it was built, in registration order.
    pub fn stored_handles(&self) -> Vec<&str> {
        self.run
            .framework
            .stored
            .iter()
            .map(|(handle, _)| handle.as_str())
            .collect()
    }

    /// Whether [`Dispatch::run`] was called.
    pub fn has_run(&self) -> bool {
        self.deferred.is_none()
    }

    /// The charm, once the dispatch is over.
    pub fn into_charm(self) -> C {
        self.run.charm
    }

    /// Re-emits deferred events, emits the dispatched event, runs
    /// collect-status and returns what to persist. Only the first call
    /// dispatches; a later one returns [`DispatchError::AlreadyRun`].
    pub fn run(&mut self) -> Result<DispatchOutcome, DispatchError> {
        let Some(deferred) = self.deferred.take() else {
            return Err(DispatchError::AlreadyRun);
        };
        let model = self.model.clone();
        let spans = self.run.spans.clone();
        with_juju_log(
            model.shared().backend.clone(),
            self.log_level,
            spans,
            || self.run_event(&model, deferred),
        )
    }

    fn run_event(
        &mut self,
        model: &Model,
        deferred: Vec<DeferredNotice>,
    ) -> Result<DispatchOutcome, DispatchError> {
        let run = &mut self.run;
        let context = &model.shared().context;
        let name = context.event_name();
        let dispatched = EventKind::parse_dispatch_path(&context.dispatch_path)
            .filter(|(kind, entity)| is_defined(model.meta(), *kind, *entity));

        // Deferred events first, in queue order; each goes back to the
        // handler that deferred it, and stays queued if deferred again.
        for notice in deferred {
            run.reemit(notice)?;
        }

        if let Some((path, custom)) = self.custom.take() {
            tracing::debug!("Emitting custom event {path}.");
            run.span_event(custom.name.clone());
            run.emit(path, custom.name, custom.snapshot, EmitKind::Dispatched, 0)?;
        } else if dispatched.is_some() {
            tracing::debug!("Emitting Juju event {name}.");
            if let Some((kind, _)) = dispatched {
                run.span_event(event_type_name(kind));
            }
            let path = event_path(run.framework.handle(), &name);
            run.emit(path, name, event_snapshot(context), EmitKind::Dispatched, 0)?;
        } else {
            tracing::debug!("Event {name} not defined for {}.", run.framework.handle());
        }

        let is_leader = model
            .unit()
            .is_leader()
            .map_err(|source| DispatchError::CollectStatus { source })?;
        if is_leader {
            run.collect_status(true)?;
        }
        run.collect_status(false)?;
        run.finish()
    }
}

/// The state of one dispatch after the charm was built.
struct Run<C> {
    framework: Framework<C>,
    charm: C,
    emitted: Vec<EmittedEvent>,
    queue: Vec<DeferredNotice>,
    /// The dispatch's spans, when it records them.
    spans: Option<Rc<RefCell<SpanRecorder>>>,
    /// The `ops.main` span.
    root: Option<usize>,
}

impl<C: Charm> Run<C> {
    /// Records `name` on the current span.
    fn span_event(&self, name: impl Into<super::spans::SpanName>) {
        if let Some(spans) = &self.spans {
            spans.borrow_mut().event(name);
        }
    }

    fn call(
        &mut self,
        index: usize,
        name: &str,
        snapshot: &Snapshot,
    ) -> Result<bool, DispatchError> {
        let observer = &self.framework.observers[index];
        // One span per observer call, `<event>: <owner type>`, as in ops.
        let span = self.spans.as_ref().map(|spans| {
            let owner = observer.owner.rsplit('/').next().unwrap_or_default();
            let owner = owner.split('[').next().unwrap_or(owner);
            let mut recorder = spans.borrow_mut();
            let parent = recorder.current();
            let span = recorder.start(format!("{name}: {owner}"), parent);
            recorder.enter(span);
            span
        });
        let result = (observer.call)(&mut self.charm, &self.framework.model, snapshot);
        if let (Some(spans), Some(span)) = (&self.spans, span) {
            spans.borrow_mut().exit(span);
        }
        result.map_err(|e| match e {
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

    fn observers_of(&self, path: &str) -> Vec<usize> {
        self.framework
            .observers
            .iter()
            .enumerate()
            .filter(|(_, o)| o.event_path == path)
            .map(|(i, _)| i)
            .collect()
    }

    /// Emits an event to every observer of `path`, delivering the custom
    /// events each handler emits before the next observer runs. The event's
    /// record takes `path`, `name` and `snapshot` as they are (no copy): it
    /// comes before the records of the custom events its handlers emit.
    fn emit(
        &mut self,
        path: String,
        name: String,
        snapshot: Snapshot,
        kind: EmitKind,
        depth: usize,
    ) -> Result<(), DispatchError> {
        let record = self.emitted.len();
        let observed = self
            .framework
            .observers
            .iter()
            .any(|o| o.event_path == path);
        // Observers are registered only while the charm is built, so the
        // list does not change while handlers run.
        for index in 0..self.framework.observers.len() {
            if !observed {
                break;
            }
            let observer = &self.framework.observers[index];
            if observer.event_path != path {
                continue;
            }
            // ops does not deliver an event to an observer that already has
            // the same event waiting in the queue.
            let already_queued = self.queue.iter().any(|n| {
                n.event_path() == path
                    && n.owner == observer.owner
                    && n.observer == observer.method
                    && n.snapshot == snapshot
            });
            if already_queued {
                continue;
            }
            // The event is recorded before its handlers' custom events.
            if self.emitted.len() == record {
                self.emitted.push(EmittedEvent {
                    name: String::new(),
                    path: String::new(),
                    snapshot: Snapshot::new(),
                    kind,
                });
            }
            if self.call(index, &name, &snapshot)? {
                let observer = &self.framework.observers[index];
                let handle_path = format!("{path}[{}]", next_sequence(&self.queue, &path)?);
                tracing::debug!("Deferring {handle_path}.");
                self.queue.push(DeferredNotice {
                    handle_path,
                    owner: observer.owner.clone(),
                    observer: observer.method.clone(),
                    snapshot: snapshot.clone(),
                });
            }
            self.deliver_pending(depth + 1)?;
        }
        let event = EmittedEvent {
            name,
            path,
            snapshot,
            kind,
        };
        match self.emitted.get_mut(record) {
            Some(slot) => *slot = event,
            None => self.emitted.push(event),
        }
        Ok(())
    }

    /// Delivers the custom events emitted since the last call.
    fn deliver_pending(&mut self, depth: usize) -> Result<(), DispatchError> {
        loop {
            let pending = std::mem::take(&mut *self.framework.emitted.borrow_mut());
            if pending.is_empty() {
                return Ok(());
            }
            for event in pending {
                if depth > MAX_EMIT_DEPTH {
                    return Err(DispatchError::EmitLoop { event: event.path });
                }
                tracing::debug!("Emitting custom event {}.", event.path);
                self.span_event(event.name.clone());
                self.emit(
                    event.path,
                    event.name,
                    event.snapshot,
                    EmitKind::Custom,
                    depth,
                )?;
            }
        }
    }

    /// Emits a deferred event again, to the observer that deferred it.
    fn reemit(&mut self, notice: DeferredNotice) -> Result<(), DispatchError> {
        let path = notice.event_path().to_owned();
        let candidates: Vec<usize> = self
            .observers_of(&path)
            .into_iter()
            .filter(|&i| self.framework.observers[i].owner == notice.owner)
            .collect();
        let exact = candidates
            .iter()
            .copied()
            .find(|&i| self.framework.observers[i].method == notice.observer);
        // A handler renamed since the notice was saved is still the one
        // observer of the event on that object: deliver to it.
        let index = match (exact, candidates.as_slice()) {
            (Some(index), _) => index,
            (None, [only]) => {
                tracing::debug!(
                    "Re-emitting {} to {}, the only observer of the event on {} ({} is gone).",
                    notice.handle_path,
                    self.framework.observers[*only].method,
                    notice.owner,
                    notice.observer
                );
                *only
            }
            (None, _) => {
                tracing::warn!(
                    "dropping deferred event {}: {}.{} no longer observes it",
                    notice.handle_path,
                    notice.owner,
                    notice.observer
                );
                return Ok(());
            }
        };
        tracing::debug!("Re-emitting deferred event {}.", notice.handle_path);
        let name = notice.event_name().to_owned();
        self.emitted.push(EmittedEvent {
            name: name.clone(),
            path,
            snapshot: notice.snapshot.clone(),
            kind: EmitKind::Deferred,
        });
        if self.call(index, &name, &notice.snapshot)? {
            self.queue.push(notice);
        }
        self.deliver_pending(1)
    }

    fn collect_status(&mut self, is_app: bool) -> Result<(), DispatchError> {
        let kind = if is_app {
            EventKind::CollectAppStatus
        } else {
            EventKind::CollectUnitStatus
        };
        let name = if is_app {
            "collect_app_status"
        } else {
            "collect_unit_status"
        };
        let path = event_path(self.framework.handle(), name);
        let snapshot: Snapshot = [("is_app".to_owned(), Value::Bool(is_app))]
            .into_iter()
            .collect();
        let shared = self.framework.model.shared().clone();
        shared.dispatch.borrow_mut().collected_statuses.clear();
        self.span_event(event_type_name(kind));
        self.emit(path, name.to_owned(), snapshot, EmitKind::Framework, 0)?;
        let collected = std::mem::take(&mut shared.dispatch.borrow_mut().collected_statuses);
        if let Some(status) = Status::highest_priority(&collected) {
            let model = &self.framework.model;
            let result = if is_app {
                model.app().set_status(status.clone())
            } else {
                model.unit().set_status(status.clone())
            };
            result.map_err(|source| DispatchError::CollectStatus { source })?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<DispatchOutcome, DispatchError> {
        // ops emits pre-commit and commit before saving; here the saving
        // below is the commit, and the span events mark it.
        self.span_event("PreCommitEvent");
        self.span_event("CommitEvent");
        let mut stored = std::mem::take(&mut self.framework.stored_in);
        let mut untouched_stored = Vec::new();
        for (handle, save) in &self.framework.stored {
            let value = save().map_err(|reason| DispatchError::StoredState {
                handle: handle.clone(),
                reason,
            })?;
            let (value, untouched) = value;
            if untouched {
                untouched_stored.push(handle.clone());
            }
            stored.insert(handle.clone(), value);
        }
        let mut queue = std::mem::take(&mut self.queue);
        queue.sort_by(|a, b| (a.event_path(), a.sequence()).cmp(&(b.event_path(), b.sequence())));
        Ok(DispatchOutcome {
            persisted: Persisted {
                deferred: queue,
                stored,
            },
            emitted: std::mem::take(&mut self.emitted),
            untouched_stored,
            spans: self.take_spans(),
            trace_destination: self
                .framework
                .model
                .shared()
                .dispatch
                .borrow_mut()
                .trace_destination
                .take(),
        })
    }

    /// Ends the root span and takes the recorded spans.
    fn take_spans(&mut self) -> Vec<SpanData> {
        let Some(spans) = self.spans.take() else {
            return Vec::new();
        };
        let mut recorder = spans.borrow_mut();
        if let Some(root) = self.root {
            recorder.exit(root);
        }
        // The log target still holds the recorder while the dispatch runs.
        recorder.take_spans()
    }
}
