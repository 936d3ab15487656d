//! [`Container`]: a workload container of this unit, driven through its
//! Pebble (Kubernetes sidecar charms).

use super::Shared;
use crate::backend::{CheckOp, ExecArgs, ExecOutput, PebbleResult, ServiceOp};
use crate::error::PebbleError;
use pebble::{
    CheckInfo, CheckLevel, FileInfo, FileType, Layer, MakeDirOptions, Notice, NoticesOptions, Plan,
    PushOptions, ServiceInfo,
};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

/// A workload container of this unit, declared under `containers` in the
/// charm's metadata, and the Pebble that runs its services.
///
/// Get one with [`Unit::get_container`](crate::Unit::get_container) (or from
/// a pebble event's `workload`). Every call goes to the container's Pebble,
/// which may not be up yet: check [`Container::can_connect`] first, or
/// handle [`PebbleError::Connection`].
///
/// ```no_run
/// # fn demo(model: &ops::Model) -> Result<(), Box<dyn std::error::Error>> {
/// use ops::pebble::{Layer, Service, ServiceStartup, Override};
/// let web = model.unit().get_container("web")?;
/// if web.can_connect() {
///     let layer = Layer::new().summary("web").service(
///         "web",
///         Service::new("/bin/web --port 8080")
///             .startup(ServiceStartup::Enabled)
///             .with_override(Override::Replace),
///     );
///     web.add_layer("web", &layer, true)?;
///     web.replan()?;
///     web.push("/etc/web.conf", "port = 8080\n")?;
///     let (stdout, _stderr) = web.exec(["web", "--version"]).wait_output()?;
///     # let _ = stdout;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Container {
    name: String,
    shared: Rc<Shared>,
}

impl fmt::Debug for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Container({})", self.name)
    }
}

impl PartialEq for Container {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Container {}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

impl Container {
    pub(crate) fn new(shared: &Rc<Shared>, name: String) -> Self {
        Container {
            name,
            shared: shared.clone(),
        }
    }

    /// The container's name, as the metadata declares it.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn invalid(&self, reason: impl Into<String>) -> PebbleError {
        PebbleError::InvalidArgument {
            container: self.name.clone(),
            reason: reason.into(),
        }
    }

    fn need_names(&self, what: &str, names: &[&str]) -> PebbleResult<Vec<String>> {
        if names.is_empty() {
            return Err(self.invalid(format!("{what} needs at least one service name")));
        }
        Ok(owned(names))
    }

    /// Whether the container's Pebble answers now (`GET /v1/system-info`).
    ///
    /// A `true` is no promise for later calls: the container may restart
    /// at any time, so still handle [`PebbleError::Connection`].
    pub fn can_connect(&self) -> bool {
        match self.shared.backend.pebble_system_info(&self.name) {
            Ok(_) => true,
            Err(error) => {
                tracing::debug!("Pebble in container {:?} is not ready: {error}", self.name);
                false
            }
        }
    }

    /// Adds the layer `label` to the container's Pebble. With `combine`,
    /// a layer of that label already there is combined with this one
    /// (items with `override: merge` merged, `replace` replaced); without
    /// it, an existing label is an error. Services do not (re)start until
    /// [`Container::replan`] or [`Container::start`].
    pub fn add_layer(&self, label: &str, layer: &Layer, combine: bool) -> PebbleResult<()> {
        self.shared
            .backend
            .pebble_add_layer(&self.name, label, layer, combine)
    }

    /// Adds the layer given as YAML (see [`Container::add_layer`]).
    pub fn add_layer_yaml(&self, label: &str, yaml: &str, combine: bool) -> PebbleResult<()> {
        let layer = Layer::from_yaml(yaml).map_err(|e| self.invalid(e.to_string()))?;
        self.add_layer(label, &layer, combine)
    }

    /// The plan: every layer combined.
    pub fn get_plan(&self) -> PebbleResult<Plan> {
        self.shared.backend.pebble_plan(&self.name)
    }

    /// The named services' status by name (every service when `names` is
    /// empty). Names the plan does not have are left out.
    pub fn get_services(&self, names: &[&str]) -> PebbleResult<BTreeMap<String, ServiceInfo>> {
        let services = self
            .shared
            .backend
            .pebble_services(&self.name, &owned(names))?;
        Ok(services.into_iter().map(|s| (s.name.clone(), s)).collect())
    }

    /// One service's status; `None` when the plan has no such service.
    pub fn get_service(&self, name: &str) -> PebbleResult<Option<ServiceInfo>> {
        Ok(self.get_services(&[name])?.remove(name))
    }

    /// Starts the services (and those they require), waiting until they run.
    pub fn start(&self, services: &[&str]) -> PebbleResult<()> {
        let names = self.need_names("start", services)?;
        self.shared
            .backend
            .pebble_services_op(&self.name, ServiceOp::Start, &names)
    }

    /// Stops the services (and those that require them).
    pub fn stop(&self, services: &[&str]) -> PebbleResult<()> {
        let names = self.need_names("stop", services)?;
        self.shared
            .backend
            .pebble_services_op(&self.name, ServiceOp::Stop, &names)
    }

    /// Restarts the services: stops those running, then starts them all.
    pub fn restart(&self, services: &[&str]) -> PebbleResult<()> {
        let names = self.need_names("restart", services)?;
        self.shared
            .backend
            .pebble_services_op(&self.name, ServiceOp::Restart, &names)
    }

    /// Brings the services in line with the plan: starts every
    /// `startup: enabled` service that is not running and restarts those
    /// whose configuration changed; starts the checks too.
    pub fn replan(&self) -> PebbleResult<()> {
        self.shared
            .backend
            .pebble_services_op(&self.name, ServiceOp::Replan, &[])
    }

    /// Starts every `startup: enabled` service.
    pub fn autostart(&self) -> PebbleResult<()> {
        self.shared
            .backend
            .pebble_services_op(&self.name, ServiceOp::Autostart, &[])
    }

    /// The checks' status by name: those named (all when `names` is
    /// empty), of `level` if given.
    pub fn get_checks(
        &self,
        level: Option<CheckLevel>,
        names: &[&str],
    ) -> PebbleResult<BTreeMap<String, CheckInfo>> {
        let checks =
            self.shared
                .backend
                .pebble_checks(&self.name, level.as_ref(), &owned(names))?;
        Ok(checks.into_iter().map(|c| (c.name.clone(), c)).collect())
    }

    /// One check's status; `None` when there is no such check.
    pub fn get_check(&self, name: &str) -> PebbleResult<Option<CheckInfo>> {
        Ok(self.get_checks(None, &[name])?.remove(name))
    }

    /// Starts the checks that are stopped; gives the names it started.
    pub fn start_checks(&self, checks: &[&str]) -> PebbleResult<Vec<String>> {
        if checks.is_empty() {
            return Err(self.invalid("start_checks needs at least one check name"));
        }
        self.shared
            .backend
            .pebble_checks_op(&self.name, CheckOp::Start, &owned(checks))
    }

    /// Stops the checks that run; gives the names it stopped.
    pub fn stop_checks(&self, checks: &[&str]) -> PebbleResult<Vec<String>> {
        if checks.is_empty() {
            return Err(self.invalid("stop_checks needs at least one check name"));
        }
        self.shared
            .backend
            .pebble_checks_op(&self.name, CheckOp::Stop, &owned(checks))
    }

    /// The notices that match the filters (`NoticesOptions::new()` for all
    /// of this user's and the public ones).
    pub fn get_notices(&self, options: &NoticesOptions) -> PebbleResult<Vec<Notice>> {
        self.shared.backend.pebble_notices(&self.name, options)
    }

    /// One notice by id.
    pub fn get_notice(&self, id: &str) -> PebbleResult<Notice> {
        self.shared.backend.pebble_notice(&self.name, id)
    }

    /// Writes a file (mode 0644, the parent directory must exist).
    pub fn push(&self, path: &str, data: impl AsRef<[u8]>) -> PebbleResult<()> {
        self.push_with(path, data, &PushOptions::new())
    }

    /// Writes a file with options: make the parent directories,
    /// permissions, owner and group.
    pub fn push_with(
        &self,
        path: &str,
        data: impl AsRef<[u8]>,
        options: &PushOptions,
    ) -> PebbleResult<()> {
        self.shared
            .backend
            .pebble_push(&self.name, path, data.as_ref(), options)
    }

    /// Reads a file.
    pub fn pull(&self, path: &str) -> PebbleResult<Vec<u8>> {
        self.shared.backend.pebble_pull(&self.name, path)
    }

    /// Reads a text file (UTF-8).
    pub fn pull_text(&self, path: &str) -> PebbleResult<String> {
        let bytes = self.pull(path)?;
        String::from_utf8(bytes).map_err(|_| PebbleError::Other {
            container: self.name.clone(),
            message: format!("{path:?} is not UTF-8 text; read it with `pull` as bytes"),
        })
    }

    /// The entries of a directory (or the file itself), whose names match
    /// the glob `pattern` if given.
    pub fn list_files(&self, path: &str, pattern: Option<&str>) -> PebbleResult<Vec<FileInfo>> {
        self.shared
            .backend
            .pebble_list_files(&self.name, path, pattern, false)
    }

    fn stat(&self, path: &str) -> PebbleResult<Option<FileInfo>> {
        match self
            .shared
            .backend
            .pebble_list_files(&self.name, path, None, true)
        {
            Ok(mut infos) => Ok(infos.pop()),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Whether a path exists in the container.
    pub fn exists(&self, path: &str) -> PebbleResult<bool> {
        Ok(self.stat(path)?.is_some())
    }

    /// Whether a path exists and is a directory.
    pub fn isdir(&self, path: &str) -> PebbleResult<bool> {
        Ok(self
            .stat(path)?
            .is_some_and(|info| info.file_type == FileType::Directory))
    }

    /// Makes a directory (mode 0755); with `make_parents`, its missing
    /// parents too, and an existing directory is not an error.
    pub fn make_dir(&self, path: &str, make_parents: bool) -> PebbleResult<()> {
        self.make_dir_with(path, &MakeDirOptions::new().make_dirs(make_parents))
    }

    /// Makes a directory with options (`make_dirs` makes the parents).
    pub fn make_dir_with(&self, path: &str, options: &MakeDirOptions) -> PebbleResult<()> {
        self.shared
            .backend
            .pebble_make_dir(&self.name, path, options)
    }

    /// Removes a file or an empty directory; with `recursive`, a directory
    /// and all it holds, and a missing path is not an error.
    pub fn remove_path(&self, path: &str, recursive: bool) -> PebbleResult<()> {
        self.shared
            .backend
            .pebble_remove_path(&self.name, path, recursive)
    }

    /// Sends a signal (such as `SIGHUP`) to running services.
    pub fn send_signal(&self, signal: &str, services: &[&str]) -> PebbleResult<()> {
        let names = self.need_names("send_signal", services)?;
        self.shared
            .backend
            .pebble_send_signal(&self.name, signal, &names)
    }

    /// A command to run in the container: set options on the returned
    /// [`ExecProcess`], then [`wait_output`](ExecProcess::wait_output) or
    /// [`wait`](ExecProcess::wait) runs it.
    pub fn exec<I, S>(&self, command: I) -> ExecProcess
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ExecProcess {
            container: self.clone(),
            args: ExecArgs::new(command),
        }
    }
}

/// A command for [`Container::exec`], with its options; it runs when
/// waited on, to completion (output is collected, not streamed).
#[derive(Debug, Clone)]
#[must_use = "the command runs only when `wait`, `wait_output` or `output` is called"]
pub struct ExecProcess {
    container: Container,
    args: ExecArgs,
}

impl ExecProcess {
    /// Sets an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.args.environment.insert(key.into(), value.into());
        self
    }

    /// Sets every environment variable in `environment`.
    pub fn environment<K: Into<String>, V: Into<String>>(
        mut self,
        environment: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.args.environment.extend(
            environment
                .into_iter()
                .map(|(key, value)| (key.into(), value.into())),
        );
        self
    }

    /// Runs in this service's context (environment, user, working dir).
    pub fn service_context(mut self, service: impl Into<String>) -> Self {
        self.args.service_context = Some(service.into());
        self
    }

    /// The working directory.
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.args.working_dir = Some(dir.into());
        self
    }

    /// Kills the command after `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.args.timeout = Some(timeout);
        self
    }

    /// Runs as this user id.
    pub fn user_id(mut self, uid: u32) -> Self {
        self.args.user_id = Some(uid);
        self
    }

    /// Runs as this user.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.args.user = Some(user.into());
        self
    }

    /// Runs with this group id.
    pub fn group_id(mut self, gid: u32) -> Self {
        self.args.group_id = Some(gid);
        self
    }

    /// Runs with this group.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.args.group = Some(group.into());
        self
    }

    /// What the command reads on stdin.
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.args.stdin = Some(input.into());
        self
    }

    /// Sends stderr into stdout.
    pub fn combine_stderr(mut self, combine: bool) -> Self {
        self.args.combine_stderr = combine;
        self
    }

    /// The command and options as they will be sent.
    pub fn args(&self) -> &ExecArgs {
        &self.args
    }

    /// Runs the command to completion: its exit code and output, whatever
    /// the code.
    pub fn output(self) -> PebbleResult<ExecOutput> {
        if self.args.command.is_empty() {
            return Err(self
                .container
                .invalid("exec needs a command: give at least the program"));
        }
        self.container
            .shared
            .backend
            .pebble_exec(&self.container.name, &self.args)
    }

    /// Runs the command; its stdout and stderr (lossy UTF-8), or
    /// [`PebbleError::Exec`] with them when it exits non-zero.
    pub fn wait_output(self) -> PebbleResult<(String, String)> {
        let container = self.container.name.clone();
        let command = self.args.command.clone();
        let output = self.output()?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if output.exit_code != 0 {
            return Err(PebbleError::Exec {
                container,
                command,
                exit_code: output.exit_code,
                stdout,
                stderr,
            });
        }
        Ok((stdout, stderr))
    }

    /// Runs the command, failing with [`PebbleError::Exec`] when it exits
    /// non-zero.
    pub fn wait(self) -> PebbleResult<()> {
        self.wait_output().map(drop)
    }
}
