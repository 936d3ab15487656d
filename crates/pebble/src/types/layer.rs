//! Layers, the plan, and their services, checks and log targets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::string_enum;

string_enum! {
    /// How a service, check or log target in a layer combines with the one of
    /// the same name in earlier layers (the `override` key, required in every
    /// layer).
    pub enum Override {
        /// Merge field by field: set scalars replace, lists append, maps merge
        /// key by key.
        Merge => "merge",
        /// Replace the earlier definition whole.
        Replace => "replace",
    }
}

string_enum! {
    /// Whether a service starts on `replan` / `autostart` (`startup`).
    pub enum ServiceStartup {
        /// Started by `replan` and `autostart`.
        Enabled => "enabled",
        /// Only started when named explicitly (Pebble's default).
        Disabled => "disabled",
    }
}

string_enum! {
    /// What Pebble does when a service exits or a check fails
    /// (`on-success`, `on-failure`, `on-check-failure`).
    pub enum ServiceAction {
        /// Restart the service (with backoff); the default.
        Restart => "restart",
        /// Shut Pebble down.
        Shutdown => "shutdown",
        /// Shut Pebble down with a failure exit code (`on-success` only).
        FailureShutdown => "failure-shutdown",
        /// Shut Pebble down with a success exit code (`on-failure` and
        /// `on-check-failure` only).
        SuccessShutdown => "success-shutdown",
        /// Do nothing.
        Ignore => "ignore",
    }
}

string_enum! {
    /// Where a log target forwards logs to (`type`).
    pub enum LogTargetType {
        /// Grafana Loki.
        Loki => "loki",
        /// An OpenTelemetry collector.
        OpenTelemetry => "opentelemetry",
        /// A syslog server.
        Syslog => "syslog",
    }
}

use super::check::{CheckLevel, CheckStartup};

/// One service in a layer or in the plan.
///
/// Every field is optional in a layer; `command` is required once layers are
/// combined. Durations (`backoff-delay`, `kill-delay`, …) are kept as Go
/// duration strings (`"500ms"`, `"1m30s"`) exactly as the layer spells them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Service {
    /// How this definition combines with earlier layers (required in a layer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#override: Option<Override>,
    /// One-line summary.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// Longer description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Whether `replan` / `autostart` start the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup: Option<ServiceStartup>,
    /// The command line, not run through a shell; default arguments may
    /// follow inside `[ … ]`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    /// Services this one starts after.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// Services this one starts before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    /// Services that must run for this one to run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// The workload (newer Pebble only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workload: String,
    /// Environment variables for the command.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// User ID to run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u32>,
    /// User name to run as.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Group ID to run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u32>,
    /// Group name to run as.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Working directory of the command.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    /// What to do when the service exits with status 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<ServiceAction>,
    /// What to do when the service exits with a non-zero status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<ServiceAction>,
    /// What to do when a named check fails.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub on_check_failure: BTreeMap<String, ServiceAction>,
    /// First restart delay (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_delay: Option<String>,
    /// Factor applied to the delay after each restart (a float ≥ 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_factor: Option<f64>,
    /// Upper bound of the restart delay (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_limit: Option<String>,
    /// How long to wait after SIGTERM before SIGKILL (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_delay: Option<String>,
}

impl Service {
    /// A service running `command`, with `override: replace`.
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            r#override: Some(Override::Replace),
            command: command.into(),
            ..Self::default()
        }
    }

    /// Sets `startup`.
    pub fn startup(mut self, startup: ServiceStartup) -> Self {
        self.startup = Some(startup);
        self
    }

    /// Sets `override`.
    pub fn with_override(mut self, o: Override) -> Self {
        self.r#override = Some(o);
        self
    }

    /// Adds one environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.environment.insert(key.into(), value.into());
        self
    }

    /// Merges `other` into `self` field by field, as Pebble does for
    /// `override: merge`: set scalars replace, lists append, maps merge by key.
    /// `self`'s own `override` is kept.
    pub fn merge(&mut self, other: &Service) {
        set_string(&mut self.summary, &other.summary);
        set_string(&mut self.description, &other.description);
        set_option(&mut self.startup, &other.startup);
        set_string(&mut self.command, &other.command);
        set_option(&mut self.kill_delay, &other.kill_delay);
        set_option(&mut self.user_id, &other.user_id);
        set_string(&mut self.user, &other.user);
        set_option(&mut self.group_id, &other.group_id);
        set_string(&mut self.group, &other.group);
        set_string(&mut self.working_dir, &other.working_dir);
        self.after.extend(other.after.iter().cloned());
        self.before.extend(other.before.iter().cloned());
        self.requires.extend(other.requires.iter().cloned());
        set_string(&mut self.workload, &other.workload);
        merge_map(&mut self.environment, &other.environment);
        set_option(&mut self.on_success, &other.on_success);
        set_option(&mut self.on_failure, &other.on_failure);
        merge_map(&mut self.on_check_failure, &other.on_check_failure);
        set_option(&mut self.backoff_delay, &other.backoff_delay);
        set_option(&mut self.backoff_factor, &other.backoff_factor);
        set_option(&mut self.backoff_limit, &other.backoff_limit);
    }
}

/// An HTTP check: healthy when a GET of `url` answers 2xx.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct HttpCheck {
    /// The URL to fetch.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Extra request headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

impl HttpCheck {
    /// A check of `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            headers: BTreeMap::new(),
        }
    }

    fn merge(&mut self, other: &HttpCheck) {
        set_string(&mut self.url, &other.url);
        merge_map(&mut self.headers, &other.headers);
    }
}

/// A TCP check: healthy when a connection to `host:port` opens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TcpCheck {
    /// The port to connect to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The host (Pebble's default is `localhost`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
}

impl TcpCheck {
    /// A check of `port` on localhost.
    pub fn new(port: u16) -> Self {
        Self {
            port: Some(port),
            host: String::new(),
        }
    }

    fn merge(&mut self, other: &TcpCheck) {
        set_option(&mut self.port, &other.port);
        set_string(&mut self.host, &other.host);
    }
}

/// An exec check: healthy when `command` exits 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct ExecCheck {
    /// The command line (not run through a shell).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    /// A service whose environment, user, group and working dir the command
    /// inherits.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_context: String,
    /// Environment variables for the command.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// User ID to run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u32>,
    /// User name to run as.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Group ID to run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u32>,
    /// Group name to run as.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Working directory of the command.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
}

impl ExecCheck {
    /// A check running `command`.
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            ..Self::default()
        }
    }

    fn merge(&mut self, other: &ExecCheck) {
        set_string(&mut self.command, &other.command);
        set_string(&mut self.service_context, &other.service_context);
        merge_map(&mut self.environment, &other.environment);
        set_option(&mut self.user_id, &other.user_id);
        set_string(&mut self.user, &other.user);
        set_option(&mut self.group_id, &other.group_id);
        set_string(&mut self.group, &other.group);
        set_string(&mut self.working_dir, &other.working_dir);
    }
}

/// One health check in a layer or in the plan. Exactly one of `http`, `tcp`
/// and `exec` is set once layers are combined.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Check {
    /// How this definition combines with earlier layers (required in a layer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#override: Option<Override>,
    /// `alive` or `ready`; feeds `/v1/health`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<CheckLevel>,
    /// Whether the check runs from the start (Pebble's default: enabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup: Option<CheckStartup>,
    /// Time between runs (Go duration, default `10s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// Time allowed for one run (Go duration, default `3s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Consecutive failures before the check is down (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u32>,
    /// HTTP check settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpCheck>,
    /// TCP check settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpCheck>,
    /// Exec check settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecCheck>,
}

impl Check {
    /// An exec check running `command`, with `override: replace`.
    pub fn exec(command: impl Into<String>) -> Self {
        Self {
            r#override: Some(Override::Replace),
            exec: Some(ExecCheck::new(command)),
            ..Self::default()
        }
    }

    /// An HTTP check of `url`, with `override: replace`.
    pub fn http(url: impl Into<String>) -> Self {
        Self {
            r#override: Some(Override::Replace),
            http: Some(HttpCheck::new(url)),
            ..Self::default()
        }
    }

    /// A TCP check of `port`, with `override: replace`.
    pub fn tcp(port: u16) -> Self {
        Self {
            r#override: Some(Override::Replace),
            tcp: Some(TcpCheck::new(port)),
            ..Self::default()
        }
    }

    /// Sets `period` (a Go duration string such as `"10s"`).
    pub fn period(mut self, period: impl Into<String>) -> Self {
        self.period = Some(period.into());
        self
    }

    /// Sets `timeout` (a Go duration string such as `"3s"`).
    pub fn timeout(mut self, timeout: impl Into<String>) -> Self {
        self.timeout = Some(timeout.into());
        self
    }

    /// Sets `threshold`.
    pub fn threshold(mut self, threshold: u32) -> Self {
        self.threshold = Some(threshold);
        self
    }

    /// Sets `level`.
    pub fn level(mut self, level: CheckLevel) -> Self {
        self.level = Some(level);
        self
    }

    /// Sets `override`.
    pub fn with_override(mut self, o: Override) -> Self {
        self.r#override = Some(o);
        self
    }

    /// Merges `other` into `self` as Pebble does for `override: merge`; a set
    /// `http`/`tcp`/`exec` section merges into the same section of `self`.
    pub fn merge(&mut self, other: &Check) {
        set_option(&mut self.level, &other.level);
        set_option(&mut self.startup, &other.startup);
        set_option(&mut self.period, &other.period);
        set_option(&mut self.timeout, &other.timeout);
        set_option(&mut self.threshold, &other.threshold);
        if let Some(h) = &other.http {
            self.http.get_or_insert_with(HttpCheck::default).merge(h);
        }
        if let Some(t) = &other.tcp {
            self.tcp.get_or_insert_with(TcpCheck::default).merge(t);
        }
        if let Some(e) = &other.exec {
            self.exec.get_or_insert_with(ExecCheck::default).merge(e);
        }
    }
}

/// One log-forwarding target in a layer or in the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct LogTarget {
    /// How this definition combines with earlier layers (required in a layer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#override: Option<Override>,
    /// The protocol.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub target_type: Option<LogTargetType>,
    /// The server's URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub location: String,
    /// Services whose logs are sent: names, `all`, `-name` or `-all`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Labels attached to every log line.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl LogTarget {
    /// Merges `other` into `self` as Pebble does for `override: merge`.
    pub fn merge(&mut self, other: &LogTarget) {
        set_option(&mut self.target_type, &other.target_type);
        set_string(&mut self.location, &other.location);
        self.services.extend(other.services.iter().cloned());
        merge_map(&mut self.labels, &other.labels);
    }
}

/// A layer: a partial configuration that Pebble combines with the layers
/// before it into the [`Plan`].
///
/// Serialises to and from the layer YAML (see [`Layer::from_yaml`] and
/// [`Layer::to_yaml`]); empty fields are left out.
///
/// ```
/// use pebble::{Layer, Service, ServiceStartup};
///
/// let mut base = Layer::from_yaml(
///     "services:\n  web:\n    override: replace\n    command: web --port 80\n    environment: {A: '1'}\n",
/// )
/// .unwrap();
/// let update = Layer::new().service(
///     "web",
///     Service::default()
///         .with_override(pebble::Override::Merge)
///         .startup(ServiceStartup::Enabled)
///         .env("B", "2"),
/// );
/// base.merge(&update).unwrap();
/// let web = &base.services["web"];
/// assert_eq!(web.command, "web --port 80");
/// assert_eq!(web.environment.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Layer {
    /// One-line summary.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// Longer description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Services by name.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::nullable::default_if_null"
    )]
    pub services: BTreeMap<String, Service>,
    /// Checks by name.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::nullable::default_if_null"
    )]
    pub checks: BTreeMap<String, Check>,
    /// Log targets by name.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::nullable::default_if_null"
    )]
    pub log_targets: BTreeMap<String, LogTarget>,
}

/// The combined configuration Pebble runs, as `GET /v1/plan` returns it.
/// It has the shape of a layer (summary and description are empty).
pub type Plan = Layer;

/// A layer that cannot be combined, or layer YAML that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// An item of the incoming layer has no `override` key.
    #[error(
        "layer must define \"override\" for {kind} {name:?}: set `override: merge` or `override: replace` on it"
    )]
    MissingOverride {
        /// `service`, `check` or `log target`.
        kind: &'static str,
        /// The item's name.
        name: String,
    },
    /// An item of the incoming layer has an `override` other than merge or
    /// replace.
    #[error(
        "layer has invalid \"override\" value {value:?} for {kind} {name:?}: use `merge` or `replace`"
    )]
    InvalidOverride {
        /// `service`, `check` or `log target`.
        kind: &'static str,
        /// The item's name.
        name: String,
        /// The value found.
        value: String,
    },
    /// The YAML does not describe a layer.
    #[error("invalid layer YAML: {0}; check the layer against Pebble's layer specification")]
    Yaml(#[from] serde_norway::Error),
}

impl Layer {
    /// An empty layer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses layer YAML.
    pub fn from_yaml(yaml: &str) -> Result<Self, LayerError> {
        if yaml.trim().is_empty() {
            return Ok(Self::default());
        }
        Ok(serde_norway::from_str(yaml)?)
    }

    /// Renders the layer as YAML, as sent to `POST /v1/layers`.
    pub fn to_yaml(&self) -> String {
        // Serialising these plain maps, strings and numbers cannot fail.
        serde_norway::to_string(self).unwrap_or_default()
    }

    /// Sets the summary.
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = summary.into();
        self
    }

    /// Adds (or replaces) service `name`.
    pub fn service(mut self, name: impl Into<String>, service: Service) -> Self {
        self.services.insert(name.into(), service);
        self
    }

    /// Adds (or replaces) check `name`.
    pub fn check(mut self, name: impl Into<String>, check: Check) -> Self {
        self.checks.insert(name.into(), check);
        self
    }

    /// Adds (or replaces) log target `name`.
    pub fn log_target(mut self, name: impl Into<String>, target: LogTarget) -> Self {
        self.log_targets.insert(name.into(), target);
        self
    }

    /// Combines `other` into `self` as Pebble combines a later layer into an
    /// earlier one (`add-layer` with `combine: true`, and plan building):
    ///
    /// * an item with `override: replace` replaces the item of that name;
    /// * an item with `override: merge` merges field by field into it (set
    ///   scalars replace, `after`/`before`/`requires`/`services` lists append,
    ///   maps merge by key), or is added as is when there is none;
    /// * the summary and description become `other`'s.
    ///
    /// Every item of `other` must carry a valid `override`; if one does not,
    /// `self` is left unchanged and the error names the item. Unlike the
    /// daemon's plan, defaults (backoff, check period…) are not filled in.
    pub fn merge(&mut self, other: &Layer) -> Result<(), LayerError> {
        validate(
            "service",
            other.services.iter().map(|(n, s)| (n, &s.r#override)),
        )?;
        validate(
            "check",
            other.checks.iter().map(|(n, c)| (n, &c.r#override)),
        )?;
        validate(
            "log target",
            other.log_targets.iter().map(|(n, t)| (n, &t.r#override)),
        )?;
        combine(
            &mut self.services,
            &other.services,
            |s| &s.r#override,
            Service::merge,
        );
        combine(
            &mut self.checks,
            &other.checks,
            |c| &c.r#override,
            Check::merge,
        );
        combine(
            &mut self.log_targets,
            &other.log_targets,
            |t| &t.r#override,
            LogTarget::merge,
        );
        self.summary = other.summary.clone();
        self.description = other.description.clone();
        Ok(())
    }
}

fn validate<'a>(
    kind: &'static str,
    items: impl Iterator<Item = (&'a String, &'a Option<Override>)>,
) -> Result<(), LayerError> {
    for (name, o) in items {
        match o {
            Some(Override::Merge | Override::Replace) => {}
            None => {
                return Err(LayerError::MissingOverride {
                    kind,
                    name: name.clone(),
                });
            }
            Some(Override::Unknown(v)) => {
                return Err(LayerError::InvalidOverride {
                    kind,
                    name: name.clone(),
                    value: v.clone(),
                });
            }
        }
    }
    Ok(())
}

fn combine<T: Clone>(
    into: &mut BTreeMap<String, T>,
    from: &BTreeMap<String, T>,
    override_of: impl Fn(&T) -> &Option<Override>,
    merge: impl Fn(&mut T, &T),
) {
    for (name, item) in from {
        match (override_of(item), into.get_mut(name)) {
            (Some(Override::Merge), Some(old)) => merge(old, item),
            _ => {
                into.insert(name.clone(), item.clone());
            }
        }
    }
}

fn set_string(into: &mut String, from: &str) {
    if !from.is_empty() {
        from.clone_into(into);
    }
}

fn set_option<T: Clone>(into: &mut Option<T>, from: &Option<T>) {
    if from.is_some() {
        into.clone_from(from);
    }
}

fn merge_map<V: Clone>(into: &mut BTreeMap<String, V>, from: &BTreeMap<String, V>) {
    for (k, v) in from {
        into.insert(k.clone(), v.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_round_trip_keeps_kebab_keys_and_drops_empty_fields() {
        let yaml = "summary: s\nservices:\n  web:\n    override: replace\n    command: /bin/web\n    startup: enabled\n    user-id: 1000\n    backoff-factor: 1.5\n    kill-delay: 2s\n    on-check-failure:\n      up: restart\nchecks:\n  up:\n    override: replace\n    level: ready\n    period: 1s\n    exec:\n      command: 'true'\n      service-context: web\nlog-targets:\n  loki:\n    override: merge\n    type: loki\n    location: http://l\n    services: [all]\n";
        let layer = Layer::from_yaml(yaml).unwrap();
        let web = &layer.services["web"];
        assert_eq!(web.user_id, Some(1000));
        assert_eq!(web.backoff_factor, Some(1.5));
        assert_eq!(web.kill_delay.as_deref(), Some("2s"));
        assert_eq!(web.on_check_failure["up"], ServiceAction::Restart);
        assert_eq!(layer.checks["up"].level, Some(CheckLevel::Ready));
        assert_eq!(
            layer.checks["up"].exec.as_ref().unwrap().service_context,
            "web"
        );
        assert_eq!(
            layer.log_targets["loki"].target_type,
            Some(LogTargetType::Loki)
        );
        let again = Layer::from_yaml(&layer.to_yaml()).unwrap();
        assert_eq!(again, layer);
        assert!(!layer.to_yaml().contains("description"));
        assert!(layer.to_yaml().contains("user-id: 1000"));
    }

    #[test]
    fn unknown_enum_values_are_kept() {
        let layer =
            Layer::from_yaml("services:\n  a:\n    override: weird\n    on-failure: explode\n")
                .unwrap();
        assert_eq!(
            layer.services["a"].r#override,
            Some(Override::Unknown("weird".into()))
        );
        assert!(layer.to_yaml().contains("on-failure: explode"));
    }

    #[test]
    fn merge_follows_pebble_rules() {
        let mut base = Layer::from_yaml(
            "services:\n  a:\n    override: replace\n    command: a\n    after: [x]\n    environment: {K1: v1, K2: v2}\n    user: alice\n  b:\n    override: replace\n    command: b\n    summary: bee\nchecks:\n  c:\n    override: replace\n    period: 5s\n    http: {url: 'http://a', headers: {H1: '1'}}\n",
        )
        .unwrap();
        let top = Layer::from_yaml(
            "summary: top\nservices:\n  a:\n    override: merge\n    after: [y]\n    environment: {K2: new, K3: v3}\n  b:\n    override: replace\n    command: b2\n  n:\n    override: merge\n    command: n\nchecks:\n  c:\n    override: merge\n    threshold: 1\n    http: {headers: {H2: '2'}}\n",
        )
        .unwrap();
        base.merge(&top).unwrap();
        let a = &base.services["a"];
        assert_eq!(a.command, "a");
        assert_eq!(a.user, "alice");
        assert_eq!(a.after, ["x", "y"]);
        assert_eq!(a.environment["K1"], "v1");
        assert_eq!(a.environment["K2"], "new");
        assert_eq!(a.environment["K3"], "v3");
        assert_eq!(a.r#override, Some(Override::Replace));
        let b = &base.services["b"];
        assert_eq!(b.command, "b2");
        assert_eq!(b.summary, "", "replace drops the old fields");
        assert_eq!(base.services["n"].command, "n");
        let c = &base.checks["c"];
        assert_eq!(c.period.as_deref(), Some("5s"));
        assert_eq!(c.threshold, Some(1));
        let http = c.http.as_ref().unwrap();
        assert_eq!(http.url, "http://a");
        assert_eq!(http.headers.len(), 2);
        assert_eq!(base.summary, "top");
    }

    #[test]
    fn merge_without_override_is_an_error_and_changes_nothing() {
        let mut base = Layer::new().service("a", Service::new("a"));
        let before = base.clone();
        let bad = Layer::new()
            .service("z", Service::new("z"))
            .check("c", Check::default());
        let err = base.merge(&bad).unwrap_err();
        assert!(
            matches!(err, LayerError::MissingOverride { kind: "check", ref name } if name == "c")
        );
        assert!(err.to_string().contains("override"));
        assert_eq!(base, before);
        let invalid = Layer::new().service(
            "a",
            Service::new("a").with_override(Override::Unknown("x".into())),
        );
        assert!(matches!(
            base.merge(&invalid),
            Err(LayerError::InvalidOverride { .. })
        ));
    }

    #[test]
    fn empty_and_null_sections_parse() {
        assert_eq!(Layer::from_yaml("").unwrap(), Layer::new());
        assert_eq!(Layer::from_yaml("services: null\n").unwrap(), Layer::new());
        assert!(matches!(
            Layer::from_yaml("services: [1]"),
            Err(LayerError::Yaml(_))
        ));
    }
}
