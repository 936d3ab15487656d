//! Workload containers in the [`State`](crate::State): [`Container`] with
//! its Pebble layers, service statuses, check infos, notices, [`Exec`]
//! mocks and [`Mount`]s.

use super::ids::{next_change_id, next_notice_id};
use ops::pebble::{
    Check, CheckLevel, CheckStartup, CheckStatus, Layer, LogTarget, NoticeType, Override, Plan,
    Service, ServiceInfo, ServiceStartup, ServiceStatus,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

// `Container::get_filesystem(&ctx)` is in `context.rs`: the State knows no Context.

/// The time a [`Notice`] built without one occurred. ops.testing uses the
/// current time; a fixed one keeps output states and snapshots stable.
pub const DEFAULT_NOTICE_TIME: &str = "2024-01-01T00:00:00Z";

/// A workload container of the unit, and what its Pebble holds.
///
/// ```
/// use ops_testing::{Container, Exec, State};
/// use ops::pebble::{Layer, Service, ServiceStartup, ServiceStatus};
///
/// let web = Container::new("web")
///     .can_connect(true)
///     .layer("base", Layer::new().service("web", Service::new("/bin/web").startup(ServiceStartup::Enabled)))
///     .service_status("web", ServiceStatus::Active)
///     .exec(Exec::new(["web", "--version"]).stdout("1.0\n"));
/// assert_eq!(web.plan().services["web"].command, "/bin/web");
/// assert!(web.services()["web"].is_running());
/// let state = State { containers: vec![web], ..State::default() };
/// assert!(state.get_container("web").is_some());
/// ```
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Container {
    /// The container's name, as the metadata declares it.
    pub name: String,
    /// Whether its Pebble answers; when false, most Pebble calls fail with
    /// a connection error (as ops.testing: exec, the plan, checks and
    /// notices still answer).
    pub can_connect: bool,
    /// The layers by label, in the order Pebble added them.
    pub layers: Vec<(String, Layer)>,
    /// Service statuses by name; a service not listed is inactive.
    pub service_statuses: BTreeMap<String, ServiceStatus>,
    /// Host paths shown in the container's filesystem, by any key.
    pub mounts: BTreeMap<String, Mount>,
    /// What `exec` answers, matched by the longest command prefix.
    pub execs: Vec<Exec>,
    /// The notices Pebble holds.
    pub notices: Vec<Notice>,
    /// The checks' status.
    pub check_infos: Vec<CheckInfo>,
}

impl Default for Container {
    fn default() -> Self {
        Container::new("")
    }
}

impl Container {
    /// A container called `name` whose Pebble cannot be reached yet
    /// (ops.testing's default), with no layers.
    pub fn new(name: impl Into<String>) -> Self {
        Container {
            name: name.into(),
            can_connect: false,
            layers: Vec::new(),
            service_statuses: BTreeMap::new(),
            mounts: BTreeMap::new(),
            execs: Vec::new(),
            notices: Vec::new(),
            check_infos: Vec::new(),
        }
    }

    /// Sets whether its Pebble answers.
    pub fn can_connect(mut self, can_connect: bool) -> Self {
        self.can_connect = can_connect;
        self
    }

    /// Adds a layer (after those already there; a label already there is replaced).
    pub fn layer(mut self, label: impl Into<String>, layer: Layer) -> Self {
        let label = label.into();
        match self.layers.iter_mut().find(|(l, _)| *l == label) {
            Some((_, existing)) => *existing = layer,
            None => self.layers.push((label, layer)),
        }
        self
    }

    /// Sets a service's status.
    pub fn service_status(mut self, service: impl Into<String>, status: ServiceStatus) -> Self {
        self.service_statuses.insert(service.into(), status);
        self
    }

    /// Adds a mount under `key`.
    pub fn mount(mut self, key: impl Into<String>, mount: Mount) -> Self {
        self.mounts.insert(key.into(), mount);
        self
    }

    /// Adds an exec mock.
    pub fn exec(mut self, exec: Exec) -> Self {
        self.execs.push(exec);
        self
    }

    /// Adds a notice.
    pub fn notice(mut self, notice: Notice) -> Self {
        self.notices.push(notice);
        self
    }

    /// Adds a check info.
    pub fn check_info(mut self, info: CheckInfo) -> Self {
        self.check_infos.push(info);
        self
    }

    /// The layer with this label.
    pub fn get_layer(&self, label: &str) -> Option<&Layer> {
        self.layers.iter().find(|(l, _)| l == label).map(|(_, l)| l)
    }

    /// The plan: the layers combined in order. An item with
    /// `override: merge` merges into the one before it; any other replaces
    /// it. The layers are not changed, so asking twice gives the same plan.
    pub fn plan(&self) -> Plan {
        plan_of(self.layers.iter().map(|(_, layer)| layer))
    }

    /// Every service of the plan with its status (inactive unless
    /// `service_statuses` says otherwise), by name.
    pub fn services(&self) -> BTreeMap<String, ServiceInfo> {
        services_of(&self.plan(), &self.service_statuses)
    }

    /// The check info called `name`.
    pub fn get_check_info(&self, name: &str) -> Option<&CheckInfo> {
        self.check_infos.iter().find(|c| c.name == name)
    }

    /// The notice with this id.
    pub fn get_notice(&self, id: &str) -> Option<&Notice> {
        self.notices.iter().find(|n| n.id == id)
    }
}

/// The layers combined into a plan, as [`Container::plan`] describes.
fn plan_of<'a>(layers: impl IntoIterator<Item = &'a Layer> + Clone) -> Plan {
    let mut plan = Plan::default();
    plan.services = combine(
        layers.clone(),
        |l| &l.services,
        Service::merge,
        |s| s.r#override == Some(Override::Merge),
        |s| &mut s.r#override,
    );
    plan.checks = combine(
        layers.clone(),
        |l| &l.checks,
        Check::merge,
        |c| c.r#override == Some(Override::Merge),
        |c| &mut c.r#override,
    );
    plan.log_targets = combine(
        layers,
        |l| &l.log_targets,
        LogTarget::merge,
        |t| t.r#override == Some(Override::Merge),
        |t| &mut t.r#override,
    );
    plan
}

/// One kind of plan item (services, checks or log targets) of the layers
/// combined: an item with `override: merge` merges into the one before it;
/// any other replaces it.
fn combine<'a, T: Clone + 'a>(
    layers: impl IntoIterator<Item = &'a Layer>,
    items: impl Fn(&'a Layer) -> &'a BTreeMap<String, T>,
    merge: impl Fn(&mut T, &T),
    is_merge: impl Fn(&T) -> bool,
    override_of: impl Fn(&mut T) -> &mut Option<Override>,
) -> BTreeMap<String, T> {
    let mut out: BTreeMap<String, T> = BTreeMap::new();
    for layer in layers {
        for (name, item) in items(layer) {
            match out.get_mut(name) {
                Some(existing) if is_merge(item) => {
                    merge(existing, item);
                    *override_of(existing) = Some(Override::Merge);
                }
                _ => {
                    out.insert(name.clone(), item.clone());
                }
            }
        }
    }
    out
}

impl Container {
    /// The plan's checks alone, as [`Container::plan`] would give them
    /// (for the simulated Pebble, which needs no more of the plan).
    pub(crate) fn plan_checks(&self) -> BTreeMap<String, Check> {
        combine(
            self.layers.iter().map(|(_, layer)| layer),
            |l| &l.checks,
            Check::merge,
            |c| c.r#override == Some(Override::Merge),
            |c| &mut c.r#override,
        )
    }

    /// The plan's services alone, as [`Container::plan`] would give them.
    pub(crate) fn plan_services(&self) -> BTreeMap<String, Service> {
        combine(
            self.layers.iter().map(|(_, layer)| layer),
            |l| &l.services,
            Service::merge,
            |s| s.r#override == Some(Override::Merge),
            |s| &mut s.r#override,
        )
    }
}

pub(crate) fn services_of(
    plan: &Plan,
    statuses: &BTreeMap<String, ServiceStatus>,
) -> BTreeMap<String, ServiceInfo> {
    plan.services
        .iter()
        .map(|(name, service)| {
            let startup = service.startup.clone().unwrap_or(ServiceStartup::Disabled);
            let current = statuses
                .get(name)
                .cloned()
                .unwrap_or(ServiceStatus::Inactive);
            (
                name.clone(),
                ServiceInfo::new(name.clone(), startup, current),
            )
        })
        .collect()
}

/// What `exec` of a command starting with `command_prefix` gives back.
///
/// The mock with the longest prefix of the command wins; `Exec::new([] as
/// [&str; 0])` matches every command.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Exec {
    /// The command (or its first words) this mock answers.
    pub command_prefix: Vec<String>,
    /// The exit code.
    pub return_code: i64,
    /// What the command writes to stdout.
    pub stdout: String,
    /// What the command writes to stderr.
    pub stderr: String,
}

impl Exec {
    /// A mock for commands starting with `prefix`: exit code 0, no output.
    pub fn new<I, S>(prefix: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Exec {
            command_prefix: prefix.into_iter().map(Into::into).collect(),
            ..Exec::default()
        }
    }

    /// Sets the exit code.
    pub fn return_code(mut self, code: i64) -> Self {
        self.return_code = code;
        self
    }

    /// Sets the stdout.
    pub fn stdout(mut self, stdout: impl Into<String>) -> Self {
        self.stdout = stdout.into();
        self
    }

    /// Sets the stderr.
    pub fn stderr(mut self, stderr: impl Into<String>) -> Self {
        self.stderr = stderr.into();
        self
    }
}

/// A host path shown at `location` in the container's filesystem: writes
/// under it land in `source`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Mount {
    /// The absolute path inside the container.
    pub location: String,
    /// The host file or directory.
    pub source: PathBuf,
}

impl Mount {
    /// `source` shown at `location`.
    pub fn new(location: impl Into<String>, source: impl AsRef<Path>) -> Self {
        Mount {
            location: location.into(),
            source: source.as_ref().to_owned(),
        }
    }
}

/// A notice Pebble holds (for `pebble_custom_notice` and `get_notices`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Notice {
    /// The notice's key, such as `example.com/db-ready`.
    pub key: String,
    /// Its id (from a per-thread counter unless given).
    pub id: String,
    /// The user it belongs to; `None` for a public notice.
    pub user_id: Option<u32>,
    /// Its type.
    #[serde(rename = "type")]
    pub notice_type: NoticeType,
    /// First occurrence (RFC 3339).
    pub first_occurred: String,
    /// Latest occurrence (RFC 3339).
    pub last_occurred: String,
    /// Latest repeat (RFC 3339).
    pub last_repeated: String,
    /// How many times it occurred.
    pub occurrences: u64,
    /// The data of the latest occurrence.
    pub last_data: BTreeMap<String, String>,
    /// Minimum time between repeats (Go duration).
    pub repeat_after: Option<String>,
    /// How long it is kept after its last occurrence (Go duration).
    pub expire_after: Option<String>,
}

impl Default for Notice {
    fn default() -> Self {
        Notice::new("")
    }
}

impl Notice {
    /// A custom notice with this key that occurred once, with a fresh id.
    pub fn new(key: impl Into<String>) -> Self {
        Notice {
            key: key.into(),
            id: next_notice_id(),
            user_id: None,
            notice_type: NoticeType::Custom,
            first_occurred: DEFAULT_NOTICE_TIME.to_owned(),
            last_occurred: DEFAULT_NOTICE_TIME.to_owned(),
            last_repeated: DEFAULT_NOTICE_TIME.to_owned(),
            occurrences: 1,
            last_data: BTreeMap::new(),
            repeat_after: None,
            expire_after: None,
        }
    }

    /// Sets the id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Sets the data of the latest occurrence.
    pub fn last_data<K: Into<String>, V: Into<String>>(
        mut self,
        data: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.last_data = data
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// Sets the occurrence count.
    pub fn occurrences(mut self, occurrences: u64) -> Self {
        self.occurrences = occurrences;
        self
    }

    /// Sets the owning user.
    pub fn user_id(mut self, user_id: u32) -> Self {
        self.user_id = Some(user_id);
        self
    }

    /// Sets the type.
    pub fn notice_type(mut self, notice_type: NoticeType) -> Self {
        self.notice_type = notice_type;
        self
    }

    /// The notice as Pebble's API gives it.
    pub fn to_pebble(&self) -> ops::pebble::Notice {
        let mut notice =
            ops::pebble::Notice::new(self.id.clone(), self.notice_type.clone(), self.key.clone());
        notice.user_id = self.user_id;
        notice.first_occurred.clone_from(&self.first_occurred);
        notice.last_occurred.clone_from(&self.last_occurred);
        notice.last_repeated.clone_from(&self.last_repeated);
        notice.occurrences = self.occurrences;
        notice.last_data.clone_from(&self.last_data);
        notice.repeat_after.clone_from(&self.repeat_after);
        notice.expire_after.clone_from(&self.expire_after);
        notice
    }
}

/// A check's status (for the check events and `get_checks`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckInfo {
    /// The check's name, as the plan names it.
    pub name: String,
    /// Its level; `None` when the plan sets none (in JSON, `null` or `""`,
    /// Pebble's unset level).
    #[serde(deserialize_with = "level_or_unset")]
    pub level: Option<CheckLevel>,
    /// Its startup mode.
    pub startup: CheckStartup,
    /// Up, down or inactive.
    pub status: CheckStatus,
    /// Successful runs; `None` for a Pebble too old to count them.
    pub successes: Option<u64>,
    /// Consecutive failures.
    pub failures: u64,
    /// Failures needed to be down; `None` means Pebble's default, 3.
    pub threshold: Option<u32>,
    /// The change running the check; empty when it is not running.
    pub change_id: String,
}

impl Default for CheckInfo {
    fn default() -> Self {
        CheckInfo::new("")
    }
}

impl CheckInfo {
    /// A running (up) check with ops.testing's defaults: no level, startup
    /// enabled, no successes or failures yet, threshold 3, a fresh change id.
    pub fn new(name: impl Into<String>) -> Self {
        CheckInfo {
            name: name.into(),
            level: None,
            startup: CheckStartup::Enabled,
            status: CheckStatus::Up,
            successes: Some(0),
            failures: 0,
            threshold: Some(3),
            change_id: next_change_id(),
        }
    }

    /// Sets the status; an inactive check has no change.
    pub fn status(mut self, status: CheckStatus) -> Self {
        if status == CheckStatus::Inactive {
            self.change_id.clear();
        }
        self.status = status;
        self
    }

    /// Sets the level.
    pub fn level(mut self, level: CheckLevel) -> Self {
        self.level = Some(level);
        self
    }

    /// Sets the startup mode.
    pub fn startup(mut self, startup: CheckStartup) -> Self {
        self.startup = startup;
        self
    }

    /// Sets the successes (`None`: a Pebble that does not count them).
    pub fn successes(mut self, successes: Option<u64>) -> Self {
        self.successes = successes;
        self
    }

    /// Sets the consecutive failures.
    pub fn failures(mut self, failures: u64) -> Self {
        self.failures = failures;
        self
    }

    /// Sets the threshold (`None`: Pebble's default).
    pub fn threshold(mut self, threshold: Option<u32>) -> Self {
        self.threshold = threshold;
        self
    }

    /// Sets the change id (empty: not running).
    pub fn change_id(mut self, change_id: impl Into<String>) -> Self {
        self.change_id = change_id.into();
        self
    }

    /// The check info as Pebble's API gives it.
    pub fn to_pebble(&self) -> ops::pebble::CheckInfo {
        let mut info = ops::pebble::CheckInfo::new(self.name.clone(), self.status.clone());
        info.level = self.level.clone();
        info.startup = Some(self.startup.clone());
        info.successes = self.successes;
        info.failures = self.failures;
        info.threshold = u64::from(self.threshold.unwrap_or(3));
        info.change_id = (!self.change_id.is_empty()).then(|| self.change_id.clone());
        info
    }
}

/// A check level from JSON: `null` and `""` (Pebble's unset level) are
/// `None`; a name is that level; anything else is refused.
fn level_or_unset<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<CheckLevel>, D::Error> {
    let level = Option::<String>::deserialize(deserializer)?;
    Ok(match level.as_deref() {
        None | Some("") => None,
        Some(name) => Some(CheckLevel::from(name)),
    })
}
