//! [`Context`]: the charm under test, its metadata and settings, and the
//! records of what happened during runs.

use crate::backend::{Identity, Lease, MockBackend, Records};
use crate::consistency;
use crate::error::{Error, Problem};
use crate::events::{CharmEvents, Event, EventSource};
use crate::juju::Actor;
use crate::log::JujuLog;
use crate::meta_cache;
use crate::state::{DeferredEvent, State, StoredState};
use ops::framework::{DispatchError, EmitKind, EmittedEvent};
use ops::internal::{DispatchOptions, Persisted, charm_handle};
use ops::{Charm, CharmMeta, Framework, JujuContext, JujuVersion, LogLevel, Status};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

type CharmFactory<C> = Box<dyn Fn(&mut Framework<C>) -> C>;

/// Where a Context's runs put the charm (`JUJU_CHARM_DIR`).
enum CharmRoot {
    /// A directory the test chose (or the metadata came from); never written.
    Given(PathBuf),
    /// This Context's own empty directory, made at the first run and
    /// removed (by `TempDir`'s drop) with the Context.
    Temporary(Option<tempfile::TempDir>),
}

/// Runs a charm against States, in-process, and records what happened.
///
/// ```
/// use ops::{on, ActiveStatus, Charm, Framework, HandlerResult, Model, StartEvent};
/// use ops_testing::{Context, State};
///
/// struct MyCharm { model: Model }
///
/// impl Charm for MyCharm {
///     fn new(framework: &mut Framework<Self>) -> Self {
///         framework.observe(on::start(), Self::on_start);
///         MyCharm { model: framework.model().clone() }
///     }
/// }
///
/// impl MyCharm {
///     fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
///         let leader = self.model.unit().is_leader()?;
///         self.model.unit().set_status(ActiveStatus::new(if leader { "I rule" } else { "I am ruled" }))?;
///         Ok(())
///     }
/// }
///
/// for leader in [true, false] {
///     let mut ctx = Context::<MyCharm>::new(ops::CharmMeta::new("foo"));
///     let out = ctx.run(ctx.on.start(), State { leader, ..State::default() }).unwrap();
///     assert_eq!(out.unit_status, ActiveStatus::new(if leader { "I rule" } else { "I am ruled" }));
/// }
/// ```
pub struct Context<C: Charm> {
    meta: Arc<CharmMeta>,
    app_name: String,
    unit_id: u32,
    juju_version: String,
    app_trusted: bool,
    capture_deferred_events: bool,
    capture_framework_events: bool,
    machine_id: Option<String>,
    availability_zone: Option<String>,
    principal_unit: Option<String>,
    factory: CharmFactory<C>,
    charm_root: CharmRoot,
    /// Who runs the charm, worked out from the settings above on the first
    /// run after they change rather than on every run.
    resolved: Option<Result<(Identity, Actor), Problem>>,
    /// `ctx.on.<event>(..)`: the events this Context can run.
    pub on: CharmEvents,
    /// Every line the charm (and ops) logged, across runs; reads as a
    /// slice of [`JujuLogLine`](crate::JujuLogLine).
    pub juju_log: JujuLog,
    /// Unit statuses *before* each change, across runs (the current one is in the output State).
    pub unit_status_history: Vec<Status>,
    /// Application statuses before each change, across runs.
    pub app_status_history: Vec<Status>,
    /// Workload versions before each change (empty ones left out).
    pub workload_version_history: Vec<String>,
    /// Secret revisions removed with `remove_revision`.
    pub removed_secret_revisions: Vec<u32>,
    /// Events that went through the framework: the dispatched one always;
    /// re-emitted deferred ones and collect-status only when captured.
    pub emitted_events: Vec<EmittedEvent>,
    /// Results the last action set, merged across its calls; `None` until
    /// an action sets some. An action run empties it (to `{}`) when it
    /// starts, as ops.testing does.
    pub action_results: Option<serde_json::Map<String, Value>>,
    /// Messages the last action logged; reset when an action run starts.
    pub action_logs: Vec<String>,
    /// Storage requested with `storage-add`, by name (last count wins).
    pub requested_storages: BTreeMap<String, u32>,
    /// When, on the last run's simulated clock, the unit stopped being the
    /// leader ([`Context::lease`]); `None` if it did not.
    pub leadership_lost_at: Option<Duration>,
    lease: Option<Lease>,
    tool_call_time: Duration,
}

impl<C: Charm> std::fmt::Debug for Context<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("charm", &std::any::type_name::<C>())
            .field("app_name", &self.app_name)
            .field("unit_id", &self.unit_id)
            .field("juju_version", &self.juju_version)
            .finish_non_exhaustive()
    }
}

impl<C: Charm> Context<C> {
    /// A Context for charm `C` with metadata given in code.
    ///
    /// Metadata without a name (for example only `config` or `actions`
    /// filled in) takes the charm type's name, as ops.testing names the
    /// charm after its class when only `config=` or `actions=` is given.
    pub fn new(mut meta: CharmMeta) -> Self {
        if meta.name.is_empty() {
            charm_handle::<C>().clone_into(&mut meta.name);
        }
        Self::with_shared_meta(Arc::new(meta))
    }

    fn with_shared_meta(meta: Arc<CharmMeta>) -> Self {
        let app_name = meta.name.clone();
        Context {
            meta,
            on: CharmEvents::new(&app_name),
            app_name,
            unit_id: 0,
            juju_version: "3.6.14".to_owned(),
            app_trusted: false,
            capture_deferred_events: false,
            capture_framework_events: false,
            machine_id: None,
            availability_zone: None,
            principal_unit: None,
            factory: Box::new(C::new),
            charm_root: CharmRoot::Temporary(None),
            resolved: None,
            juju_log: JujuLog::default(),
            unit_status_history: Vec::new(),
            app_status_history: Vec::new(),
            workload_version_history: Vec::new(),
            removed_secret_revisions: Vec::new(),
            emitted_events: Vec::new(),
            action_results: None,
            action_logs: Vec::new(),
            requested_storages: BTreeMap::new(),
            leadership_lost_at: None,
            lease: None,
            tool_call_time: Duration::ZERO,
        }
    }

    /// A Context with metadata from YAML (a `charmcraft.yaml` or `metadata.yaml` document).
    pub fn from_yaml(yaml: &str) -> Result<Self, Error> {
        Ok(Self::new(CharmMeta::from_yaml(yaml)?))
    }

    /// A Context with metadata loaded from a charm directory: pass
    /// `env!("CARGO_MANIFEST_DIR")` in the charm crate's tests to use its
    /// `charmcraft.yaml`.
    ///
    /// The metadata is parsed once per process while its files stay the
    /// same, so building a Context per test costs little.
    ///
    /// The charm runs in that directory: `model.juju_context().charm_dir`
    /// is `root` (made absolute), so a charm that reads its own files finds
    /// them.
    pub fn from_charm_root(root: impl AsRef<Path>) -> Result<Self, Error> {
        let root = root.as_ref();
        Ok(Self::with_shared_meta(meta_cache::load(root)?).charm_root(root))
    }

    /// The directory the charm runs in (`JUJU_CHARM_DIR`, read by the charm
    /// as `model.juju_context().charm_dir`), without reading metadata from
    /// it: ops.testing's `charm_root=`. The harness never writes to it.
    ///
    /// Without this (or [`Context::from_charm_root`]) each Context gets an
    /// empty temporary directory of its own, made at its first run and
    /// removed when the Context is dropped.
    pub fn charm_root(mut self, root: impl AsRef<Path>) -> Self {
        let root = root.as_ref();
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_owned());
        self.charm_root = CharmRoot::Given(root);
        self
    }

    /// The charm directory of this Context's runs: the given root, or the
    /// temporary directory once the first run has made it (`None` before).
    pub fn charm_dir(&self) -> Option<&Path> {
        match &self.charm_root {
            CharmRoot::Given(root) => Some(root),
            CharmRoot::Temporary(dir) => dir.as_ref().map(tempfile::TempDir::path),
        }
    }

    /// The charm directory for a run, making the temporary one on first use.
    fn run_charm_dir(&mut self) -> Result<PathBuf, Error> {
        match &mut self.charm_root {
            CharmRoot::Given(root) => Ok(root.clone()),
            CharmRoot::Temporary(Some(dir)) => Ok(dir.path().to_owned()),
            CharmRoot::Temporary(slot @ None) => {
                let dir = tempfile::Builder::new()
                    .prefix("ops-testing-charm-")
                    .tempdir()
                    .map_err(|source| Error::CharmRoot { source })?;
                Ok(slot.insert(dir).path().to_owned())
            }
        }
    }

    /// The application name (default: the charm's name).
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = name.into();
        self.on = CharmEvents::new(&self.app_name);
        self.resolved = None;
        self
    }

    /// The unit number (default 0).
    pub fn unit_id(mut self, id: u32) -> Self {
        self.unit_id = id;
        self.resolved = None;
        self
    }

    /// The Juju version the charm sees (default `3.6.14`), as Juju writes
    /// it: `3.6.14`, `3.6-beta1`, `3.5.4.1`, … The short forms ops.testing's
    /// own tests use are read as Juju's non-strict parser reads them (`3.4`
    /// is 3.4.0, `3` is 3.0.0). A version that does not parse makes
    /// [`Context::run`] fail with [`Error::Inconsistent`], naming
    /// `Context.juju_version`.
    pub fn juju_version(mut self, version: impl Into<String>) -> Self {
        self.juju_version = version.into();
        self.resolved = None;
        self
    }

    /// Whether the application is trusted (`juju trust`; default false).
    pub fn app_trusted(mut self, trusted: bool) -> Self {
        self.app_trusted = trusted;
        self.resolved = None;
        self
    }

    /// Record re-emitted deferred events in [`Context::emitted_events`] (default false).
    pub fn capture_deferred_events(mut self, capture: bool) -> Self {
        self.capture_deferred_events = capture;
        self
    }

    /// Record framework events (collect-status) in [`Context::emitted_events`] (default false).
    pub fn capture_framework_events(mut self, capture: bool) -> Self {
        self.capture_framework_events = capture;
        self
    }

    /// `JUJU_MACHINE_ID` (machine charms).
    pub fn machine_id(mut self, id: impl Into<String>) -> Self {
        self.machine_id = Some(id.into());
        self
    }

    /// `JUJU_AVAILABILITY_ZONE`.
    pub fn availability_zone(mut self, zone: impl Into<String>) -> Self {
        self.availability_zone = Some(zone.into());
        self
    }

    /// `JUJU_PRINCIPAL_UNIT` (subordinate charms).
    pub fn principal_unit(mut self, unit: impl Into<String>) -> Self {
        self.principal_unit = Some(unit.into());
        self
    }

    /// Ends the unit's leadership in the middle of each run, as Juju may
    /// once the 30-second lease after an `is-leader` check has passed: after
    /// the `n`th `is-leader` call, or at a time on the run's simulated clock
    /// (see [`Lease`]). A test proves with it that a long handler checks
    /// leadership again before leader-only work.
    ///
    /// ```
    /// use ops::{on, Charm, ConfigChangedEvent, Framework, HandlerResult, Model};
    /// use ops_testing::{Context, Lease, State};
    ///
    /// struct Careless { model: Model }
    /// impl Charm for Careless {
    ///     fn new(framework: &mut Framework<Self>) -> Self {
    ///         framework.observe(on::config_changed(), Self::on_config_changed);
    ///         Careless { model: framework.model().clone() }
    ///     }
    /// }
    /// impl Careless {
    ///     fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
    ///         if self.model.unit().is_leader()? {
    ///             // ... slow work: the lease ends here ...
    ///             self.model.app().set_status(ops::ActiveStatus::new("led"))?;
    ///         }
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let mut ctx = Context::<Careless>::new(ops::CharmMeta::new("foo"))
    ///     .lease(Lease::AfterIsLeaderCalls(1));
    /// let err = ctx.run(ctx.on.config_changed(), State { leader: true, ..State::default() });
    /// let message = err.unwrap_err().to_string();
    /// assert!(message.contains("non-leader"), "{message}");
    /// assert!(ctx.leadership_lost_at.is_some());
    /// ```
    pub fn lease(mut self, lease: Lease) -> Self {
        self.lease = Some(lease);
        self
    }

    /// Sets or clears the lease of the following runs (for a Deployment,
    /// which owns its units' Contexts).
    pub(crate) fn set_lease(&mut self, lease: Option<Lease>) {
        self.lease = lease;
    }

    /// How much simulated time each hook-tool call takes (default zero):
    /// the clock that [`Lease::At`] reads. Production reads the real clock.
    pub fn tool_call_time(mut self, time: Duration) -> Self {
        self.tool_call_time = time;
        self
    }

    /// Builds the charm with this function instead of `C::new`: the way to
    /// inject fakes (Rust has no monkeypatching).
    ///
    /// ```
    /// # use ops::{Charm, Framework};
    /// # use ops_testing::Context;
    /// struct MyCharm { api_url: String }
    /// impl Charm for MyCharm {
    ///     fn new(_: &mut Framework<Self>) -> Self { MyCharm { api_url: "https://prod".into() } }
    /// }
    /// let ctx = Context::<MyCharm>::new(ops::CharmMeta::new("foo"))
    ///     .with_charm(|_framework| MyCharm { api_url: "http://fake".into() });
    /// # let _ = ctx;
    /// ```
    pub fn with_charm(mut self, factory: impl Fn(&mut Framework<C>) -> C + 'static) -> Self {
        self.factory = Box::new(factory);
        self
    }

    /// The charm metadata.
    pub fn meta(&self) -> &CharmMeta {
        &self.meta
    }

    /// The unit name, for example `foo/0`.
    pub fn unit_name(&self) -> String {
        format!("{}/{}", self.app_name, self.unit_id)
    }

    /// Who runs the charm, from the settings (worked out once after they change).
    fn resolved(&mut self) -> Result<(Identity, Actor), Problem> {
        if let Some(resolved) = &self.resolved {
            return resolved.clone();
        }
        let resolved = self.identity().map(|identity| {
            let actor = Actor::new(&identity.app_name, identity.unit_id)
                .with_juju_version(identity.juju_version.clone());
            (identity, actor)
        });
        self.resolved = Some(resolved.clone());
        resolved
    }

    fn identity(&self) -> Result<Identity, Problem> {
        let juju_version =
            JujuVersion::parse_non_strict(&self.juju_version).map_err(|e| Problem {
                field: "Context.juju_version".to_owned(),
                message: format!("{e}; pass such a version to `Context::juju_version`"),
            })?;
        Ok(Identity {
            app_name: self.app_name.clone(),
            unit_id: self.unit_id,
            juju_version,
            app_trusted: self.app_trusted,
        })
    }

    fn juju_context(
        &self,
        event: &Event,
        state: &State,
        identity: &Identity,
        charm_dir: PathBuf,
        actor: &Actor,
    ) -> JujuContext {
        event.juju_context(JujuContext {
            charm_dir,
            unit_name: actor.unit().to_owned(),
            model_name: state.model.name.clone(),
            model_uuid: state.model.uuid.clone(),
            version: identity.juju_version.clone(),
            machine_id: self.machine_id.clone(),
            availability_zone: self.availability_zone.clone(),
            principal_unit: self.principal_unit.clone(),
            ..JujuContext::default()
        })
    }

    /// Runs one event against `state` and returns the output State.
    ///
    /// Pass the State by value (`ctx.run(event, state)`): the run works on
    /// it in place and returns it as the output, so nothing is copied. Pass
    /// a reference (`ctx.run(event, &state)`) to keep the input: the run
    /// then works on one copy of it. Either way the run costs what the
    /// charm touches: relations and secrets it never reads stay where they
    /// are and come back unchanged.
    ///
    /// Fails, with no output state, when the input is inconsistent or a
    /// handler returns an error or panics; an action that called `fail()`
    /// gives [`Error::ActionFailed`] carrying the output state.
    ///
    /// ```
    /// # use ops::{Charm, Framework};
    /// # use ops_testing::{Context, State};
    /// # struct MyCharm;
    /// # impl Charm for MyCharm { fn new(_: &mut Framework<Self>) -> Self { MyCharm } }
    /// let mut ctx = Context::<MyCharm>::new(ops::CharmMeta::new("foo"));
    /// let input = State { leader: true, ..State::default() };
    /// let kept = ctx.run(ctx.on.start(), &input).unwrap(); // one copy; `input` stays
    /// let out = ctx.run(ctx.on.update_status(), kept).unwrap(); // no copy
    /// assert_eq!(out, input);
    /// ```
    pub fn run<'s>(
        &mut self,
        event: Event,
        state: impl Into<Cow<'s, State>>,
    ) -> Result<State, Error> {
        let state = state.into();
        let (identity, actor) = self.resolved().map_err(|problem| Error::Inconsistent {
            problems: vec![problem],
        })?;
        let checked = consistency::check(&self.meta, &state, &event, &identity)
            .map_err(|problems| Error::Inconsistent { problems })?;
        let charm_dir = self.run_charm_dir()?;
        let juju_context = self.juju_context(&event, &state, &identity, charm_dir, &actor);
        // The working copy: the input itself when given by value. The
        // framework's persisted data replaces `deferred` and `stored_states`
        // after the run, so they are taken out rather than copied along.
        let (working, deferred, mut stored_in) = match state {
            Cow::Owned(mut state) => {
                let deferred = std::mem::take(&mut state.deferred);
                let stored = std::mem::take(&mut state.stored_states);
                (state, deferred, stored)
            }
            Cow::Borrowed(state) => (
                working_copy(state),
                state.deferred.clone(),
                state.stored_states.clone(),
            ),
        };

        // Juju fills in defaults and checks required parameters before it
        // queues an action; it refuses the action otherwise.
        let action_params = match &event.source {
            EventSource::Action { action, params, .. } => {
                Some(match self.meta.actions.get(action) {
                    Some(spec) => {
                        crate::backend::enqueue_action(spec, params).map_err(|message| {
                            Error::ActionRefused {
                                action: action.clone(),
                                message,
                            }
                        })?
                    }
                    None => params.clone(),
                })
            }
            _ => None,
        };
        if action_params.is_some() {
            // As ops.testing: emptied, not reset, so `None` stays `None`.
            if let Some(results) = &mut self.action_results {
                results.clear();
            }
            self.action_logs.clear();
        }
        let owner = charm_handle::<C>();
        let persisted = Persisted {
            deferred: deferred.into_iter().map(Into::into).collect(),
            stored: stored_in
                .iter_mut()
                .map(|s| {
                    let content = std::mem::take(&mut s.content);
                    (
                        s.handle_path(owner),
                        Value::Object(content.into_iter().collect()),
                    )
                })
                .collect(),
        };
        let backend = Arc::new(
            MockBackend::new(
                working,
                checked.relation_ids_ascending,
                identity,
                actor,
                self.meta.clone(),
                action_params,
                std::mem::take(&mut self.juju_log),
            )
            .with_lease(self.lease, self.tool_call_time),
        );
        let model = ops::Model::new(backend.clone(), self.meta.clone(), juju_context);
        let options = DispatchOptions {
            log_level: LogLevel::Debug,
        };
        let factory = &self.factory;
        let result = catch_unwind(AssertUnwindSafe(|| {
            ops::internal::dispatch::<C>(&model, persisted, &options, |fw| factory(fw))
        }));
        drop(model);
        let (mut output, records) = backend.finish();
        let failure = records.action_failure.clone();
        self.absorb(records);

        let outcome = match result {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(error)) => return Err(uncaught(&event, error)),
            Err(panic) => {
                return Err(Error::UncaughtCharmError {
                    event: event.name.clone(),
                    message: panic_message(panic.as_ref()),
                    panicked: true,
                    source: None,
                });
            }
        };
        self.emitted_events
            .extend(outcome.emitted.into_iter().filter(|e| match e.kind {
                EmitKind::Dispatched | EmitKind::Custom => true,
                EmitKind::Deferred => self.capture_deferred_events,
                EmitKind::Framework => self.capture_framework_events,
            }));
        output.deferred = outcome
            .persisted
            .deferred
            .into_iter()
            .map(DeferredEvent::from)
            .collect();
        // ops.testing lists deferred events by handle path as text (then in
        // queue order for one path), so `[10]` comes before `[9]`; the sort
        // is stable, keeping the queue order of notices with equal paths.
        output
            .deferred
            .sort_by(|a, b| a.handle_path.cmp(&b.handle_path));
        let mut stored = outcome.persisted.stored;
        for handle in &outcome.untouched_stored {
            stored.remove(handle);
        }
        output.stored_states = stored_states_out(stored_in, owner, stored);
        match failure {
            Some(message) => Err(Error::ActionFailed {
                message,
                state: Box::new(output),
            }),
            None => Ok(output),
        }
    }

    fn absorb(&mut self, records: Records) {
        self.juju_log = records.juju_log;
        self.unit_status_history.extend(records.unit_status_history);
        self.app_status_history.extend(records.app_status_history);
        self.workload_version_history
            .extend(records.workload_version_history);
        self.removed_secret_revisions
            .extend(records.removed_secret_revisions);
        self.action_logs.extend(records.action_logs);
        self.requested_storages.extend(records.requested_storages);
        self.leadership_lost_at = records.leadership_lost_at;
        if let Some(results) = records.action_results {
            self.action_results
                .get_or_insert_with(Default::default)
                .extend(results);
        }
    }
}

/// The working copy of a State given by reference: a copy of the input
/// without `deferred` and `stored_states`, which the framework's persisted
/// data replaces after the run (copying them would be wasted work).
/// Listing every field makes a new State field a compile error here.
fn working_copy(state: &State) -> State {
    State {
        config: state.config.clone(),
        relations: state.relations.clone(),
        networks: state.networks.clone(),
        leader: state.leader,
        model: state.model.clone(),
        secrets: state.secrets.clone(),
        planned_units: state.planned_units,
        deferred: Vec::new(),
        stored_states: Vec::new(),
        app_status: state.app_status.clone(),
        unit_status: state.unit_status.clone(),
        workload_version: state.workload_version.clone(),
        opened_ports: state.opened_ports.clone(),
    }
}

fn uncaught(event: &Event, error: DispatchError) -> Error {
    Error::UncaughtCharmError {
        event: event.name.clone(),
        message: error.to_string(),
        panicked: false,
        source: Some(Box::new(error)),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        format!("panicked: {text}")
    } else if let Some(text) = payload.downcast_ref::<String>() {
        format!("panicked: {text}")
    } else {
        "panicked with a non-text payload".to_owned()
    }
}

/// Stored states after a run, in the input's form where the input had them
/// (so an untouched state compares equal), sorted by handle otherwise.
fn stored_states_out(
    input: Vec<StoredState>,
    owner: &str,
    stored: BTreeMap<String, Value>,
) -> Vec<StoredState> {
    let mut out: Vec<StoredState> = Vec::with_capacity(input.len());
    let mut remaining = stored;
    for previous in input {
        if let Some(value) = remaining.remove(&previous.handle_path(owner)) {
            out.push(StoredState {
                content: into_content(value),
                ..previous
            });
        }
    }
    for (handle, value) in remaining {
        let Some((owner_path, name)) = parse_handle(&handle) else {
            continue;
        };
        out.push(StoredState {
            name: name.to_owned(),
            owner_path: (owner_path != owner).then(|| owner_path.to_owned()),
            content: into_content(value),
        });
    }
    out
}

fn into_content(value: Value) -> BTreeMap<String, Value> {
    match value {
        Value::Object(map) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

/// `Owner/StoredStateData[name]` → (`Owner`, `name`).
fn parse_handle(handle: &str) -> Option<(&str, &str)> {
    let (owner, rest) = handle.rsplit_once('/')?;
    let name = rest.strip_prefix("StoredStateData[")?.strip_suffix(']')?;
    Some((owner, name))
}
