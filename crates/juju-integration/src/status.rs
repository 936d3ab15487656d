//! The typed form of `juju status --format=json`.
//!
//! Every type keeps the keys it does not model in an `extra` map, so a
//! status parsed and serialized again gives back the same JSON (the crate's
//! tests check this on real captures from Juju 2.9 and 3.6).
//!
//! When Juju cannot compute the status of an entity (the model status, a
//! machine, an application, a unit, an offer or a remote application), it
//! prints `{"status-error": "<message>"}` in its place. Parsing keeps the
//! message in the entity's `status_error` field and makes the entity look
//! failed: its status becomes `failed` with that message (and an
//! application's charm `<failed>`, revision -1), so predicates such as
//! [`Status::all_active`] see it as not ready. Serializing such an entity
//! writes the `status-error` form again.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Keys a type does not model, kept as JSON so nothing is lost.
pub type Extra = BTreeMap<String, Value>;

/// The whole output of `juju status --format=json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Status {
    /// The model the status is of.
    #[serde(default)]
    pub model: ModelInfo,
    /// Machines by id (`"0"`); empty on Kubernetes models.
    #[serde(default, with = "entity_map")]
    pub machines: BTreeMap<String, Machine>,
    /// Applications by name (`apps` in jubilant).
    #[serde(default, rename = "applications", with = "entity_map")]
    pub apps: BTreeMap<String, Application>,
    /// Remote (consumed, cross-model) applications by name.
    #[serde(
        default,
        rename = "application-endpoints",
        with = "entity_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub app_endpoints: BTreeMap<String, RemoteApplication>,
    /// Offers by name.
    #[serde(
        default,
        with = "entity_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub offers: BTreeMap<String, Offer>,
    /// The storage section (`storage`, `filesystems`, `volumes`), unmodelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Value>,
    /// The controller's clock time when the status was taken; it changes on
    /// every call, so [`Status::same_as`] ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<ControllerInfo>,
    /// Keys not modelled above.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `controller` object of a status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ControllerInfo {
    /// Clock time, like `"15:14:15+13:00"`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub timestamp: String,
    /// Keys not modelled above.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `model` object of a status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ModelInfo {
    /// The model's name.
    #[serde(default)]
    pub name: String,
    /// `"caas"` for Kubernetes models, `"iaas"` for machine models.
    #[serde(default, rename = "type")]
    pub model_type: String,
    /// The controller's name.
    #[serde(default)]
    pub controller: String,
    /// The cloud's name.
    #[serde(default)]
    pub cloud: String,
    /// The cloud region, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The model's agent version, like `"3.6.1"`.
    #[serde(default)]
    pub version: String,
    /// The model's own status.
    #[serde(
        default,
        with = "entity_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub model_status: Option<StatusInfo>,
    /// The SLA (`"unsupported"` on Juju 3 and earlier; absent on Juju 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    /// Keys not modelled above.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A status-info object: `workload-status`, `juju-status`,
/// `application-status`, `machine-status` and the like. A key Juju left out
/// is the empty string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusInfo {
    /// The status name: `active`, `blocked`, `idle`, `executing`, `error`, …
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub current: String,
    /// The message set with the status.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Why the status is what it is, where Juju says.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// When the status was set, like `"24 Feb 2025 12:03:17+13:00"`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub since: String,
    /// The agent version (on `juju-status`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// The entity's life (`dying`, `dead`), where Juju says.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub life: String,
    /// Set when Juju printed `{"status-error": …}` instead of the status.
    #[serde(
        default,
        rename = "status-error",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_error: Option<String>,
    /// Keys not modelled above.
    #[serde(flatten)]
    pub extra: Extra,
}

impl StatusInfo {
    /// Whether every field is empty (Juju printed no such object).
    pub fn is_empty(&self) -> bool {
        self == &StatusInfo::default()
    }

    fn fail(&mut self, message: &str) {
        self.current = "failed".to_owned();
        self.message = message.to_owned();
    }
}

/// A base, like `{"name": "ubuntu", "channel": "22.04"}` (Juju 3 and later).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Base {
    /// The OS name.
    #[serde(default)]
    pub name: String,
    /// The OS channel.
    #[serde(default)]
    pub channel: String,
    /// Keys not modelled above.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An application of the model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Application {
    /// The charm URL or name.
    #[serde(default)]
    pub charm: String,
    /// Where the charm came from: `charmhub` or `local`.
    #[serde(default)]
    pub charm_origin: String,
    /// The charm's name.
    #[serde(default)]
    pub charm_name: String,
    /// The charm revision (0 for a local charm).
    #[serde(default)]
    pub charm_rev: i64,
    /// Whether the application is exposed.
    #[serde(default)]
    pub exposed: bool,
    /// The Charmhub channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charm_channel: Option<String>,
    /// The charm's version string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charm_version: Option<String>,
    /// The base (Juju 3 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Base>,
    /// The series (Juju 2.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// The OS (Juju 2.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// The workload version the charm set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The application's life, when it is dying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life: Option<String>,
    /// The number of units asked for (Kubernetes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u64>,
    /// The Kubernetes service's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// The Kubernetes service's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The application status.
    #[serde(
        default,
        rename = "application-status",
        skip_serializing_if = "StatusInfo::is_empty"
    )]
    pub app_status: StatusInfo,
    /// Relations by this application's endpoint name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub relations: BTreeMap<String, Vec<RelatedApp>>,
    /// The principal applications of a subordinate application.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subordinate_to: Vec<String>,
    /// Units by name (`"app/0"`). A subordinate application has none here:
    /// its units are under its principals' units' `subordinates`; use
    /// [`Status::get_units`] to see both.
    #[serde(
        default,
        with = "entity_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub units: BTreeMap<String, Unit>,
    /// Endpoint to space bindings (the key `""` is the default space).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub endpoint_bindings: BTreeMap<String, String>,
    /// Set when Juju printed `{"status-error": …}` instead of the application.
    #[serde(
        default,
        rename = "status-error",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_error: Option<String>,
    /// Keys not modelled above.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Application {
    /// Whether this is a subordinate application.
    pub fn is_subordinate(&self) -> bool {
        !self.subordinate_to.is_empty()
    }
}

/// One entry of an application's `relations`: the application at the other
/// end. Juju 3 prints an object; Juju 2.9 a bare application name, which
/// parses with no interface and no scope (and is written back bare).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelatedApp {
    /// The application at the other end (this application for a peer relation).
    pub related_application: String,
    /// The relation's interface (Juju 3 and later).
    pub interface: Option<String>,
    /// `global` or `container` (Juju 3 and later).
    pub scope: Option<String>,
    /// Keys not modelled above.
    pub extra: Extra,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum RelatedAppRepr {
    Name(String),
    Object {
        #[serde(rename = "related-application")]
        related_application: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interface: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
        #[serde(flatten)]
        extra: Extra,
    },
}

impl Serialize for RelatedApp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bare = self.interface.is_none() && self.scope.is_none() && self.extra.is_empty();
        let repr = if bare {
            RelatedAppRepr::Name(self.related_application.clone())
        } else {
            RelatedAppRepr::Object {
                related_application: self.related_application.clone(),
                interface: self.interface.clone(),
                scope: self.scope.clone(),
                extra: self.extra.clone(),
            }
        };
        repr.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RelatedApp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match RelatedAppRepr::deserialize(deserializer)? {
            RelatedAppRepr::Name(name) => RelatedApp {
                related_application: name,
                ..RelatedApp::default()
            },
            RelatedAppRepr::Object {
                related_application,
                interface,
                scope,
                extra,
            } => RelatedApp {
                related_application,
                interface,
                scope,
                extra,
            },
        })
    }
}

/// A unit (or, under a unit's `subordinates`, a subordinate unit).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Unit {
    /// The workload status the charm set.
    #[serde(default, skip_serializing_if = "StatusInfo::is_empty")]
    pub workload_status: StatusInfo,
    /// The unit agent's status (`idle`, `executing`, `lost`, …).
    #[serde(default, skip_serializing_if = "StatusInfo::is_empty")]
    pub juju_status: StatusInfo,
    /// Whether the unit is the application's leader. Juju prints the key only
    /// when it is true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub leader: bool,
    /// The machine id (machine models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
    /// The public address (machine models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_address: Option<String>,
    /// The pod's address (Kubernetes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The pod's name, `<app>-<N>` (Kubernetes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// Open ports, like `"8080/tcp"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open_ports: Vec<String>,
    /// The charm URL being refreshed from, during a refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrading_from: Option<String>,
    /// Subordinate units by name.
    #[serde(
        default,
        with = "entity_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub subordinates: BTreeMap<String, Unit>,
    /// Set when Juju printed `{"status-error": …}` instead of the unit.
    #[serde(
        default,
        rename = "status-error",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_error: Option<String>,
    /// Keys not modelled above.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A machine (or a container on a machine).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Machine {
    /// The machine agent's status (`pending`, `started`, `down`, …).
    #[serde(default, skip_serializing_if = "StatusInfo::is_empty")]
    pub juju_status: StatusInfo,
    /// The machine's own status from the provider.
    #[serde(default, skip_serializing_if = "StatusInfo::is_empty")]
    pub machine_status: StatusInfo,
    /// The host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The DNS name or address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// The IP addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_addresses: Vec<String>,
    /// The provider's instance id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// The base (Juju 3 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Base>,
    /// The series (Juju 2.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// Containers on this machine by id (`"0/lxd/0"`).
    #[serde(
        default,
        with = "entity_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub containers: BTreeMap<String, Machine>,
    /// Set when Juju printed `{"status-error": …}` instead of the machine.
    #[serde(
        default,
        rename = "status-error",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_error: Option<String>,
    /// Keys not modelled above (`network-interfaces`, `hardware`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// An offer made from this model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Offer {
    /// The offered application.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub application: String,
    /// The offered application's charm.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub charm: String,
    /// The offered endpoints by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub endpoints: BTreeMap<String, OfferEndpoint>,
    /// How many relations use the offer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_connected_count: Option<u64>,
    /// How many of those are active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_connected_count: Option<u64>,
    /// Set when Juju printed `{"status-error": …}` instead of the offer.
    #[serde(
        default,
        rename = "status-error",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_error: Option<String>,
    /// Keys not modelled above.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One endpoint of an offer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferEndpoint {
    /// The endpoint's interface.
    #[serde(default)]
    pub interface: String,
    /// `provider` or `requirer`.
    #[serde(default)]
    pub role: String,
    /// Keys not modelled above.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A consumed (cross-model) application, under `application-endpoints`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RemoteApplication {
    /// The offer URL consumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The remote application's status.
    #[serde(
        default,
        rename = "application-status",
        skip_serializing_if = "StatusInfo::is_empty"
    )]
    pub app_status: StatusInfo,
    /// Relations by endpoint name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub relations: BTreeMap<String, Vec<RelatedApp>>,
    /// Set when Juju printed `{"status-error": …}` instead of the entry.
    #[serde(
        default,
        rename = "status-error",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_error: Option<String>,
    /// Keys not modelled above.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An entity Juju may replace by `{"status-error": …}`.
trait Entity {
    fn status_error(&self) -> Option<&str>;
    /// Makes the entity look failed, after parsing a `status-error`.
    fn mark_failed(&mut self);
}

impl Entity for StatusInfo {
    fn status_error(&self) -> Option<&str> {
        self.status_error.as_deref()
    }
    fn mark_failed(&mut self) {
        if let Some(message) = self.status_error.clone() {
            self.fail(&message);
        }
    }
}

impl Entity for Application {
    fn status_error(&self) -> Option<&str> {
        self.status_error.as_deref()
    }
    fn mark_failed(&mut self) {
        if let Some(message) = self.status_error.clone() {
            self.charm = "<failed>".to_owned();
            self.charm_origin = "<failed>".to_owned();
            self.charm_name = "<failed>".to_owned();
            self.charm_rev = -1;
            self.app_status.fail(&message);
        }
    }
}

impl Entity for Unit {
    fn status_error(&self) -> Option<&str> {
        self.status_error.as_deref()
    }
    fn mark_failed(&mut self) {
        if let Some(message) = self.status_error.clone() {
            self.workload_status.fail(&message);
            self.juju_status.fail(&message);
        }
    }
}

impl Entity for Machine {
    fn status_error(&self) -> Option<&str> {
        self.status_error.as_deref()
    }
    fn mark_failed(&mut self) {
        if let Some(message) = self.status_error.clone() {
            self.juju_status.fail(&message);
            self.machine_status.fail(&message);
        }
    }
}

impl Entity for Offer {
    fn status_error(&self) -> Option<&str> {
        self.status_error.as_deref()
    }
    fn mark_failed(&mut self) {
        if self.status_error.is_some() {
            self.application = "<failed>".to_owned();
            self.charm = "<failed>".to_owned();
        }
    }
}

impl Entity for RemoteApplication {
    fn status_error(&self) -> Option<&str> {
        self.status_error.as_deref()
    }
    fn mark_failed(&mut self) {
        if let Some(message) = self.status_error.clone() {
            self.app_status.fail(&message);
        }
    }
}

/// Writes an entity that carries a `status-error` in the form Juju printed.
struct AsPrinted<'a, T>(&'a T);

impl<T: Entity + Serialize> Serialize for AsPrinted<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self.0.status_error() {
            Some(message) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("status-error", message)?;
                map.end()
            }
            None => self.0.serialize(serializer),
        }
    }
}

mod entity_map {
    use super::{AsPrinted, Entity};
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub(super) fn serialize<T, S>(
        map: &BTreeMap<String, T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error>
    where
        T: Entity + Serialize,
        S: Serializer,
    {
        serializer.collect_map(map.iter().map(|(k, v)| (k, AsPrinted(v))))
    }

    pub(super) fn deserialize<'de, T, D>(deserializer: D) -> Result<BTreeMap<String, T>, D::Error>
    where
        T: Entity + DeserializeOwned,
        D: Deserializer<'de>,
    {
        let mut map = BTreeMap::<String, T>::deserialize(deserializer)?;
        for entity in map.values_mut() {
            entity.mark_failed();
        }
        Ok(map)
    }
}

mod entity_option {
    use super::{AsPrinted, Entity};
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<T, S>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error>
    where
        T: Entity + Serialize,
        S: Serializer,
    {
        value.as_ref().map(AsPrinted).serialize(serializer)
    }

    pub(super) fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        T: Entity + DeserializeOwned,
        D: Deserializer<'de>,
    {
        let mut value = Option::<T>::deserialize(deserializer)?;
        if let Some(entity) = value.as_mut() {
            entity.mark_failed();
        }
        Ok(value)
    }
}

impl Status {
    /// Parses the output of `juju status --format=json`.
    pub fn from_json(json: &str) -> Result<Status, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Whether the model is a Kubernetes model (`type` is `caas`).
    pub fn is_kubernetes(&self) -> bool {
        self.model.model_type == "caas"
    }

    /// The same status ignoring the controller's clock time, which changes
    /// on every call.
    pub fn same_as(&self, other: &Status) -> bool {
        let strip = |status: &Status| Status {
            controller: None,
            ..status.clone()
        };
        strip(self) == strip(other)
    }

    /// The units of `app`, by name: its own units, or for a subordinate
    /// application the units under its principals' units. Empty when the
    /// application is not in the status.
    pub fn get_units(&self, app: &str) -> BTreeMap<&str, &Unit> {
        let mut units = BTreeMap::new();
        let Some(application) = self.apps.get(app) else {
            return units;
        };
        for (name, unit) in &application.units {
            units.insert(name.as_str(), unit);
        }
        for principal in &application.subordinate_to {
            let Some(principal) = self.apps.get(principal) else {
                continue;
            };
            for unit in principal.units.values() {
                for (name, sub) in &unit.subordinates {
                    if unit_app(name) == app {
                        units.insert(name.as_str(), sub);
                    }
                }
            }
        }
        units
    }

    /// The names of the units of `app` that status shows as leader: none
    /// between one leader's lease expiring and the next claim, and normally
    /// one otherwise.
    pub fn leaders(&self, app: &str) -> Vec<&str> {
        self.get_units(app)
            .into_iter()
            .filter(|(_, unit)| unit.leader)
            .map(|(name, _)| name)
            .collect()
    }

    /// The leader unit of `app`, when status shows exactly one.
    pub fn leader(&self, app: &str) -> Option<&str> {
        match self.leaders(app).as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// Whether `app` has exactly one leader unit.
    pub fn has_leader(&self, app: &str) -> bool {
        self.leader(app).is_some()
    }

    fn apps_or_all<'a>(&'a self, apps: &'a [&'a str]) -> Vec<&'a str> {
        if apps.is_empty() {
            self.apps.keys().map(String::as_str).collect()
        } else {
            apps.to_vec()
        }
    }

    /// Whether each listed app (every app when `apps` is empty) and each of
    /// its units has workload status `current`. A listed app missing from
    /// the status makes this false.
    pub fn all_workloads(&self, current: &str, apps: &[&str]) -> bool {
        self.apps_or_all(apps).into_iter().all(|name| {
            self.apps.get(name).is_some_and(|app| {
                app.app_status.current == current
                    && self
                        .get_units(name)
                        .values()
                        .all(|unit| unit.workload_status.current == current)
            })
        })
    }

    /// Whether any listed app (any app when `apps` is empty), or any of its
    /// units, has workload status `current`. Missing apps are ignored.
    pub fn any_workload(&self, current: &str, apps: &[&str]) -> bool {
        self.apps_or_all(apps).into_iter().any(|name| {
            self.apps.get(name).is_some_and(|app| {
                app.app_status.current == current
                    || self
                        .get_units(name)
                        .values()
                        .any(|unit| unit.workload_status.current == current)
            })
        })
    }

    /// [`all_workloads`](Self::all_workloads) `active`.
    pub fn all_active(&self, apps: &[&str]) -> bool {
        self.all_workloads("active", apps)
    }

    /// [`all_workloads`](Self::all_workloads) `blocked`.
    pub fn all_blocked(&self, apps: &[&str]) -> bool {
        self.all_workloads("blocked", apps)
    }

    /// [`all_workloads`](Self::all_workloads) `waiting`.
    pub fn all_waiting(&self, apps: &[&str]) -> bool {
        self.all_workloads("waiting", apps)
    }

    /// [`all_workloads`](Self::all_workloads) `maintenance`.
    pub fn all_maintenance(&self, apps: &[&str]) -> bool {
        self.all_workloads("maintenance", apps)
    }

    /// [`all_workloads`](Self::all_workloads) `error`.
    pub fn all_error(&self, apps: &[&str]) -> bool {
        self.all_workloads("error", apps)
    }

    /// [`any_workload`](Self::any_workload) `active`.
    pub fn any_active(&self, apps: &[&str]) -> bool {
        self.any_workload("active", apps)
    }

    /// [`any_workload`](Self::any_workload) `blocked`.
    pub fn any_blocked(&self, apps: &[&str]) -> bool {
        self.any_workload("blocked", apps)
    }

    /// [`any_workload`](Self::any_workload) `waiting`.
    pub fn any_waiting(&self, apps: &[&str]) -> bool {
        self.any_workload("waiting", apps)
    }

    /// [`any_workload`](Self::any_workload) `maintenance`.
    pub fn any_maintenance(&self, apps: &[&str]) -> bool {
        self.any_workload("maintenance", apps)
    }

    /// [`any_workload`](Self::any_workload) `error`: a failed hook shows
    /// here. An entity whose status Juju could not compute is `failed`, not
    /// `error`, and does not count.
    pub fn any_error(&self, apps: &[&str]) -> bool {
        self.any_workload("error", apps)
    }

    /// Whether every unit of each listed app (every app when `apps` is
    /// empty) has its agent `idle`. A listed app missing from the status
    /// makes this false; an app with no units passes.
    pub fn all_agents_idle(&self, apps: &[&str]) -> bool {
        self.apps_or_all(apps).into_iter().all(|name| {
            self.apps.contains_key(name)
                && self
                    .get_units(name)
                    .values()
                    .all(|unit| unit.juju_status.current == "idle")
        })
    }

    /// One line per application and unit: `app: active "message"` and
    /// `  app/0*: active/idle "message"` (`*` marks the leader). Used in
    /// error messages and progress.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "model {} ({}, Juju {})\n",
            self.model.name, self.model.model_type, self.model.version
        );
        for (name, app) in &self.apps {
            out.push_str(&format!(
                "{name}: {}{}\n",
                or_unknown(&app.app_status.current),
                quoted(&app.app_status.message)
            ));
            for (unit_name, unit) in self.get_units(name) {
                out.push_str(&format!(
                    "  {unit_name}{}: {}/{}{}\n",
                    if unit.leader { "*" } else { "" },
                    or_unknown(&unit.workload_status.current),
                    or_unknown(&unit.juju_status.current),
                    quoted(&unit.workload_status.message)
                ));
            }
        }
        out
    }

    /// What changed from `before` to `self`, one line per application or
    /// unit: status changes, leadership gained or lost, units added or gone.
    pub fn changes_since(&self, before: &Status) -> Vec<String> {
        let mut lines = Vec::new();
        for (name, app) in &self.apps {
            let old = before.apps.get(name);
            let was = old.map(|app| app.app_status.current.as_str());
            if was != Some(app.app_status.current.as_str()) {
                lines.push(format!(
                    "{name}: {} -> {}{}",
                    was.map_or("(absent)", or_unknown),
                    or_unknown(&app.app_status.current),
                    quoted(&app.app_status.message)
                ));
            }
            let old_units = before.get_units(name);
            for (unit_name, unit) in self.get_units(name) {
                let prev = old_units.get(unit_name);
                let now = (&unit.workload_status.current, &unit.juju_status.current);
                let then = prev.map(|u| (&u.workload_status.current, &u.juju_status.current));
                if then != Some(now) {
                    lines.push(format!(
                        "{unit_name}: {} -> {}/{}{}",
                        then.map_or("(absent)".to_owned(), |(w, a)| format!(
                            "{}/{}",
                            or_unknown(w),
                            or_unknown(a)
                        )),
                        or_unknown(now.0),
                        or_unknown(now.1),
                        quoted(&unit.workload_status.message)
                    ));
                }
                let was_leader = prev.is_some_and(|u| u.leader);
                if unit.leader && !was_leader {
                    lines.push(format!("{unit_name}: is now leader"));
                } else if !unit.leader && was_leader {
                    lines.push(format!("{unit_name}: is no longer leader"));
                }
            }
            for unit_name in old_units.keys() {
                if !self.get_units(name).contains_key(unit_name) {
                    lines.push(format!("{unit_name}: gone"));
                }
            }
        }
        for name in before.apps.keys() {
            if !self.apps.contains_key(name) {
                lines.push(format!("{name}: gone"));
            }
        }
        lines
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

/// The application part of a unit name: `app` for `app/0`.
pub fn unit_app(unit: &str) -> &str {
    unit.split_once('/').map_or(unit, |(app, _)| app)
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "unknown" } else { s }
}

fn quoted(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" {message:?}")
    }
}
