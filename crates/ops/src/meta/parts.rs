//! The typed parts of charm metadata beyond relations, config and actions:
//! storage, containers, resources, extra bindings, assumptions, links.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// What kind of storage an instance is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageType {
    /// A mounted filesystem (the default).
    #[default]
    Filesystem,
    /// A raw block device.
    Block,
}

/// How many instances of a storage a unit may have (`multiple.range`:
/// `2`, `1-10`, `2-`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageMultiple {
    /// The range as written.
    pub range: String,
}

impl StorageMultiple {
    /// The range as (least, most); `most` is `None` for an open range.
    /// `None` when the text is not a range Juju accepts.
    pub fn bounds(&self) -> Option<(u32, Option<u32>)> {
        let text = self.range.trim();
        match text.split_once('-') {
            None => {
                let n = text.parse().ok()?;
                Some((n, Some(n)))
            }
            Some((low, "")) => Some((low.parse().ok()?, None)),
            Some((low, high)) => {
                let (low, high): (u32, u32) = (low.parse().ok()?, high.parse().ok()?);
                (low <= high).then_some((low, Some(high)))
            }
        }
    }
}

/// One storage the charm declares (`storage.<name>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct StorageMeta {
    /// Filesystem or block.
    #[serde(rename = "type")]
    pub kind: StorageType,
    /// What it is for.
    pub description: String,
    /// Where a filesystem is mounted, if the charm chooses.
    pub location: Option<String>,
    /// Whether units share one instance.
    pub shared: bool,
    /// Whether it is mounted read-only.
    pub read_only: bool,
    /// How many instances a unit may have; `None` for exactly one.
    pub multiple: Option<StorageMultiple>,
    /// The smallest size Juju may provision, for example `1G`.
    pub minimum_size: Option<String>,
    /// Storage properties, for example `transient`.
    pub properties: Vec<String>,
}

/// Where a container mounts a storage (`containers.<name>.mounts`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerMount {
    /// The storage, which the charm must declare.
    pub storage: String,
    /// The path inside the container.
    pub location: Option<String>,
}

/// A base a container's image runs (`containers.<name>.bases`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerBase {
    /// The distribution, for example `ubuntu`.
    pub name: String,
    /// Its channel, for example `22.04`.
    pub channel: String,
    /// Architectures, for example `amd64`.
    pub architectures: Vec<String>,
}

/// One workload container of a Kubernetes sidecar charm.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerMeta {
    /// The `oci-image` resource its image comes from.
    pub resource: Option<String>,
    /// Bases, for a container whose image is a base.
    pub bases: Vec<ContainerBase>,
    /// Storage mounted into it.
    pub mounts: Vec<ContainerMount>,
    /// The user id the workload runs as, if set.
    pub uid: Option<u32>,
    /// The group id the workload runs as, if set.
    pub gid: Option<u32>,
}

/// What kind of resource a charm takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceType {
    /// A file (the default).
    #[default]
    File,
    /// A container image.
    OciImage,
}

/// One resource the charm declares (`resources.<name>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct ResourceMeta {
    /// File or OCI image.
    #[serde(rename = "type")]
    pub kind: ResourceType,
    /// The file's name, for file resources.
    pub filename: Option<String>,
    /// What it is for.
    pub description: String,
    /// Where an image comes from, for OCI image resources.
    pub upstream_source: Option<String>,
}

/// An extra binding (`extra-bindings.<name>`): a network binding that is
/// not a relation endpoint. It carries no settings (`name: ~`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExtraBinding;

impl Serialize for ExtraBinding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_none()
    }
}

impl<'de> Deserialize<'de> for ExtraBinding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<BTreeMap<String, serde::de::IgnoredAny>>::deserialize(deserializer)?;
        Ok(ExtraBinding)
    }
}

/// One entry of `assumes`: a feature (`juju >= 3.4`, `k8s-api`), or a
/// group of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Assumes {
    /// A feature, as written.
    Feature(String),
    /// Every entry must hold.
    AllOf {
        /// The entries.
        #[serde(rename = "all-of")]
        all_of: Vec<Assumes>,
    },
    /// At least one entry must hold.
    AnyOf {
        /// The entries.
        #[serde(rename = "any-of")]
        any_of: Vec<Assumes>,
    },
}

/// Where the charm's documentation and source live (`links`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Links {
    /// The documentation page.
    pub documentation: Option<String>,
    /// Where to report issues.
    #[serde(deserialize_with = "one_or_many")]
    pub issues: Vec<String>,
    /// The source code.
    #[serde(deserialize_with = "one_or_many")]
    pub source: Vec<String>,
    /// The project's website.
    #[serde(deserialize_with = "one_or_many")]
    pub website: Vec<String>,
    /// How to reach the maintainers.
    #[serde(deserialize_with = "one_or_many")]
    pub contact: Vec<String>,
}

/// Which user the charm runs as on Kubernetes (`charm-user`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CharmUser {
    /// root.
    Root,
    /// A non-root user with sudo.
    Sudoer,
    /// A non-root user.
    NonRoot,
}

/// A payload class (`payloads.<name>`), legacy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PayloadMeta {
    /// The payload type, for example `docker`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A config option's type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConfigType {
    /// `string`.
    String,
    /// `int`.
    Int,
    /// `float`.
    Float,
    /// `boolean`.
    Boolean,
    /// `secret` (Juju 3.4+): a secret id.
    Secret,
    /// Any other word: loaded, and reported by the harness's consistency check.
    Other(String),
}

impl ConfigType {
    /// The type as metadata spells it.
    pub fn as_str(&self) -> &str {
        match self {
            ConfigType::String => "string",
            ConfigType::Int => "int",
            ConfigType::Float => "float",
            ConfigType::Boolean => "boolean",
            ConfigType::Secret => "secret",
            ConfigType::Other(other) => other,
        }
    }
}

impl From<&str> for ConfigType {
    fn from(text: &str) -> Self {
        match text {
            "string" => ConfigType::String,
            "int" => ConfigType::Int,
            "float" => ConfigType::Float,
            "boolean" => ConfigType::Boolean,
            "secret" => ConfigType::Secret,
            other => ConfigType::Other(other.to_owned()),
        }
    }
}

impl Serialize for ConfigType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ConfigType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(ConfigType::from(
            String::deserialize(deserializer)?.as_str(),
        ))
    }
}

/// A string or a list of strings, as `links` allows.
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}
