//! Unit and application statuses, and their names on the wire.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! status_type {
    ($(#[$doc:meta])* $name:ident, $variant:ident, $wire:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
        pub struct $name {
            /// The message shown next to the status in `juju status`.
            pub message: String,
        }

        impl $name {
            /// A status with this message.
            pub fn new(message: impl Into<String>) -> Self {
                Self { message: message.into() }
            }
        }

        impl From<$name> for Status {
            fn from(status: $name) -> Self {
                Status::$variant(status.message)
            }
        }

        impl PartialEq<$name> for Status {
            fn eq(&self, other: &$name) -> bool {
                matches!(self, Status::$variant(m) if *m == other.message)
            }
        }
    };
}

status_type!(
    /// The unit or application is ready and doing its job.
    ActiveStatus, Active, "active");
status_type!(
    /// An operator must act before the charm can go on (for example, a relation is missing).
    BlockedStatus, Blocked, "blocked");
status_type!(
    /// The charm is busy with work that needs no operator (installing, configuring).
    MaintenanceStatus, Maintenance, "maintenance");
status_type!(
    /// The charm waits for something outside it, such as another application.
    WaitingStatus, Waiting, "waiting");
status_type!(
    /// Juju's error status; only Juju sets it, a charm cannot.
    ErrorStatus, Error, "error");

/// The status Juju reports before a charm set any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UnknownStatus;

impl From<UnknownStatus> for Status {
    fn from(_: UnknownStatus) -> Self {
        Status::Unknown
    }
}

/// A unit or application status: its kind and message.
///
/// Build one from the kind types, which read like Python ops:
///
/// ```
/// use ops::{ActiveStatus, Status};
/// let status: Status = ActiveStatus::new("I rule").into();
/// assert_eq!(status.name(), "active");
/// assert_eq!(status.message(), "I rule");
/// assert_eq!(status, ActiveStatus::new("I rule"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Status {
    /// No status set yet.
    #[default]
    Unknown,
    /// See [`ActiveStatus`].
    Active(String),
    /// See [`BlockedStatus`].
    Blocked(String),
    /// See [`MaintenanceStatus`].
    Maintenance(String),
    /// See [`WaitingStatus`].
    Waiting(String),
    /// See [`ErrorStatus`].
    Error(String),
}

impl Status {
    /// The status name Juju uses: `active`, `blocked`, `maintenance`, `waiting`, `error`, `unknown`.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Active(_) => "active",
            Status::Blocked(_) => "blocked",
            Status::Maintenance(_) => "maintenance",
            Status::Waiting(_) => "waiting",
            Status::Error(_) => "error",
        }
    }

    /// The status message (empty for [`Status::Unknown`]).
    pub fn message(&self) -> &str {
        match self {
            Status::Unknown => "",
            Status::Active(m)
            | Status::Blocked(m)
            | Status::Maintenance(m)
            | Status::Waiting(m)
            | Status::Error(m) => m,
        }
    }

    /// Builds a status from Juju's name and a message; `None` for an unknown name.
    ///
    /// ```
    /// use ops::{BlockedStatus, Status};
    /// assert_eq!(Status::from_name("blocked", "need db"), Some(BlockedStatus::new("need db").into()));
    /// assert_eq!(Status::from_name("sleeping", ""), None);
    /// ```
    pub fn from_name(name: &str, message: impl Into<String>) -> Option<Status> {
        let message = message.into();
        Some(match name {
            "unknown" => Status::Unknown,
            "active" => Status::Active(message),
            "blocked" => Status::Blocked(message),
            "maintenance" => Status::Maintenance(message),
            "waiting" => Status::Waiting(message),
            "error" => Status::Error(message),
            _ => return None,
        })
    }

    /// The priority used by collect-status: error > blocked > maintenance >
    /// waiting > active > unknown, as in ops.
    pub fn priority(&self) -> u8 {
        match self {
            Status::Error(_) => 5,
            Status::Blocked(_) => 4,
            Status::Maintenance(_) => 3,
            Status::Waiting(_) => 2,
            Status::Active(_) => 1,
            Status::Unknown => 0,
        }
    }

    /// Whether a charm may set this status (Juju accepts only these four).
    pub fn is_settable(&self) -> bool {
        matches!(
            self,
            Status::Active(_) | Status::Blocked(_) | Status::Maintenance(_) | Status::Waiting(_)
        )
    }

    /// The highest-priority status of a list, the first one winning ties; `None` when empty.
    ///
    /// ```
    /// use ops::{ActiveStatus, BlockedStatus, Status, WaitingStatus};
    /// let all: Vec<Status> = vec![
    ///     ActiveStatus::new("").into(),
    ///     BlockedStatus::new("no db").into(),
    ///     WaitingStatus::new("peers").into(),
    /// ];
    /// assert_eq!(Status::highest_priority(&all), Some(&BlockedStatus::new("no db").into()));
    /// ```
    pub fn highest_priority(statuses: &[Status]) -> Option<&Status> {
        statuses
            .iter()
            .fold(None, |best: Option<&Status>, s| match best {
                Some(b) if b.priority() >= s.priority() => Some(b),
                _ => Some(s),
            })
    }
}

impl PartialEq<UnknownStatus> for Status {
    fn eq(&self, _: &UnknownStatus) -> bool {
        matches!(self, Status::Unknown)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message().is_empty() {
            write!(f, "{}", self.name())
        } else {
            write!(f, "{}: {}", self.name(), self.message())
        }
    }
}

/// On the wire (and in a serialised `State`) a status is `{"name": …, "message": …}`.
#[derive(Serialize, Deserialize)]
struct WireStatus {
    name: String,
    #[serde(default)]
    message: String,
}

/// The wire form's schema: `{"name": <one of the six names>, "message": …}`.
#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Status {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Status".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A workload status: its name and message.",
            "type": "object",
            "properties": {
                "name": {
                    "enum": ["unknown", "active", "blocked", "maintenance", "waiting", "error"]
                },
                "message": {"type": "string", "default": ""}
            },
            "required": ["name"]
        })
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireStatus {
            name: self.name().to_owned(),
            message: self.message().to_owned(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireStatus::deserialize(deserializer)?;
        Status::from_name(&wire.name, wire.message).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown status name {:?}: expected unknown, active, blocked, maintenance, waiting or error",
                wire.name
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_first_added() {
        let all: Vec<Status> = vec![
            WaitingStatus::new("first").into(),
            WaitingStatus::new("second").into(),
        ];
        assert_eq!(Status::highest_priority(&all), Some(&all[0]));
    }

    #[test]
    fn serde_round_trip() {
        let s: Status = MaintenanceStatus::new("busy").into();
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(text, r#"{"name":"maintenance","message":"busy"}"#);
        assert_eq!(serde_json::from_str::<Status>(&text).unwrap(), s);
        assert!(serde_json::from_str::<Status>(r#"{"name":"nap"}"#).is_err());
    }
}
