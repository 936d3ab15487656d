//! The Pebble calls of the production backend: one `juju-pebble` client per
//! call, on the container's socket (`/charm/containers/<name>/pebble.socket`
//! under Juju), with its errors mapped to [`PebbleError`].

use super::JujuBackend;
use crate::backend::{CheckOp, ExecArgs, ExecOutput, PebbleResult, ServiceOp};
use crate::error::PebbleError;
use pebble::{
    CheckInfo, CheckLevel, Client, FileInfo, Layer, MakeDirOptions, Notice, NoticesOptions, Plan,
    PushOptions, ServiceInfo, SystemInfo,
};
use std::path::PathBuf;

/// Where Juju puts the workload containers' Pebble sockets in the charm container.
pub const DEFAULT_PEBBLE_DIR: &str = "/charm/containers";

impl JujuBackend {
    /// The socket of `container`'s Pebble.
    pub fn pebble_socket(&self, container: &str) -> PathBuf {
        self.pebble_dir.join(container).join("pebble.socket")
    }

    fn client(&self, container: &str) -> Client {
        Client::new(self.pebble_socket(container))
    }
}

/// Maps a client error to the facade's error for `container`.
pub(crate) fn map_error(container: &str, error: pebble::Error) -> PebbleError {
    let container = container.to_owned();
    match error {
        pebble::Error::Connection(e) => PebbleError::Connection {
            container,
            message: e.to_string(),
        },
        pebble::Error::Api(e) => PebbleError::Api {
            container,
            code: e.status_code,
            status: e.status.clone(),
            message: e.message.clone(),
        },
        pebble::Error::Change(e) => PebbleError::Change {
            container,
            err: e.change.error_report(),
        },
        pebble::Error::Exec(e) => PebbleError::Exec {
            container,
            command: e.command.clone(),
            exit_code: e.exit_code,
            stdout: String::from_utf8_lossy(&e.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&e.stderr).into_owned(),
        },
        pebble::Error::Path(e) => PebbleError::Path {
            container,
            operation: e.operation.to_owned(),
            path: e.path.clone(),
            kind: e.kind.clone(),
            message: e.message.clone(),
        },
        pebble::Error::Timeout { .. } => PebbleError::Timeout {
            container,
            message: error.to_string(),
        },
        pebble::Error::InvalidArgument(reason) => {
            PebbleError::InvalidArgument { container, reason }
        }
        other => PebbleError::Other {
            container,
            message: other.to_string(),
        },
    }
}

fn on<T>(container: &str, result: pebble::Result<T>) -> PebbleResult<T> {
    result.map_err(|e| map_error(container, e))
}

pub(super) fn system_info(juju: &JujuBackend, container: &str) -> PebbleResult<SystemInfo> {
    on(container, juju.client(container).system_info())
}

pub(super) fn add_layer(
    juju: &JujuBackend,
    container: &str,
    label: &str,
    layer: &Layer,
    combine: bool,
) -> PebbleResult<()> {
    on(
        container,
        juju.client(container).add_layer(label, layer, combine),
    )
}

pub(super) fn plan(juju: &JujuBackend, container: &str) -> PebbleResult<Plan> {
    on(container, juju.client(container).plan())
}

pub(super) fn services(
    juju: &JujuBackend,
    container: &str,
    names: &[String],
) -> PebbleResult<Vec<ServiceInfo>> {
    on(container, juju.client(container).services(names))
}

pub(super) fn services_op(
    juju: &JujuBackend,
    container: &str,
    op: ServiceOp,
    names: &[String],
) -> PebbleResult<()> {
    let client = juju.client(container);
    let result = match op {
        ServiceOp::Start => client.start_services(names),
        ServiceOp::Stop => client.stop_services(names),
        ServiceOp::Restart => client.restart_services(names),
        ServiceOp::Replan => client.replan_services(),
        ServiceOp::Autostart => client.autostart_services(),
    };
    on(container, result).map(drop)
}

pub(super) fn checks(
    juju: &JujuBackend,
    container: &str,
    level: Option<&CheckLevel>,
    names: &[String],
) -> PebbleResult<Vec<CheckInfo>> {
    on(
        container,
        juju.client(container).checks(level.cloned(), names),
    )
}

pub(super) fn checks_op(
    juju: &JujuBackend,
    container: &str,
    op: CheckOp,
    names: &[String],
) -> PebbleResult<Vec<String>> {
    let client = juju.client(container);
    on(
        container,
        match op {
            CheckOp::Start => client.start_checks(names),
            CheckOp::Stop => client.stop_checks(names),
        },
    )
}

pub(super) fn notices(
    juju: &JujuBackend,
    container: &str,
    options: &NoticesOptions,
) -> PebbleResult<Vec<Notice>> {
    on(container, juju.client(container).notices(options))
}

pub(super) fn notice(juju: &JujuBackend, container: &str, id: &str) -> PebbleResult<Notice> {
    on(container, juju.client(container).notice(id))
}

pub(super) fn push(
    juju: &JujuBackend,
    container: &str,
    path: &str,
    data: &[u8],
    options: &PushOptions,
) -> PebbleResult<()> {
    on(
        container,
        juju.client(container).push_bytes(path, data, options),
    )
}

pub(super) fn pull(juju: &JujuBackend, container: &str, path: &str) -> PebbleResult<Vec<u8>> {
    on(container, juju.client(container).pull(path))
}

pub(super) fn list_files(
    juju: &JujuBackend,
    container: &str,
    path: &str,
    pattern: Option<&str>,
    itself: bool,
) -> PebbleResult<Vec<FileInfo>> {
    on(
        container,
        juju.client(container).list_files(path, pattern, itself),
    )
}

pub(super) fn make_dir(
    juju: &JujuBackend,
    container: &str,
    path: &str,
    options: &MakeDirOptions,
) -> PebbleResult<()> {
    on(container, juju.client(container).make_dir(path, options))
}

pub(super) fn remove_path(
    juju: &JujuBackend,
    container: &str,
    path: &str,
    recursive: bool,
) -> PebbleResult<()> {
    on(
        container,
        juju.client(container).remove_path(path, recursive),
    )
}

pub(super) fn send_signal(
    juju: &JujuBackend,
    container: &str,
    signal: &str,
    services: &[String],
) -> PebbleResult<()> {
    on(
        container,
        juju.client(container).send_signal(signal, services),
    )
}

pub(super) fn exec(
    juju: &JujuBackend,
    container: &str,
    args: &ExecArgs,
) -> PebbleResult<ExecOutput> {
    let mut options = pebble::ExecOptions::new(args.command.iter().cloned())
        .environment(args.environment.iter().map(|(k, v)| (k.clone(), v.clone())))
        .combine_stderr(args.combine_stderr);
    if let Some(service) = &args.service_context {
        options = options.service_context(service.clone());
    }
    if let Some(dir) = &args.working_dir {
        options = options.working_dir(dir.clone());
    }
    if let Some(timeout) = args.timeout {
        options = options.timeout(timeout);
    }
    if let Some(uid) = args.user_id {
        options = options.user_id(uid);
    }
    if let Some(user) = &args.user {
        options = options.user(user.clone());
    }
    if let Some(gid) = args.group_id {
        options = options.group_id(gid);
    }
    if let Some(group) = &args.group {
        options = options.group(group.clone());
    }
    if let Some(stdin) = &args.stdin {
        options = options.stdin(stdin.clone());
    }
    let process = on(container, juju.client(container).exec(options))?;
    match process.wait_output() {
        Ok(output) => Ok(ExecOutput {
            exit_code: 0,
            stdout: output.stdout,
            stderr: output.stderr,
        }),
        // A non-zero exit is an answer here, not a failure: the facade decides.
        Err(pebble::Error::Exec(e)) => Ok(ExecOutput {
            exit_code: e.exit_code,
            stdout: e.stdout,
            stderr: e.stderr,
        }),
        Err(e) => Err(map_error(container, e)),
    }
}
