//! Relations in a [`State`](crate::State): regular, peer and subordinate.

use super::ids::next_relation_id;
use ops::RelationId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use super::maps::Databag;

/// A unit number used as a map key: JSON writes it as a string (`"0"`).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct UnitKey(u32);

impl<'de> Deserialize<'de> for UnitKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = UnitKey;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a unit number")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<UnitKey, E> {
                u32::try_from(v)
                    .map(UnitKey)
                    .map_err(|_| E::custom(format!("unit number {v} is too large")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<UnitKey, E> {
                v.parse()
                    .map(UnitKey)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// Reads maps keyed by unit number. Serde's own `u32` keys fail inside the
/// internally tagged [`AnyRelation`]: its buffered content keeps JSON's
/// string keys and will not parse them as numbers.
fn unit_keyed<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<u32, Databag>, D::Error> {
    let map = BTreeMap::<UnitKey, Databag>::deserialize(deserializer)?;
    Ok(map.into_iter().map(|(UnitKey(k), v)| (k, v)).collect())
}

/// The databag Juju fills in for every unit: its addresses.
pub fn default_unit_databag() -> Databag {
    Databag::from([
        ("egress-subnets", "192.0.2.0"),
        ("ingress-address", "192.0.2.0"),
        ("private-address", "192.0.2.0"),
    ])
}

/// A relation with another application.
///
/// Build one with [`Relation::new`] and override fields with struct update syntax:
///
/// ```
/// use ops_testing::Relation;
/// let db = Relation {
///     remote_app_name: "postgresql".into(),
///     remote_app_data: [("host", "db.local")].into(),
///     ..Relation::new("db")
/// };
/// assert_eq!(db.remote_units_data.len(), 1); // one remote unit, id 0, by default
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Relation {
    /// The endpoint, as declared in the charm's metadata.
    pub endpoint: String,
    /// The interface (not checked against metadata).
    pub interface: Option<String>,
    /// The relation id.
    pub id: RelationId,
    /// This application's databag.
    pub local_app_data: Databag,
    /// This unit's databag.
    pub local_unit_data: Databag,
    /// The remote application's name.
    pub remote_app_name: String,
    /// The endpoint's limit.
    pub limit: u32,
    /// The remote application's databag.
    pub remote_app_data: Databag,
    /// The remote units' databags, by unit number.
    #[serde(deserialize_with = "unit_keyed")]
    pub remote_units_data: BTreeMap<u32, Databag>,
    /// The remote model's uuid, for cross-model relations.
    pub remote_model_uuid: Option<String>,
}

impl Relation {
    /// A relation on `endpoint` with ops.testing's defaults: remote app
    /// `remote` with one unit (`remote/0`) holding the default databag.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Relation {
            endpoint: endpoint.into(),
            interface: None,
            id: next_relation_id(),
            local_app_data: Databag::new(),
            local_unit_data: default_unit_databag(),
            remote_app_name: "remote".to_owned(),
            limit: 1,
            remote_app_data: Databag::new(),
            remote_units_data: [(0, default_unit_databag())].into(),
            remote_model_uuid: None,
        }
    }
}

/// A peer relation: the other units of this application.
///
/// ```
/// use ops_testing::PeerRelation;
/// let peers = PeerRelation {
///     peers_data: [(1, Default::default()), (2, Default::default())].into(),
///     ..PeerRelation::new("replicas")
/// };
/// assert_eq!(peers.peers_data.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PeerRelation {
    /// The endpoint, as declared under `peers`.
    pub endpoint: String,
    /// The interface.
    pub interface: Option<String>,
    /// The relation id.
    pub id: RelationId,
    /// The application's databag (readable by every peer, writable by the leader).
    pub local_app_data: Databag,
    /// This unit's databag.
    pub local_unit_data: Databag,
    /// The other peers' databags, by unit number (never this unit's).
    #[serde(deserialize_with = "unit_keyed")]
    pub peers_data: BTreeMap<u32, Databag>,
}

impl PeerRelation {
    /// A peer relation with no other peers.
    pub fn new(endpoint: impl Into<String>) -> Self {
        PeerRelation {
            endpoint: endpoint.into(),
            interface: None,
            id: next_relation_id(),
            local_app_data: Databag::new(),
            local_unit_data: default_unit_databag(),
            peers_data: BTreeMap::new(),
        }
    }
}

/// A subordinate relation (`scope: container`): one remote unit, the principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SubordinateRelation {
    /// The endpoint.
    pub endpoint: String,
    /// The interface.
    pub interface: Option<String>,
    /// The relation id.
    pub id: RelationId,
    /// This application's databag.
    pub local_app_data: Databag,
    /// This unit's databag.
    pub local_unit_data: Databag,
    /// The remote application's databag.
    pub remote_app_data: Databag,
    /// The remote unit's databag.
    pub remote_unit_data: Databag,
    /// The remote application's name.
    pub remote_app_name: String,
    /// The remote unit's number.
    pub remote_unit_id: u32,
}

impl SubordinateRelation {
    /// A subordinate relation with `remote/0`.
    pub fn new(endpoint: impl Into<String>) -> Self {
        SubordinateRelation {
            endpoint: endpoint.into(),
            interface: None,
            id: next_relation_id(),
            local_app_data: Databag::new(),
            local_unit_data: default_unit_databag(),
            remote_app_data: Databag::new(),
            remote_unit_data: default_unit_databag(),
            remote_app_name: "remote".to_owned(),
            remote_unit_id: 0,
        }
    }

    /// The remote unit's name, for example `remote/0`.
    pub fn remote_unit_name(&self) -> String {
        format!("{}/{}", self.remote_app_name, self.remote_unit_id)
    }
}

/// Any of the three relation kinds, as held in [`State::relations`](crate::State::relations).
///
/// Convert with `.into()`: `relations: vec![Relation::new("db").into()]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnyRelation {
    /// A regular relation.
    Regular(Relation),
    /// A peer relation.
    Peer(PeerRelation),
    /// A subordinate relation.
    Subordinate(SubordinateRelation),
}

macro_rules! any_relation_from {
    ($($ty:ident => $variant:ident),*) => {$(
        impl From<$ty> for AnyRelation {
            fn from(relation: $ty) -> Self {
                AnyRelation::$variant(relation)
            }
        }
        impl From<&$ty> for AnyRelation {
            fn from(relation: &$ty) -> Self {
                AnyRelation::$variant(relation.clone())
            }
        }
    )*};
}

any_relation_from!(Relation => Regular, PeerRelation => Peer, SubordinateRelation => Subordinate);

impl From<&AnyRelation> for AnyRelation {
    fn from(relation: &AnyRelation) -> Self {
        relation.clone()
    }
}

impl AnyRelation {
    /// The relation id.
    pub fn id(&self) -> RelationId {
        match self {
            AnyRelation::Regular(r) => r.id,
            AnyRelation::Peer(r) => r.id,
            AnyRelation::Subordinate(r) => r.id,
        }
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        match self {
            AnyRelation::Regular(r) => &r.endpoint,
            AnyRelation::Peer(r) => &r.endpoint,
            AnyRelation::Subordinate(r) => &r.endpoint,
        }
    }

    /// This application's databag.
    pub fn local_app_data(&self) -> &Databag {
        match self {
            AnyRelation::Regular(r) => &r.local_app_data,
            AnyRelation::Peer(r) => &r.local_app_data,
            AnyRelation::Subordinate(r) => &r.local_app_data,
        }
    }

    /// This unit's databag.
    pub fn local_unit_data(&self) -> &Databag {
        match self {
            AnyRelation::Regular(r) => &r.local_unit_data,
            AnyRelation::Peer(r) => &r.local_unit_data,
            AnyRelation::Subordinate(r) => &r.local_unit_data,
        }
    }

    /// This application's databag, to change.
    pub(crate) fn local_app_data_mut(&mut self) -> &mut Databag {
        match self {
            AnyRelation::Regular(r) => &mut r.local_app_data,
            AnyRelation::Peer(r) => &mut r.local_app_data,
            AnyRelation::Subordinate(r) => &mut r.local_app_data,
        }
    }

    /// This unit's databag, to change.
    pub(crate) fn local_unit_data_mut(&mut self) -> &mut Databag {
        match self {
            AnyRelation::Regular(r) => &mut r.local_unit_data,
            AnyRelation::Peer(r) => &mut r.local_unit_data,
            AnyRelation::Subordinate(r) => &mut r.local_unit_data,
        }
    }

    /// The remote application's name as the charm sees it (this application for peers).
    pub fn remote_app_name<'a>(&'a self, this_app: &'a str) -> &'a str {
        match self {
            AnyRelation::Regular(r) => &r.remote_app_name,
            AnyRelation::Peer(_) => this_app,
            AnyRelation::Subordinate(r) => &r.remote_app_name,
        }
    }

    /// The remote (or other peer) unit numbers, in order.
    pub fn remote_unit_ids(&self) -> Vec<u32> {
        match self {
            AnyRelation::Regular(r) => r.remote_units_data.keys().copied().collect(),
            AnyRelation::Peer(r) => r.peers_data.keys().copied().collect(),
            AnyRelation::Subordinate(r) => vec![r.remote_unit_id],
        }
    }

    /// The remote application's databag (the application bag itself for peers).
    pub fn remote_app_data(&self) -> &Databag {
        match self {
            AnyRelation::Regular(r) => &r.remote_app_data,
            AnyRelation::Peer(r) => &r.local_app_data,
            AnyRelation::Subordinate(r) => &r.remote_app_data,
        }
    }

    /// A remote (or other peer) unit's databag, by unit number.
    pub fn remote_unit_data(&self, unit_id: u32) -> Option<&Databag> {
        match self {
            AnyRelation::Regular(r) => r.remote_units_data.get(&unit_id),
            AnyRelation::Peer(r) => r.peers_data.get(&unit_id),
            AnyRelation::Subordinate(r) => {
                (r.remote_unit_id == unit_id).then_some(&r.remote_unit_data)
            }
        }
    }

    /// The regular relation, if this is one.
    pub fn as_regular(&self) -> Option<&Relation> {
        match self {
            AnyRelation::Regular(r) => Some(r),
            _ => None,
        }
    }

    /// The peer relation, if this is one.
    pub fn as_peer(&self) -> Option<&PeerRelation> {
        match self {
            AnyRelation::Peer(r) => Some(r),
            _ => None,
        }
    }

    /// The subordinate relation, if this is one.
    pub fn as_subordinate(&self) -> Option<&SubordinateRelation> {
        match self {
            AnyRelation::Subordinate(r) => Some(r),
            _ => None,
        }
    }

    /// Whether this is a peer relation.
    pub fn is_peer(&self) -> bool {
        matches!(self, AnyRelation::Peer(_))
    }

    /// Whether this is a subordinate relation.
    pub fn is_subordinate(&self) -> bool {
        matches!(self, AnyRelation::Subordinate(_))
    }

    /// The kind as ops.testing names the class, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            AnyRelation::Regular(_) => "Relation",
            AnyRelation::Peer(_) => "PeerRelation",
            AnyRelation::Subordinate(_) => "SubordinateRelation",
        }
    }
}
