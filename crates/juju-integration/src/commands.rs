//! The `juju` commands an integration test needs, with their options.

use crate::error::Error;
use crate::juju::Juju;
use crate::status::Status;
use crate::task::Task;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

/// A configuration value for `deploy --config` and `juju config`: written
/// `key=value`, booleans as `true`/`false`.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    /// A string option.
    Str(String),
    /// An int option.
    Int(i64),
    /// A float option.
    Float(f64),
    /// A boolean option.
    Bool(bool),
}

impl fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigValue::Str(s) => f.write_str(s),
            ConfigValue::Int(n) => write!(f, "{n}"),
            ConfigValue::Float(x) => write!(f, "{x}"),
            ConfigValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl From<&str> for ConfigValue {
    fn from(value: &str) -> Self {
        ConfigValue::Str(value.to_owned())
    }
}

impl From<String> for ConfigValue {
    fn from(value: String) -> Self {
        ConfigValue::Str(value)
    }
}

impl From<i64> for ConfigValue {
    fn from(value: i64) -> Self {
        ConfigValue::Int(value)
    }
}

impl From<i32> for ConfigValue {
    fn from(value: i32) -> Self {
        ConfigValue::Int(value.into())
    }
}

impl From<u16> for ConfigValue {
    fn from(value: u16) -> Self {
        ConfigValue::Int(value.into())
    }
}

impl From<f64> for ConfigValue {
    fn from(value: f64) -> Self {
        ConfigValue::Float(value)
    }
}

impl From<bool> for ConfigValue {
    fn from(value: bool) -> Self {
        ConfigValue::Bool(value)
    }
}

/// Options of [`Juju::deploy`]; `Deploy::default()` deploys one unit under
/// the charm's name.
#[derive(Debug, Clone, PartialEq)]
pub struct Deploy {
    /// The application name (default: the charm's).
    pub app: Option<String>,
    /// `--channel`, like `latest/edge`.
    pub channel: Option<String>,
    /// `--revision`.
    pub revision: Option<u32>,
    /// `--base`, like `ubuntu@24.04`.
    pub base: Option<String>,
    /// `--config k=v`, once per key.
    pub config: BTreeMap<String, ConfigValue>,
    /// `--constraints k=v`, once per key.
    pub constraints: BTreeMap<String, String>,
    /// `--resource name=value` (a file path or an OCI image), once per resource.
    pub resources: BTreeMap<String, String>,
    /// `--num-units` (sent only when not 1).
    pub num_units: u32,
    /// `--to`, placement directives.
    pub to: Vec<String>,
    /// `--trust`.
    pub trust: bool,
    /// `--force`.
    pub force: bool,
}

impl Default for Deploy {
    fn default() -> Self {
        Deploy {
            app: None,
            channel: None,
            revision: None,
            base: None,
            config: BTreeMap::new(),
            constraints: BTreeMap::new(),
            resources: BTreeMap::new(),
            num_units: 1,
            to: Vec::new(),
            trust: false,
            force: false,
        }
    }
}

/// Options of [`Juju::add_model`] and [`Juju::temp_model`](crate::Juju::temp_model).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddModel {
    /// The cloud (and region), like `localhost` or `microk8s`.
    pub cloud: Option<String>,
    /// `--controller`.
    pub controller: Option<String>,
    /// `--config k=v`, once per key.
    pub config: BTreeMap<String, ConfigValue>,
    /// `--credential`.
    pub credential: Option<String>,
}

/// Options of [`Juju::destroy_model`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestroyModel {
    /// `--destroy-storage`.
    pub destroy_storage: bool,
    /// `--force`.
    pub force: bool,
    /// `--no-wait`.
    pub no_wait: bool,
    /// `--timeout`.
    pub timeout: Option<Duration>,
}

/// Options of [`Juju::add_unit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddUnit {
    /// `--num-units` (sent only when not 1).
    pub num_units: u32,
    /// `--to`, placement directives.
    pub to: Vec<String>,
    /// `--attach-storage`.
    pub attach_storage: Vec<String>,
}

impl Default for AddUnit {
    fn default() -> Self {
        AddUnit {
            num_units: 1,
            to: Vec::new(),
            attach_storage: Vec::new(),
        }
    }
}

/// Options of [`Juju::remove_unit`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoveUnit {
    /// `--num-units`: on Kubernetes models, pass the application name and
    /// the number of units to remove (the highest-numbered go first).
    pub num_units: Option<u32>,
    /// `--destroy-storage`.
    pub destroy_storage: bool,
    /// `--force`.
    pub force: bool,
}

/// Where [`Juju::exec`] runs its command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecTarget {
    /// `--unit`: a unit (`app/0`, or `app/leader`), in its charm container
    /// on Kubernetes, inside a hook context.
    Unit(String),
    /// `--machine`: a machine id.
    Machine(String),
}

/// Options of [`Juju::ssh`] and [`Juju::scp`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ssh {
    /// `--container`: on Kubernetes, the container to enter (default: the
    /// charm container, `charm`).
    pub container: Option<String>,
    /// Sends `--no-host-key-checks` (for throwaway test machines).
    pub skip_host_key_checks: bool,
    /// The remote user, for `user@target` (ssh only).
    pub user: Option<String>,
    /// Options passed on to ssh or scp.
    pub options: Vec<String>,
}

fn push_config(args: &mut Vec<String>, flag: &str, values: &BTreeMap<String, impl fmt::Display>) {
    for (key, value) in values {
        args.push(flag.to_owned());
        args.push(format!("{key}={value}"));
    }
}

fn seconds(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}

fn check_unit(unit: &str) -> Result<(), Error> {
    match unit.split_once('/') {
        Some((app, number)) if !app.is_empty() && !number.is_empty() => Ok(()),
        _ => Err(Error::InvalidArgument {
            what: "unit name",
            reason: format!(
                "`{unit}` is not a unit name; write `app/0` (or `app/leader` for the leader)"
            ),
        }),
    }
}

impl Juju {
    /// `juju add-model --no-switch <name> [cloud] …`: creates a model
    /// (without switching the CLI to it) and returns a handle on it.
    pub fn add_model(&self, name: &str, options: &AddModel) -> Result<Juju, Error> {
        let mut args = vec![
            "add-model".to_owned(),
            "--no-switch".to_owned(),
            name.to_owned(),
        ];
        args.extend(options.cloud.clone());
        if let Some(controller) = &options.controller {
            args.extend(["--controller".to_owned(), controller.clone()]);
        }
        push_config(&mut args, "--config", &options.config);
        if let Some(credential) = &options.credential {
            args.extend(["--credential".to_owned(), credential.clone()]);
        }
        self.checked(args, false)?;
        let model = match &options.controller {
            Some(controller) => format!("{controller}:{name}"),
            None => name.to_owned(),
        };
        Ok(self.clone().with_model(model))
    }

    /// `juju destroy-model <model> --no-prompt …`.
    pub fn destroy_model(&self, model: &str, options: &DestroyModel) -> Result<(), Error> {
        let mut args = vec![
            "destroy-model".to_owned(),
            model.to_owned(),
            "--no-prompt".to_owned(),
        ];
        if options.destroy_storage {
            args.push("--destroy-storage".to_owned());
        }
        if options.force {
            args.push("--force".to_owned());
        }
        if options.no_wait {
            args.push("--no-wait".to_owned());
        }
        if let Some(timeout) = options.timeout {
            args.extend(["--timeout".to_owned(), seconds(timeout)]);
        }
        self.checked(args, false).map(drop)
    }

    /// `juju deploy <charm> …`: a Charmhub name, or a path as given (see
    /// [`deploy_local`](Self::deploy_local) for a `.charm` file).
    pub fn deploy(&self, charm: &str, options: &Deploy) -> Result<(), Error> {
        self.deploy_inner(charm.to_owned(), options)
    }

    /// `juju deploy <path> …` for a local `.charm` file: the path is made to
    /// start with `./` or `/` (or copied where the `juju` snap can read it).
    pub fn deploy_local(&self, charm: impl AsRef<Path>, options: &Deploy) -> Result<(), Error> {
        let (path, _copy) = self.local_path("the charm file", charm.as_ref())?;
        self.deploy_inner(path, options)
    }

    fn deploy_inner(&self, charm: String, options: &Deploy) -> Result<(), Error> {
        let mut args = vec!["deploy".to_owned(), charm];
        args.extend(options.app.clone());
        if let Some(base) = &options.base {
            args.extend(["--base".to_owned(), base.clone()]);
        }
        if let Some(channel) = &options.channel {
            args.extend(["--channel".to_owned(), channel.clone()]);
        }
        push_config(&mut args, "--config", &options.config);
        push_config(&mut args, "--constraints", &options.constraints);
        if options.force {
            args.push("--force".to_owned());
        }
        if options.num_units != 1 {
            args.extend(["--num-units".to_owned(), options.num_units.to_string()]);
        }
        push_config(&mut args, "--resource", &options.resources);
        if let Some(revision) = options.revision {
            args.extend(["--revision".to_owned(), revision.to_string()]);
        }
        if !options.to.is_empty() {
            args.extend(["--to".to_owned(), options.to.join(",")]);
        }
        if options.trust {
            args.push("--trust".to_owned());
        }
        self.checked(args, true).map(drop)
    }

    /// `juju integrate <a> <b>`; each side is `app` or `app:endpoint`.
    pub fn integrate(&self, a: &str, b: &str) -> Result<(), Error> {
        self.checked(vec!["integrate".into(), a.into(), b.into()], true)
            .map(drop)
    }

    /// `juju remove-relation <a> <b>`.
    pub fn remove_relation(&self, a: &str, b: &str) -> Result<(), Error> {
        self.checked(vec!["remove-relation".into(), a.into(), b.into()], true)
            .map(drop)
    }

    /// `juju config --format json <app>`: the application's options that
    /// have a value (set or default), by name.
    pub fn config(&self, app: &str) -> Result<BTreeMap<String, Value>, Error> {
        let output = self.output(
            vec![
                "config".into(),
                "--format".into(),
                "json".into(),
                app.into(),
            ],
            true,
        )?;
        if !output.success() {
            return Err(output.into_error());
        }
        let parsed: Value =
            serde_json::from_str(&output.stdout).map_err(|e| output.parse_error(e))?;
        let settings = parsed
            .get("settings")
            .and_then(Value::as_object)
            .ok_or_else(|| output.parse_error("no `settings` object"))?;
        Ok(settings
            .iter()
            .filter_map(|(key, setting)| Some((key.clone(), setting.get("value")?.clone())))
            .collect())
    }

    /// `juju config <app> k=v …`: sets options.
    pub fn set_config<K, V>(
        &self,
        app: &str,
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(), Error>
    where
        K: fmt::Display,
        V: Into<ConfigValue>,
    {
        let mut args = vec!["config".to_owned(), app.to_owned()];
        args.extend(
            values
                .into_iter()
                .map(|(key, value)| format!("{key}={}", value.into())),
        );
        self.checked(args, true).map(drop)
    }

    /// `juju config <app> --reset k1,k2`: back to the defaults.
    pub fn reset_config(&self, app: &str, keys: &[&str]) -> Result<(), Error> {
        let args = vec![
            "config".to_owned(),
            app.to_owned(),
            "--reset".to_owned(),
            keys.join(","),
        ];
        self.checked(args, true).map(drop)
    }

    /// `juju run --format json <unit> <action> [--params <file>]`: runs an
    /// action and waits for it (up to Juju's default of 60 s). `params` go
    /// through a file, so they keep their types. Fails with [`Error::Task`]
    /// unless the action completed with return code 0.
    pub fn run(
        &self,
        unit: &str,
        action: &str,
        params: Option<&Map<String, Value>>,
    ) -> Result<Task, Error> {
        self.run_with_wait(unit, action, params, None)
    }

    /// [`run`](Self::run) with `--wait`: how long Juju waits for the action.
    pub fn run_with_wait(
        &self,
        unit: &str,
        action: &str,
        params: Option<&Map<String, Value>>,
        wait: Option<Duration>,
    ) -> Result<Task, Error> {
        check_unit(unit)?;
        let mut args = vec![
            "run".to_owned(),
            "--format".to_owned(),
            "json".to_owned(),
            unit.to_owned(),
            action.to_owned(),
        ];
        if let Some(wait) = wait {
            args.extend(["--wait".to_owned(), seconds(wait)]);
        }
        // JSON is YAML: Juju reads the file as YAML and keeps the types.
        let file = match params {
            Some(params) => {
                let json = Value::Object(params.clone()).to_string();
                Some(self.temp_file("action parameters", ".yaml", json.as_bytes())?)
            }
            None => None,
        };
        if let Some(file) = &file {
            args.extend(["--params".to_owned(), file.path().display().to_string()]);
        }
        self.task(args)
    }

    /// `juju exec --format json (--unit U | --machine M) -- <command…>`: runs
    /// a command on the target (through a shell there) and waits for it.
    /// Fails with [`Error::Task`] when it exits non-zero.
    pub fn exec<S: AsRef<str>>(&self, target: &ExecTarget, command: &[S]) -> Result<Task, Error> {
        self.exec_with_wait(target, command, None)
    }

    /// [`exec`](Self::exec) with `--wait`: how long Juju waits (default 5 min).
    pub fn exec_with_wait<S: AsRef<str>>(
        &self,
        target: &ExecTarget,
        command: &[S],
        wait: Option<Duration>,
    ) -> Result<Task, Error> {
        if command.is_empty() {
            return Err(Error::InvalidArgument {
                what: "exec command",
                reason: "it is empty; pass the program and its arguments, like [\"ls\", \"-l\"]"
                    .to_owned(),
            });
        }
        let mut args = vec!["exec".to_owned(), "--format".to_owned(), "json".to_owned()];
        match target {
            ExecTarget::Unit(unit) => {
                check_unit(unit)?;
                args.extend(["--unit".to_owned(), unit.clone()]);
            }
            ExecTarget::Machine(machine) => {
                args.extend(["--machine".to_owned(), machine.clone()]);
            }
        }
        if let Some(wait) = wait {
            args.extend(["--wait".to_owned(), seconds(wait)]);
        }
        args.push("--".to_owned());
        args.extend(command.iter().map(|arg| arg.as_ref().to_owned()));
        self.task(args)
    }

    fn task(&self, args: Vec<String>) -> Result<Task, Error> {
        let output = self.output(args, true)?;
        // A failed action makes the CLI exit non-zero, but it still prints
        // the task: report the task, which says more.
        if output.stdout.trim().is_empty() {
            return Err(if output.success() {
                output.parse_error("no output: is the unit or action name right?")
            } else {
                output.into_error()
            });
        }
        let task = match Task::from_json(&output.stdout) {
            Ok(task) => task,
            Err(_) if !output.success() => return Err(output.into_error()),
            Err(reason) => return Err(output.parse_error(reason)),
        };
        if task.success() {
            Ok(task)
        } else {
            Err(Error::Task(Box::new(task)))
        }
    }

    /// `juju ssh [--container C] [user@]<target> [options…] <command…>`: runs a
    /// command on a unit or machine over ssh and returns its stdout. A
    /// non-zero remote exit is an [`Error::Cli`].
    pub fn ssh<S: AsRef<str>>(
        &self,
        target: &str,
        command: &[S],
        options: &Ssh,
    ) -> Result<String, Error> {
        let mut args = vec!["ssh".to_owned()];
        if let Some(container) = &options.container {
            args.extend(["--container".to_owned(), container.clone()]);
        }
        if options.skip_host_key_checks {
            args.push("--no-host-key-checks".to_owned());
        }
        args.push(match &options.user {
            Some(user) => format!("{user}@{target}"),
            None => target.to_owned(),
        });
        args.extend(options.options.iter().cloned());
        args.extend(command.iter().map(|arg| arg.as_ref().to_owned()));
        self.checked(args, true)
    }

    /// `juju scp [--container C] -- [options…] <source> <destination>`: copies
    /// a file; a remote path is written `unit:path` (or `machine:path`).
    pub fn scp(&self, source: &str, destination: &str, options: &Ssh) -> Result<(), Error> {
        let mut args = vec!["scp".to_owned()];
        if let Some(container) = &options.container {
            args.extend(["--container".to_owned(), container.clone()]);
        }
        if options.skip_host_key_checks {
            args.push("--no-host-key-checks".to_owned());
        }
        args.push("--".to_owned());
        args.extend(options.options.iter().cloned());
        // A local source must be readable by the snap.
        let mut _copy = None;
        let source = if source.contains(':') {
            source.to_owned()
        } else {
            let (path, copy) = self.local_path("the scp source", Path::new(source))?;
            _copy = copy;
            path
        };
        args.extend([source, destination.to_owned()]);
        self.checked(args, true).map(drop)
    }

    /// `juju add-unit <app> …`.
    pub fn add_unit(&self, app: &str, options: &AddUnit) -> Result<(), Error> {
        let mut args = vec!["add-unit".to_owned(), app.to_owned()];
        if !options.attach_storage.is_empty() {
            args.extend([
                "--attach-storage".to_owned(),
                options.attach_storage.join(","),
            ]);
        }
        if options.num_units != 1 {
            args.extend(["--num-units".to_owned(), options.num_units.to_string()]);
        }
        if !options.to.is_empty() {
            args.extend(["--to".to_owned(), options.to.join(",")]);
        }
        self.checked(args, true).map(drop)
    }

    /// `juju remove-unit --no-prompt <names…> …`. On machine models name the
    /// units; on Kubernetes models name the application and set
    /// [`RemoveUnit::num_units`]. Removal is asynchronous: wait for the unit
    /// to be gone from status.
    pub fn remove_unit(&self, names: &[&str], options: &RemoveUnit) -> Result<(), Error> {
        if names.is_empty() {
            return Err(Error::InvalidArgument {
                what: "remove-unit names",
                reason: "none given; pass unit names (`app/1`), or on Kubernetes the application \
                         name with `num_units`"
                    .to_owned(),
            });
        }
        let mut args = vec!["remove-unit".to_owned(), "--no-prompt".to_owned()];
        args.extend(names.iter().map(|name| (*name).to_owned()));
        if options.destroy_storage {
            args.push("--destroy-storage".to_owned());
        }
        if options.force {
            args.push("--force".to_owned());
        }
        if let Some(n) = options.num_units {
            args.extend(["--num-units".to_owned(), n.to_string()]);
        }
        self.checked(args, true).map(drop)
    }

    /// `juju status --format json`, typed. The whole model is always read
    /// (status filters are not reliable across Juju versions); use
    /// [`Status::get_units`] and friends to narrow it.
    pub fn status(&self) -> Result<Status, Error> {
        let output = self.output(
            vec!["status".into(), "--format".into(), "json".into()],
            true,
        )?;
        if !output.success() {
            return Err(output.into_error());
        }
        Status::from_json(&output.stdout).map_err(|error| output.parse_error(error))
    }

    /// `juju debug-log --limit <n>`: the last `n` lines of the model's log
    /// (all of them for 0), printed and returned without following.
    pub fn debug_log(&self, limit: usize) -> Result<String, Error> {
        self.checked(
            vec!["debug-log".into(), "--limit".into(), limit.to_string()],
            true,
        )
    }
}
