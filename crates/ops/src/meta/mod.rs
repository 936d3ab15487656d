//! Charm metadata: the one module that reads `charmcraft.yaml` (or the legacy
//! `metadata.yaml`, `config.yaml` and `actions.yaml`).
//!
//! The production entry point and the testing harness both load metadata
//! through [`CharmMeta`], so they cannot disagree about what a charm declares.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
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
    /// Extra network bindings.
    pub extra_bindings: BTreeMap<String, Value>,
    /// Workload containers (Kubernetes sidecar charms).
    pub containers: BTreeMap<String, Value>,
    /// Storage the charm uses.
    pub storage: BTreeMap<String, Value>,
    /// Resources the charm uses.
    pub resources: BTreeMap<String, Value>,
    /// Juju features the charm assumes.
    pub assumes: Vec<Value>,
    /// Configuration options.
    pub config: ConfigMeta,
    /// Actions, by name.
    pub actions: BTreeMap<String, ActionMeta>,
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
    /// `global` (the default) or `container` (subordinate relations).
    pub scope: Option<String>,
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
        self.scope.as_deref() == Some("container")
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
    pub kind: Option<String>,
    /// The default value, if any; Juju returns it from `config-get` when unset.
    pub default: Option<Value>,
    /// What the option is for.
    pub description: String,
}

/// One action.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct ActionMeta {
    /// What the action does.
    pub description: String,
    /// JSON-schema of each parameter, by name.
    pub params: BTreeMap<String, Value>,
    /// Names of the required parameters.
    pub required: Vec<String>,
    /// Whether parameters not listed in `params` are allowed.
    pub additional_properties: Option<bool>,
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
}

fn parse_yaml<T: serde::de::DeserializeOwned>(text: &str, file: &str) -> Result<T, MetadataError> {
    serde_norway::from_str(text).map_err(|e| MetadataError::Parse {
        file: file.to_owned(),
        reason: e.to_string(),
    })
}

fn read_optional(path: &Path) -> Result<Option<String>, MetadataError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(MetadataError::Read {
            path: path.to_owned(),
            source,
        }),
    }
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
        let meta: CharmMeta = parse_yaml(text, file)?;
        meta.validated(file)
    }

    /// Parses the legacy trio: `metadata.yaml`, and optionally `config.yaml`
    /// and `actions.yaml` contents.
    pub fn from_legacy_yaml(
        metadata: &str,
        config: Option<&str>,
        actions: Option<&str>,
    ) -> Result<Self, MetadataError> {
        let mut meta: CharmMeta = parse_yaml(metadata, "metadata.yaml")?;
        if let Some(config) = config {
            meta.config =
                parse_yaml::<Option<ConfigMeta>>(config, "config.yaml")?.unwrap_or_default();
        }
        if let Some(actions) = actions {
            meta.actions =
                parse_yaml::<Option<BTreeMap<String, ActionMeta>>>(actions, "actions.yaml")?
                    .unwrap_or_default();
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
            // Parsed once: the decision and the metadata come from the same value.
            let raw: serde_norway::Value = parse_yaml(&text, "charmcraft.yaml")?;
            let is_charm = raw.get("type").and_then(serde_norway::Value::as_str) == Some("charm");
            let has_name = raw
                .get("name")
                .and_then(serde_norway::Value::as_str)
                .is_some();
            if is_charm && has_name {
                let meta = match serde_norway::from_value::<CharmMeta>(raw) {
                    Ok(meta) => meta.validated("charmcraft.yaml")?,
                    // Parse the text again only to report the error with its position.
                    Err(_) => Self::from_yaml_named(&text, "charmcraft.yaml")?,
                };
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
        let meta = Self::from_legacy_yaml(&metadata, config.as_deref(), actions.as_deref())?;
        Ok((meta, sources))
    }

    fn validated(self, file: &str) -> Result<Self, MetadataError> {
        if self.name.is_empty() {
            return Err(MetadataError::Invalid {
                file: file.to_owned(),
                reason: "the charm has no `name`; add `name: <charm-name>`".to_owned(),
            });
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

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ops-meta-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
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
        let dir = temp_dir("legacy");
        std::fs::write(dir.join("charmcraft.yaml"), "type: charm\nbases: []\n").unwrap();
        std::fs::write(dir.join("metadata.yaml"), "name: legacy\n").unwrap();
        std::fs::write(dir.join("config.yaml"), "options:\n  a: {type: string}\n").unwrap();
        let meta = CharmMeta::load(&dir).unwrap();
        assert_eq!(meta.name, "legacy");
        assert!(meta.config.options.contains_key("a"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn missing_metadata_names_the_directory() {
        let dir = temp_dir("missing");
        let err = CharmMeta::load(&dir).unwrap_err();
        assert!(matches!(err, MetadataError::NotFound { .. }));
        assert!(err.to_string().contains(&dir.display().to_string()));
        std::fs::remove_dir_all(dir).unwrap();
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
