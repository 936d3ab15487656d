//! Named identities (`/v1/identities`, Pebble 1.15 and later).

use serde::{Deserialize, Serialize};

use super::string_enum;

string_enum! {
    /// What an identity may do.
    pub enum IdentityAccess {
        /// Everything.
        Admin => "admin",
        /// Read-only calls.
        Read => "read",
        /// Only `/v1/metrics`.
        Metrics => "metrics",
        /// Only open-access calls.
        Untrusted => "untrusted",
    }
}

/// A local identity: a unix user recognised by its UID on the socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct LocalIdentity {
    /// The user's UID.
    pub user_id: u32,
}

/// An HTTP basic-auth identity. The password reads back as `*****`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BasicIdentity {
    /// The sha512-crypt hash to write, or `*****` when read.
    pub password: String,
}

/// A TLS client-certificate identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CertIdentity {
    /// The PEM-encoded certificate.
    pub pem: String,
}

/// One named identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Identity {
    /// Its access level.
    pub access: IdentityAccess,
    /// Local (UID) credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalIdentity>,
    /// Basic-auth credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic: Option<BasicIdentity>,
    /// Certificate credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<CertIdentity>,
}

impl Identity {
    /// A local identity for `user_id` with `access`.
    pub fn local(access: IdentityAccess, user_id: u32) -> Self {
        Self {
            access,
            local: Some(LocalIdentity { user_id }),
            basic: None,
            cert: None,
        }
    }
}
