//! [`MockBackend`]: the harness's `ops::Backend`, a thin layer over the
//! simulated Juju model ([`crate::juju::ModelStore`]).
//!
//! The input [`State`] is moved into a model store for the acting unit
//! when the run starts, every hook tool is answered by the store's
//! operation (which holds Juju's rules and messages), and the store is
//! projected back into the output State when the run ends. What the
//! backend adds is per run: the records (logs, status histories, action
//! output, removed secret revisions, requested storage), metadata config
//! defaults, and the tools only the harness answers (`harness.rs`,
//! `actions.rs`). Rules that ops enforces live in `ops::model` and are not
//! repeated anywhere here.

mod actions;
mod harness;
mod lease;
mod pending;
mod records;
mod workload;
mod workload_fs;

pub(crate) use actions::enqueue as enqueue_action;
pub(crate) use records::Records;
use workload::Workloads;
pub(crate) use workload_fs::{FsRoot, materialise, new_fs_root};

use crate::charm_dir::LazyDir;
use crate::juju::{Actor, ModelStore, RelationView, SecretRemoval, UnitExtras};
use crate::log::JujuLog;
use crate::state::{State, ids::next_secret_id};
use actions::Action;
use ops::JujuVersion;
use ops::backend::{
    BackendResult, CheckOp, ExecArgs, ExecOutput, Metrics, PebbleResult, ServiceOp,
};
use ops::meta::CharmMeta;
use ops::pebble;
use ops::{
    Backend, CloudSpec, GoalState, LogLevel, Network, Port, RelationId, SecretInfo, SecretMetadata,
    SecretOwner, Status, StringMap,
};
use pending::Pending;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use lease::Lease;

/// Who runs the charm: the Context's settings that the backend needs.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub(crate) app_name: String,
    pub(crate) unit_id: u32,
    pub(crate) juju_version: JujuVersion,
    pub(crate) app_trusted: bool,
}

struct Inner {
    store: ModelStore,
    /// The State's relations and secrets not yet moved into the store.
    pending: Pending,
    extras: UnitExtras,
    records: Records,
    action: Action,
    lease: LeaseClock,
}

/// The run's simulated clock and the leadership lease it may end.
#[derive(Debug, Default)]
struct LeaseClock {
    lease: Option<Lease>,
    /// Simulated time each backend call takes.
    tick: Duration,
    /// Simulated time since the run started.
    now: Duration,
    is_leader_calls: u32,
    /// When the lease ended, if it did in this run.
    lost_at: Option<Duration>,
}

/// The hook-tool backend of one run.
pub(crate) struct MockBackend {
    inner: Mutex<Inner>,
    // Log lines have their own lock: a line logged (through `tracing`) from
    // code that holds `inner` must not wait for `inner`.
    juju_log: Mutex<JujuLog>,
    /// The containers' simulated Pebble (its own lock: it never needs the model's).
    workloads: Mutex<Workloads>,
    identity: Identity,
    actor: Actor,
    meta: Arc<CharmMeta>,
    /// The Context's storage directory, when the State has storage.
    storage_root: Option<PathBuf>,
    /// The Context's temporary charm directory, made when the charm looks.
    charm_dir: Option<Arc<LazyDir>>,
}

impl MockBackend {
    /// A backend for the unit `identity` names, over `state` (moved into
    /// the model store; its relations and secrets only when a hook tool
    /// names them). Log lines are appended to `log`, which
    /// [`MockBackend::finish`] hands back in the records.
    /// `relation_ids_ascending` is what the consistency check found (a
    /// `false` is always safe); `actor` is the unit `identity` names.
    pub(crate) fn new(
        mut state: State,
        relation_ids_ascending: bool,
        identity: Identity,
        actor: Actor,
        meta: Arc<CharmMeta>,
        action_params: Option<serde_json::Map<String, Value>>,
        log: JujuLog,
    ) -> Self {
        let workloads = Workloads::new(std::mem::take(&mut state.containers), new_fs_root());
        let pending = Pending::take(&mut state, relation_ids_ascending);
        let (store, extras) = ModelStore::from_state(state, &actor);
        MockBackend {
            inner: Mutex::new(Inner {
                store,
                pending,
                extras,
                records: Records::default(),
                action: Action::new(action_params),
                lease: LeaseClock::default(),
            }),
            juju_log: Mutex::new(log),
            workloads: Mutex::new(workloads),
            identity,
            actor,
            meta,
            storage_root: None,
            charm_dir: None,
        }
    }

    /// The directory under which each storage instance gets its own
    /// directory (`<name>-<index>`), made when the charm first asks for it.
    pub(crate) fn set_storage_root(&mut self, root: Option<PathBuf>) {
        self.storage_root = root;
    }

    /// The temporary charm directory to make when the charm reads its hook
    /// environment (`None` for a given charm root).
    pub(crate) fn set_charm_dir(&mut self, dir: Option<Arc<LazyDir>>) {
        self.charm_dir = dir;
    }

    /// The Context's directory for the containers' simulated filesystems
    /// (made when a run first touches a container's files).
    pub(crate) fn set_containers_root(&mut self, root: FsRoot) {
        self.workloads
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .fs
            .set_root(root);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A charm that panicked mid-call poisons nothing we rely on: the data is still consistent.
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Every hook-tool call takes the lock once: the simulated clock
        // advances, and a lease that ends at that time ends.
        let Inner { store, lease, .. } = &mut *inner;
        lease.tick(store, &self.actor);
        inner
    }

    /// Ends the unit's leadership at `lease` during this run, on a
    /// simulated clock that advances by `tick` at every hook-tool call.
    pub(crate) fn set_lease(&mut self, lease: Option<Lease>, tick: Duration) {
        let inner = self
            .inner
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.lease.lease = lease;
        inner.lease.tick = tick;
    }

    /// Takes the output state (the store projected back for the unit) and
    /// the records out, at the end of the run.
    pub(crate) fn finish(&self) -> (State, Records) {
        // Not `lock`: taking the results out is no hook-tool call.
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let store = std::mem::take(&mut inner.store);
        let pending = std::mem::take(&mut inner.pending);
        let extras = std::mem::take(&mut inner.extras);
        let mut records = std::mem::take(&mut inner.records);
        records.juju_log = std::mem::take(
            &mut *self
                .juju_log
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        records.leadership_lost_at = inner.lease.lost_at;
        let mut state = store.into_state(&self.actor, extras);
        pending.restore(&mut state);
        let mut workloads = std::mem::replace(
            &mut *self
                .workloads
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            Workloads::new(Vec::new(), new_fs_root()),
        );
        records.exec_history = std::mem::take(&mut workloads.exec_history);
        state.containers = workloads.into_containers();
        (state, records)
    }

    /// Runs a call on the simulated Pebble, then logs the warnings it raised.
    fn pebble<T>(&self, op: impl FnOnce(&mut Workloads) -> T) -> T {
        let (result, warnings) = {
            let mut workloads = self
                .workloads
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let result = op(&mut workloads);
            (result, std::mem::take(&mut workloads.fs.warnings))
        };
        for warning in warnings {
            let _ = self.juju_log(LogLevel::Warning, &warning);
        }
        result
    }

    /// Runs a read-only store operation.
    fn read<T>(&self, op: impl FnOnce(&ModelStore, &Actor) -> T) -> T {
        op(&self.lock().store, &self.actor)
    }

    /// Runs a store operation that may change the model.
    fn write<T>(&self, op: impl FnOnce(&mut ModelStore, &Actor) -> T) -> T {
        op(&mut self.lock().store, &self.actor)
    }

    /// Runs a store operation on relation `id`, moved into the store first.
    fn on_relation<T>(&self, id: RelationId, op: impl FnOnce(&mut ModelStore, &Actor) -> T) -> T {
        let mut guard = self.lock();
        let Inner { store, pending, .. } = &mut *guard;
        pending.relation(store, &self.actor, id);
        op(store, &self.actor)
    }

    /// Answers a read of relation `id`: from the State's relation in place
    /// while no tool has moved it into the store (`pending`), else with the
    /// store's operation. Both read through one
    /// [`RelationView`], so Juju's rules are the
    /// same either way, and a relation the charm only reads is never moved.
    fn read_relation<T>(
        &self,
        id: RelationId,
        pending: impl FnOnce(&RelationView<'_>, &Actor) -> T,
        stored: impl FnOnce(&ModelStore, &Actor) -> T,
    ) -> T {
        let mut guard = self.lock();
        let Inner {
            store,
            pending: state,
            ..
        } = &mut *guard;
        match state.unmoved_relation(id) {
            Some(relation) => pending(&RelationView::of_state(relation, &self.actor), &self.actor),
            None => stored(store, &self.actor),
        }
    }

    /// Runs a store operation on the secret named by `id` or `label` (and
    /// relation `relation`, if given), moved into the store first.
    fn on_secret<T>(
        &self,
        id: Option<&str>,
        label: Option<&str>,
        relation: Option<RelationId>,
        op: impl FnOnce(&mut ModelStore, &Actor, &mut Records) -> T,
    ) -> T {
        let mut guard = self.lock();
        let Inner {
            store,
            pending,
            records,
            ..
        } = &mut *guard;
        match (id, label) {
            (Some(id), _) => pending.secret_by_id(store, &self.actor, id),
            (None, Some(label)) => pending.secret_by_label(store, &self.actor, label),
            (None, None) => {}
        }
        if let Some(relation) = relation {
            pending.relation(store, &self.actor, relation);
        }
        op(store, &self.actor, records)
    }
}

impl Backend for MockBackend {
    fn use_charm_dir(&self) {
        if let Some(dir) = &self.charm_dir {
            dir.make();
        }
    }

    fn is_leader(&self) -> BackendResult<bool> {
        let mut guard = self.lock();
        let Inner { store, lease, .. } = &mut *guard;
        let answer = store.is_leader(&self.actor);
        lease.after_is_leader(store, &self.actor);
        Ok(answer)
    }

    fn relation_ids(&self, endpoint: &str) -> BackendResult<Vec<RelationId>> {
        let inner = self.lock();
        Ok(inner
            .pending
            .relation_ids(&inner.store, &self.actor, endpoint))
    }

    fn relation_list(&self, relation_id: RelationId) -> BackendResult<Vec<String>> {
        self.read_relation(
            relation_id,
            |view, me| Ok(view.list(me)),
            |store, me| store.relation_list(me, relation_id),
        )
    }

    fn relation_remote_app_name(&self, relation_id: RelationId) -> BackendResult<Option<String>> {
        self.read_relation(
            relation_id,
            |view, _| Ok(view.remote_app.to_owned()),
            |store, me| store.relation_remote_app_name(me, relation_id),
        )
        .map(Some)
    }

    fn relation_remote_app_without_call(
        &self,
        relation_id: RelationId,
    ) -> BackendResult<Option<String>> {
        self.relation_remote_app_name(relation_id)
    }

    fn relation_get(
        &self,
        relation_id: RelationId,
        member: &str,
        is_app: bool,
    ) -> BackendResult<Arc<StringMap>> {
        self.read_relation(
            relation_id,
            |view, me| view.get(me, member, is_app),
            |store, me| store.relation_get(me, relation_id, member, is_app),
        )
    }

    fn relation_set(
        &self,
        relation_id: RelationId,
        data: StringMap,
        is_app: bool,
    ) -> BackendResult<()> {
        let mut guard = self.lock();
        let Inner { store, pending, .. } = &mut *guard;
        // A relation no tool moved into the store is written in place.
        match pending.unmoved_relation_mut(relation_id) {
            Some(relation) => store.relation_set_in_state(&self.actor, relation, data, is_app),
            None => store.relation_set(&self.actor, relation_id, data, is_app),
        }
    }

    fn relation_model_get(&self, relation_id: RelationId) -> BackendResult<String> {
        self.on_relation(relation_id, |store, me| {
            store.relation_model_get(me, relation_id)
        })
    }

    fn config_get(&self) -> BackendResult<BTreeMap<String, Value>> {
        let mut config = self.read(ModelStore::config_get);
        for (name, option) in &self.meta.config.options {
            if let Some(default) = &option.default {
                config
                    .entry(name.clone())
                    .or_insert_with(|| default.clone());
            }
        }
        Ok(config)
    }

    fn status_get(&self, is_app: bool) -> BackendResult<Status> {
        self.read(|store, me| store.status_get(me, is_app))
    }

    fn status_set(&self, status: &Status, is_app: bool) -> BackendResult<()> {
        let mut guard = self.lock();
        let Inner { store, records, .. } = &mut *guard;
        let previous = store.status_set(&self.actor, status.clone(), is_app)?;
        let history = if is_app {
            &mut records.app_status_history
        } else {
            &mut records.unit_status_history
        };
        history.push(previous);
        Ok(())
    }

    fn application_version_set(&self, version: &str) -> BackendResult<()> {
        let mut guard = self.lock();
        let Inner { store, records, .. } = &mut *guard;
        let previous = store.application_version_set(&self.actor, version);
        if !previous.is_empty() {
            records.workload_version_history.push(previous);
        }
        Ok(())
    }

    fn juju_log(&self, level: LogLevel, message: &str) -> BackendResult<()> {
        self.juju_log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(level, message);
        Ok(())
    }

    fn juju_log_with(
        &self,
        level: LogLevel,
        write: &dyn Fn(&mut dyn std::fmt::Write) -> std::fmt::Result,
    ) -> BackendResult<()> {
        self.juju_log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push_with(level, write);
        Ok(())
    }

    fn action_get(&self) -> BackendResult<serde_json::Map<String, Value>> {
        self.lock().action.get()
    }

    fn action_set(&self, results: &serde_json::Map<String, Value>) -> BackendResult<()> {
        let mut guard = self.lock();
        let Inner {
            action, records, ..
        } = &mut *guard;
        action.set(records, results)
    }

    fn action_log(&self, message: &str) -> BackendResult<()> {
        let mut guard = self.lock();
        let Inner {
            action, records, ..
        } = &mut *guard;
        action.log(records, message)
    }

    fn action_fail(&self, message: &str) -> BackendResult<()> {
        let mut guard = self.lock();
        let Inner {
            action, records, ..
        } = &mut *guard;
        action.fail(records, message)
    }

    fn secret_add(
        &self,
        content: &StringMap,
        owner: SecretOwner,
        metadata: &SecretMetadata,
    ) -> BackendResult<String> {
        self.write(|store, me| {
            store.secret_add(me, next_secret_id, content.clone(), owner, metadata)
        })
    }

    fn secret_get(
        &self,
        id: Option<&str>,
        label: Option<&str>,
        refresh: bool,
        peek: bool,
    ) -> BackendResult<StringMap> {
        self.on_secret(id, label, None, |store, me, _| {
            store.secret_get(me, id, label, refresh, peek)
        })
    }

    fn secret_info_get(&self, id: Option<&str>, label: Option<&str>) -> BackendResult<SecretInfo> {
        self.on_secret(id, label, None, |store, me, _| {
            store.secret_info_get(me, id, label)
        })
    }

    fn secret_set(
        &self,
        id: &str,
        content: Option<&StringMap>,
        metadata: &SecretMetadata,
    ) -> BackendResult<()> {
        let unchanged = self.on_secret(Some(id), None, None, |store, me, _| {
            store.secret_set(me, id, content, metadata)
        })?;
        if unchanged {
            tracing::warn!("secret {id} was set to the content it already has");
        }
        Ok(())
    }

    fn secret_grant(
        &self,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> BackendResult<()> {
        self.on_secret(Some(id), None, Some(relation_id), |store, me, _| {
            store.secret_grant(me, id, relation_id, unit)
        })
    }

    fn secret_revoke(
        &self,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> BackendResult<()> {
        self.on_secret(Some(id), None, Some(relation_id), |store, me, _| {
            store.secret_revoke(me, id, relation_id, unit)
        })
    }

    fn secret_remove(&self, id: &str, revision: Option<u32>) -> BackendResult<()> {
        self.on_secret(Some(id), None, None, |store, me, records| {
            if let SecretRemoval::Revision(rev) = store.secret_remove(me, id, revision)? {
                records.removed_secret_revisions.push(rev);
            }
            Ok(())
        })
    }

    fn secret_ids(&self) -> BackendResult<Vec<String>> {
        let mut guard = self.lock();
        let Inner { store, pending, .. } = &mut *guard;
        pending.all_secrets(store, &self.actor);
        store.secret_ids(&self.actor)
    }

    fn open_port(&self, port: &Port) -> BackendResult<()> {
        self.write(|store, me| store.open_port(me, *port))
    }

    fn close_port(&self, port: &Port) -> BackendResult<()> {
        self.write(|store, me| store.close_port(me, port))
    }

    fn opened_ports(&self) -> BackendResult<Vec<Port>> {
        Ok(self.read(ModelStore::opened_ports))
    }

    fn network_get(
        &self,
        binding: &str,
        _relation_id: Option<RelationId>,
    ) -> BackendResult<Network> {
        harness::network_get(&self.meta, &self.lock().extras, binding)
    }

    fn storage_get(&self, storage_id: &str, attribute: &str) -> BackendResult<String> {
        harness::storage_get(
            &self.lock().extras,
            self.storage_root.as_deref(),
            storage_id,
            attribute,
        )
    }

    fn storage_list(&self, name: &str) -> BackendResult<Vec<String>> {
        Ok(harness::storage_list(&self.lock().extras, name))
    }

    fn storage_add(&self, name: &str, count: u32) -> BackendResult<()> {
        harness::storage_add(&mut self.lock().records, name, count)
    }

    fn state_get(&self, key: &str) -> BackendResult<Option<String>> {
        Ok(self.read(|store, me| store.state_get(me, key)))
    }

    fn state_set(&self, entries: &StringMap) -> BackendResult<()> {
        self.write(|store, me| store.state_set(me, entries));
        Ok(())
    }

    fn state_delete(&self, key: &str) -> BackendResult<()> {
        self.write(|store, me| store.state_delete(me, key));
        Ok(())
    }

    fn resource_get(&self, name: &str) -> BackendResult<PathBuf> {
        harness::resource_get(&self.lock().extras, name)
    }

    fn credential_get(&self) -> BackendResult<CloudSpec> {
        harness::credential_get(&self.identity, &self.lock().extras)
    }

    fn goal_state(&self) -> BackendResult<GoalState> {
        Ok(harness::goal_state(&self.identity, &self.lock().extras))
    }

    fn reboot(&self, _now: bool) -> BackendResult<()> {
        Err(harness::unsupported(
            "juju-reboot",
            "ops-testing does not simulate reboots (ops.testing does not either)",
        ))
    }

    fn pod_spec_set(&self, _spec: &Value, _k8s_resources: Option<&Value>) -> BackendResult<()> {
        Err(harness::unsupported(
            "pod-spec-set",
            "podspec charms are legacy and not simulated (ops.testing raises NotImplementedError)",
        ))
    }

    fn add_metric(&self, _metrics: &Metrics, _labels: &StringMap) -> BackendResult<()> {
        Err(harness::unsupported(
            "add-metric",
            "collect-metrics is legacy and not simulated (ops.testing raises NotImplementedError)",
        ))
    }

    fn pebble_system_info(&self, container: &str) -> PebbleResult<pebble::SystemInfo> {
        self.pebble(|w| w.system_info(container))
    }

    fn pebble_add_layer(
        &self,
        container: &str,
        label: &str,
        layer: &pebble::Layer,
        combine: bool,
    ) -> PebbleResult<()> {
        self.pebble(|w| w.add_layer(container, label, layer, combine))
    }

    fn pebble_plan(&self, container: &str) -> PebbleResult<pebble::Plan> {
        self.pebble(|w| w.plan(container))
    }

    fn pebble_services(
        &self,
        container: &str,
        names: &[String],
    ) -> PebbleResult<Vec<pebble::ServiceInfo>> {
        self.pebble(|w| w.services(container, names))
    }

    fn pebble_services_op(
        &self,
        container: &str,
        op: ServiceOp,
        names: &[String],
    ) -> PebbleResult<()> {
        self.pebble(|w| w.services_op(container, op, names))
    }

    fn pebble_checks(
        &self,
        container: &str,
        level: Option<&pebble::CheckLevel>,
        names: &[String],
    ) -> PebbleResult<Vec<pebble::CheckInfo>> {
        self.pebble(|w| w.checks(container, level, names))
    }

    fn pebble_checks_op(
        &self,
        container: &str,
        op: CheckOp,
        names: &[String],
    ) -> PebbleResult<Vec<String>> {
        self.pebble(|w| w.checks_op(container, op, names))
    }

    fn pebble_notices(
        &self,
        container: &str,
        options: &pebble::NoticesOptions,
    ) -> PebbleResult<Vec<pebble::Notice>> {
        self.pebble(|w| w.notices(container, options))
    }

    fn pebble_notice(&self, container: &str, id: &str) -> PebbleResult<pebble::Notice> {
        self.pebble(|w| w.notice(container, id))
    }

    fn pebble_push(
        &self,
        container: &str,
        path: &str,
        data: &[u8],
        options: &pebble::PushOptions,
    ) -> PebbleResult<()> {
        self.pebble(|w| w.push(container, path, data, options))
    }

    fn pebble_pull(&self, container: &str, path: &str) -> PebbleResult<Vec<u8>> {
        self.pebble(|w| w.pull(container, path))
    }

    fn pebble_list_files(
        &self,
        container: &str,
        path: &str,
        pattern: Option<&str>,
        itself: bool,
    ) -> PebbleResult<Vec<pebble::FileInfo>> {
        self.pebble(|w| w.list_files(container, path, pattern, itself))
    }

    fn pebble_make_dir(
        &self,
        container: &str,
        path: &str,
        options: &pebble::MakeDirOptions,
    ) -> PebbleResult<()> {
        self.pebble(|w| w.make_dir(container, path, options))
    }

    fn pebble_remove_path(&self, container: &str, path: &str, recursive: bool) -> PebbleResult<()> {
        self.pebble(|w| w.remove_path(container, path, recursive))
    }

    fn pebble_send_signal(
        &self,
        container: &str,
        signal: &str,
        services: &[String],
    ) -> PebbleResult<()> {
        self.pebble(|w| w.send_signal(container, signal, services))
    }

    fn pebble_exec(&self, container: &str, args: &ExecArgs) -> PebbleResult<ExecOutput> {
        self.pebble(|w| w.exec(container, args))
    }
}

#[cfg(test)]
mod tests;
