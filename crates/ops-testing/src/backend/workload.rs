//! The harness's Pebble: one simulated daemon per container of the State,
//! answering the charm's Pebble calls from the container's layers, service
//! statuses, check infos, notices and exec mocks, with Pebble's (and
//! ops.testing's) rules and wording. Layers, service statuses and check
//! infos change in place and become the output State's; files live in the
//! Context's directory (see `workload_fs.rs`).

#[cfg(test)]
use super::workload_fs::new_fs_root;
use super::workload_fs::{Filesystems, FsRoot};
use crate::state::{CheckInfo, Container, Mount, ids::next_change_id, services_of};
use ops::PebbleError;
use ops::backend::{CheckOp, ExecArgs, ExecOutput, PebbleResult, ServiceOp};
use ops::pebble::{
    Check, CheckLevel, CheckStartup, CheckStatus, FileInfo, Layer, MakeDirOptions, Notice,
    NoticesOptions, NoticesUsers, Plan, PushOptions, ServiceInfo, ServiceStartup, ServiceStatus,
    SystemInfo,
};
use std::collections::BTreeMap;

/// The Pebble version the simulated daemons report.
const SIMULATED_VERSION: &str = "1.32.1";

/// Signals `send_signal` accepts (as Go's `unix.SignalNum` names them).
const SIGNALS: [&str; 22] = [
    "SIGABRT", "SIGALRM", "SIGBUS", "SIGCHLD", "SIGCONT", "SIGFPE", "SIGHUP", "SIGILL", "SIGINT",
    "SIGIO", "SIGKILL", "SIGPIPE", "SIGPROF", "SIGPWR", "SIGQUIT", "SIGSEGV", "SIGSTOP", "SIGTERM",
    "SIGTRAP", "SIGUSR1", "SIGUSR2", "SIGWINCH",
];

/// Every container's simulated Pebble for one run.
pub(crate) struct Workloads {
    containers: Vec<Container>,
    pub(crate) fs: Filesystems,
    /// Every exec a mock answered, by container.
    pub(crate) exec_history: BTreeMap<String, Vec<ExecArgs>>,
}

fn api(container: &str, code: u16, message: impl Into<String>) -> PebbleError {
    let status = match code {
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Error",
    };
    PebbleError::Api {
        container: container.to_owned(),
        code,
        status: status.to_owned(),
        message: message.into(),
    }
}

fn default_threshold(threshold: Option<u32>) -> Option<u32> {
    Some(threshold.unwrap_or(3))
}

impl Workloads {
    pub(crate) fn new(containers: Vec<Container>, fs_root: FsRoot) -> Self {
        Workloads {
            containers,
            fs: Filesystems::new(fs_root),
            exec_history: BTreeMap::new(),
        }
    }

    /// The containers, as changed by the run.
    pub(crate) fn into_containers(self) -> Vec<Container> {
        self.containers
    }

    fn find(&mut self, name: &str) -> PebbleResult<&mut Container> {
        find_in(&mut self.containers, name)
    }

    /// The container, refusing when its Pebble cannot be reached.
    fn connected(&mut self, name: &str) -> PebbleResult<&mut Container> {
        connected_in(&mut self.containers, name)
    }

    /// The container's mounts and the filesystems, refusing when its
    /// Pebble cannot be reached.
    fn files(&mut self, name: &str) -> PebbleResult<(&BTreeMap<String, Mount>, &mut Filesystems)> {
        let Workloads { containers, fs, .. } = self;
        Ok((&connected_in(containers, name)?.mounts, fs))
    }

    pub(crate) fn system_info(&mut self, name: &str) -> PebbleResult<SystemInfo> {
        self.connected(name)?;
        Ok(SystemInfo::new(SIMULATED_VERSION))
    }

    pub(crate) fn add_layer(
        &mut self,
        name: &str,
        label: &str,
        layer: &Layer,
        combine: bool,
    ) -> PebbleResult<()> {
        let container = self.connected(name)?;
        match container.layers.iter_mut().find(|(l, _)| l == label) {
            Some(_) if !combine => {
                return Err(api(name, 400, format!("layer {label:?} already exists")));
            }
            Some((_, existing)) => existing
                .merge(layer)
                .map_err(|e| api(name, 500, e.to_string()))?,
            None => container.layers.push((label.to_owned(), layer.clone())),
        }
        let checks = container.plan_checks();
        for check in layer.checks.keys() {
            let Some(planned) = checks.get(check) else {
                continue;
            };
            let startup = planned.startup.clone().unwrap_or(CheckStartup::Enabled);
            let info = match container.check_infos.iter().position(|c| &c.name == check) {
                Some(index) => &mut container.check_infos[index],
                None => {
                    let status = if startup == CheckStartup::Disabled {
                        CheckStatus::Inactive
                    } else {
                        CheckStatus::Up
                    };
                    container.check_infos.push(
                        CheckInfo::new(check.clone())
                            .status(status)
                            .startup(startup.clone())
                            .threshold(default_threshold(planned.threshold))
                            .change_id(""),
                    );
                    let last = container.check_infos.len() - 1;
                    &mut container.check_infos[last]
                }
            };
            if info.startup != CheckStartup::Disabled && info.change_id.is_empty() {
                start_check(info);
            }
        }
        refresh_checks(container, &checks);
        Ok(())
    }

    pub(crate) fn plan(&mut self, name: &str) -> PebbleResult<Plan> {
        Ok(self.find(name)?.plan())
    }

    pub(crate) fn services(
        &mut self,
        name: &str,
        names: &[String],
    ) -> PebbleResult<Vec<ServiceInfo>> {
        let container = self.connected(name)?;
        let services = services_of(&container.plan(), &container.service_statuses);
        Ok(services
            .into_values()
            .filter(|s| names.is_empty() || names.contains(&s.name))
            .collect())
    }

    pub(crate) fn services_op(
        &mut self,
        name: &str,
        op: ServiceOp,
        names: &[String],
    ) -> PebbleResult<()> {
        let container = self.connected(name)?;
        let services = container.plan_services();
        if op.takes_names() {
            if names.is_empty() {
                return Err(api(
                    name,
                    400,
                    format!("must specify services for {} action", op.as_str()),
                ));
            }
            if let Some(unknown) = names.iter().find(|n| !services.contains_key(*n)) {
                return Err(api(
                    name,
                    400,
                    format!(
                        "cannot {} services: service {unknown:?} does not exist",
                        op.as_str()
                    ),
                ));
            }
            let status = if op == ServiceOp::Stop {
                ServiceStatus::Inactive
            } else {
                ServiceStatus::Active
            };
            for service in names {
                container
                    .service_statuses
                    .insert(service.clone(), status.clone());
            }
            return Ok(());
        }
        if op == ServiceOp::Replan {
            for (check, planned) in &container.plan_checks() {
                if planned.startup == Some(CheckStartup::Disabled) {
                    continue;
                }
                let index = match container.check_infos.iter().position(|c| &c.name == check) {
                    Some(index) => index,
                    None => {
                        let mut info = CheckInfo::new(check.clone())
                            .threshold(default_threshold(planned.threshold))
                            .change_id("");
                        info.level = planned.level.clone();
                        container.check_infos.push(info);
                        container.check_infos.len() - 1
                    }
                };
                let info = &mut container.check_infos[index];
                if info.change_id.is_empty() {
                    start_check(info);
                }
            }
        }
        for (service, spec) in &services {
            if spec.startup == Some(ServiceStartup::Enabled) {
                container
                    .service_statuses
                    .insert(service.clone(), ServiceStatus::Active);
            }
        }
        Ok(())
    }

    pub(crate) fn checks(
        &mut self,
        name: &str,
        level: Option<&CheckLevel>,
        names: &[String],
    ) -> PebbleResult<Vec<ops::pebble::CheckInfo>> {
        let container = self.find(name)?;
        Ok(container
            .check_infos
            .iter()
            .filter(|c| names.is_empty() || names.contains(&c.name))
            .filter(|c| level.is_none() || c.level.as_ref() == level)
            .map(CheckInfo::to_pebble)
            .collect())
    }

    pub(crate) fn checks_op(
        &mut self,
        name: &str,
        op: CheckOp,
        names: &[String],
    ) -> PebbleResult<Vec<String>> {
        let container = self.connected(name)?;
        if let Some(unknown) = names
            .iter()
            .find(|n| !container.check_infos.iter().any(|c| &c.name == *n))
        {
            return Err(api(name, 404, format!("cannot find check {unknown:?}")));
        }
        let mut changed = Vec::new();
        for info in container
            .check_infos
            .iter_mut()
            .filter(|c| names.contains(&c.name))
        {
            match op {
                CheckOp::Start if info.change_id.is_empty() => {
                    start_check(info);
                    changed.push(info.name.clone());
                }
                CheckOp::Stop if !info.change_id.is_empty() => {
                    info.status = CheckStatus::Inactive;
                    info.change_id.clear();
                    changed.push(info.name.clone());
                }
                _ => {}
            }
        }
        Ok(changed)
    }

    pub(crate) fn notices(
        &mut self,
        name: &str,
        options: &NoticesOptions,
    ) -> PebbleResult<Vec<Notice>> {
        let container = self.find(name)?;
        let mut notices: Vec<&crate::Notice> = container
            .notices
            .iter()
            .filter(|n| options.types.is_empty() || options.types.contains(&n.notice_type))
            .filter(|n| options.keys.is_empty() || options.keys.contains(&n.key))
            .filter(|n| match options.users {
                NoticesUsers::Mine => matches!(n.user_id, None | Some(0)),
                NoticesUsers::User(user) => n.user_id.is_none() || n.user_id == Some(user),
                _ => true,
            })
            .filter(|n| {
                options
                    .after
                    .as_ref()
                    .is_none_or(|after| n.last_repeated.as_str() > after.as_str())
            })
            .collect();
        notices.sort_by(|a, b| a.last_repeated.cmp(&b.last_repeated));
        Ok(notices.into_iter().map(crate::Notice::to_pebble).collect())
    }

    pub(crate) fn notice(&mut self, name: &str, id: &str) -> PebbleResult<Notice> {
        let container = self.find(name)?;
        container
            .get_notice(id)
            .map(crate::Notice::to_pebble)
            .ok_or_else(|| api(name, 404, format!("cannot find notice with ID {id:?}")))
    }

    pub(crate) fn send_signal(
        &mut self,
        name: &str,
        signal: &str,
        services: &[String],
    ) -> PebbleResult<()> {
        let container = self.connected(name)?;
        if services.is_empty() {
            return Err(api(name, 400, "must specify services"));
        }
        if !SIGNALS.contains(&signal) {
            return Err(api(
                name,
                500,
                format!("cannot send signal: invalid signal name {signal:?}"),
            ));
        }
        for service in services {
            if container.service_statuses.get(service) != Some(&ServiceStatus::Active) {
                return Err(api(
                    name,
                    500,
                    format!("cannot send signal to {service:?}: service is not running"),
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn exec(&mut self, name: &str, args: &ExecArgs) -> PebbleResult<ExecOutput> {
        let container = self.find(name)?;
        let mock = container
            .execs
            .iter()
            .filter(|e| args.command.starts_with(&e.command_prefix))
            .max_by_key(|e| e.command_prefix.len());
        let Some(mock) = mock else {
            return Err(PebbleError::Exec {
                container: name.to_owned(),
                command: args.command.clone(),
                exit_code: 127,
                stdout: String::new(),
                stderr: format!(
                    "mock for cmd {:?} not found; add `Exec::new({:?})` (or a prefix of it) to the container's execs",
                    args.command, args.command
                ),
            });
        };
        let output = ExecOutput {
            exit_code: mock.return_code,
            stdout: mock.stdout.clone().into_bytes(),
            stderr: mock.stderr.clone().into_bytes(),
        };
        self.exec_history
            .entry(name.to_owned())
            .or_default()
            .push(args.clone());
        Ok(output)
    }

    pub(crate) fn push(
        &mut self,
        name: &str,
        path: &str,
        data: &[u8],
        options: &PushOptions,
    ) -> PebbleResult<()> {
        let (mounts, fs) = self.files(name)?;
        fs.push(name, mounts, path, data, options)
    }

    pub(crate) fn pull(&mut self, name: &str, path: &str) -> PebbleResult<Vec<u8>> {
        let (mounts, fs) = self.files(name)?;
        fs.pull(name, mounts, path)
    }

    pub(crate) fn list_files(
        &mut self,
        name: &str,
        path: &str,
        pattern: Option<&str>,
        itself: bool,
    ) -> PebbleResult<Vec<FileInfo>> {
        let (mounts, fs) = self.files(name)?;
        fs.list_files(name, mounts, path, pattern, itself)
    }

    pub(crate) fn make_dir(
        &mut self,
        name: &str,
        path: &str,
        options: &MakeDirOptions,
    ) -> PebbleResult<()> {
        let (mounts, fs) = self.files(name)?;
        fs.make_dir(name, mounts, path, options)
    }

    pub(crate) fn remove_path(
        &mut self,
        name: &str,
        path: &str,
        recursive: bool,
    ) -> PebbleResult<()> {
        let (mounts, fs) = self.files(name)?;
        fs.remove_path(name, mounts, path, recursive)
    }
}

/// The container called `name`.
fn find_in<'c>(containers: &'c mut [Container], name: &str) -> PebbleResult<&'c mut Container> {
    containers
        .iter_mut()
        .find(|c| c.name == name)
        .ok_or_else(|| PebbleError::Connection {
            container: name.to_owned(),
            message: format!(
                "the State has no container {name:?}; add `Container::new({name:?})` to State.containers"
            ),
        })
}

/// The container called `name`, refusing when its Pebble cannot be reached.
fn connected_in<'c>(
    containers: &'c mut [Container],
    name: &str,
) -> PebbleResult<&'c mut Container> {
    let container = find_in(containers, name)?;
    if !container.can_connect {
        return Err(PebbleError::Connection {
            container: name.to_owned(),
            message: "the container's `can_connect` is false in the State (set it to true to simulate a running Pebble)".to_owned(),
        });
    }
    Ok(container)
}

/// Starts a check: a new perform-check change, up, no failures.
fn start_check(info: &mut CheckInfo) {
    info.status = CheckStatus::Up;
    info.failures = 0;
    info.change_id = next_change_id();
}

/// Brings every known check's level, startup and threshold in line with the plan.
fn refresh_checks(container: &mut Container, checks: &BTreeMap<String, Check>) {
    for info in &mut container.check_infos {
        if let Some(planned) = checks.get(&info.name) {
            info.level = planned.level.clone();
            info.startup = planned.startup.clone().unwrap_or(CheckStartup::Enabled);
            info.threshold = default_threshold(planned.threshold);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Exec;

    fn workloads(container: Container) -> Workloads {
        Workloads::new(vec![container], new_fs_root())
    }

    #[test]
    fn an_unconnectable_container_refuses_all_but_exec_plan_checks_and_notices() {
        let mut w = workloads(Container::new("web").exec(Exec::new(["ls"]).stdout("a\n")));
        assert!(w.system_info("web").unwrap_err().is_connection());
        assert!(
            w.push("web", "/x", b"", &PushOptions::new())
                .unwrap_err()
                .is_connection()
        );
        assert!(
            w.add_layer("web", "l", &Layer::new(), false)
                .unwrap_err()
                .is_connection()
        );
        assert!(w.plan("web").is_ok());
        assert!(w.checks("web", None, &[]).is_ok());
        assert!(w.notices("web", &NoticesOptions::new()).is_ok());
        let out = w.exec("web", &ExecArgs::new(["ls", "-l"])).unwrap();
        assert_eq!(out.stdout, b"a\n");
        assert_eq!(w.exec_history["web"][0].command, ["ls", "-l"]);
    }

    #[test]
    fn an_unmatched_command_fails_with_127_and_is_not_recorded() {
        let mut w = workloads(Container::new("web").exec(Exec::new(["ls"])));
        match w.exec("web", &ExecArgs::new(["cat"])) {
            Err(PebbleError::Exec { exit_code, .. }) => assert_eq!(exit_code, 127),
            other => panic!("expected an exec error, got {other:?}"),
        }
        assert!(w.exec_history.is_empty());
    }

    #[test]
    fn the_longest_prefix_wins() {
        let mut w = workloads(
            Container::new("web")
                .exec(Exec::new(["git"]).stdout("short"))
                .exec(Exec::new(["git", "log"]).stdout("long")),
        );
        let out = w.exec("web", &ExecArgs::new(["git", "log", "-1"])).unwrap();
        assert_eq!(out.stdout, b"long");
    }

    #[test]
    fn layers_and_services_follow_pebble_rules() {
        let mut w = workloads(Container::new("web").can_connect(true));
        let layer = Layer::from_yaml("services: {srv: {override: replace, command: x}}").unwrap();
        w.add_layer("web", "base", &layer, false).unwrap();
        let err = w.add_layer("web", "base", &layer, false).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        let no_override = Layer::from_yaml("services: {srv: {command: y}}").unwrap();
        let err = w.add_layer("web", "base", &no_override, true).unwrap_err();
        assert!(err.to_string().contains("override"), "{err}");
        let err = w
            .services_op("web", ServiceOp::Start, &["nope".to_owned()])
            .unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        let err = w
            .send_signal("web", "SIGHUP", &["srv".to_owned()])
            .unwrap_err();
        assert!(err.to_string().contains("not running"), "{err}");
        w.services_op("web", ServiceOp::Start, &["srv".to_owned()])
            .unwrap();
        w.send_signal("web", "SIGHUP", &["srv".to_owned()]).unwrap();
        let err = w
            .send_signal("web", "SIGBOGUS", &["srv".to_owned()])
            .unwrap_err();
        assert!(err.to_string().contains("invalid signal"), "{err}");
        let services = w.services("web", &[]).unwrap();
        assert!(services[0].is_running());
    }

    #[test]
    fn files_follow_pebble_rules() {
        let mut w = workloads(Container::new("web").can_connect(true));
        let err = w.pull("web", "relative").unwrap_err();
        assert!(err.to_string().contains("absolute"), "{err}");
        let err = w
            .push("web", "/a/b.txt", b"x", &PushOptions::new())
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");
        w.push("web", "/a/b.txt", b"x", &PushOptions::new().make_dirs(true))
            .unwrap();
        assert_eq!(w.pull("web", "/a/b.txt").unwrap(), b"x");
        let listed = w.list_files("web", "/a", None, false).unwrap();
        assert_eq!(listed[0].path, "/a/b.txt");
        assert_eq!(listed[0].permissions, 0o644);
        let err = w.remove_path("web", "/a", false).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        w.remove_path("web", "/a", true).unwrap();
        assert!(
            w.list_files("web", "/a", None, true)
                .unwrap_err()
                .is_not_found()
        );
        // `..` never leaves the container's directory.
        w.push("web", "/../../escape.txt", b"y", &PushOptions::new())
            .unwrap();
        assert_eq!(w.pull("web", "/escape.txt").unwrap(), b"y");
    }
}
