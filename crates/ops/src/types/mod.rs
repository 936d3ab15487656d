//! The plain data that crosses the [`Backend`](crate::Backend) seam.
//!
//! Everything here is data: ports, statuses, networks, the cloud spec, goal
//! state, secret metadata, log levels, relation ids and the Juju version.
//! This module sits below every other one: it uses nothing else of the
//! crate, so the backend, the model facades and the hook environment
//! ([`JujuContext`](crate::JujuContext)) can all use it without depending on
//! each other. Each item is also re-exported at the crate root
//! (`ops::Port`, `ops::Status`, `ops::JujuVersion`, …).

mod cloud;
mod goal;
mod log;
mod network;
pub mod pebble_ops;
mod port;
mod secret;
mod status;
mod version;

pub use cloud::{CloudCredential, CloudSpec};
pub use goal::{GoalState, GoalUnit};
pub use log::LogLevel;
pub use network::{Address, BindAddress, Network};
pub use port::{Port, PortError, Protocol};
pub use secret::{SecretInfo, SecretMetadata, SecretOwner, SecretRotate};
pub use status::{
    ActiveStatus, BlockedStatus, ErrorStatus, MaintenanceStatus, Status, UnknownStatus,
    WaitingStatus,
};
pub use version::{JujuVersion, JujuVersionError};

use std::collections::BTreeMap;

/// A relation's id, as Juju numbers them within a model.
pub type RelationId = u32;

/// A relation databag, or a secret's content: string keys to string values.
pub type StringMap = BTreeMap<String, String>;

/// A numeric metric for `add-metric` (legacy collect-metrics hooks).
pub type Metrics = BTreeMap<String, f64>;

/// Reads a relation id as Juju prints it: `db:3` gives 3, and so does `3`.
pub(crate) fn parse_relation_id(text: &str) -> Option<RelationId> {
    text.rsplit(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_ids_parse_with_or_without_their_endpoint() {
        assert_eq!(parse_relation_id("db:3"), Some(3));
        assert_eq!(parse_relation_id("7"), Some(7));
        assert_eq!(parse_relation_id("db:x"), None);
        assert_eq!(parse_relation_id(""), None);
    }
}
