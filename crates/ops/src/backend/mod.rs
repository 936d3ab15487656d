//! The seam between the model and Juju: one method per hook tool.
//!
//! [`Backend`] takes and returns plain data and holds no policy. The rules
//! that Python `ops` enforces live in the [model facades](crate::model); the
//! rules that Juju enforces live behind this trait, in the production backend
//! (which runs the real hook tools) or in `ops-testing`'s mock (which mirrors
//! Juju's behaviour and messages).

pub mod juju;

use crate::error::ModelError;
use crate::model::Port;
use crate::status::Status;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The result type of every backend call.
pub type BackendResult<T> = Result<T, ModelError>;

/// A relation's id, as Juju numbers them within a model.
pub type RelationId = u32;

/// A relation databag, or a secret's content: string keys to string values.
pub type StringMap = BTreeMap<String, String>;

/// A log level understood by `juju-log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    /// Very fine-grained detail (ops uses it for security events).
    Trace,
    /// Diagnostic detail.
    Debug,
    /// Normal progress.
    Info,
    /// Something unexpected that the charm handled.
    Warning,
    /// Something failed.
    Error,
    /// The charm cannot go on.
    Critical,
}

impl LogLevel {
    /// The level name `juju-log --log-level` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warning => "WARNING",
            LogLevel::Error => "ERROR",
            LogLevel::Critical => "CRITICAL",
        }
    }
}

/// Who owns a secret: the application (only its leader manages it) or this unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretOwner {
    /// Owned by the application; managed by its leader (`--owner application`).
    App,
    /// Owned by this unit.
    Unit,
}

/// How often Juju asks the owner to rotate a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretRotate {
    /// Never.
    Never,
    /// Every hour.
    Hourly,
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every year.
    Yearly,
}

impl SecretRotate {
    /// The value `--rotate` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretRotate::Never => "never",
            SecretRotate::Hourly => "hourly",
            SecretRotate::Daily => "daily",
            SecretRotate::Weekly => "weekly",
            SecretRotate::Monthly => "monthly",
            SecretRotate::Quarterly => "quarterly",
            SecretRotate::Yearly => "yearly",
        }
    }
}

/// Optional metadata of a secret, used by `secret-add` and `secret-set`.
///
/// Fields left `None` are not sent (on `secret-set`, they stay as they are).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SecretMetadata {
    /// A label unique to the owner, for looking the secret up later.
    pub label: Option<String>,
    /// A description shown to operators.
    pub description: Option<String>,
    /// When the secret expires, RFC 3339 (`2026-01-01T00:00:00Z`).
    pub expire: Option<String>,
    /// The rotation policy.
    pub rotate: Option<SecretRotate>,
}

/// What `secret-info-get` reports (owners only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretInfo {
    /// The secret's id.
    pub id: String,
    /// The owner's label, if any.
    pub label: Option<String>,
    /// The latest revision.
    pub revision: u32,
    /// The expiry time, RFC 3339, if set.
    pub expires: Option<String>,
    /// The rotation policy, if set.
    pub rotation: Option<SecretRotate>,
    /// When the next rotation is due, if known.
    pub rotates: Option<String>,
    /// The description, if set.
    pub description: Option<String>,
}

/// One address of a network interface, as `network-get` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Address {
    /// The IP address.
    pub value: String,
    /// The host name, if any.
    #[serde(default)]
    pub hostname: String,
    /// The subnet in CIDR form, if known.
    #[serde(default)]
    pub cidr: String,
}

impl Address {
    /// An address with no host name or CIDR.
    pub fn new(value: impl Into<String>) -> Self {
        Address {
            value: value.into(),
            ..Address::default()
        }
    }
}

/// One interface a binding is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BindAddress {
    /// The interface name, for example `eth0`.
    #[serde(default)]
    pub interface_name: String,
    /// The MAC address, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    /// The interface's addresses.
    #[serde(default)]
    pub addresses: Vec<Address>,
}

/// A binding's network, as `network-get` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Network {
    /// Where the unit listens.
    #[serde(default)]
    pub bind_addresses: Vec<BindAddress>,
    /// Addresses other units should use to reach this one.
    #[serde(default)]
    pub ingress_addresses: Vec<String>,
    /// Subnets traffic from this unit comes from.
    #[serde(default)]
    pub egress_subnets: Vec<String>,
}

impl Default for Network {
    /// The network ops.testing reports for any binding the State does not override.
    fn default() -> Self {
        Network {
            bind_addresses: vec![BindAddress {
                addresses: vec![Address::new("192.0.2.0")],
                ..BindAddress::default()
            }],
            ingress_addresses: vec!["192.0.2.0".to_owned()],
            egress_subnets: vec!["192.0.2.0/24".to_owned()],
        }
    }
}

/// Credentials of the cloud the model runs on (`credential-get`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CloudCredential {
    /// The authentication type, for example `certificate`.
    pub auth_type: String,
    /// The credential's attributes.
    #[serde(default, rename = "attrs")]
    pub attributes: BTreeMap<String, String>,
    /// Attribute names whose values Juju redacted.
    #[serde(default)]
    pub redacted: Vec<String>,
}

/// The cloud the model runs on (`credential-get`; needs `juju trust`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CloudSpec {
    /// The cloud type, for example `lxd` or `kubernetes`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The cloud's name.
    pub name: String,
    /// The region, if any.
    #[serde(default)]
    pub region: Option<String>,
    /// The API endpoint, if any.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The identity endpoint, if any.
    #[serde(default)]
    pub identity_endpoint: Option<String>,
    /// The storage endpoint, if any.
    #[serde(default)]
    pub storage_endpoint: Option<String>,
    /// The credential, if any.
    #[serde(default)]
    pub credential: Option<CloudCredential>,
    /// CA certificates to trust.
    #[serde(default, rename = "cacertificates")]
    pub ca_certificates: Vec<String>,
    /// Whether TLS verification is skipped.
    #[serde(default)]
    pub skip_tls_verify: bool,
    /// Whether this is the controller's cloud.
    #[serde(default)]
    pub is_controller_cloud: bool,
}

/// One unit's entry in `goal-state`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GoalUnit {
    /// The unit's status, for example `active` or `dying`.
    pub status: String,
    /// Since when, as Juju prints it.
    #[serde(default)]
    pub since: String,
}

/// What `goal-state` reports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GoalState {
    /// This application's units, by name.
    #[serde(default)]
    pub units: BTreeMap<String, GoalUnit>,
    /// Related applications and units, by endpoint.
    #[serde(default)]
    pub relations: BTreeMap<String, BTreeMap<String, GoalUnit>>,
}

/// A numeric metric for `add-metric` (legacy collect-metrics hooks).
pub type Metrics = BTreeMap<String, f64>;

/// Everything a charm can ask of Juju: one method per hook tool.
///
/// Implementations: the production backend (hook tools on `PATH`) and
/// `ops_testing`'s mock (answers from a `State`). Charm code never calls this
/// trait directly; it uses the [model facades](crate::model).
///
/// The trait is `Send + Sync` so that a log subscriber can forward lines to
/// `juju-log` from wherever `tracing` calls it.
pub trait Backend: Send + Sync {
    /// `is-leader`.
    fn is_leader(&self) -> BackendResult<bool>;

    /// `relation-ids <endpoint>`: the ids of the relations on an endpoint.
    fn relation_ids(&self, endpoint: &str) -> BackendResult<Vec<RelationId>>;
    /// `relation-list -r <id>`: the remote units' names.
    fn relation_list(&self, relation_id: RelationId) -> BackendResult<Vec<String>>;
    /// `relation-list --app -r <id>`: the remote application's name, if known.
    fn relation_remote_app_name(&self, relation_id: RelationId) -> BackendResult<Option<String>>;
    /// `relation-get -r <id> - <member>` (with `--app` for an application bag).
    fn relation_get(
        &self,
        relation_id: RelationId,
        member: &str,
        is_app: bool,
    ) -> BackendResult<StringMap>;
    /// `relation-set -r <id> [--app] --file -`: merges `data`; an empty value deletes the key.
    fn relation_set(
        &self,
        relation_id: RelationId,
        data: &StringMap,
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
}
