//! Service status as `GET /v1/services` reports it.

use serde::{Deserialize, Serialize};

use super::{ServiceStartup, string_enum};

string_enum! {
    /// A service's current state.
    pub enum ServiceStatus {
        /// Running.
        Active => "active",
        /// Not running.
        Inactive => "inactive",
        /// Exited and waiting to be restarted.
        Backoff => "backoff",
        /// Failed and not restarting.
        Error => "error",
    }
}

/// One service's state, an item of `GET /v1/services`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct ServiceInfo {
    /// The service's name.
    pub name: String,
    /// Its startup mode.
    pub startup: ServiceStartup,
    /// Its current state.
    pub current: ServiceStatus,
    /// When it entered that state (RFC 3339), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_since: Option<String>,
}

impl ServiceInfo {
    /// A service's state (for fakes and tests); `current_since` unset.
    pub fn new(name: impl Into<String>, startup: ServiceStartup, current: ServiceStatus) -> Self {
        ServiceInfo {
            name: name.into(),
            startup,
            current,
            current_since: None,
        }
    }

    /// Whether the service is running.
    pub fn is_running(&self) -> bool {
        self.current == ServiceStatus::Active
    }
}
