//! Charm metadata: the one module that reads `charmcraft.yaml` (or the legacy
//! `metadata.yaml`, `config.yaml` and `actions.yaml`).
//!
//! The production entry point and the testing harness both load metadata
//! through [`CharmMeta`], so they cannot disagree about what a charm declares.

mod parts;

pub use parts::{
    Assumes, CharmUser, ConfigType, ContainerBase, ContainerMeta, ContainerMount, ExtraBinding,
    Links, PayloadMeta, ResourceMeta, ResourceType, StorageMeta, StorageMultiple, StorageType,
};

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
    pub extra_bindings: BTreeMap<String, ExtraBinding>,
    /// Workload containers (Kubernetes sidecar charms).
    pub containers: BTreeMap<String, ContainerMeta>,
    /// Storage the charm uses.
    pub storage: BTreeMap<String, StorageMeta>,
    /// Resources the charm uses.
    pub resources: BTreeMap<String, ResourceMeta>,
    /// Payload classes (legacy).
    pub payloads: BTreeMap<String, PayloadMeta>,
    /// Juju features the charm assumes.
    pub assumes: Vec<Assumes>,
    /// The maintainers, as `Name <email>`.
    pub maintainers: Vec<String>,
    /// Tags for the charm's store page.
    pub tags: Vec<String>,
    /// Terms the operator must accept.
    pub terms: Vec<String>,
    /// Series (legacy machine charms).
    pub series: Vec<String>,
    /// The least Juju version the charm runs on (legacy; use `assumes`).
    pub min_juju_version: Option<String>,
    /// Which user the charm runs as on Kubernetes.
    pub charm_user: Option<CharmUser>,
    /// Documentation, issue tracker, source, website and contact.
    pub links: Links,
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
    /// What the action does.
    pub description: String,
    /// JSON-schema of each parameter, by name.
    pub params: BTreeMap<String, Value>,
    /// Names of the required parameters.
    pub required: Vec<String>,
    /// Whether parameters not listed in `params` are allowed.
    pub additional_properties: Option<bool>,
    /// Juju runs actions of one group one at a time.
    pub execution_group: Option<String>,
    /// Whether Juju may run this action while others run.
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
        let invalid = |reason: String| MetadataError::Invalid {
            file: file.to_owned(),
            reason,
        };
        for (name, storage) in &self.storage {
            if let Some(multiple) = &storage.multiple
                && multiple.bounds().is_none()
            {
                return Err(invalid(format!(
                    "storage {name:?} has multiple.range {:?}; write a count (`2`), a range (`1-10`) or an open range (`2-`)",
                    multiple.range
                )));
            }
        }
        for (name, container) in &self.containers {
            for mount in &container.mounts {
                if !self.storage.contains_key(&mount.storage) {
                    return Err(invalid(format!(
                        "container {name:?} mounts storage {:?}, which is not declared; declare it under `storage`",
                        mount.storage
                    )));
                }
            }
            if let Some(resource) = &container.resource
                && self
                    .resources
                    .get(resource)
                    .is_some_and(|r| r.kind != ResourceType::OciImage)
            {
                return Err(invalid(format!(
                    "container {name:?} takes its image from resource {resource:?}, which is not an oci-image; give the resource `type: oci-image`"
                )));
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

#[cfg(test)]
mod typed_tests {
    use super::*;
    use rstest::rstest;

    const K8S_CHARM: &str = r#"
type: charm
name: webapp
summary: A web application
description: Serves pages.
maintainers: ["Ann Example <ann@example.com>"]
links:
  documentation: https://example.com/docs
  issues: https://example.com/issues
  source: [https://example.com/src]
charm-user: non-root
assumes:
  - k8s-api
  - any-of:
      - juju >= 3.4
      - all-of: [juju >= 3.1, juju < 3.2]
containers:
  web:
    resource: web-image
    mounts:
      - storage: data
        location: /srv/data
  sidecar:
    bases:
      - {name: ubuntu, channel: "22.04", architectures: [amd64]}
storage:
  data:
    type: filesystem
    location: /data
    minimum-size: 1G
    multiple: {range: 1-3}
  scratch:
    type: block
    shared: true
    read-only: true
    properties: [transient]
resources:
  web-image:
    type: oci-image
    upstream-source: example/web:1
  blob:
    type: file
    filename: blob.tar
extra-bindings:
  metrics: ~
requires:
  db: {interface: postgresql_client, limit: 1}
provides:
  logging: {interface: loki_push_api, scope: container}
peers:
  replicas: {interface: webapp_peers}
config:
  options:
    port: {type: int, default: 8080, description: Where to listen.}
    token: {type: secret}
actions:
  backup:
    description: Back up.
    params: {target: {type: string}}
    required: [target]
    additionalProperties: false
    execution-group: backups
    parallel: false
"#;

    #[test]
    fn a_full_kubernetes_charm_is_typed() {
        let meta = CharmMeta::from_yaml(K8S_CHARM).unwrap();
        assert_eq!(meta.maintainers, ["Ann Example <ann@example.com>"]);
        assert_eq!(meta.links.issues, ["https://example.com/issues"]);
        assert_eq!(meta.links.source, ["https://example.com/src"]);
        assert_eq!(meta.charm_user, Some(CharmUser::NonRoot));
        assert_eq!(meta.assumes[0], Assumes::Feature("k8s-api".to_owned()));
        let Assumes::AnyOf { any_of } = &meta.assumes[1] else {
            panic!("{:?}", meta.assumes[1]);
        };
        assert!(matches!(&any_of[1], Assumes::AllOf { all_of } if all_of.len() == 2));
        let web = &meta.containers["web"];
        assert_eq!(web.resource.as_deref(), Some("web-image"));
        assert_eq!(web.mounts[0].storage, "data");
        assert_eq!(web.mounts[0].location.as_deref(), Some("/srv/data"));
        assert_eq!(meta.containers["sidecar"].bases[0].channel, "22.04");
        let data = &meta.storage["data"];
        assert_eq!(data.kind, StorageType::Filesystem);
        assert_eq!(data.minimum_size.as_deref(), Some("1G"));
        assert_eq!(data.multiple.as_ref().unwrap().bounds(), Some((1, Some(3))));
        let scratch = &meta.storage["scratch"];
        assert_eq!(scratch.kind, StorageType::Block);
        assert!(scratch.shared && scratch.read_only);
        assert_eq!(scratch.properties, ["transient"]);
        assert_eq!(meta.resources["web-image"].kind, ResourceType::OciImage);
        assert_eq!(meta.resources["blob"].filename.as_deref(), Some("blob.tar"));
        assert!(meta.extra_bindings.contains_key("metrics"));
        assert!(meta.provides["logging"].is_container_scoped());
        assert_eq!(meta.requires["db"].limit, Some(1));
        assert_eq!(meta.config.options["port"].kind, Some(ConfigType::Int));
        assert_eq!(meta.config.options["token"].kind, Some(ConfigType::Secret));
        let backup = &meta.actions["backup"];
        assert_eq!(backup.required, ["target"]);
        assert_eq!(backup.execution_group.as_deref(), Some("backups"));
        assert_eq!(backup.parallel, Some(false));
    }

    #[test]
    fn typed_metadata_round_trips_through_serde() {
        let meta = CharmMeta::from_yaml(K8S_CHARM).unwrap();
        let json = serde_json::to_value(&meta).unwrap();
        let back: CharmMeta = serde_json::from_value(json).unwrap();
        assert_eq!(back, meta);
    }

    #[rstest]
    #[case::storage_type("storage: {s: {type: tape}}", "unknown variant `tape`")]
    #[case::bad_range(
        "storage: {s: {type: block, multiple: {range: 3-1}}}",
        "multiple.range \"3-1\""
    )]
    #[case::word_range("storage: {s: {multiple: {range: many}}}", "multiple.range \"many\"")]
    #[case::undeclared_mount(
        "containers: {web: {mounts: [{storage: data}]}}",
        "mounts storage \"data\", which is not declared"
    )]
    #[case::image_is_a_file(
        "containers: {web: {resource: r}}\nresources: {r: {type: file}}",
        "not an oci-image"
    )]
    #[case::resource_type("resources: {r: {type: tarball}}", "unknown variant `tarball`")]
    #[case::charm_user("charm-user: admin", "unknown variant `admin`")]
    fn bad_metadata_is_refused_with_the_key(#[case] yaml: &str, #[case] needle: &str) {
        let err = CharmMeta::from_yaml(&format!("name: x\n{yaml}\n")).unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }

    #[rstest]
    #[case::count("2", (2, Some(2)))]
    #[case::closed("1-10", (1, Some(10)))]
    #[case::open("2-", (2, None))]
    fn storage_ranges_are_read_as_juju_writes_them(
        #[case] range: &str,
        #[case] want: (u32, Option<u32>),
    ) {
        let multiple = StorageMultiple {
            range: range.to_owned(),
        };
        assert_eq!(multiple.bounds(), Some(want));
    }

    #[test]
    fn an_unknown_config_type_still_loads_for_the_harness_to_report() {
        let meta = CharmMeta::from_yaml("name: x\nconfig: {options: {a: {type: colour}}}").unwrap();
        assert_eq!(
            meta.config.options["a"].kind,
            Some(ConfigType::Other("colour".to_owned()))
        );
    }
}
