//! [`Context`]: the charm under test, its metadata and settings, and the
//! records of what happened during runs.

use crate::backend::{FsRoot, Identity, Lease, MockBackend, Records, materialise, new_fs_root};
use crate::charm_dir::LazyDir;
use crate::consistency;
use crate::error::{Error, Problem};
use crate::events::{CharmEvents, Event, EventSource};
use crate::juju::Actor;
use crate::log::JujuLog;
use crate::meta_cache;
use crate::owned_dir::OwnedDir;
use crate::state::{DeferredEvent, State, StoredState};
use ops::framework::{DispatchError, EmitKind, EmittedEvent};
use ops::internal::{DispatchOptions, DispatchOutcome, Persisted, charm_handle};
use ops::{Charm, CharmMeta, Framework, JujuContext, JujuVersion, LogLevel, Status};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub(crate) type CharmFactory<C> = Box<dyn Fn(&mut Framework<C>) -> C>;

/// The settings of every harness dispatch: charm log lines down to DEBUG.
pub(crate) const DISPATCH_OPTIONS: DispatchOptions = DispatchOptions {
    log_level: LogLevel::Debug,
    record_spans: true,
};

/// A run between its two halves ([`Context::begin`] and [`Context::end`]).
pub(crate) struct Begun {
    event: Event,
    backend: Arc<MockBackend>,
    /// The model the charm is built over.
    pub(crate) model: ops::Model,
    /// The input's stored states (content moved into the persisted data),
    /// to give the output its form.
    stored_in: Vec<StoredState>,
    /// The Context's temporary charm directory, made if the charm looks.
    lazy_dir: Option<Arc<LazyDir>>,
}

impl Begun {
    /// The custom event to dispatch instead of a Juju event, when the run's
    /// event is one (`ctx.on.custom`).
    pub(crate) fn custom_dispatch(&self) -> Option<ops::internal::CustomDispatch> {
        match &self.event.source {
            EventSource::Custom {
                owner,
                data: Ok(snapshot),
            } => Some(ops::internal::CustomDispatch {
                owner: owner.clone(),
                name: self.event.name.clone(),
                snapshot: snapshot.clone(),
            }),
            _ => None,
        }
    }
}

/// Where a Context's runs put the charm (`JUJU_CHARM_DIR`).
enum CharmRoot {
    /// A directory the test chose (or the metadata came from); never written.
    Given(PathBuf),
    /// This Context's own empty directory, named at the first run, made
    /// when the charm reads its hook environment or the test asks for it,
    /// and removed with the Context.
    Temporary(Option<Arc<LazyDir>>),
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
    /// The charm's handle path (its type's name), found once: finding it
    /// scans the type's full name.
    handle: &'static str,
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
    storage_dirs: OwnedDir,
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
    /// Every command the charm ran in a container and a mock answered, by
    /// container, across runs: command, environment, working dir, stdin, …
    pub exec_history: BTreeMap<String, Vec<ops::backend::ExecArgs>>,
    /// The trace spans of the last run that succeeded, `ops.main` first
    /// ([`ops::trace`]): one span per observer call (`start: MyCharm`) and
    /// every span the charm opened with `tracing`; emptied by a failed run.
    pub trace_data: Vec<ops::trace::SpanData>,
    /// The containers' simulated filesystems: kept in memory, written to a
    /// temporary directory (removed with the Context) when a test asks.
    containers_root: FsRoot,
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
            handle: charm_handle::<C>(),
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
            storage_dirs: OwnedDir::new("ops-testing-storage-"),
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
            exec_history: BTreeMap::new(),
            trace_data: Vec::new(),
            containers_root: new_fs_root(),
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
    /// empty temporary directory of its own, made when first used (see
    /// [`Context::charm_dir`]) and removed when the Context is dropped.
    pub fn charm_root(mut self, root: impl AsRef<Path>) -> Self {
        let root = root.as_ref();
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_owned());
        self.charm_root = CharmRoot::Given(root);
        self
    }

    /// The charm directory of this Context's runs: the given root, or the
    /// temporary directory once a run has used it (`None` before the first
    /// run). The temporary directory is made when the charm first reads its
    /// hook environment (`model.juju_context()`), or else by this call, so
    /// that runs that never look at it cost no directory.
    pub fn charm_dir(&self) -> Option<&Path> {
        match &self.charm_root {
            CharmRoot::Given(root) => Some(root),
            CharmRoot::Temporary(None) => None,
            CharmRoot::Temporary(Some(dir)) => {
                dir.make();
                dir.is_made().then(|| dir.path())
            }
        }
    }

    /// Container `name`'s simulated filesystem as a real directory:
    /// `<this Context's directory>/containers/<name>`. Runs keep the
    /// files in memory; asking for the directory writes them out (mounts
    /// as symbolic links to their sources), and from then on every run
    /// that touches the container's files brings it up to date when it
    /// ends, so the path stays good across runs. [`Container::get_filesystem`](crate::Container::get_filesystem)
    /// is the same.
    pub fn container_filesystem(&self, name: &str) -> Result<PathBuf, Error> {
        let error = |source| Error::ContainerFilesystem {
            container: name.to_owned(),
            source,
        };
        materialise(&self.containers_root, name).map_err(error)
    }

    /// The charm directory for a run, and the temporary one to make when
    /// the charm looks (named on first use).
    fn run_charm_dir(&mut self) -> (PathBuf, Option<Arc<LazyDir>>) {
        match &mut self.charm_root {
            CharmRoot::Given(root) => (root.clone(), None),
            CharmRoot::Temporary(slot) => {
                let dir = slot.get_or_insert_with(|| Arc::new(LazyDir::new()));
                (dir.path().to_owned(), Some(dir.clone()))
            }
        }
    }

    /// The storage directory, made now if needed.
    fn storage_root_made(&self) -> Result<&Path, Error> {
        self.storage_dirs
            .path()
            .map_err(|source| Error::StorageDir {
                path: String::new(),
                source,
            })
    }

    /// Keep the storage directory (see [`Context::storage_location`]) on
    /// disk after the Context is dropped, for inspection (default false:
    /// it is removed with the Context). [`Context::storage_root`] names it.
    pub fn keep_storage_dirs(self, keep: bool) -> Self {
        self.storage_dirs.set_keep(keep);
        self
    }

    /// The directory holding every storage instance's directory, once a
    /// run or [`Context::storage_location`] has made it (`None` before).
    pub fn storage_root(&self) -> Option<&Path> {
        self.storage_dirs.existing()
    }

    /// Where the charm finds `storage` (what `storage.location()` answers
    /// in the charm): `<storage root>/<name>-<index>`, made now if it does
    /// not exist yet (ops.testing's `storage.get_filesystem(ctx)`). The
    /// directory belongs to this Context: what a test writes there before a
    /// run, the charm reads, and what the charm writes, the test reads
    /// after it. It is removed with the Context unless
    /// [`keep_storage_dirs`](Context::keep_storage_dirs) is set.
    ///
    /// ```
    /// # use ops::{Charm, Framework};
    /// # use ops_testing::{Context, Storage};
    /// # struct MyCharm;
    /// # impl Charm for MyCharm { fn new(_: &mut Framework<Self>) -> Self { MyCharm } }
    /// let ctx = Context::<MyCharm>::from_yaml("name: foo\nstorage: {data: {type: filesystem}}").unwrap();
    /// let data = Storage::new("data");
    /// let dir = ctx.storage_location(&data).unwrap();
    /// assert!(dir.is_dir());
    /// assert!(dir.ends_with(format!("data-{}", data.index)));
    /// ```
    pub fn storage_location(&self, storage: &crate::state::Storage) -> Result<PathBuf, Error> {
        let dir = self.storage_root_made()?.join(storage.dir_name());
        std::fs::create_dir_all(&dir).map_err(|source| Error::StorageDir {
            path: dir.display().to_string(),
            source,
        })?;
        Ok(dir)
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
        let (begun, persisted) = self.begin(event, state.into())?;
        let factory = &self.factory;
        let custom = begun.custom_dispatch();
        let result = catch_unwind(AssertUnwindSafe(|| match custom {
            Some(custom) => ops::internal::dispatch_custom::<C>(
                &begun.model,
                persisted,
                &DISPATCH_OPTIONS,
                custom,
                |fw| factory(fw),
            ),
            None => {
                ops::internal::dispatch::<C>(&begun.model, persisted, &DISPATCH_OPTIONS, |fw| {
                    factory(fw)
                })
            }
        }));
        self.end(begun, result)
    }

    /// The first half of a run: checks the input, sets up the backend and
    /// model over the working copy of the State, and returns them with what
    /// the framework loads (deferred notices and stored state).
    pub(crate) fn begin(
        &mut self,
        event: Event,
        state: Cow<'_, State>,
    ) -> Result<(Begun, Persisted), Error> {
        let (identity, actor) = self.resolved().map_err(|problem| Error::Inconsistent {
            problems: vec![problem],
        })?;
        let checked = consistency::check(&self.meta, &state, &event, &identity)
            .map_err(|problems| Error::Inconsistent { problems })?;
        let (charm_dir, lazy_dir) = self.run_charm_dir();
        // Only a State with storage makes the storage directory.
        let storage_root = if state.storages.is_empty() {
            None
        } else {
            Some(self.storage_root_made()?.to_owned())
        };
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
        let owner = self.handle;
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
        // Set in place: the backend is large, and each move copies it.
        let mut backend = MockBackend::new(
            working,
            checked.relation_ids_ascending,
            identity,
            actor,
            self.meta.clone(),
            action_params,
            std::mem::take(&mut self.juju_log),
        );
        backend.set_storage_root(storage_root);
        backend.set_charm_dir(lazy_dir.clone());
        backend.set_containers_root(self.containers_root.clone());
        backend.set_lease(self.lease, self.tool_call_time);
        let backend = Arc::new(backend);
        let model = ops::Model::new(backend.clone(), self.meta.clone(), juju_context);
        Ok((
            Begun {
                event,
                backend,
                model,
                stored_in,
                lazy_dir,
            },
            persisted,
        ))
    }

    /// The stored states the charm registers when it is built, as
    /// (owner path, name): the charm is built once, over an empty State,
    /// and dropped. Empty when it cannot be built (the run reports why).
    pub(crate) fn registered_stored_states(&self) -> Vec<(String, String)> {
        let Ok(identity) = self.identity() else {
            return Vec::new();
        };
        let actor = Actor::new(&identity.app_name, identity.unit_id)
            .with_juju_version(identity.juju_version.clone());
        let juju_context = JujuContext {
            charm_dir: self.charm_dir().map(Path::to_owned).unwrap_or_default(),
            unit_name: actor.unit().to_owned(),
            version: identity.juju_version.clone(),
            ..JujuContext::default()
        };
        let backend = Arc::new(MockBackend::new(
            State::default(),
            false,
            identity,
            actor,
            self.meta.clone(),
            None,
            JujuLog::default(),
        ));
        let model = ops::Model::new(backend, self.meta.clone(), juju_context);
        let factory = &self.factory;
        let built = catch_unwind(AssertUnwindSafe(|| {
            ops::internal::Dispatch::<C>::start(
                &model,
                Persisted::default(),
                &DISPATCH_OPTIONS,
                |fw| factory(fw),
            )
        }));
        let Ok(Ok(dispatch)) = built else {
            return Vec::new();
        };
        dispatch
            .stored_handles()
            .into_iter()
            .filter_map(parse_handle)
            .map(|(owner, name)| (owner.to_owned(), name.to_owned()))
            .collect()
    }

    /// The charm factory, for the Manager flow.
    pub(crate) fn factory(&self) -> &CharmFactory<C> {
        &self.factory
    }

    /// The second half of a run: takes the output State and the records
    /// out of the backend, and turns the dispatch's result (or panic) into
    /// the output State or the run's error.
    pub(crate) fn end(
        &mut self,
        begun: Begun,
        result: std::thread::Result<Result<DispatchOutcome, DispatchError>>,
    ) -> Result<State, Error> {
        let outcome = match result {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(error)) => return Err(self.end_failed(begun, Err(error))),
            Err(panic) => return Err(self.end_failed(begun, Ok(panic))),
        };
        let owner = self.handle;
        self.trace_data = outcome.spans;
        let (mut output, failure, stored_in) = self.close(begun)?;
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

    /// Ends a run whose dispatch failed (`Err`) or panicked (`Ok` with the
    /// payload): the records are kept, and the error says what happened.
    pub(crate) fn end_failed(
        &mut self,
        begun: Begun,
        failure: Result<Box<dyn std::any::Any + Send>, DispatchError>,
    ) -> Error {
        let event = begun.event.name.clone();
        self.trace_data.clear();
        if let Err(error) = self.close(begun) {
            return error;
        }
        match failure {
            Err(error) => uncaught(&event, error),
            Ok(panic) => Error::UncaughtCharmError {
                event,
                message: panic_message(panic.as_ref()),
                panicked: true,
                source: None,
            },
        }
    }

    /// Takes the output State and the records out of the backend (keeping
    /// the records on the Context); returns the State, the action's
    /// failure message, and the input's stored states.
    pub(crate) fn close(
        &mut self,
        begun: Begun,
    ) -> Result<(State, Option<String>, Vec<StoredState>), Error> {
        let Begun {
            backend,
            model,
            stored_in,
            lazy_dir,
            ..
        } = begun;
        drop(model);
        let (output, records) = backend.finish();
        let failure = records.action_failure.clone();
        self.absorb(records);
        // The charm was given a charm directory that could not be made.
        if let Some(source) = lazy_dir.as_deref().and_then(LazyDir::take_failure) {
            return Err(Error::CharmRoot { source });
        }
        Ok((output, failure, stored_in))
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
        for (container, execs) in records.exec_history {
            self.exec_history
                .entry(container)
                .or_default()
                .extend(execs);
        }
        self.leadership_lost_at = records.leadership_lost_at;
        if let Some(results) = records.action_results {
            self.action_results
                .get_or_insert_with(Default::default)
                .extend(results);
        }
    }
}

impl crate::state::Container {
    /// Where this container's simulated filesystem lives for `ctx`:
    /// `<the Context's directory>/containers/<name>` (ops.testing's
    /// `container.get_filesystem(ctx)`), the same as
    /// [`Context::container_filesystem`]: the container's files are
    /// written out there when first asked for and kept up to date by
    /// later runs.
    pub fn get_filesystem<C: Charm>(&self, ctx: &Context<C>) -> Result<PathBuf, Error> {
        ctx.container_filesystem(&self.name)
    }
}

impl crate::state::Storage {
    /// Where the charm finds this instance in `ctx`'s runs, made now if
    /// needed: ops.testing's `storage.get_filesystem(ctx)`, the same as
    /// [`Context::storage_location`].
    pub fn get_filesystem<C: Charm>(&self, ctx: &Context<C>) -> Result<PathBuf, Error> {
        ctx.storage_location(self)
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
        containers: state.containers.clone(),
        storages: state.storages.clone(),
        resources: state.resources.clone(),
    }
}

fn uncaught(event: &str, error: DispatchError) -> Error {
    // As in ops.testing, a custom event the charm does not define is not
    // wrapped as a charm error.
    match &error {
        DispatchError::NoCustomEvent { .. } => {
            return Error::NoObserver {
                event: event.to_owned(),
                message: error.to_string(),
            };
        }
        DispatchError::BadOwnerPath { .. } => {
            return Error::BadOwnerPath {
                event: event.to_owned(),
                message: error.to_string(),
            };
        }
        _ => {}
    }
    Error::UncaughtCharmError {
        event: event.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use ops::{HandlerResult, Model, StartEvent, on};

    /// Reads its hook environment on start only.
    struct Looker {
        model: Model,
    }

    impl Charm for Looker {
        fn new(framework: &mut Framework<Self>) -> Self {
            framework.observe(on::start(), Self::on_start);
            Looker {
                model: framework.model().clone(),
            }
        }
    }

    impl Looker {
        fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
            assert!(self.model.juju_context().charm_dir.is_dir());
            Ok(())
        }
    }

    fn temporary(ctx: &Context<Looker>) -> Arc<LazyDir> {
        match &ctx.charm_root {
            CharmRoot::Temporary(Some(dir)) => dir.clone(),
            _ => panic!("no temporary charm directory was named"),
        }
    }

    #[test]
    fn the_temporary_charm_dir_is_made_only_when_looked_at() {
        let mut ctx = Context::<Looker>::new(CharmMeta::new("looker"));
        ctx.run(ctx.on.install(), State::default()).unwrap();
        let dir = temporary(&ctx);
        assert!(!dir.is_made(), "the charm did not look: no directory");
        assert!(!dir.path().exists(), "{}", dir.path().display());

        // The charm looks: made before it sees the path.
        ctx.run(ctx.on.start(), State::default()).unwrap();
        assert!(dir.is_made() && dir.path().is_dir());
        let path = dir.path().to_owned();
        drop(dir);
        drop(ctx);
        assert!(!path.exists(), "removed with its Context");

        // The test looks.
        let mut ctx = Context::<Looker>::new(CharmMeta::new("looker"));
        assert_eq!(ctx.charm_dir(), None, "named at the first run");
        ctx.run(ctx.on.install(), State::default()).unwrap();
        let path = ctx.charm_dir().unwrap().to_owned();
        assert!(path.is_dir() && path.is_absolute(), "{}", path.display());
        drop(ctx);
        assert!(!path.exists(), "removed with its Context");
    }
}
