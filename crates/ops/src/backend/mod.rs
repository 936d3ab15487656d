//! The seam between the model and Juju: one method per hook tool.
//!
//! [`Backend`] takes and returns plain data and holds no policy. The rules
//! that Python `ops` enforces live in the [model facades](crate::model); the
//! rules that Juju enforces live behind this trait, in the production backend
//! (which runs the real hook tools) or in `ops-testing`'s mock (which mirrors
//! Juju's behaviour and messages).
//!
//! The data the trait takes and returns is defined in [`crate::types`], below
//! this module; it is re-exported here so that `ops::backend::StringMap` and
//! the other paths of the seam keep working.

pub mod juju;

use crate::error::{ModelError, PebbleError};
pub use crate::types::pebble_ops::{CheckOp, ExecArgs, ExecOutput, ServiceOp};
pub use crate::types::{
    Address, BindAddress, CloudCredential, CloudSpec, GoalState, GoalUnit, LogLevel, Metrics,
    Network, RelationId, SecretInfo, SecretMetadata, SecretOwner, SecretRotate, StringMap,
};
use crate::types::{Port, Status};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The result type of every backend call.
pub type BackendResult<T> = Result<T, ModelError>;

/// The result type of every Pebble call of the backend.
pub type PebbleResult<T> = Result<T, PebbleError>;

/// What a backend without Pebble answers (the default of every Pebble method).
fn no_pebble<T>(container: &str) -> PebbleResult<T> {
    Err(PebbleError::Connection {
        container: container.to_owned(),
        message: "this backend does not talk to Pebble".to_owned(),
    })
}

/// Everything a charm can ask of Juju: one method per hook tool.
///
/// Implementations: the production backend (hook tools on `PATH`) and
/// `ops_testing`'s mock (answers from a `State`). Charm code never calls this
/// trait directly; it uses the [model facades](crate::model).
///
/// The trait is `Send + Sync` so that a log subscriber can forward lines to
/// `juju-log` from wherever `tracing` calls it.
pub trait Backend: Send + Sync {
    /// A failure that fails the whole dispatch even if the charm handled the
    /// error it got: the production backend reports a hook tool it killed at
    /// its deadline. The dispatch then saves nothing. `None` by default.
    fn fatal_error(&self) -> Option<ModelError> {
        None
    }

    /// Called each time the charm reads its hook environment
    /// ([`Model::juju_context`](crate::Model::juju_context)), which names
    /// the charm directory: the harness makes its temporary charm directory
    /// the first time, so that a run whose charm never looks costs no
    /// directory. Nothing by default (Juju made the directory).
    fn use_charm_dir(&self) {}

    /// `is-leader`.
    fn is_leader(&self) -> BackendResult<bool>;

    /// `relation-ids <endpoint>`: the ids of the relations on an endpoint.
    fn relation_ids(&self, endpoint: &str) -> BackendResult<Vec<RelationId>>;
    /// `relation-list -r <id>`: the remote units' names.
    fn relation_list(&self, relation_id: RelationId) -> BackendResult<Vec<String>>;
    /// `relation-list --app -r <id>`: the remote application's name, if known.
    fn relation_remote_app_name(&self, relation_id: RelationId) -> BackendResult<Option<String>>;
    /// The remote application's name when this backend knows it without a
    /// hook-tool call of its own (a test harness reads it from its model);
    /// `Ok(None)` when it takes a call, and the model then learns it from
    /// `relation-list`, as ops does. `Ok(None)` by default.
    fn relation_remote_app_without_call(
        &self,
        relation_id: RelationId,
    ) -> BackendResult<Option<String>> {
        let _ = relation_id;
        Ok(None)
    }
    /// `relation-get -r <id> - <member>` (with `--app` for an application bag).
    ///
    /// The bag is shared, not copied: a backend that keeps bags (the
    /// production backend caches each one for the dispatch, the harness
    /// holds the State's) hands out its own, and changes it copy-on-write
    /// (`Arc::make_mut`), so a bag once handed out never changes. Asking
    /// again for a bag already read should cost no hook-tool call.
    fn relation_get(
        &self,
        relation_id: RelationId,
        member: &str,
        is_app: bool,
    ) -> BackendResult<Arc<StringMap>>;
    /// `relation-set -r <id> [--app] --file -`: merges `data`; an empty value deletes the key.
    ///
    /// `data` is given, not lent, so that a backend keeping the bag moves
    /// the keys and values in rather than copying them.
    fn relation_set(
        &self,
        relation_id: RelationId,
        data: StringMap,
        is_app: bool,
    ) -> BackendResult<()>;
    /// `relation-model-get -r <id>`: the uuid of the model the remote application is in.
    fn relation_model_get(&self, relation_id: RelationId) -> BackendResult<String>;

    /// `config-get`: set options plus defaults; unset options without a default are absent.
    fn config_get(&self) -> BackendResult<BTreeMap<String, Value>>;

    /// `status-get` for this unit, or for the application (leader only).
    fn status_get(&self, is_app: bool) -> BackendResult<Status>;
    /// `status-set` for this unit, or for the application.
    fn status_set(&self, status: &Status, is_app: bool) -> BackendResult<()>;
    /// `application-version-set`.
    fn application_version_set(&self, version: &str) -> BackendResult<()>;
    /// `juju-log`.
    fn juju_log(&self, level: LogLevel, message: &str) -> BackendResult<()>;
    /// `juju-log` with a line that `write` produces: a backend that keeps
    /// lines in memory writes it straight into its buffer. By default the
    /// line is formatted into a `String` and given to [`Backend::juju_log`].
    fn juju_log_with(
        &self,
        level: LogLevel,
        write: &dyn Fn(&mut dyn std::fmt::Write) -> std::fmt::Result,
    ) -> BackendResult<()> {
        let mut line = String::with_capacity(128);
        // Writing into a String cannot fail; a Display impl that errs leaves what it wrote.
        let _ = write(&mut line);
        self.juju_log(level, &line)
    }

    /// `action-get`: the action's parameters.
    fn action_get(&self) -> BackendResult<serde_json::Map<String, Value>>;
    /// `action-set`: merges results (nested maps allowed; the backend flattens them if Juju needs it).
    fn action_set(&self, results: &serde_json::Map<String, Value>) -> BackendResult<()>;
    /// `action-log`.
    fn action_log(&self, message: &str) -> BackendResult<()>;
    /// `action-fail`.
    fn action_fail(&self, message: &str) -> BackendResult<()>;

    /// `secret-add`: returns the new secret's id.
    fn secret_add(
        &self,
        content: &StringMap,
        owner: SecretOwner,
        metadata: &SecretMetadata,
    ) -> BackendResult<String>;
    /// `secret-get`: by id, label or both (both attaches the label); `refresh` tracks
    /// the latest revision, `peek` reads it without tracking.
    fn secret_get(
        &self,
        id: Option<&str>,
        label: Option<&str>,
        refresh: bool,
        peek: bool,
    ) -> BackendResult<StringMap>;
    /// `secret-info-get` by id or label.
    fn secret_info_get(&self, id: Option<&str>, label: Option<&str>) -> BackendResult<SecretInfo>;
    /// `secret-set`: new content (a new revision) and/or metadata.
    fn secret_set(
        &self,
        id: &str,
        content: Option<&StringMap>,
        metadata: &SecretMetadata,
    ) -> BackendResult<()>;
    /// `secret-grant`: to the related application, or to one of its units.
    fn secret_grant(
        &self,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> BackendResult<()>;
    /// `secret-revoke`.
    fn secret_revoke(
        &self,
        id: &str,
        relation_id: RelationId,
        unit: Option<&str>,
    ) -> BackendResult<()>;
    /// `secret-remove`: one revision, or all of them.
    fn secret_remove(&self, id: &str, revision: Option<u32>) -> BackendResult<()>;
    /// `secret-ids`: the secrets this unit owns.
    fn secret_ids(&self) -> BackendResult<Vec<String>>;

    /// `open-port`.
    fn open_port(&self, port: &Port) -> BackendResult<()>;
    /// `close-port`.
    fn close_port(&self, port: &Port) -> BackendResult<()>;
    /// `opened-ports`.
    fn opened_ports(&self) -> BackendResult<Vec<Port>>;

    /// `network-get <binding> [-r <id>]`.
    fn network_get(&self, binding: &str, relation_id: Option<RelationId>)
    -> BackendResult<Network>;

    /// `storage-get -s <name>/<index> <attribute>`.
    fn storage_get(&self, storage_id: &str, attribute: &str) -> BackendResult<String>;
    /// `storage-list [<name>]`: storage ids such as `data/0`.
    fn storage_list(&self, name: &str) -> BackendResult<Vec<String>>;
    /// `storage-add <name>=<count>`.
    fn storage_add(&self, name: &str, count: u32) -> BackendResult<()>;

    /// `state-get <key>`: unit-local charm state kept by Juju; `None` when unset.
    fn state_get(&self, key: &str) -> BackendResult<Option<String>>;
    /// `state-set --file -`.
    fn state_set(&self, entries: &StringMap) -> BackendResult<()>;
    /// `state-delete <key>`.
    fn state_delete(&self, key: &str) -> BackendResult<()>;

    /// `resource-get <name>`: the path of the fetched resource.
    fn resource_get(&self, name: &str) -> BackendResult<PathBuf>;
    /// `credential-get` (needs `juju trust`).
    fn credential_get(&self) -> BackendResult<CloudSpec>;
    /// `goal-state`.
    fn goal_state(&self) -> BackendResult<GoalState>;
    /// `juju-reboot [--now]`.
    fn reboot(&self, now: bool) -> BackendResult<()>;
    /// `pod-spec-set` (legacy podspec charms only).
    fn pod_spec_set(&self, spec: &Value, k8s_resources: Option<&Value>) -> BackendResult<()>;
    /// `add-metric` (legacy collect-metrics hooks only).
    fn add_metric(&self, metrics: &Metrics, labels: &StringMap) -> BackendResult<()>;

    // Pebble, one method per call, for the workload container `container`
    // (its socket is `/charm/containers/<container>/pebble.socket` under
    // Juju). Each defaults to a connection error, for backends without Pebble.

    /// `GET /v1/system-info`: succeeds when the container's Pebble answers.
    fn pebble_system_info(&self, container: &str) -> PebbleResult<pebble::SystemInfo> {
        no_pebble(container)
    }
    /// `POST /v1/layers`: adds (or, with `combine`, combines into) the layer `label`.
    fn pebble_add_layer(
        &self,
        container: &str,
        label: &str,
        layer: &pebble::Layer,
        combine: bool,
    ) -> PebbleResult<()> {
        let _ = (label, layer, combine);
        no_pebble(container)
    }
    /// `GET /v1/plan`: the layers combined.
    fn pebble_plan(&self, container: &str) -> PebbleResult<pebble::Plan> {
        no_pebble(container)
    }
    /// `GET /v1/services`: the named services (all of them when `names` is empty).
    fn pebble_services(
        &self,
        container: &str,
        names: &[String],
    ) -> PebbleResult<Vec<pebble::ServiceInfo>> {
        let _ = names;
        no_pebble(container)
    }
    /// `POST /v1/services`, waiting for the change to finish.
    fn pebble_services_op(
        &self,
        container: &str,
        op: ServiceOp,
        names: &[String],
    ) -> PebbleResult<()> {
        let _ = (op, names);
        no_pebble(container)
    }
    /// `GET /v1/checks`: the named checks (all when empty), of `level` if given.
    fn pebble_checks(
        &self,
        container: &str,
        level: Option<&pebble::CheckLevel>,
        names: &[String],
    ) -> PebbleResult<Vec<pebble::CheckInfo>> {
        let _ = (level, names);
        no_pebble(container)
    }
    /// `POST /v1/checks`: starts or stops checks; the names that changed.
    fn pebble_checks_op(
        &self,
        container: &str,
        op: CheckOp,
        names: &[String],
    ) -> PebbleResult<Vec<String>> {
        let _ = (op, names);
        no_pebble(container)
    }
    /// `GET /v1/notices` with these filters.
    fn pebble_notices(
        &self,
        container: &str,
        options: &pebble::NoticesOptions,
    ) -> PebbleResult<Vec<pebble::Notice>> {
        let _ = options;
        no_pebble(container)
    }
    /// `GET /v1/notices/<id>`.
    fn pebble_notice(&self, container: &str, id: &str) -> PebbleResult<pebble::Notice> {
        let _ = id;
        no_pebble(container)
    }
    /// `POST /v1/files` (write): the whole file content.
    fn pebble_push(
        &self,
        container: &str,
        path: &str,
        data: &[u8],
        options: &pebble::PushOptions,
    ) -> PebbleResult<()> {
        let _ = (path, data, options);
        no_pebble(container)
    }
    /// `GET /v1/files?action=read`: the whole file content.
    fn pebble_pull(&self, container: &str, path: &str) -> PebbleResult<Vec<u8>> {
        let _ = path;
        no_pebble(container)
    }
    /// `GET /v1/files?action=list`: the entries of `path` (or `path` itself
    /// with `itself`), whose names match the glob `pattern` if given.
    fn pebble_list_files(
        &self,
        container: &str,
        path: &str,
        pattern: Option<&str>,
        itself: bool,
    ) -> PebbleResult<Vec<pebble::FileInfo>> {
        let _ = (path, pattern, itself);
        no_pebble(container)
    }
    /// `POST /v1/files` (make-dirs); `options.make_dirs` makes the parents.
    fn pebble_make_dir(
        &self,
        container: &str,
        path: &str,
        options: &pebble::MakeDirOptions,
    ) -> PebbleResult<()> {
        let _ = (path, options);
        no_pebble(container)
    }
    /// `POST /v1/files` (remove).
    fn pebble_remove_path(&self, container: &str, path: &str, recursive: bool) -> PebbleResult<()> {
        let _ = (path, recursive);
        no_pebble(container)
    }
    /// `POST /v1/signals`: sends `signal` (such as `SIGHUP`) to the services.
    fn pebble_send_signal(
        &self,
        container: &str,
        signal: &str,
        services: &[String],
    ) -> PebbleResult<()> {
        let _ = (signal, services);
        no_pebble(container)
    }
    /// `POST /v1/exec`: runs a command to completion and gives back its exit
    /// code and output (a non-zero code is not an error here).
    fn pebble_exec(&self, container: &str, args: &ExecArgs) -> PebbleResult<ExecOutput> {
        let _ = args;
        no_pebble(container)
    }
}
