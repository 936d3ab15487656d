//! Pebble's data types, as the API sends and receives them.
//!
//! Every type here (de)serialises with serde to the exact JSON or YAML shape
//! the Pebble daemon uses. Enumerations that the daemon may extend in a
//! newer release keep an `Unknown(String)` variant, so a newer daemon never
//! makes an older client fail to parse a reply.

mod change;
mod check;
mod file;
mod identity;
mod layer;
mod notice;
mod service;
mod system;

pub use change::{Change, ChangeId, ChangeStatus, Task, TaskProgress};
pub use check::{CheckInfo, CheckLevel, CheckStartup, CheckStatus};
pub use file::{FileInfo, FileType};
pub use identity::{BasicIdentity, CertIdentity, Identity, IdentityAccess, LocalIdentity};
pub use layer::{
    Check, ExecCheck, HttpCheck, Layer, LayerError, LogTarget, LogTargetType, Override, Plan,
    Service, ServiceAction, ServiceStartup, TcpCheck,
};
pub use notice::{Notice, NoticeType, NoticesOptions, NoticesUsers};
pub use service::{ServiceInfo, ServiceStatus};
pub use system::SystemInfo;

/// Declares a string-valued enumeration with a fallback `Unknown(String)`
/// variant, (de)serialised as its wire string.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of the client does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// The string Pebble uses for this value on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(s) => s.as_str(),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        // Any string is accepted (unknown values are kept), so the schema
        // is a string whose known values are listed as examples.
        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "examples": [$($wire),*]
                })
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(s.as_ref()))
            }
        }
    };
}
pub(crate) use string_enum;

/// Serde helpers for fields that Pebble sends as `null`, absent, or a value.
pub(crate) mod nullable {
    use serde::{Deserialize, Deserializer};

    /// Deserialises `null` as the type's default (Pebble's Go server sends
    /// `null` for an empty list or map).
    pub(crate) fn default_if_null<'de, D, T>(deserializer: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: Default + Deserialize<'de>,
    {
        Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
    }
}
