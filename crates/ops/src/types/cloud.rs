//! The cloud the model runs on and its credential, as `credential-get` reports them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Credentials of the cloud the model runs on (`credential-get`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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
