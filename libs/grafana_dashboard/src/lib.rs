//! The provider side of the `grafana_dashboard` interface: a Rust port of
//! the part of `GrafanaDashboardProvider` (from the grafana-k8s charm's
//! `grafana_dashboard` library, v0, with the helpers it takes from `cosl`)
//! that a charm shipping Grafana dashboards needs, writing what the real
//! Grafana charm reads.
//!
//! # What it writes
//!
//! The leader writes one key, `dashboards`, in the application databag of
//! every relation of its endpoint (default `grafana-dashboard`): JSON
//! `{"templates": {<id>: <template>, ...}, "uuid": <uuid>}`, where each
//! template is a [`DashboardTemplate`]:
//!
//! - `charm`: the charm's name (from its metadata);
//! - `content`: the dashboard JSON, xz-compressed then base64-encoded
//!   ([`encode_content`], upstream's `LZMABase64.compress`);
//! - `juju_topology`: `model`, `model_uuid`, `application`, `unit` (empty
//!   when `inject_dropdowns` is off), with which Grafana adds topology
//!   label matchers to the dashboard's queries;
//! - `inject_dropdowns`: whether Grafana adds the Juju topology dropdowns;
//! - `dashboard_alt_uid`: [`alt_uid`] of the charm name and the id, the uid
//!   Grafana gives a dashboard that has none.
//!
//! Dashboards come from two places, as upstream:
//!
//! - files in the dashboards directory (default `src/grafana_dashboards`,
//!   resolved against the charm directory): every file whose name ends in
//!   `.json`, `.json.tmpl` or `.tmpl`, with the id `file:<stem>` (the file
//!   name without its last extension: `file:FastAPI-Monitoring.json` for
//!   `FastAPI-Monitoring.json.tmpl`). Before compressing, each gets a
//!   40-character uid ([`path40_uid`] of the charm name and the file's path
//!   relative to the charm directory) unless it already has one of that
//!   form, and a `charm: <name>` tag unless it has a `charm: ` tag;
//! - dashboards the charm adds with
//!   [`add_dashboard`](GrafanaDashboardProvider::add_dashboard), with the
//!   id `prog:<8 characters of the encoded content>`, kept in the
//!   library's stored state so that they survive between hooks (and are
//!   there when this unit becomes leader);
//!   [`remove_non_builtin_dashboards`](GrafanaDashboardProvider::remove_non_builtin_dashboards)
//!   drops them.
//!
//! `uuid` is new on every write, as upstream does, so that Juju sees a
//! change (and Grafana a `relation-changed`) even when the dashboards are
//! the same. It comes from the provider's uuid source: random version-4
//! uuids by default ([`random_uuid`]); a test that compares whole databags
//! sets a fixed one with
//! [`with_uuid_source`](GrafanaDashboardProvider::with_uuid_source).
//!
//! # When
//!
//! As upstream: on `leader-elected`, `upgrade-charm` and `config-changed`,
//! and on the endpoint's `relation-created`, the leader reads the dashboards
//! directory again and writes every relation of the endpoint. Other units
//! write nothing. On the endpoint's `relation-changed`, the leader reads the
//! `event` key Grafana writes in its application databag (`{"valid": …,
//! "errors": [{"dashboard_id": …, "error": …}]}`) and, when there is one,
//! emits [`dashboard_status_changed`](GrafanaDashboardProvider::dashboard_status_changed).
//!
//! A missing dashboards directory (or a path that is not a directory) is
//! logged as a warning and gives no file dashboards, so the leader still
//! writes `dashboards`, with only the added ones (`"templates": {}` when
//! there are none), as upstream does. A file that is not JSON, or not a JSON
//! object, is logged as an error and left out; a file that cannot be read
//! fails the hook with [`GrafanaDashboardError::Read`].
//!
//! # Differences from upstream
//!
//! - The endpoint is checked when the provider publishes rather than when
//!   it is built (an endpoint the metadata does not declare already fails
//!   the charm's build, through `observe`): an endpoint that is not under
//!   `provides`, or whose interface is not `grafana_dashboard`, fails each
//!   of the provider's handlers with [`GrafanaDashboardError::Endpoint`],
//!   where upstream fails in the charm's constructor.
//! - The dashboards directory is looked at only when the leader publishes
//!   to at least one relation (a dispatch with no relation touches no
//!   file), and file dashboards are read from it each time rather than
//!   copied into stored state: they are part of the charm, so the result is
//!   the same, and the stored state holds only added dashboards. Upstream
//!   falls back to the working directory when the charm directory is
//!   missing; this port does not.
//! - The dashboard JSON inside `content` is written by `serde_json`
//!   (compact, keys sorted) rather than Python's `json.dumps`, and the xz
//!   stream comes from a different LZMA2 encoder than liblzma, so the bytes
//!   differ from what the Python library would send; Grafana decodes both
//!   to the same dashboard.
//! - A malformed `event` from Grafana is logged and ignored (upstream's
//!   `json.loads` fails the hook).
//! - [`reload_dashboards`](GrafanaDashboardProvider::reload_dashboards)`(false)`
//!   lasts for the rest of the dispatch; upstream keeps it until the next
//!   event that reloads the directory, which (like here) sets it back.
//!
//! Left out: the requirer side (`GrafanaDashboardConsumer`), the
//! `GrafanaDashboardAggregator`, and the template rendering Grafana does
//! itself (datasource variables, label matchers through `cos-tool`).
//!
//! # Example
//!
//! ```
//! use grafana_dashboard::GrafanaDashboardProvider;
//! use ops::{Charm, CharmMeta, Framework};
//! use ops_testing as testing;
//!
//! struct MyCharm {
//!     grafana_dashboards: GrafanaDashboardProvider,
//! }
//!
//! impl Charm for MyCharm {
//!     fn new(framework: &mut Framework<Self>) -> Self {
//!         let mut scope = framework
//!             .object("grafana-dashboard", |c: &mut Self| &mut c.grafana_dashboards);
//!         MyCharm {
//!             grafana_dashboards: GrafanaDashboardProvider::new(&mut scope, "grafana-dashboard"),
//!         }
//!     }
//! }
//!
//! // A charm directory with one dashboard in src/grafana_dashboards.
//! let charm_dir = tempfile::tempdir().unwrap();
//! let dashboards = charm_dir.path().join("src/grafana_dashboards");
//! std::fs::create_dir_all(&dashboards).unwrap();
//! std::fs::write(dashboards.join("overview.json"), r#"{"title": "Overview"}"#).unwrap();
//!
//! let meta = CharmMeta::from_yaml(
//!     "name: my-charm\nprovides:\n  grafana-dashboard:\n    interface: grafana_dashboard\n",
//! )
//! .unwrap();
//! let mut ctx = testing::Context::<MyCharm>::new(meta).charm_root(charm_dir.path());
//! let relation = testing::Relation::new("grafana-dashboard");
//! let state = testing::State {
//!     leader: true,
//!     relations: vec![relation.clone().into()],
//!     ..testing::State::default()
//! };
//! let out = ctx.run(ctx.on.relation_created(&relation), &state).unwrap();
//!
//! let bag = out.get_relation(relation.id).unwrap().local_app_data();
//! let sent: serde_json::Value = serde_json::from_str(&bag["dashboards"]).unwrap();
//! let template = &sent["templates"]["file:overview"];
//! assert_eq!(template["charm"], "my-charm");
//! let content = grafana_dashboard::decode_content(template["content"].as_str().unwrap()).unwrap();
//! let dashboard: serde_json::Value = serde_json::from_str(&content).unwrap();
//! assert_eq!(dashboard["title"], "Overview");
//! assert_eq!(dashboard["tags"], serde_json::json!(["charm: my-charm"]));
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use lzma_rust2::{XzOptions, XzReader, XzWriter};
use ops::{
    Charm, ConfigChangedEvent, CustomEvent, EventSource, HandlerResult, LeaderElectedEvent, Model,
    ModelError, ObjectScope, RelationChangedEvent, RelationCreatedEvent, StoredState,
    UpgradeCharmEvent, on,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha3::Shake256;
use sha3::digest::{ExtendableOutput, Update, XofReader};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The endpoint name upstream uses by default.
pub const DEFAULT_RELATION_NAME: &str = "grafana-dashboard";

/// The interface the endpoint must declare.
pub const INTERFACE: &str = "grafana_dashboard";

/// Where dashboard files are by default, relative to the charm directory.
pub const DEFAULT_DASHBOARDS_PATH: &str = "src/grafana_dashboards";

/// The application databag key the leader writes.
pub const DASHBOARDS_KEY: &str = "dashboards";

/// The key Grafana writes, in its application databag, to report on the
/// dashboards it received.
pub const EVENT_KEY: &str = "event";

/// The id prefix of dashboards read from files.
pub const FILE_PREFIX: &str = "file:";

/// The id prefix of dashboards added with
/// [`GrafanaDashboardProvider::add_dashboard`].
pub const PROGRAMMATIC_PREFIX: &str = "prog:";

/// The file name endings of dashboard files.
pub const DASHBOARD_EXTENSIONS: &[&str] = &[".json", ".json.tmpl", ".tmpl"];

/// The length of a [`path40_uid`]: the longest uid Grafana accepts.
pub const PATH40_UID_LENGTH: usize = 40;

/// Why the provider could not publish its dashboards.
#[derive(Debug, thiserror::Error)]
pub enum GrafanaDashboardError {
    /// The endpoint is declared, but not as a `grafana_dashboard` provider.
    #[error(
        "grafana_dashboard cannot use endpoint {endpoint:?}: {reason}; declare it in charmcraft.yaml under `provides` with `interface: grafana_dashboard`"
    )]
    Endpoint {
        /// The endpoint.
        endpoint: String,
        /// What is wrong with its declaration.
        reason: String,
    },
    /// Reading the model or writing a databag of the endpoint failed.
    #[error(
        "grafana_dashboard could not publish the dashboards on endpoint {endpoint:?}: {source}; check the relation and that this unit is the leader"
    )]
    Model {
        /// The endpoint.
        endpoint: String,
        /// What failed.
        source: ModelError,
    },
    /// A dashboard file could not be read.
    #[error(
        "grafana_dashboard could not read the dashboard file {path}: {source}; check that the charm ships it readable"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The xz encoder or decoder failed.
    #[error(
        "grafana_dashboard could not {action} a dashboard's content: {source}; the content must be xz-compressed, base64-encoded UTF-8"
    )]
    Codec {
        /// `compress` or `decompress`.
        action: &'static str,
        /// What failed.
        source: std::io::Error,
    },
    /// A dashboard's content is not base64.
    #[error(
        "grafana_dashboard could not decode a dashboard's content: {0}; the content must be standard base64 (with padding)"
    )]
    Base64(#[from] base64::DecodeError),
    /// A dashboard's decompressed content is not UTF-8.
    #[error(
        "grafana_dashboard could not read a decompressed dashboard: {0}; the dashboard must be UTF-8 text"
    )]
    Utf8(#[from] std::string::FromUtf8Error),
    /// The dashboards could not be serialised.
    #[error(
        "grafana_dashboard could not serialise the dashboards: {0}; this is a bug in the library"
    )]
    Json(#[from] serde_json::Error),
}

/// xz-compresses `raw` (LZMA2, preset 6, CRC64 check, as Python's
/// `lzma.compress` defaults) and base64-encodes the result: the `content`
/// of a [`DashboardTemplate`] (upstream's `LZMABase64.compress`).
///
/// The dictionary is no larger than the input needs (at least 4 KiB), so
/// neither this encoder nor Grafana's decoder reserves the preset's 8 MiB
/// for a few kilobytes of JSON.
pub fn encode_content(raw: &str) -> Result<String, GrafanaDashboardError> {
    let codec = |source| GrafanaDashboardError::Codec {
        action: "compress",
        source,
    };
    let mut options = XzOptions::with_preset(6);
    let needed = u32::try_from(raw.len()).unwrap_or(u32::MAX);
    options.lzma_options.dict_size = needed
        .clamp(lzma_rust2::DICT_SIZE_MIN, options.lzma_options.dict_size)
        .next_multiple_of(lzma_rust2::DICT_SIZE_MIN);
    let mut writer = XzWriter::new(Vec::new(), options).map_err(codec)?;
    writer.write_all(raw.as_bytes()).map_err(codec)?;
    let compressed = writer.finish().map_err(codec)?;
    Ok(BASE64.encode(compressed))
}

/// The text inside a `content` value: base64-decodes, then xz-decompresses
/// (upstream's `LZMABase64.decompress`). Reads what the Python library
/// writes as well as what [`encode_content`] writes.
pub fn decode_content(encoded: &str) -> Result<String, GrafanaDashboardError> {
    let compressed = BASE64.decode(encoded.trim())?;
    let mut raw = Vec::new();
    XzReader::new(compressed.as_slice(), false)
        .read_to_end(&mut raw)
        .map_err(|source| GrafanaDashboardError::Codec {
            action: "decompress",
            source,
        })?;
    Ok(String::from_utf8(raw)?)
}

/// The lowercase hex digest of the SHAKE-256 of `input`, `bytes` bytes long
/// (Python's `hashlib.shake_256(input).hexdigest(bytes)`).
pub fn shake256_hex(input: &str, bytes: usize) -> String {
    let mut hasher = Shake256::default();
    hasher.update(input.as_bytes());
    let mut digest = vec![0; bytes];
    hasher.finalize_xof().read(&mut digest);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The uid Grafana gives a dashboard that has none (upstream's
/// `_generate_alt_uid`): 16 hex characters, the SHAKE-256 of
/// `"<charm name>-<dashboard id>"`.
pub fn alt_uid(charm_name: &str, id: &str) -> String {
    shake256_hex(&format!("{charm_name}-{id}"), 8)
}

/// A dashboard uid of [`PATH40_UID_LENGTH`] hex characters from its parts
/// joined with `-` (`cosl`'s `DashboardPath40UID.generate`): the provider
/// uses the charm name and the file's path relative to the charm directory,
/// which is unique across charms and stable across revisions.
pub fn path40_uid(parts: &[&str]) -> String {
    shake256_hex(&parts.join("-"), PATH40_UID_LENGTH / 2)
}

/// Whether `uid` has the form of a [`path40_uid`]: 40 hex digits (either
/// case), which the provider keeps rather than replaces.
pub fn is_path40_uid(uid: &str) -> bool {
    uid.len() == PATH40_UID_LENGTH && uid.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The Juju topology sent with each dashboard (upstream's
/// `_juju_topology`): `model`, `model_uuid`, `application`, `unit`.
pub fn juju_topology(model: &Model) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("model".into(), model.name().into());
    map.insert("model_uuid".into(), model.uuid().into());
    map.insert("application".into(), model.app().name().into());
    map.insert("unit".into(), model.unit().name().into());
    map
}

/// One dashboard as the provider sends it (a value of `templates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardTemplate {
    /// The charm's name.
    pub charm: String,
    /// The dashboard, as [`encode_content`] gives it.
    pub content: String,
    /// This unit's topology ([`juju_topology`]), or empty when
    /// `inject_dropdowns` is off.
    pub juju_topology: Map<String, Value>,
    /// Whether Grafana adds the Juju topology dropdowns.
    pub inject_dropdowns: bool,
    /// The uid Grafana gives the dashboard if it has none ([`alt_uid`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard_alt_uid: Option<String>,
}

impl DashboardTemplate {
    /// A template for `content` (already encoded) under `id` (upstream's
    /// `_content_to_dashboard_object`).
    pub fn new(
        charm_name: &str,
        id: &str,
        content: String,
        topology: &Map<String, Value>,
        inject_dropdowns: bool,
    ) -> Self {
        DashboardTemplate {
            charm: charm_name.to_owned(),
            content,
            juju_topology: if inject_dropdowns {
                topology.clone()
            } else {
                Map::new()
            },
            inject_dropdowns,
            dashboard_alt_uid: Some(alt_uid(charm_name, id)),
        }
    }

    /// The dashboard JSON text ([`decode_content`] of `content`).
    pub fn decoded(&self) -> Result<String, GrafanaDashboardError> {
        decode_content(&self.content)
    }
}

/// What the provider needs to know to turn dashboard files into templates.
#[derive(Debug, Clone)]
pub struct LoadOptions<'a> {
    /// The charm's name.
    pub charm_name: &'a str,
    /// The charm directory, against which each file's path is made
    /// relative for its uid.
    pub charm_dir: &'a Path,
    /// Whether Grafana should add the topology dropdowns.
    pub inject_dropdowns: bool,
    /// The unit's topology.
    pub juju_topology: &'a Map<String, Value>,
}

/// The dashboards in `dir` as templates keyed by id (upstream's
/// `CharmedDashboard.load_dashboards_from_dir`); see the [crate]
/// documentation for which files count and what is changed in each.
/// A missing `dir` gives none. Files are read in name order, so when two
/// files have the same id (`a.json` and `a.tmpl`) the later name wins.
pub fn load_dashboards_from_dir(
    dir: &Path,
    options: &LoadOptions<'_>,
) -> Result<BTreeMap<String, DashboardTemplate>, GrafanaDashboardError> {
    let mut templates = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(templates);
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            path.is_file() && DASHBOARD_EXTENSIONS.iter().any(|ext| name.ends_with(ext))
        })
        .collect();
    paths.sort();
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|source| GrafanaDashboardError::Read {
            path: path.clone(),
            source,
        })?;
        let mut dashboard: Map<String, Value> = match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                tracing::error!(
                    "Invalid dashboard '{}': expected a JSON object, got {}",
                    path.display(),
                    json_kind(&other)
                );
                continue;
            }
            Err(e) => {
                tracing::error!("Failed to load dashboard '{}': {e}", path.display());
                continue;
            }
        };
        replace_uid(&mut dashboard, &path, options);
        add_charm_tag(&mut dashboard, options.charm_name);
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default();
        let id = format!("{FILE_PREFIX}{stem}");
        let content = encode_content(&serde_json::to_string(&dashboard)?)?;
        let template = DashboardTemplate::new(
            options.charm_name,
            &id,
            content,
            options.juju_topology,
            options.inject_dropdowns,
        );
        templates.insert(id, template);
    }
    Ok(templates)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Gives the dashboard its path-based uid unless it has one of that form.
fn replace_uid(dashboard: &mut Map<String, Value>, path: &Path, options: &LoadOptions<'_>) {
    let original = dashboard.get("uid").and_then(Value::as_str).unwrap_or("");
    if is_path40_uid(original) {
        tracing::debug!(
            "Processed dashboard '{}': kept original uid '{original}'",
            path.display()
        );
        return;
    }
    let relative = path.strip_prefix(options.charm_dir).unwrap_or(path);
    let uid = path40_uid(&[options.charm_name, &relative.to_string_lossy()]);
    tracing::debug!(
        "Processed dashboard '{}': replaced original uid '{original}' with '{uid}'",
        path.display()
    );
    dashboard.insert("uid".into(), uid.into());
}

/// Adds the tag `charm: <name>` unless a `charm: ` tag is there.
fn add_charm_tag(dashboard: &mut Map<String, Value>, charm_name: &str) {
    let mut tags = match dashboard.remove("tags") {
        Some(Value::Array(tags)) => tags,
        _ => Vec::new(),
    };
    let tagged = tags
        .iter()
        .any(|t| t.as_str().is_some_and(|t| t.starts_with("charm: ")));
    if !tagged {
        tags.push(format!("charm: {charm_name}").into());
    }
    dashboard.insert("tags".into(), Value::Array(tags));
}

/// A random version-4 uuid (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`), the
/// default uuid source. The bytes come from `/dev/urandom`; where that
/// cannot be read, from a SHAKE-256 of the time, the process id and a
/// counter, which still differs on every call.
pub fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let seed = format!(
            "{nanos}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut hasher = Shake256::default();
        hasher.update(seed.as_bytes());
        hasher.finalize_xof().read(&mut bytes);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// One problem Grafana reports with a dashboard it received.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DashboardIssue {
    /// The dashboard's id (`file:<stem>` or `prog:<…>`).
    pub dashboard_id: String,
    /// Why Grafana could not use it.
    pub error: String,
}

/// What [`GrafanaDashboardProvider::dashboard_status_changed`] carries:
/// Grafana's verdict on the dashboards (upstream's `GrafanaDashboardEvent`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DashboardStatus {
    /// Whether Grafana found every dashboard usable.
    pub valid: bool,
    /// The dashboards Grafana could not use, and why.
    pub errors: Vec<DashboardIssue>,
    /// The errors joined with `"; "`.
    pub error_message: String,
}

/// The event the charm's handler of
/// [`dashboard_status_changed`](GrafanaDashboardProvider::dashboard_status_changed)
/// takes.
pub type GrafanaDashboardEvent = CustomEvent<DashboardStatus>;

/// Grafana's `event` value, as it writes it.
#[derive(Deserialize)]
struct GrafanaReport {
    #[serde(default = "default_true")]
    valid: bool,
    #[serde(default)]
    errors: Vec<DashboardIssue>,
}

fn default_true() -> bool {
    true
}

/// The provider's stored state: the dashboards added with
/// [`GrafanaDashboardProvider::add_dashboard`], by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProviderState {
    /// The added dashboards (ids starting with [`PROGRAMMATIC_PREFIX`]).
    pub dashboard_templates: BTreeMap<String, DashboardTemplate>,
}

type UuidSource = Rc<dyn Fn() -> String>;

/// Sends Grafana dashboards over the relations of one `grafana_dashboard`
/// endpoint (upstream's `GrafanaDashboardProvider`). See the [crate]
/// documentation.
#[derive(Clone)]
pub struct GrafanaDashboardProvider {
    model: Model,
    relation_name: String,
    dashboards_path: PathBuf,
    inject_dropdowns: bool,
    stored: StoredState<ProviderState>,
    uuid_source: UuidSource,
    /// Grafana reported on the dashboards it received (from the `event`
    /// key of its application databag, seen by the leader).
    pub dashboard_status_changed: EventSource<DashboardStatus>,
}

impl fmt::Debug for GrafanaDashboardProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrafanaDashboardProvider")
            .field("relation_name", &self.relation_name)
            .field("dashboards_path", &self.dashboards_path)
            .field("inject_dropdowns", &self.inject_dropdowns)
            .finish_non_exhaustive()
    }
}

impl GrafanaDashboardProvider {
    /// A provider on `relation_name` reading dashboards from
    /// [`DEFAULT_DASHBOARDS_PATH`]; registers its observers, stored state
    /// and event in `scope` (from `framework.object(key, access)`).
    pub fn new<C: Charm>(scope: &mut ObjectScope<'_, C, Self>, relation_name: &str) -> Self {
        scope.observe_as(
            "_update_all_dashboards_from_dir",
            on::leader_elected(),
            |p: &mut Self, _: &mut LeaderElectedEvent| p.on_reload_event(),
        );
        scope.observe_as(
            "_update_all_dashboards_from_dir",
            on::upgrade_charm(),
            |p: &mut Self, _: &mut UpgradeCharmEvent| p.on_reload_event(),
        );
        scope.observe_as(
            "_update_all_dashboards_from_dir",
            on::config_changed(),
            |p: &mut Self, _: &mut ConfigChangedEvent| p.on_reload_event(),
        );
        scope.observe_as(
            "_on_grafana_dashboard_relation_created",
            on::relation_created(relation_name),
            |p: &mut Self, _: &mut RelationCreatedEvent| p.on_reload_event(),
        );
        scope.observe_as(
            "_on_grafana_dashboard_relation_changed",
            on::relation_changed(relation_name),
            Self::on_relation_changed,
        );
        GrafanaDashboardProvider {
            model: scope.model().clone(),
            relation_name: relation_name.to_owned(),
            dashboards_path: PathBuf::from(DEFAULT_DASHBOARDS_PATH),
            inject_dropdowns: true,
            stored: scope.stored_state("_stored"),
            uuid_source: Rc::new(random_uuid),
            dashboard_status_changed: scope.event_source("dashboard_status_changed"),
        }
    }

    /// Reads dashboard files from `path` instead (upstream's
    /// `dashboards_path`): relative to the charm directory, or absolute.
    pub fn with_dashboards_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.dashboards_path = path.into();
        self
    }

    /// Takes each write's `uuid` from `source` instead of [`random_uuid`]:
    /// for tests that compare whole databags (give a fixed value or a
    /// counter).
    pub fn with_uuid_source(mut self, source: impl Fn() -> String + 'static) -> Self {
        self.uuid_source = Rc::new(source);
        self
    }

    /// The endpoint.
    pub fn relation_name(&self) -> &str {
        &self.relation_name
    }

    /// The dashboards directory as given (relative to the charm directory
    /// unless absolute).
    pub fn dashboards_path(&self) -> &Path {
        &self.dashboards_path
    }

    /// The dashboards directory resolved against this dispatch's charm
    /// directory.
    pub fn dashboards_dir(&self) -> PathBuf {
        self.model
            .juju_context()
            .charm_dir
            .join(&self.dashboards_path)
    }

    /// Adds a dashboard (JSON text) to those sent, and sends them all when
    /// this unit is the leader (upstream's `add_dashboard`). The dashboard
    /// is kept in stored state on every unit, so a unit that becomes leader
    /// later sends it too. Its id is `prog:` and eight characters of its
    /// encoded content, the same on every unit.
    pub fn add_dashboard(
        &mut self,
        content: &str,
        inject_dropdowns: bool,
    ) -> Result<(), GrafanaDashboardError> {
        let encoded = encode_content(content)?;
        let id = format!("{PROGRAMMATIC_PREFIX}{}", programmatic_id(&encoded));
        let template = DashboardTemplate::new(
            &self.model.meta().name,
            &id,
            encoded,
            &juju_topology(&self.model),
            inject_dropdowns,
        );
        self.stored
            .borrow_mut()
            .dashboard_templates
            .insert(id, template);
        self.update_dashboards()
    }

    /// Drops every dashboard added with [`add_dashboard`](Self::add_dashboard),
    /// and sends the rest when this unit is the leader (upstream's
    /// `remove_non_builtin_dashboards`).
    pub fn remove_non_builtin_dashboards(&mut self) -> Result<(), GrafanaDashboardError> {
        self.stored
            .borrow_mut()
            .dashboard_templates
            .retain(|id, _| !id.starts_with(PROGRAMMATIC_PREFIX));
        self.update_dashboards()
    }

    /// Sends the dashboards again on every relation when this unit is the
    /// leader (upstream's `update_dashboards`).
    pub fn update_dashboards(&self) -> Result<(), GrafanaDashboardError> {
        self.check_endpoint()?;
        if !self
            .model
            .unit()
            .is_leader()
            .map_err(|e| self.model_error(e))?
        {
            return Ok(());
        }
        let relations = self
            .model
            .relations(&self.relation_name)
            .map_err(|e| self.model_error(e))?;
        if relations.is_empty() {
            return Ok(());
        }
        let templates = self.dashboard_templates()?;
        for relation in relations {
            let data = serde_json::json!({
                "templates": templates,
                "uuid": (self.uuid_source)(),
            });
            relation
                .data(self.model.app())
                .set(DASHBOARDS_KEY, &serde_json::to_string(&data)?)
                .map_err(|e| self.model_error(e))?;
        }
        Ok(())
    }

    /// Reads the dashboards directory again and sends everything when this
    /// unit is the leader, with the topology dropdowns for file dashboards
    /// on or off (upstream's `reload_dashboards`).
    pub fn reload_dashboards(
        &mut self,
        inject_dropdowns: bool,
    ) -> Result<(), GrafanaDashboardError> {
        self.inject_dropdowns = inject_dropdowns;
        self.update_dashboards()
    }

    /// Every dashboard sent, by id: those read from the dashboards
    /// directory now, and those added. A missing directory is logged and
    /// gives no file dashboards.
    pub fn dashboard_templates(
        &self,
    ) -> Result<BTreeMap<String, DashboardTemplate>, GrafanaDashboardError> {
        let context = self.model.juju_context();
        let dir = context.charm_dir.join(&self.dashboards_path);
        let mut templates = if dir.is_dir() {
            let topology = juju_topology(&self.model);
            let options = LoadOptions {
                charm_name: &self.model.meta().name,
                charm_dir: &context.charm_dir,
                inject_dropdowns: self.inject_dropdowns,
                juju_topology: &topology,
            };
            load_dashboards_from_dir(&dir, &options)?
        } else {
            let reason = if dir.exists() {
                "is not a directory"
            } else {
                "directory does not exist"
            };
            tracing::warn!(
                "Invalid Grafana dashboards folder at {}: {reason}",
                dir.display()
            );
            BTreeMap::new()
        };
        for (id, template) in &self.stored.borrow().dashboard_templates {
            templates.insert(id.clone(), template.clone());
        }
        Ok(templates)
    }

    fn on_reload_event(&mut self) -> HandlerResult {
        self.reload_dashboards(true)?;
        Ok(())
    }

    fn on_relation_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        self.check_endpoint()?;
        if !self.model.unit().is_leader()? {
            return Ok(());
        }
        let Some(app) = event.app.clone() else {
            return Ok(());
        };
        let Some(raw) = event.relation.data(&app).get(EVENT_KEY)? else {
            return Ok(());
        };
        let report: GrafanaReport = match serde_json::from_str::<Value>(&raw) {
            Ok(Value::Object(map)) if map.is_empty() => return Ok(()),
            Ok(value) => match serde_json::from_value(value) {
                Ok(report) => report,
                Err(e) => {
                    tracing::warn!(
                        "Ignoring Grafana's report on relation {}: {e}",
                        event.relation.id()
                    );
                    return Ok(());
                }
            },
            Err(e) => {
                tracing::warn!(
                    "Ignoring Grafana's report on relation {}: not JSON: {e}",
                    event.relation.id()
                );
                return Ok(());
            }
        };
        let error_message = report
            .errors
            .iter()
            .filter(|issue| !issue.error.is_empty())
            .map(|issue| issue.error.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        self.dashboard_status_changed.emit(DashboardStatus {
            valid: report.valid,
            errors: report.errors,
            error_message,
        })?;
        Ok(())
    }

    /// Checks that the endpoint is declared as a `grafana_dashboard`
    /// provider (upstream's `_validate_relation_by_interface_and_direction`).
    fn check_endpoint(&self) -> Result<(), GrafanaDashboardError> {
        let meta = self.model.meta();
        let problem = |reason: String| GrafanaDashboardError::Endpoint {
            endpoint: self.relation_name.clone(),
            reason,
        };
        if let Some(relation) = meta.provides.get(&self.relation_name) {
            if !relation.interface.is_empty() && relation.interface != INTERFACE {
                return Err(problem(format!(
                    "its interface is {:?}, not {INTERFACE:?}",
                    relation.interface
                )));
            }
            return Ok(());
        }
        if meta.requires.contains_key(&self.relation_name) {
            return Err(problem("it is declared under `requires`".to_owned()));
        }
        if meta.peers.contains_key(&self.relation_name) {
            return Err(problem("it is declared under `peers`".to_owned()));
        }
        Err(problem(
            "the charm's metadata does not declare it".to_owned(),
        ))
    }

    fn model_error(&self, source: ModelError) -> GrafanaDashboardError {
        GrafanaDashboardError::Model {
            endpoint: self.relation_name.clone(),
            source,
        }
    }
}

/// Upstream's `encoded[-24:-16]`: eight characters near the end of the
/// encoded content (the end of an xz stream holds the checksums), or as
/// much of that range as a short value has.
fn programmatic_id(encoded: &str) -> &str {
    let len = encoded.len();
    let start = len.saturating_sub(24);
    let end = len.saturating_sub(16);
    // Base64 is ASCII, so every index is a character boundary.
    encoded.get(start..end).unwrap_or("")
}
