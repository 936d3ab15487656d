//! Status and logging: `status-get`, `status-set`, `application-version-set`
//! and `juju-log`.

use super::{JujuBackend, s};
use crate::backend::BackendResult;
use crate::error::ModelError;
use crate::types::{LogLevel, Status};

/// The longest `juju-log` argument: Linux's per-argument limit (131072 bytes)
/// less the terminating NUL. Longer messages are split at character boundaries.
pub(super) const MAX_LOG_LINE: usize = 131_071;

#[derive(serde::Deserialize)]
struct WireStatus {
    status: String,
    #[serde(default)]
    message: String,
}

#[derive(serde::Deserialize)]
struct WireAppStatus {
    #[serde(rename = "application-status")]
    application_status: WireStatus,
}

pub(super) fn status_get(juju: &JujuBackend, is_app: bool) -> BackendResult<Status> {
    let args = [
        s("--include-data"),
        s("--format=json"),
        format!("--application={is_app}"),
    ];
    let wire = if is_app {
        let app: WireAppStatus =
            juju.run_json("status-get", &args, "an object with `application-status`")?;
        app.application_status
    } else {
        juju.run_json("status-get", &args, "an object with `status` and `message`")?
    };
    Status::from_name(&wire.status, wire.message).ok_or_else(|| ModelError::BadOutput {
        tool: s("status-get"),
        reason: format!("unknown status {:?}", wire.status),
    })
}

pub(super) fn status_set(juju: &JujuBackend, status: &Status, is_app: bool) -> BackendResult<()> {
    let flag = if is_app {
        "--application=True"
    } else {
        "--application=False"
    };
    let args = [s(flag), s(status.name()), s("--"), s(status.message())];
    juju.run("status-set", &args, None).map(drop)
}

pub(super) fn application_version_set(juju: &JujuBackend, version: &str) -> BackendResult<()> {
    juju.run("application-version-set", &[s("--"), s(version)], None)
        .map(drop)
}

pub(super) fn juju_log(juju: &JujuBackend, level: LogLevel, message: &str) -> BackendResult<()> {
    let mut chunks: Vec<&str> = Vec::new();
    let mut rest = message;
    // Split on bytes at character boundaries: the kernel counts bytes.
    while rest.len() > MAX_LOG_LINE {
        let mut cut = MAX_LOG_LINE;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        chunks.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    chunks.push(rest);
    if chunks.len() > 1 {
        let notice = format!(
            "Splitting log message of {} bytes into {} chunks",
            message.len(),
            chunks.len()
        );
        juju.run(
            "juju-log",
            &[s("--log-level"), s(level.as_str()), s("--"), notice],
            None,
        )?;
    }
    for chunk in chunks {
        juju.run(
            "juju-log",
            &[s("--log-level"), s(level.as_str()), s("--"), s(chunk)],
            None,
        )?;
    }
    Ok(())
}
