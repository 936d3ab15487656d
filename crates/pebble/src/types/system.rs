//! `GET /v1/system-info`.

use serde::{Deserialize, Serialize};

/// The daemon's version and boot, from `GET /v1/system-info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct SystemInfo {
    /// Pebble's version, such as `v1.32.1`.
    pub version: String,
    /// An ID that changes on each boot of the machine.
    #[serde(default)]
    pub boot_id: String,
    /// The HTTP listen address, if the daemon has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_address: Option<String>,
    /// The HTTPS listen address, if the daemon has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_address: Option<String>,
}

impl SystemInfo {
    /// System info with this version and nothing else (for fakes and tests).
    pub fn new(version: impl Into<String>) -> Self {
        SystemInfo {
            version: version.into(),
            boot_id: String::new(),
            http_address: None,
            https_address: None,
        }
    }
}
