//! The production backend: Juju's hook tools, run from `PATH`.
//!
//! This is the only module that spawns processes. Every tool is executed
//! directly (no shell) with free text after `--`; `--format=json` is passed
//! wherever the tool offers it, and every output is parsed into a typed value
//! or refused with [`ModelError::BadOutput`].
//!
//! Failures map to [`ModelError`] the way ops maps them (`_ModelBackend`):
//! "relation not found" from a `relation-*` or `network-*` tool is
//! [`ModelError::RelationNotFound`], and so is "permission denied" from a
//! `relation-*` tool, which is how Juju answers for a relation gone from its
//! state, except for the refusals Juju makes on a live relation (a follower
//! reading its own application's bag of a non-peer relation, or writing
//! application data); "not found" from a `secret-*` tool is
//! [`ModelError::SecretNotFound`], and anything else goes through
//! [`ModelError::hook_tool`]: an authorisation failure ("permission denied",
//! "not the leader", ...) is [`ModelError::PermissionDenied`] (ops raises a
//! plain `ModelError` and logs a security event, which this backend logs
//! too), any other failure [`ModelError::HookTool`] with the tool's stderr.
//!
//! One submodule per family of tools (`relations`, `secrets`, `status`,
//! `actions`, `network`, `misc`); `process` runs a tool and `errors` maps its
//! failures. The [`Backend`] implementation below only delegates to them.
//!
//! Secret content and relation data never go on a command line, where other
//! local users could read them in `/proc/<pid>/cmdline`: relation data and
//! charm state go through stdin (`--file -`), secret content through files
//! created with mode 0600 in a fresh 0700 directory that is removed straight
//! after the call, whatever its outcome. Outputs that may hold secrets or
//! operator data are never quoted in error messages. Action results are the
//! one exception Juju forces: `action-set` takes them only as arguments.
//!
//! [`ModelError`]: crate::ModelError
//! [`ModelError::BadOutput`]: crate::ModelError::BadOutput
//! [`ModelError::RelationNotFound`]: crate::ModelError::RelationNotFound
//! [`ModelError::SecretNotFound`]: crate::ModelError::SecretNotFound
//! [`ModelError::hook_tool`]: crate::ModelError::hook_tool
//! [`ModelError::PermissionDenied`]: crate::ModelError::PermissionDenied
//! [`ModelError::HookTool`]: crate::ModelError::HookTool

mod actions;
mod cache;
mod cleanup;
mod errors;
mod misc;
mod network;
mod pebble;
mod process;
mod relations;
mod secrets;
mod status;
#[cfg(test)]
mod tests;

pub(crate) use cleanup::install_signal_cleanup;

use crate::backend::{
    Backend, BackendResult, CheckOp, ExecArgs, ExecOutput, PebbleResult, ServiceOp,
};
use crate::types::{
    CloudSpec, GoalState, LogLevel, Metrics, Network, Port, RelationId, SecretInfo, SecretMetadata,
    SecretOwner, Status, StringMap,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use pebble::DEFAULT_PEBBLE_DIR;
pub use process::{DEFAULT_TOOL_TIMEOUT, RESOURCE_GET_TIMEOUT};

/// Runs the real hook tools. Build one per dispatch: it caches the answer of
/// `is-leader` for the 30 seconds Juju guarantees it (timed from before the
/// call, as ops does) and the charm's configuration, which cannot change while
/// a hook runs, and the other answers ops keeps for a dispatch (relations,
/// databags, statuses, networks: see `cache.rs`).
///
/// Every tool call has a deadline ([`DEFAULT_TOOL_TIMEOUT`] unless changed
/// with [`JujuBackend::with_tool_timeout`]); a tool still running then is
/// killed, the call fails with [`ModelError::HookToolTimeout`], every later
/// call fails at once with the same error, and
/// [`Backend::fatal_error`] reports it, so the dispatch fails and saves
/// nothing even if the charm handled the error.
///
/// [`ModelError::HookToolTimeout`]: crate::ModelError::HookToolTimeout
#[derive(Debug)]
pub struct JujuBackend {
    tools_dir: Option<PathBuf>,
    tool_timeout: Option<Duration>,
    fatal: Mutex<Option<crate::ModelError>>,
    leader: Mutex<Option<(Instant, bool)>>,
    config: Mutex<Option<BTreeMap<String, Value>>>,
    cache: cache::ToolCache,
    pebble_dir: PathBuf,
}

impl Default for JujuBackend {
    fn default() -> Self {
        JujuBackend {
            tools_dir: None,
            tool_timeout: Some(DEFAULT_TOOL_TIMEOUT),
            fatal: Mutex::new(None),
            leader: Mutex::new(None),
            config: Mutex::new(None),
            cache: cache::ToolCache::default(),
            pebble_dir: PathBuf::from(pebble::DEFAULT_PEBBLE_DIR),
        }
    }
}

impl JujuBackend {
    /// Hook tools found on `PATH`, as Juju arranges.
    pub fn new() -> Self {
        JujuBackend::default()
    }

    /// Hook tools found in `dir` (for tests with fake tools).
    pub fn with_tools_dir(dir: impl Into<PathBuf>) -> Self {
        JujuBackend {
            tools_dir: Some(dir.into()),
            ..JujuBackend::default()
        }
    }

    /// Sets how long one hook tool may run before it is killed: `None` waits
    /// forever, as Python ops does. The default is [`DEFAULT_TOOL_TIMEOUT`];
    /// `resource-get` always gets at least [`RESOURCE_GET_TIMEOUT`].
    pub fn with_tool_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.tool_timeout = timeout;
        self
    }

    /// Looks for the containers' Pebble sockets in `dir` (`<dir>/<container>/pebble.socket`)
    /// instead of [`DEFAULT_PEBBLE_DIR`] (for tests against a real daemon).
    pub fn with_pebble_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.pebble_dir = dir.into();
        self
    }
}

fn s(text: impl Into<String>) -> String {
    text.into()
}

impl Backend for JujuBackend {
    fn fatal_error(&self) -> Option<crate::ModelError> {
        self.fatal()
    }

    fn is_leader(&self) -> BackendResult<bool> {
        misc::is_leader(self)
    }

    fn relation_ids(&self, endpoint: &str) -> BackendResult<Vec<RelationId>> {
        self.cache
            .relation_ids(endpoint, || relations::relation_ids(self, endpoint))
    }

    fn relation_list(&self, relation_id: RelationId) -> BackendResult<Vec<String>> {
        self.cache
            .relation_list(relation_id, || relations::relation_list(self, relation_id))
    }

    fn relation_remote_app_name(&self, relation_id: RelationId) -> BackendResult<Option<String>> {
        self.cache.remote_app(relation_id, || {
            relations::relation_remote_app_name(self, relation_id)
        })
    }

    fn relation_get(
        &self,
        relation_id: RelationId,
        member: &str,
        is_app: bool,
    ) -> BackendResult<Arc<StringMap>> {
        self.cache.relation_get(relation_id, member, is_app, || {
            relations::relation_get(self, relation_id, member, is_app)
        })
    }

    fn relation_set(
        &self,
        relation_id: RelationId,
        data: StringMap,
        is_app: bool,
    ) -> BackendResult<()> {
        relations::relation_set(self, relation_id, &data, is_app)?;
        self.cache.relation_set(relation_id, data, is_app);
        Ok(())
    }

    fn relation_model_get(&self, relation_id: RelationId) -> BackendResult<String> {
        self.cache.relation_model(relation_id, || {
            relations::relation_model_get(self, relation_id)
        })
    }

    fn config_get(&self) -> BackendResult<BTreeMap<String, Value>> {
        misc::config_get(self)
    }

    fn status_get(&self, is_app: bool) -> BackendResult<Status> {
        self.cache
            .status_get(is_app, || status::status_get(self, is_app))
    }

    fn status_set(&self, status: &Status, is_app: bool) -> BackendResult<()> {
        status::status_set(self, status, is_app)?;
        self.cache.status_set(status, is_app);
        Ok(())
    }

    fn application_version_set(&self, version: &str) -> BackendResult<()> {
        status::application_version_set(self, version)
    }

    fn juju_log(&self, level: LogLevel, message: &str) -> BackendResult<()> {
        status::juju_log(self, level, message)
    }

    fn action_get(&self) -> BackendResult<serde_json::Map<String, Value>> {
        actions::action_get(self)
    }

    fn action_set(&self, results: &serde_json::Map<String, Value>) -> BackendResult<()> {
        actions::action_set(self, results)
    }

    fn action_log(&self, message: &str) -> BackendResult<()> {
        actions::action_log(self, message)
    }

    fn action_fail(&self, message: &str) -> BackendResult<()> {
        actions::action_fail(self, message)
    }

    fn secret_add(
        &self,
        content: &StringMap,
        owner: SecretOwner,
        metadata: &SecretMetadata,
    ) -> BackendResult<String> {
        secrets::secret_add(self, content, owner, metadata)
    }

    fn secret_get(
        &self,
        id: Option<&str>,
        label: Option<&str>,
        refresh: bool,
        peek: bool,
    ) -> BackendResult<StringMap> {
        secrets::secret_get(self, id, label, refresh, peek)
    }

    fn secret_info_get(&self, id: Option<&str>, label: Option<&str>) -> BackendResult<SecretInfo> {
        secrets::secret_info_get(self, id, label)
    }

    fn secret_set(
        &self,
        id: &str,
        content: Option<&StringMap>,
        metadata: &SecretMetadata,
    ) -> BackendResult<()> {
        secrets::secret_set(self, id, content, metadata)
    }

    fn secret_grant(
        &self,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> BackendResult<()> {
        secrets::secret_grant(self, id, relation_id, unit)
    }

    fn secret_revoke(
        &self,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> BackendResult<()> {
        secrets::secret_revoke(self, id, relation_id, unit)
    }

    fn secret_remove(&self, id: &str, revision: Option<u32>) -> BackendResult<()> {
        secrets::secret_remove(self, id, revision)
    }

    fn secret_ids(&self) -> BackendResult<Vec<String>> {
        secrets::secret_ids(self)
    }

    fn open_port(&self, port: &Port) -> BackendResult<()> {
        network::open_port(self, port)
    }

    fn close_port(&self, port: &Port) -> BackendResult<()> {
        network::close_port(self, port)
    }

    fn opened_ports(&self) -> BackendResult<Vec<Port>> {
        network::opened_ports(self)
    }

    fn network_get(
        &self,
        binding: &str,
        relation_id: Option<RelationId>,
    ) -> BackendResult<Network> {
        self.cache.network(binding, relation_id, || {
            network::network_get(self, binding, relation_id)
        })
    }

    fn storage_get(&self, storage_id: &str, attribute: &str) -> BackendResult<String> {
        misc::storage_get(self, storage_id, attribute)
    }

    fn storage_list(&self, name: &str) -> BackendResult<Vec<String>> {
        misc::storage_list(self, name)
    }

    fn storage_add(&self, name: &str, count: u32) -> BackendResult<()> {
        misc::storage_add(self, name, count)
    }

    fn state_get(&self, key: &str) -> BackendResult<Option<String>> {
        misc::state_get(self, key)
    }

    fn state_set(&self, entries: &StringMap) -> BackendResult<()> {
        misc::state_set(self, entries)
    }

    fn state_delete(&self, key: &str) -> BackendResult<()> {
        misc::state_delete(self, key)
    }

    fn resource_get(&self, name: &str) -> BackendResult<PathBuf> {
        misc::resource_get(self, name)
    }

    fn credential_get(&self) -> BackendResult<CloudSpec> {
        misc::credential_get(self)
    }

    fn goal_state(&self) -> BackendResult<GoalState> {
        misc::goal_state(self)
    }

    fn reboot(&self, now: bool) -> BackendResult<()> {
        misc::reboot(self, now)
    }

    fn pod_spec_set(&self, spec: &Value, k8s_resources: Option<&Value>) -> BackendResult<()> {
        misc::pod_spec_set(self, spec, k8s_resources)
    }

    fn add_metric(&self, metrics: &Metrics, labels: &StringMap) -> BackendResult<()> {
        misc::add_metric(self, metrics, labels)
    }

    fn pebble_system_info(&self, container: &str) -> PebbleResult<::pebble::SystemInfo> {
        pebble::system_info(self, container)
    }

    fn pebble_add_layer(
        &self,
        container: &str,
        label: &str,
        layer: &::pebble::Layer,
        combine: bool,
    ) -> PebbleResult<()> {
        pebble::add_layer(self, container, label, layer, combine)
    }

    fn pebble_plan(&self, container: &str) -> PebbleResult<::pebble::Plan> {
        pebble::plan(self, container)
    }

    fn pebble_services(
        &self,
        container: &str,
        names: &[String],
    ) -> PebbleResult<Vec<::pebble::ServiceInfo>> {
        pebble::services(self, container, names)
    }

    fn pebble_services_op(
        &self,
        container: &str,
        op: ServiceOp,
        names: &[String],
    ) -> PebbleResult<()> {
        pebble::services_op(self, container, op, names)
    }

    fn pebble_checks(
        &self,
        container: &str,
        level: Option<&::pebble::CheckLevel>,
        names: &[String],
    ) -> PebbleResult<Vec<::pebble::CheckInfo>> {
        pebble::checks(self, container, level, names)
    }

    fn pebble_checks_op(
        &self,
        container: &str,
        op: CheckOp,
        names: &[String],
    ) -> PebbleResult<Vec<String>> {
        pebble::checks_op(self, container, op, names)
    }

    fn pebble_notices(
        &self,
        container: &str,
        options: &::pebble::NoticesOptions,
    ) -> PebbleResult<Vec<::pebble::Notice>> {
        pebble::notices(self, container, options)
    }

    fn pebble_notice(&self, container: &str, id: &str) -> PebbleResult<::pebble::Notice> {
        pebble::notice(self, container, id)
    }

    fn pebble_push(
        &self,
        container: &str,
        path: &str,
        data: &[u8],
        options: &::pebble::PushOptions,
    ) -> PebbleResult<()> {
        pebble::push(self, container, path, data, options)
    }

    fn pebble_pull(&self, container: &str, path: &str) -> PebbleResult<Vec<u8>> {
        pebble::pull(self, container, path)
    }

    fn pebble_list_files(
        &self,
        container: &str,
        path: &str,
        pattern: Option<&str>,
        itself: bool,
    ) -> PebbleResult<Vec<::pebble::FileInfo>> {
        pebble::list_files(self, container, path, pattern, itself)
    }

    fn pebble_make_dir(
        &self,
        container: &str,
        path: &str,
        options: &::pebble::MakeDirOptions,
    ) -> PebbleResult<()> {
        pebble::make_dir(self, container, path, options)
    }

    fn pebble_remove_path(&self, container: &str, path: &str, recursive: bool) -> PebbleResult<()> {
        pebble::remove_path(self, container, path, recursive)
    }

    fn pebble_send_signal(
        &self,
        container: &str,
        signal: &str,
        services: &[String],
    ) -> PebbleResult<()> {
        pebble::send_signal(self, container, signal, services)
    }

    fn pebble_exec(&self, container: &str, args: &ExecArgs) -> PebbleResult<ExecOutput> {
        pebble::exec(self, container, args)
    }
}
