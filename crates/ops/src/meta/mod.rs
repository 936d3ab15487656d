//! Charm metadata: the one module that reads `charmcraft.yaml` (or the legacy
//! `metadata.yaml`, `config.yaml` and `actions.yaml`).
//!
//! The production entry point and the testing harness both load metadata
//! through [`CharmMeta`], so they cannot disagree about what a charm declares.

mod extensions;
mod limits;

pub use extensions::{MetadataWarning, known as known_extensions};
pub use limits::{MAX_METADATA_BYTES, MAX_METADATA_DEPTH};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Everything a charm declares about itself: identity, relations, config
/// options and actions (plus the rest, kept for later features).
///
/// ```
/// use ops::CharmMeta;
/// let meta = CharmMeta::from_yaml(r#"
/// name: leadership
/// peers:
///   replicas:
///     interface: leadership_peers
/// config:
///   options:
///     port: {type: int, default: 8080}
/// "#).unwrap();
/// assert_eq!(meta.name, "leadership");
/// assert_eq!(meta.peers["replicas"].interface, "leadership_peers");
/// assert_eq!(meta.config.options["port"].default, Some(serde_json::json!(8080)));
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct CharmMeta {
    /// The charm's name, which is also the default application name.
    pub name: String,
    /// One-line summary.
    pub summary: String,
    /// Longer description.
    pub description: String,
    /// Whether the charm is a subordinate.
    pub subordinate: bool,
    /// Endpoints this charm requires.
    pub requires: BTreeMap<String, RelationMeta>,
    /// Endpoints this charm provides.
    pub provides: BTreeMap<String, RelationMeta>,
    /// Peer endpoints.
    pub peers: BTreeMap<String, RelationMeta>,
    /// Extra network bindings (`name: ~`).
    pub extra_bindings: BTreeMap<String, ExtraBinding>,
    /// Workload containers (Kubernetes sidecar charms).
    pub containers: BTreeMap<String, ContainerMeta>,
    /// Storage the charm uses.
    pub storage: BTreeMap<String, StorageMeta>,
    /// Resources the charm uses.
    pub resources: BTreeMap<String, ResourceMeta>,
    /// Payloads the charm tracks.
    pub payloads: BTreeMap<String, PayloadMeta>,
    /// Juju features the charm assumes; all must hold (an implicit all-of).
    pub assumes: Vec<JujuAssumes>,
    /// Maintainers, as `Name <email>` or whatever the charm wrote.
    pub maintainers: Vec<String>,
    /// The legacy single `maintainer` key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintainer: Option<String>,
    /// The `links` section.
    pub links: MetadataLinks,
    /// Legacy top-level `website` (string or list).
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub website: Vec<String>,
    /// Legacy top-level `source` (string or list).
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub source: Vec<String>,
    /// Legacy top-level `issues` (string or list).
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub issues: Vec<String>,
    /// Legacy top-level `docs` link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// Charmhub tags.
    pub tags: Vec<String>,
    /// Terms to agree to before deploying.
    pub terms: Vec<String>,
    /// Supported series (legacy machine charms), default first.
    pub series: Vec<String>,
    /// The oldest Juju the charm runs on (legacy; prefer `assumes`).
    pub min_juju_version: Option<String>,
    /// Which user runs the hook code.
    pub charm_user: CharmUser,
    /// Configuration options.
    pub config: ConfigMeta,
    /// Actions, by name.
    pub actions: BTreeMap<String, ActionMeta>,
}

/// `global` (the default) or `container` (subordinate relations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RelationScope {
    /// Every unit of the remote application.
    #[default]
    Global,
    /// Only the principal unit in the same container (subordinates).
    Container,
}

/// What kind of storage a `storage` entry declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StorageType {
    /// A mounted filesystem.
    #[default]
    Filesystem,
    /// A raw block device.
    Block,
}

/// How many instances of a storage a unit may have (`multiple.range`):
/// `"2"` is exactly two, `"1-10"` one to ten, `"3-"` or `"3+"` three or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageRange {
    /// The fewest instances.
    pub min: u32,
    /// The most instances, `None` when unbounded.
    pub max: Option<u32>,
}

impl StorageRange {
    /// Parses Juju's range syntax (`"2"`, `"1-10"`, `"3-"`, `"3+"`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "bad storage range {text:?}; write `N`, `N-M` (with N <= M), `N-` or `N+`, for example \"1-10\""
            )
        };
        let number = |s: &str| s.trim().parse::<u32>().map_err(|_| bad());
        let text_t = text.trim();
        let range = if let Some(min) = text_t.strip_suffix('+') {
            StorageRange {
                min: number(min)?,
                max: None,
            }
        } else if let Some((min, max)) = text_t.split_once('-') {
            let min = number(min)?;
            let max = if max.trim().is_empty() {
                None
            } else {
                Some(number(max)?)
            };
            StorageRange { min, max }
        } else {
            let n = number(text_t)?;
            StorageRange {
                min: n,
                max: Some(n),
            }
        };
        if range.max.is_some_and(|max| max < range.min) {
            return Err(bad());
        }
        Ok(range)
    }
}

impl std::fmt::Display for StorageRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.max {
            Some(max) if max == self.min => write!(f, "{max}"),
            Some(max) => write!(f, "{}-{max}", self.min),
            None => write!(f, "{}-", self.min),
        }
    }
}

impl Serialize for StorageRange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StorageRange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u32),
            Text(String),
        }
        let text = match Raw::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom(
                "a storage range is a number or a string such as \"1-10\", \"2\" or \"3-\"",
            )
        })? {
            Raw::Number(n) => n.to_string(),
            Raw::Text(text) => text,
        };
        StorageRange::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The `multiple` section of a storage entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageMultiple {
    /// How many instances a unit may have.
    pub range: StorageRange,
}

/// One `storage` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct StorageMeta {
    /// `filesystem` or `block` (required).
    #[serde(rename = "type")]
    pub kind: StorageType,
    /// What the storage is for.
    #[serde(default)]
    pub description: String,
    /// Whether all units of the application share it.
    #[serde(default)]
    pub shared: bool,
    /// Whether it is mounted read-only.
    #[serde(default)]
    pub read_only: bool,
    /// The smallest size Juju may provision, such as `1G`.
    #[serde(default)]
    pub minimum_size: Option<String>,
    /// Where a filesystem is mounted on the machine.
    #[serde(default)]
    pub location: Option<String>,
    /// How many instances a unit may have; `None` means exactly one.
    #[serde(default)]
    pub multiple: Option<StorageMultiple>,
    /// Extra characteristics; Juju knows only `transient`.
    #[serde(default)]
    pub properties: Vec<String>,
}

impl StorageMeta {
    /// A storage of this type with defaults otherwise.
    pub fn new(kind: StorageType) -> Self {
        StorageMeta {
            kind,
            ..StorageMeta::default()
        }
    }
}

/// What kind of resource a `resources` entry declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceType {
    /// A file, uploaded or fetched from Charmhub.
    #[default]
    File,
    /// A container image for a workload container.
    OciImage,
}

/// One `resources` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResourceMeta {
    /// `file` or `oci-image` (required).
    #[serde(rename = "type")]
    pub kind: ResourceType,
    /// The file name the charm sees (file resources).
    #[serde(default)]
    pub filename: Option<String>,
    /// What the resource is.
    #[serde(default)]
    pub description: String,
}

/// One `payloads` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PayloadMeta {
    /// The payload class, such as `docker`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A base a container image may be resolved from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContainerBase {
    /// The OS name, such as `ubuntu`.
    pub name: String,
    /// The OS channel, such as `22.04/stable`.
    pub channel: String,
    /// The architectures the image exists for.
    #[serde(default)]
    pub architectures: Vec<String>,
}

/// One `mounts` entry of a container: a declared storage and where it appears.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContainerMount {
    /// The storage name; it must be declared under `storage`.
    pub storage: String,
    /// The mount point inside the container.
    #[serde(default)]
    pub location: Option<String>,
}

/// One `containers` entry (Kubernetes sidecar charms).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerMeta {
    /// The `oci-image` resource the container runs (not with `bases`).
    pub resource: Option<String>,
    /// Bases to resolve the image from, most preferred first (not with `resource`).
    pub bases: Vec<ContainerBase>,
    /// Storage mounted into the container.
    pub mounts: Vec<ContainerMount>,
    /// The user id the workload runs as (Juju 3.5+).
    pub uid: Option<u32>,
    /// The group id the workload runs as (Juju 3.5+).
    pub gid: Option<u32>,
}

impl ContainerMeta {
    /// Every location the storage `storage` is mounted at, in declaration order.
    pub fn mount_locations(&self, storage: &str) -> Vec<&str> {
        self.mounts
            .iter()
            .filter(|m| m.storage == storage)
            .filter_map(|m| m.location.as_deref())
            .collect()
    }
}

/// An `extra-bindings` entry; it carries no value (`name: ~`, or `name: {}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExtraBinding;

impl Serialize for ExtraBinding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_none()
    }
}

impl<'de> Deserialize<'de> for ExtraBinding {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `name: ~` is the documented form; `name: {}` is accepted as ops does.
        match Option::<BTreeMap<String, serde::de::IgnoredAny>>::deserialize(deserializer) {
            Ok(None) => Ok(ExtraBinding),
            Ok(Some(map)) if map.is_empty() => Ok(ExtraBinding),
            _ => Err(serde::de::Error::custom(
                "an extra binding takes no value; write `name: ~`",
            )),
        }
    }
}

/// One `assumes` entry: a feature (`juju >= 3.4`, `k8s-api`) or a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JujuAssumes {
    /// One feature expression.
    Feature(String),
    /// Satisfied when any of these is.
    AnyOf(Vec<JujuAssumes>),
    /// Satisfied when all of these are.
    AllOf(Vec<JujuAssumes>),
}

impl Serialize for JujuAssumes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            JujuAssumes::Feature(f) => serializer.serialize_str(f),
            JujuAssumes::AnyOf(items) | JujuAssumes::AllOf(items) => {
                let key = if matches!(self, JujuAssumes::AnyOf(_)) {
                    "any-of"
                } else {
                    "all-of"
                };
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(key, items)?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for JujuAssumes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = JujuAssumes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a feature string, or a map with one key `any-of` or `all-of` holding a list",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<JujuAssumes, E> {
                Ok(JujuAssumes::Feature(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<JujuAssumes, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(serde::de::Error::custom(
                        "an empty assumes group; write `any-of: [...]` or `all-of: [...]`",
                    ));
                };
                let items: Vec<JujuAssumes> = map.next_value()?;
                let group = match key.as_str() {
                    "any-of" => JujuAssumes::AnyOf(items),
                    "all-of" => JujuAssumes::AllOf(items),
                    other => {
                        return Err(serde::de::Error::custom(format!(
                            "unknown assumes condition {other:?}; use `any-of` or `all-of`"
                        )));
                    }
                };
                if map.next_key::<String>()?.is_some() {
                    return Err(serde::de::Error::custom(
                        "an assumes group has one key; nest a second `any-of`/`all-of` in the list instead",
                    ));
                }
                Ok(group)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Which user runs the charm's hook code (`charm-user`, Juju 3.6+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CharmUser {
    /// root (the default).
    #[default]
    Root,
    /// A user other than root, with sudo.
    Sudoer,
    /// A user other than root, without sudo.
    NonRoot,
}

/// A string or a list of strings in YAML; always a list here.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        One(String),
        Many(Vec<String>),
        Null(()),
    }
    Ok(
        match Raw::deserialize(deserializer)
            .map_err(|_| serde::de::Error::custom("expected a URL or a list of URLs"))?
        {
            Raw::One(s) => vec![s],
            Raw::Many(v) => v,
            Raw::Null(()) => Vec::new(),
        },
    )
}

/// The `links` section (and its legacy top-level keys).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MetadataLinks {
    /// Project websites.
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub website: Vec<String>,
    /// Where the charm's source code is.
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub source: Vec<String>,
    /// The issue tracker.
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub issues: Vec<String>,
    /// The documentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation: Option<String>,
    /// Who to contact (ops counts it as a maintainer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// The type of a config option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigType {
    /// `string`
    String,
    /// `int`
    Int,
    /// `float`
    Float,
    /// `boolean`
    Boolean,
    /// `secret` (a secret URI; Juju 3.4+)
    Secret,
    /// A type Juju does not know; kept so the consistency checker can report it.
    Other(String),
}

impl ConfigType {
    /// The name as written in YAML.
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
    fn from(value: &str) -> Self {
        match value {
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
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ConfigType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(ConfigType::from(text.as_str()))
    }
}

/// A file [`CharmMeta::load_with_sources`] read, and its content (`None`
/// when the file does not exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataSource {
    /// The file.
    pub path: PathBuf,
    /// What it held.
    pub content: Option<String>,
}

/// One relation endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RelationMeta {
    /// The interface name, for example `pgsql`.
    pub interface: String,
    /// The most relations this endpoint may have, if limited.
    pub limit: Option<u32>,
    /// `global` (the default) or `container` (subordinate relations);
    /// `None` when the metadata omits it, which means global.
    pub scope: Option<RelationScope>,
    /// Whether the relation is optional.
    pub optional: bool,
}

impl RelationMeta {
    /// An endpoint with this interface and defaults otherwise.
    pub fn new(interface: impl Into<String>) -> Self {
        RelationMeta {
            interface: interface.into(),
            ..RelationMeta::default()
        }
    }

    /// Whether this is a subordinate (`scope: container`) endpoint.
    pub fn is_container_scoped(&self) -> bool {
        self.scope == Some(RelationScope::Container)
    }
}

/// The `config` section.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfigMeta {
    /// Options by name.
    pub options: BTreeMap<String, ConfigOption>,
}

/// One config option.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfigOption {
    /// `string`, `int`, `float`, `boolean` or `secret`; `None` when the metadata omits it.
    #[serde(rename = "type")]
    pub kind: Option<ConfigType>,
    /// The default value, if any; Juju returns it from `config-get` when unset.
    pub default: Option<Value>,
    /// What the option is for.
    pub description: String,
}

/// One action.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct ActionMeta {
    /// A short title.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// What the action does.
    pub description: String,
    /// JSON-schema of each parameter, by name.
    pub params: BTreeMap<String, Value>,
    /// Names of the required parameters.
    pub required: Vec<String>,
    /// Whether parameters not listed in `params` are allowed
    /// (`additionalProperties`, as in JSON schema).
    #[serde(rename = "additionalProperties", alias = "additional-properties")]
    pub additional_properties: Option<bool>,
    /// Actions of the same group run one after another (Juju 3+).
    pub execution_group: Option<String>,
    /// Whether the action may run while others run (Juju 3+).
    pub parallel: Option<bool>,
}

/// Why metadata could not be loaded. Each message names the file and the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// A metadata file exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A metadata file is not valid YAML of the expected shape.
    #[error(
        "cannot parse {file}: {reason}; fix the YAML so it matches Juju's charm metadata format"
    )]
    Parse {
        /// The file (or `<string>` for YAML given in code).
        file: String,
        /// What the YAML parser reported.
        reason: String,
    },
    /// The charm directory holds no usable metadata.
    #[error(
        "no charm metadata in {}: expected charmcraft.yaml (with type: charm and a name) \
         or metadata.yaml; create one, or give the metadata in code",
        dir.display()
    )]
    NotFound {
        /// The directory that was searched.
        dir: PathBuf,
    },
    /// The metadata parses but breaks a rule (for example, no name).
    #[error("invalid metadata in {file}: {reason}")]
    Invalid {
        /// The file.
        file: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A metadata document is larger than [`MAX_METADATA_BYTES`]; it is
    /// refused before it is parsed.
    #[error(
        "{file} is {bytes} bytes, more than the {limit} bytes charm metadata may have; \
         make it smaller (is it the right file?)"
    )]
    TooLarge {
        /// The file (or `<string>`).
        file: String,
        /// Its size, or the limit plus one when it was read from disk.
        bytes: usize,
        /// [`MAX_METADATA_BYTES`].
        limit: usize,
    },
    /// A metadata document nests mappings and sequences deeper than
    /// [`MAX_METADATA_DEPTH`]; it is refused before it is parsed.
    #[error(
        "{file} nests more than {limit} levels deep at line {line}; \
         charm metadata needs far fewer, so flatten the structure there"
    )]
    TooDeep {
        /// The file (or `<string>`).
        file: String,
        /// The line where the nesting passed the limit (from 1).
        line: usize,
        /// [`MAX_METADATA_DEPTH`].
        limit: usize,
    },
}

/// The one way a metadata document is read, whichever loader asks: the
/// size and depth bounds first, then the YAML into a generic value (which
/// refuses a duplicate key at any level) for the rules `check` applies to
/// the document as written, then the typed form from the text (whose errors
/// name the key path and the line).
fn parse_document<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
    check: fn(&serde_norway::Value, &str) -> Result<(), MetadataError>,
) -> Result<T, MetadataError> {
    limits::check(text, file)?;
    let parse_error = |e: serde_norway::Error| MetadataError::Parse {
        file: file.to_owned(),
        reason: e.to_string(),
    };
    let raw: serde_norway::Value = serde_norway::from_str(text).map_err(parse_error)?;
    check(&raw, file)?;
    serde_norway::from_str(text).map_err(parse_error)
}

/// No rules beyond the typed form's.
fn no_raw_rules(_: &serde_norway::Value, _: &str) -> Result<(), MetadataError> {
    Ok(())
}

/// Rules on a charm's metadata as written that the typed form cannot see:
/// `name` is a string (YAML would turn `name: 5` into the name "5").
fn check_raw(raw: &serde_norway::Value, file: &str) -> Result<(), MetadataError> {
    let invalid = |reason: String| MetadataError::Invalid {
        file: file.to_owned(),
        reason,
    };
    match raw.get("name") {
        None | Some(serde_norway::Value::String(_)) => {}
        Some(other) => {
            return Err(invalid(format!(
                "`name` is {}, not a string; write the charm's name, for example `name: my-charm`",
                describe(other)
            )));
        }
    }
    Ok(())
}

/// What kind of YAML value this is, for messages.
fn describe(value: &serde_norway::Value) -> String {
    use serde_norway::Value as V;
    match value {
        V::Null => "null".to_owned(),
        V::Bool(b) => format!("the boolean {b}"),
        V::Number(n) => format!("the number {n}"),
        V::String(s) => format!("the string {s:?}"),
        V::Sequence(_) => "a list".to_owned(),
        V::Mapping(_) => "a mapping".to_owned(),
        V::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}

/// Checks a YAML document against the metadata bounds
/// ([`MAX_METADATA_BYTES`], [`MAX_METADATA_DEPTH`]) before it is parsed.
///
/// The metadata loaders call this themselves; it is public so that other
/// charm-side YAML files (a `rockcraft.yaml` read by the testing harness)
/// are read with the same guard against documents that would stall the
/// parser. `file` names the document in the error.
///
/// ```
/// assert!(ops::meta::check_yaml_bounds("summary: x\n", "rockcraft.yaml").is_ok());
/// let deep = "[".repeat(100);
/// assert!(ops::meta::check_yaml_bounds(&deep, "rockcraft.yaml").is_err());
/// ```
pub fn check_yaml_bounds(text: &str, file: &str) -> Result<(), MetadataError> {
    limits::check(text, file)
}

/// Reads a file of at most [`MAX_METADATA_BYTES`]; `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, MetadataError> {
    let read_error = |source| MetadataError::Read {
        path: path.to_owned(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(read_error(source)),
    };
    let mut text = String::new();
    let limit = MAX_METADATA_BYTES as u64 + 1;
    file.take(limit)
        .read_to_string(&mut text)
        .map_err(read_error)?;
    if text.len() > MAX_METADATA_BYTES {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        return Err(limits::too_large(&name, text.len()));
    }
    Ok(Some(text))
}

impl CharmMeta {
    /// Metadata with only a name, as ops.testing builds for `meta={"name": …}`.
    pub fn new(name: impl Into<String>) -> Self {
        CharmMeta {
            name: name.into(),
            ..CharmMeta::default()
        }
    }

    /// Parses one YAML document: a `charmcraft.yaml` (config and actions
    /// inside) or a `metadata.yaml`.
    pub fn from_yaml(text: &str) -> Result<Self, MetadataError> {
        Self::from_yaml_named(text, "<string>")
    }

    fn from_yaml_named(text: &str, file: &str) -> Result<Self, MetadataError> {
        let (meta, warnings) = Self::charm_document(text, file)?;
        for warning in warnings {
            tracing::warn!("{file}: {warning}");
        }
        Ok(meta)
    }

    /// [`CharmMeta::from_yaml`], also returning what loads but deserves
    /// attention (an unknown charmcraft extension), rather than only
    /// logging it at WARN.
    ///
    /// ```
    /// use ops::CharmMeta;
    /// use ops::meta::MetadataWarning;
    /// let (meta, warnings) = CharmMeta::from_yaml_with_warnings(
    ///     "name: web\nextensions: [flask-framework, no-such-framework]\n",
    /// ).unwrap();
    /// assert!(meta.containers.contains_key("flask-app"));
    /// assert!(matches!(&warnings[..], [MetadataWarning::UnknownExtension { name }] if name == "no-such-framework"));
    /// ```
    pub fn from_yaml_with_warnings(
        text: &str,
    ) -> Result<(Self, Vec<MetadataWarning>), MetadataError> {
        Self::charm_document(text, "<string>")
    }

    /// The one reading of a charm's metadata document: the bounds, the
    /// rules on the document as written, then the charmcraft extensions it
    /// lists merged in (see [`known_extensions`]), then the typed form.
    fn charm_document(
        text: &str,
        file: &str,
    ) -> Result<(Self, Vec<MetadataWarning>), MetadataError> {
        limits::check(text, file)?;
        let parse_error = |e: serde_norway::Error| MetadataError::Parse {
            file: file.to_owned(),
            reason: e.to_string(),
        };
        let mut raw: serde_norway::Value = serde_norway::from_str(text).map_err(parse_error)?;
        check_raw(&raw, file)?;
        let (extended, warnings) = extensions::apply(&mut raw, file)?;
        // Without extensions the typed form is read from the text, so that
        // its errors name the line; with them, from the merged document.
        let meta: CharmMeta = if extended {
            serde_norway::from_value(raw).map_err(parse_error)?
        } else {
            serde_norway::from_str(text).map_err(parse_error)?
        };
        Ok((meta.validated(file)?, warnings))
    }

    /// Parses the legacy trio: `metadata.yaml`, and optionally `config.yaml`
    /// and `actions.yaml` contents.
    ///
    /// `metadata` may also be a full `charmcraft.yaml` with `config` and
    /// `actions` sections; giving separate config (or actions) as well is
    /// refused with [`MetadataError::Invalid`], as ops.testing refuses
    /// `Context(meta=charmcraft_yaml, config=...)`, rather than letting one
    /// silently replace the other.
    pub fn from_legacy_yaml(
        metadata: &str,
        config: Option<&str>,
        actions: Option<&str>,
    ) -> Result<Self, MetadataError> {
        if config.is_some() || actions.is_some() {
            let raw: serde_norway::Value = parse_document(metadata, "metadata.yaml", no_raw_rules)?;
            for (key, given) in [("config", config.is_some()), ("actions", actions.is_some())] {
                if given && raw.get(key).is_some() {
                    return Err(MetadataError::Invalid {
                        file: "metadata.yaml".to_owned(),
                        reason: format!(
                            "`{key}` is declared in the metadata (a full charmcraft.yaml) and \
                             given separately as {key}.yaml too; declare {key} in one place: \
                             remove the `{key}` section or pass `None` for {key}.yaml"
                        ),
                    });
                }
            }
        }
        Self::legacy_files(metadata, config, actions)
    }

    /// The legacy files as a charm directory holds them: as ops.testing's
    /// autoload, separate files win over sections of `metadata.yaml`.
    fn legacy_files(
        metadata: &str,
        config: Option<&str>,
        actions: Option<&str>,
    ) -> Result<Self, MetadataError> {
        let mut meta: CharmMeta = parse_document(metadata, "metadata.yaml", check_raw)?;
        if let Some(config) = config {
            let parsed: Option<ConfigMeta> = parse_document(config, "config.yaml", no_raw_rules)?;
            meta.config = parsed.unwrap_or_default();
        }
        if let Some(actions) = actions {
            let parsed: Option<BTreeMap<String, ActionMeta>> =
                parse_document(actions, "actions.yaml", no_raw_rules)?;
            meta.actions = parsed.unwrap_or_default();
        }
        meta.validated("metadata.yaml")
    }

    /// Loads metadata from a charm directory: `charmcraft.yaml` when it is a
    /// charm project with a name, otherwise the legacy files.
    pub fn load(charm_dir: impl AsRef<Path>) -> Result<Self, MetadataError> {
        Self::load_with_sources(charm_dir).map(|(meta, _)| meta)
    }

    /// [`CharmMeta::load`], also telling which files it read and what they
    /// held: the metadata is the same for as long as those files are.
    pub fn load_with_sources(
        charm_dir: impl AsRef<Path>,
    ) -> Result<(Self, Vec<MetadataSource>), MetadataError> {
        let dir = charm_dir.as_ref();
        let mut sources = Vec::new();
        let mut read = |name: &str| -> Result<Option<String>, MetadataError> {
            let path = dir.join(name);
            let content = read_optional(&path)?;
            sources.push(MetadataSource {
                path,
                content: content.clone(),
            });
            Ok(content)
        };
        if let Some(text) = read("charmcraft.yaml")? {
            // A charmcraft.yaml of a charm with a name holds the metadata;
            // one without is only a build file, and the legacy files count.
            limits::check(&text, "charmcraft.yaml")?;
            let raw: serde_norway::Value =
                serde_norway::from_str(&text).map_err(|e| MetadataError::Parse {
                    file: "charmcraft.yaml".to_owned(),
                    reason: e.to_string(),
                })?;
            let is_charm = raw.get("type").and_then(serde_norway::Value::as_str) == Some("charm");
            if is_charm && raw.get("name").is_some() {
                let meta = Self::from_yaml_named(&text, "charmcraft.yaml")?;
                return Ok((meta, sources));
            }
        }
        let Some(metadata) = read("metadata.yaml")? else {
            return Err(MetadataError::NotFound {
                dir: dir.to_owned(),
            });
        };
        let config = read("config.yaml")?;
        let actions = read("actions.yaml")?;
        let meta = Self::legacy_files(&metadata, config.as_deref(), actions.as_deref())?;
        Ok((meta, sources))
    }

    fn validated(self, file: &str) -> Result<Self, MetadataError> {
        if self.name.is_empty() {
            return Err(MetadataError::Invalid {
                file: file.to_owned(),
                reason: "the charm has no `name`; add `name: <charm-name>`".to_owned(),
            });
        }
        let invalid = |reason: String| MetadataError::Invalid {
            file: file.to_owned(),
            reason,
        };
        for (name, storage) in &self.storage {
            if let Some(bad) = storage.properties.iter().find(|p| *p != "transient") {
                return Err(invalid(format!(
                    "storage.{name}.properties: unknown property {bad:?}; Juju knows only `transient`"
                )));
            }
            if let Some(size) = &storage.minimum_size {
                let digits = size.trim_end_matches(['M', 'G', 'T', 'P', 'E', 'Z', 'Y']);
                let suffixes = size.len() - digits.len();
                if digits.is_empty() || suffixes > 1 || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(invalid(format!(
                        "storage.{name}.minimum-size: {size:?} is not a size; write a number with an \
                         optional unit M, G, T, P, E, Z or Y, for example `1G`"
                    )));
                }
            }
        }
        for (name, container) in &self.containers {
            if container.resource.is_some() && !container.bases.is_empty() {
                return Err(invalid(format!(
                    "containers.{name}: a container has either `resource` or `bases`, not both; remove one"
                )));
            }
            // An undeclared resource is left to Juju (charms and tests often name
            // the image only); one declared with the wrong type is refused.
            if let Some(resource) = &container.resource
                && self
                    .resources
                    .get(resource)
                    .is_some_and(|meta| meta.kind != ResourceType::OciImage)
            {
                return Err(invalid(format!(
                    "containers.{name}.resource: resource {resource:?} is not of type `oci-image`; \
                     change its type or name an oci-image resource"
                )));
            }
            for (i, mount) in container.mounts.iter().enumerate() {
                if !self.storage.contains_key(&mount.storage) {
                    return Err(invalid(format!(
                        "containers.{name}.mounts[{i}]: storage {:?} is not declared under `storage`; \
                         declare it there or fix the name",
                        mount.storage
                    )));
                }
            }
        }
        let mut seen = BTreeSet::new();
        for endpoint in self.endpoints().map(|(name, _, _)| name) {
            if !seen.insert(endpoint) {
                return Err(MetadataError::Invalid {
                    file: file.to_owned(),
                    reason: format!(
                        "endpoint {endpoint:?} is declared more than once across requires, provides and peers; \
                         give each endpoint a unique name"
                    ),
                });
            }
        }
        Ok(self)
    }

    /// Every maintainer, as ops lists them: `maintainer`, then `maintainers`,
    /// then `links.contact`.
    pub fn all_maintainers(&self) -> Vec<&str> {
        self.maintainer
            .iter()
            .chain(&self.maintainers)
            .chain(&self.links.contact)
            .map(String::as_str)
            .collect()
    }

    /// The links, as ops reads them: a legacy top-level key (`website`,
    /// `source`, `issues`, `docs`) wins over the `links` section.
    pub fn all_links(&self) -> MetadataLinks {
        let pick = |top: &Vec<String>, links: &Vec<String>| {
            if top.is_empty() {
                links.clone()
            } else {
                top.clone()
            }
        };
        MetadataLinks {
            website: pick(&self.website, &self.links.website),
            source: pick(&self.source, &self.links.source),
            issues: pick(&self.issues, &self.links.issues),
            documentation: self
                .docs
                .clone()
                .or_else(|| self.links.documentation.clone()),
            contact: self.links.contact.clone(),
        }
    }

    /// Every relation endpoint: (name, role, metadata), requires first, then provides, then peers.
    pub fn endpoints(&self) -> impl Iterator<Item = (&str, RelationRole, &RelationMeta)> {
        fn tagged(
            map: &BTreeMap<String, RelationMeta>,
            role: RelationRole,
        ) -> impl Iterator<Item = (&str, RelationRole, &RelationMeta)> {
            map.iter()
                .map(move |(name, meta)| (name.as_str(), role, meta))
        }
        tagged(&self.requires, RelationRole::Requires)
            .chain(tagged(&self.provides, RelationRole::Provides))
            .chain(tagged(&self.peers, RelationRole::Peer))
    }

    /// The endpoint named `name`, if declared.
    pub fn endpoint(&self, name: &str) -> Option<(RelationRole, &RelationMeta)> {
        self.endpoints()
            .find(|(n, _, _)| *n == name)
            .map(|(_, role, meta)| (role, meta))
    }
}

/// How an endpoint is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationRole {
    /// Under `requires`.
    Requires,
    /// Under `provides`.
    Provides,
    /// Under `peers`.
    Peer,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn charmcraft_yaml_carries_config_and_actions() {
        let meta = CharmMeta::from_yaml(
            "name: x\ntype: charm\nactions:\n  snapshot:\n    params:\n      name: {type: string}\n",
        )
        .unwrap();
        assert_eq!(meta.actions["snapshot"].params["name"]["type"], "string");
    }

    #[test]
    fn legacy_files_are_loaded_when_charmcraft_yaml_is_only_a_build_file() {
        let tmp = temp_dir();
        let dir = tmp.path();
        std::fs::write(dir.join("charmcraft.yaml"), "type: charm\nbases: []\n").unwrap();
        std::fs::write(dir.join("metadata.yaml"), "name: legacy\n").unwrap();
        std::fs::write(dir.join("config.yaml"), "options:\n  a: {type: string}\n").unwrap();
        let meta = CharmMeta::load(dir).unwrap();
        assert_eq!(meta.name, "legacy");
        assert!(meta.config.options.contains_key("a"));
    }

    #[test]
    fn missing_metadata_names_the_directory() {
        let tmp = temp_dir();
        let dir = tmp.path();
        let err = CharmMeta::load(dir).unwrap_err();
        assert!(matches!(err, MetadataError::NotFound { .. }));
        assert!(err.to_string().contains(&dir.display().to_string()));
    }

    #[test]
    fn malformed_yaml_names_the_file() {
        let err = CharmMeta::from_legacy_yaml("name: [", None, None).unwrap_err();
        assert!(err.to_string().contains("metadata.yaml"), "{err}");
        let err = CharmMeta::from_yaml("summary: no name\n").unwrap_err();
        assert!(err.to_string().contains("no `name`"), "{err}");
    }

    #[test]
    fn duplicate_endpoints_are_rejected() {
        let err = CharmMeta::from_yaml(
            "name: x\nrequires: {db: {interface: a}}\npeers: {db: {interface: b}}\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"db\""), "{err}");
    }
}
