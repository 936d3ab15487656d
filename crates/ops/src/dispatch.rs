//! `ops::main`: the entry point of a charm binary under Juju.
//!
//! This is the only module that reads the process environment. One dispatch:
//!
//! 1. skips the restricted legacy hooks (`collect-metrics`,
//!    `meter-status-changed`), where the state tools are not available;
//! 2. parses Juju's variables into a [`JujuContext`];
//! 3. loads metadata from the charm directory (`charmcraft.yaml`, or the
//!    `metadata.yaml`/`config.yaml`/`actions.yaml` that `charmcraft pack`
//!    generates);
//! 4. checks that the event is one Juju can send to a charm with this
//!    metadata, and that the variables the event needs are there;
//! 5. loads what earlier dispatches persisted (`state-get`);
//! 6. builds the charm, re-emits deferred events, emits the event and runs
//!    collect-status ([`framework::dispatch`]);
//! 7. persists stored state and the deferred queue (`state-set`), only when
//!    every handler succeeded and only if they changed.
//!
//! A failure anywhere, including a panic in the charm, commits nothing, is
//! logged through `juju-log` at ERROR and on stderr, and exits 1: Juju then
//! marks the hook failed (and retries it) and discards the hook's buffered
//! changes, or marks the action failed.
//!
//! # Persistence
//!
//! Everything the framework keeps between dispatches (stored state and the
//! deferred-event queue) is one JSON document in Juju's unit state, under
//! [`STATE_KEY`]. Juju keeps unit state on the controller, so it survives a
//! Kubernetes pod being rescheduled, unlike a file in the charm directory, and
//! Juju applies `state-set` only when the hook exits 0, in the same
//! transaction as the hook's other changes. Juju limits a value to 64 KiB and
//! a unit's whole state to `max-charm-state-size` (2 MiB by default).
//!
//! # Logging
//!
//! Charm log lines (`tracing`) go to `juju-log` at INFO and above. Debug
//! lines cost one process each, so they are sent only when `JUJU_DEBUG` is set
//! (a `juju debug-hooks` or `debug-code` session) or when
//! [`LOG_LEVEL_VAR`] asks for them.

use crate::backend::juju::JujuBackend;
use crate::backend::{Backend, LogLevel};
use crate::charm::Charm;
use crate::error::ModelError;
use crate::framework::{self, DispatchError, DispatchOptions, Framework, Persisted};
use crate::juju_context::{ContextError, JujuContext};
use crate::meta::{CharmMeta, MetadataError};
use crate::model::Model;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;

/// The unit-state key holding the framework's persisted data (JSON).
pub const STATE_KEY: &str = "juju-ops.framework";

/// The variable that sets the most verbose level of charm log lines sent to
/// `juju-log`: `TRACE`, `DEBUG`, `INFO` (the default), `WARNING`, `ERROR` or
/// `CRITICAL`. Juju passes no operator-defined variables to hooks, so set it
/// in the charm's `dispatch` file, or in a `juju debug-hooks` session.
pub const LOG_LEVEL_VAR: &str = "JUJU_OPS_LOG_LEVEL";

/// Hooks Juju runs in a restricted context, without the state tools; ops
/// emits nothing for them when its state lives in Juju, and neither do we.
const RESTRICTED_HOOKS: [&str; 2] = ["collect-metrics", "meter-status-changed"];

/// Hooks that concern the unit as a whole.
const UNIT_HOOKS: [&str; 16] = [
    "install",
    "start",
    "stop",
    "remove",
    "config-changed",
    "upgrade-charm",
    "update-status",
    "leader-elected",
    "leader-deposed",
    "leader-settings-changed",
    "pre-series-upgrade",
    "post-series-upgrade",
    "secret-changed",
    "secret-rotate",
    "secret-remove",
    "secret-expired",
];

const RELATION_KINDS: [&str; 5] = ["created", "joined", "changed", "departed", "broken"];
const STORAGE_KINDS: [&str; 2] = ["attached", "detaching"];
const WORKLOAD_KINDS: [&str; 4] = [
    "pebble-ready",
    "pebble-custom-notice",
    "pebble-check-failed",
    "pebble-check-recovered",
];

/// Why [`main`] could not dispatch an event. Each message names what is wrong
/// and how to fix it; nothing was persisted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MainError {
    /// Juju's environment is missing or malformed.
    #[error("cannot dispatch: {source}")]
    Environment {
        /// What is wrong with which variable.
        #[source]
        source: ContextError,
    },
    /// A variable this event needs is missing, or contradicts the event.
    #[error("cannot dispatch {event}: {reason}")]
    EventEnvironment {
        /// The dispatch path, for example `hooks/db-relation-changed`.
        event: String,
        /// Which variable and why.
        reason: String,
    },
    /// A variable of `juju-ops` itself (not Juju's) has a value it does not understand.
    #[error("{var}={value:?} is not understood: expected {expected}")]
    Setting {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What it may be.
        expected: &'static str,
    },
    /// The dispatch path names no event Juju sends to a charm with this metadata.
    #[error("cannot dispatch {dispatch_path}: {reason}")]
    UnknownEvent {
        /// `JUJU_DISPATCH_PATH`.
        dispatch_path: String,
        /// Why the event is unknown and what to check.
        reason: String,
    },
    /// The charm's metadata could not be loaded.
    #[error("cannot load the charm's metadata from {}: {source}", dir.display())]
    Metadata {
        /// The charm directory.
        dir: PathBuf,
        /// Which file, and what is wrong with it.
        #[source]
        source: MetadataError,
    },
    /// What earlier dispatches persisted could not be read.
    #[error(
        "cannot read the charm's persisted state (unit state key {STATE_KEY}): {reason}; \
         if it is corrupt, remove it with `juju exec --unit {unit} -- state-delete {STATE_KEY}`"
    )]
    LoadState {
        /// The unit.
        unit: String,
        /// What failed.
        reason: String,
    },
    /// A handler, the charm's constructor, or collect-status failed.
    #[error("{source}; nothing from this dispatch was saved")]
    Charm {
        /// The failure, naming the event and the handler.
        #[source]
        source: DispatchError,
    },
    /// The charm panicked.
    #[error(
        "the charm panicked while handling {event}: {message}; nothing from this dispatch was saved"
    )]
    Panic {
        /// The event being handled.
        event: String,
        /// The panic's message.
        message: String,
    },
    /// Stored state and the deferred queue could not be saved.
    #[error(
        "cannot save the charm's state (unit state key {STATE_KEY}, {bytes} bytes): {source}; \
         Juju allows 64 KiB per key, so keep large data out of stored state"
    )]
    SaveState {
        /// The size of the document that was refused.
        bytes: usize,
        /// What `state-set` reported.
        #[source]
        source: ModelError,
    },
}

/// Runs the charm for the event Juju is dispatching and returns the process
/// exit code: 0 on success, 1 when anything failed (Juju then marks the hook
/// failed and retries it). Call it from `main`:
///
/// ```no_run
/// # struct MyCharm;
/// # impl ops::Charm for MyCharm { fn new(_: &mut ops::Framework<Self>) -> Self { MyCharm } }
/// fn main() {
///     std::process::exit(ops::main::<MyCharm>());
/// }
/// ```
pub fn main<C: Charm>() -> i32 {
    main_with::<C>(C::new)
}

/// Like [`main`], building the charm with `build` instead of [`Charm::new`]
/// (to hand the charm something its constructor cannot find itself).
///
/// ```no_run
/// # struct MyCharm { port: u16 }
/// # impl ops::Charm for MyCharm { fn new(_: &mut ops::Framework<Self>) -> Self { MyCharm { port: 80 } } }
/// fn main() {
///     std::process::exit(ops::main_with(|_framework| MyCharm { port: 8080 }));
/// }
/// ```
pub fn main_with<C: Charm>(build: impl FnOnce(&mut Framework<C>) -> C) -> i32 {
    let env: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let backend: Arc<dyn Backend> = Arc::new(JujuBackend::new());
    match run_with::<C>(&env, backend.clone(), build) {
        Ok(()) => 0,
        Err(error) => {
            let message = error.to_string();
            // stderr reaches `juju debug-log`, and the caller of an action.
            eprintln!("{message}");
            let _ = backend.juju_log(LogLevel::Error, &message);
            1
        }
    }
}

/// One dispatch with an explicit environment and backend: what [`main`]
/// does, minus reading the process environment.
pub fn run<C: Charm>(
    env: &BTreeMap<String, String>,
    backend: Arc<dyn Backend>,
) -> Result<(), MainError> {
    run_with::<C>(env, backend, C::new)
}

/// [`run`] with the charm built by `build`.
pub fn run_with<C: Charm>(
    env: &BTreeMap<String, String>,
    backend: Arc<dyn Backend>,
    build: impl FnOnce(&mut Framework<C>) -> C,
) -> Result<(), MainError> {
    let raw_path = env.get("JUJU_DISPATCH_PATH").map_or("", String::as_str);
    if raw_path
        .strip_prefix("hooks/")
        .is_some_and(|hook| RESTRICTED_HOOKS.contains(&hook))
    {
        return Ok(());
    }
    let mut context =
        JujuContext::from_map(env).map_err(|source| MainError::Environment { source })?;
    let log_level = log_level(env)?;
    if context.charm_dir.as_os_str().is_empty() {
        // Juju runs hooks in the charm directory; older versions set only CHARM_DIR.
        context.charm_dir = env
            .get("CHARM_DIR")
            .filter(|dir| !dir.is_empty())
            .map_or_else(|| PathBuf::from("."), PathBuf::from);
    }
    let meta = CharmMeta::load(&context.charm_dir).map_err(|source| MainError::Metadata {
        dir: context.charm_dir.clone(),
        source,
    })?;
    check_event(&context, &meta)?;
    if log_level <= LogLevel::Debug {
        let _ = backend.juju_log(
            LogLevel::Debug,
            &format!("juju-ops {} up and running.", env!("CARGO_PKG_VERSION")),
        );
    }
    let persisted = load_persisted(backend.as_ref(), &context.unit_name)?;
    let event = context.event_name();
    let model = Model::new(backend.clone(), Arc::new(meta), context);
    let options = DispatchOptions { log_level };
    let result = catch_unwind(AssertUnwindSafe(|| {
        framework::dispatch::<C>(&model, persisted.clone(), &options, build)
    }));
    let outcome = match result {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(source)) => return Err(MainError::Charm { source }),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            return Err(MainError::Panic { event, message });
        }
    };
    if outcome.persisted != persisted {
        save_persisted(backend.as_ref(), &outcome.persisted)?;
    }
    Ok(())
}

/// The most verbose level sent to `juju-log`.
fn log_level(env: &BTreeMap<String, String>) -> Result<LogLevel, MainError> {
    let debug_session = env.contains_key("JUJU_DEBUG");
    let Some(value) = env.get(LOG_LEVEL_VAR).filter(|v| !v.is_empty()) else {
        return Ok(if debug_session {
            LogLevel::Debug
        } else {
            LogLevel::Info
        });
    };
    let level = match value.to_ascii_uppercase().as_str() {
        "TRACE" => LogLevel::Trace,
        "DEBUG" => LogLevel::Debug,
        "INFO" => LogLevel::Info,
        "WARNING" | "WARN" => LogLevel::Warning,
        "ERROR" => LogLevel::Error,
        "CRITICAL" => LogLevel::Critical,
        _ => {
            return Err(MainError::Setting {
                var: LOG_LEVEL_VAR,
                value: value.clone(),
                expected: "one of TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL",
            });
        }
    };
    // A debug session always gets debug lines.
    Ok(if debug_session {
        level.min(LogLevel::Debug)
    } else {
        level
    })
}

/// Checks that Juju can send this event to a charm with this metadata, and
/// that the variables needed to build it are set and agree with it.
fn check_event(context: &JujuContext, meta: &CharmMeta) -> Result<(), MainError> {
    let path = context.dispatch_path.as_str();
    let unknown = |reason: String| MainError::UnknownEvent {
        dispatch_path: path.to_owned(),
        reason,
    };
    let bad_env = |reason: String| MainError::EventEnvironment {
        event: path.to_owned(),
        reason,
    };
    let require = |var: &str, value: Option<&str>| -> Result<(), MainError> {
        match value {
            Some(v) if !v.is_empty() => Ok(()),
            _ => Err(bad_env(format!(
                "{var} is not set; Juju sets it for this event, so run the charm through Juju"
            ))),
        }
    };

    if let Some(action) = path.strip_prefix("actions/") {
        if !meta.actions.contains_key(action) {
            return Err(unknown(format!(
                "the charm declares no action {action:?}; declare it under `actions` in charmcraft.yaml"
            )));
        }
        require("JUJU_ACTION_UUID", context.action_uuid.as_deref())?;
        if let Some(name) = context.action_name.as_deref()
            && name != action
        {
            return Err(bad_env(format!(
                "JUJU_ACTION_NAME={name:?} does not match the action {action:?} in JUJU_DISPATCH_PATH"
            )));
        }
        return Ok(());
    }
    let hook = path.strip_prefix("hooks/").unwrap_or(path);
    if UNIT_HOOKS.contains(&hook) {
        if hook.starts_with("secret-") {
            require("JUJU_SECRET_ID", context.secret_id.as_deref())?;
            if matches!(hook, "secret-remove" | "secret-expired")
                && context.secret_revision.is_none()
            {
                return Err(bad_env(
                    "JUJU_SECRET_REVISION is not set; Juju sets it for this event, so run the charm through Juju"
                        .to_owned(),
                ));
            }
        }
        return Ok(());
    }
    for kind in RELATION_KINDS {
        let Some(endpoint) = hook.strip_suffix(&format!("-relation-{kind}")) else {
            continue;
        };
        if meta.endpoint(endpoint).is_none() {
            return Err(unknown(format!(
                "the charm declares no relation endpoint {endpoint:?}; declare it under \
                 `requires`, `provides` or `peers` in charmcraft.yaml"
            )));
        }
        require("JUJU_RELATION", context.relation_name.as_deref())?;
        if context.relation_id.is_none() {
            return Err(bad_env(
                "JUJU_RELATION_ID is not set; Juju sets it for this event, so run the charm through Juju"
                    .to_owned(),
            ));
        }
        let named = context.relation_name.as_deref().unwrap_or_default();
        if named != endpoint {
            return Err(bad_env(format!(
                "JUJU_RELATION={named:?} does not match the endpoint {endpoint:?} of the hook"
            )));
        }
        return Ok(());
    }
    for kind in STORAGE_KINDS {
        let Some(storage) = hook.strip_suffix(&format!("-storage-{kind}")) else {
            continue;
        };
        if !meta.storage.contains_key(storage) {
            return Err(unknown(format!(
                "the charm declares no storage {storage:?}; declare it under `storage` in charmcraft.yaml"
            )));
        }
        require("JUJU_STORAGE_ID", context.storage_id.as_deref())?;
        let id = context.storage_id.as_deref().unwrap_or_default();
        if id.split('/').next() != Some(storage) {
            return Err(bad_env(format!(
                "JUJU_STORAGE_ID={id:?} is not an instance of the storage {storage:?} of the hook"
            )));
        }
        return Ok(());
    }
    for kind in WORKLOAD_KINDS {
        let Some(container) = hook.strip_suffix(&format!("-{kind}")) else {
            continue;
        };
        if !meta.containers.contains_key(container) {
            return Err(unknown(format!(
                "the charm declares no container {container:?}; declare it under `containers` in charmcraft.yaml"
            )));
        }
        require("JUJU_WORKLOAD_NAME", context.workload_name.as_deref())?;
        let named = context.workload_name.as_deref().unwrap_or_default();
        if named != container {
            return Err(bad_env(format!(
                "JUJU_WORKLOAD_NAME={named:?} does not match the container {container:?} of the hook"
            )));
        }
        match kind {
            "pebble-custom-notice" => {
                require("JUJU_NOTICE_ID", context.notice_id.as_deref())?;
                require("JUJU_NOTICE_TYPE", context.notice_type.as_deref())?;
                require("JUJU_NOTICE_KEY", context.notice_key.as_deref())?;
            }
            "pebble-check-failed" | "pebble-check-recovered" => {
                require(
                    "JUJU_PEBBLE_CHECK_NAME",
                    context.pebble_check_name.as_deref(),
                )?;
            }
            _ => {}
        }
        return Ok(());
    }
    Err(unknown(format!(
        "{hook:?} is not a hook Juju runs; expected a unit hook (install, start, config-changed, …), \
         `<endpoint>-relation-<created|joined|changed|departed|broken>`, \
         `<storage>-storage-<attached|detaching>`, `<container>-pebble-<…>` or `actions/<action>`"
    )))
}

fn load_persisted(backend: &dyn Backend, unit: &str) -> Result<Persisted, MainError> {
    let failed = |reason: String| MainError::LoadState {
        unit: unit.to_owned(),
        reason,
    };
    match backend.state_get(STATE_KEY) {
        Ok(None) => Ok(Persisted::default()),
        Ok(Some(text)) => serde_json::from_str(&text).map_err(|e| {
            failed(format!(
                "it is not what this version of juju-ops saves: {e}"
            ))
        }),
        Err(e) => Err(failed(e.to_string())),
    }
}

fn save_persisted(backend: &dyn Backend, persisted: &Persisted) -> Result<(), MainError> {
    // Serialising plain JSON values cannot fail; an empty document would only
    // mean nothing is saved.
    let text = serde_json::to_string(persisted).unwrap_or_default();
    let bytes = text.len();
    let entries = [(STATE_KEY.to_owned(), text)].into_iter().collect();
    backend
        .state_set(&entries)
        .map_err(|source| MainError::SaveState { bytes, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(pairs: &[(&str, &str)]) -> JujuContext {
        let mut env: BTreeMap<String, String> =
            [("JUJU_UNIT_NAME", "app/0"), ("JUJU_VERSION", "3.6.14")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        env.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        JujuContext::from_map(&env).unwrap()
    }

    fn meta() -> CharmMeta {
        CharmMeta::from_yaml(
            "name: app\nrequires: {db: {interface: pg}}\npeers: {replicas: {interface: p}}\n\
             storage: {data: {type: filesystem}}\ncontainers: {web: {resource: img}}\n\
             actions: {show-leader: {}}\n",
        )
        .unwrap()
    }

    fn check(pairs: &[(&str, &str)]) -> Result<(), MainError> {
        check_event(&context(pairs), &meta())
    }

    #[test]
    fn events_juju_sends_are_accepted() {
        for pairs in [
            &[("JUJU_DISPATCH_PATH", "hooks/install")][..],
            &[("JUJU_DISPATCH_PATH", "hooks/leader-settings-changed")],
            &[("JUJU_DISPATCH_PATH", "hooks/leader-deposed")],
            &[
                ("JUJU_DISPATCH_PATH", "hooks/db-relation-changed"),
                ("JUJU_RELATION", "db"),
                ("JUJU_RELATION_ID", "db:3"),
            ],
            &[
                ("JUJU_DISPATCH_PATH", "hooks/secret-expired"),
                ("JUJU_SECRET_ID", "secret:x"),
                ("JUJU_SECRET_REVISION", "2"),
            ],
            &[
                ("JUJU_DISPATCH_PATH", "hooks/data-storage-attached"),
                ("JUJU_STORAGE_ID", "data/0"),
            ],
            &[
                ("JUJU_DISPATCH_PATH", "hooks/web-pebble-check-failed"),
                ("JUJU_WORKLOAD_NAME", "web"),
                ("JUJU_PEBBLE_CHECK_NAME", "up"),
            ],
            &[
                ("JUJU_DISPATCH_PATH", "actions/show-leader"),
                ("JUJU_ACTION_NAME", "show-leader"),
                ("JUJU_ACTION_UUID", "42"),
            ],
        ] {
            assert!(check(pairs).is_ok(), "{pairs:?}: {:?}", check(pairs));
        }
    }

    #[test]
    fn unknown_events_are_named_with_the_fix() {
        for (path, needle) in [
            ("hooks/frobnicate", "not a hook Juju runs"),
            (
                "hooks/cache-relation-changed",
                "no relation endpoint \"cache\"",
            ),
            ("hooks/logs-storage-attached", "no storage \"logs\""),
            ("hooks/db-pebble-ready", "no container \"db\""),
            ("actions/backup", "no action \"backup\""),
        ] {
            let err = check(&[("JUJU_DISPATCH_PATH", path)]).unwrap_err();
            assert!(matches!(err, MainError::UnknownEvent { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains(path) && text.contains(needle), "{text}");
        }
    }

    #[test]
    fn events_missing_their_variables_are_refused() {
        for (pairs, needle) in [
            (
                &[("JUJU_DISPATCH_PATH", "hooks/secret-changed")][..],
                "JUJU_SECRET_ID",
            ),
            (
                &[
                    ("JUJU_DISPATCH_PATH", "hooks/secret-remove"),
                    ("JUJU_SECRET_ID", "secret:x"),
                ],
                "JUJU_SECRET_REVISION",
            ),
            (
                &[("JUJU_DISPATCH_PATH", "hooks/replicas-relation-joined")],
                "JUJU_RELATION is not set",
            ),
            (
                &[
                    ("JUJU_DISPATCH_PATH", "hooks/replicas-relation-joined"),
                    ("JUJU_RELATION", "db"),
                    ("JUJU_RELATION_ID", "db:1"),
                ],
                "does not match the endpoint \"replicas\"",
            ),
            (
                &[
                    ("JUJU_DISPATCH_PATH", "hooks/data-storage-detaching"),
                    ("JUJU_STORAGE_ID", "logs/0"),
                ],
                "JUJU_STORAGE_ID=\"logs/0\"",
            ),
            (
                &[
                    ("JUJU_DISPATCH_PATH", "hooks/web-pebble-custom-notice"),
                    ("JUJU_WORKLOAD_NAME", "web"),
                ],
                "JUJU_NOTICE_ID",
            ),
            (
                &[("JUJU_DISPATCH_PATH", "actions/show-leader")],
                "JUJU_ACTION_UUID",
            ),
        ] {
            let err = check(pairs).unwrap_err();
            assert!(matches!(err, MainError::EventEnvironment { .. }), "{err:?}");
            assert!(err.to_string().contains(needle), "{err}");
        }
    }

    #[test]
    fn debug_lines_are_sent_only_when_asked_for() {
        let env = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(log_level(&env(&[])).unwrap(), LogLevel::Info);
        assert_eq!(
            log_level(&env(&[("JUJU_DEBUG", "1")])).unwrap(),
            LogLevel::Debug
        );
        assert_eq!(
            log_level(&env(&[(LOG_LEVEL_VAR, "debug")])).unwrap(),
            LogLevel::Debug
        );
        assert_eq!(
            log_level(&env(&[(LOG_LEVEL_VAR, "WARNING")])).unwrap(),
            LogLevel::Warning
        );
        let err = log_level(&env(&[(LOG_LEVEL_VAR, "loud")])).unwrap_err();
        assert!(
            err.to_string().contains("JUJU_OPS_LOG_LEVEL=\"loud\""),
            "{err}"
        );
    }
}
