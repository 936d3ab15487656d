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
//! 4. checks the event against the event table and the metadata, and that
//!    the variables the event needs are there. An event the charm does not
//!    define (a hook Juju does not run, or an endpoint, storage, container
//!    or action the metadata does not declare, as after a rollback) is not
//!    an error: as in Python ops, nothing is emitted for it, the reason is
//!    logged at debug, and the dispatch goes on and exits 0;
//! 5. loads what earlier dispatches persisted (`state-get`);
//! 6. builds the charm, re-emits deferred events, emits the event and runs
//!    collect-status (the framework's dispatch);
//! 7. persists stored state and the deferred queue (`state-set`), only when
//!    every handler succeeded and only if they changed.
//!
//! Every hook tool has a deadline ([`TOOL_TIMEOUT_VAR`]): a tool still
//! running then is killed, logged on stderr with its command line, and fails
//! the dispatch even if the charm handled the error.
//!
//! A failure anywhere, including a panic in the charm, commits nothing, is
//! logged through `juju-log` at ERROR and on stderr, and exits 1: Juju then
//! marks the hook failed (and retries it) and discards the hook's buffered
//! changes, or marks the action failed.
//!
//! # Signals
//!
//! [`main`] and [`main_with`] (not [`run`], which leaves the process alone)
//! watch for SIGTERM, SIGINT and SIGHUP on a thread of their own. On one,
//! every private temporary directory still holding secret content for a
//! hook tool is removed, and the process then ends of that signal, as it
//! would without the watch: nothing is saved, and Juju sees the hook killed.
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

mod check;
mod persist;

use crate::backend::juju::{DEFAULT_TOOL_TIMEOUT, JujuBackend, install_signal_cleanup};
use crate::backend::{Backend, LogLevel};
use crate::error::ModelError;
use crate::event::RESTRICTED_HOOKS;
use crate::framework::run::{DispatchOptions, dispatch};
use crate::framework::{Charm, DispatchError, Framework};
use crate::juju_context::{ContextError, JujuContext};
use crate::meta::{CharmMeta, MetadataError};
use crate::model::Model;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The unit-state key holding the framework's persisted data (JSON).
pub const STATE_KEY: &str = "juju-ops.framework";

/// The variable that sets the most verbose level of charm log lines sent to
/// `juju-log`: `TRACE`, `DEBUG`, `INFO` (the default), `WARNING`, `ERROR` or
/// `CRITICAL`. Juju passes no operator-defined variables to hooks, so set it
/// in the charm's `dispatch` file, or in a `juju debug-hooks` session.
pub const LOG_LEVEL_VAR: &str = "JUJU_OPS_LOG_LEVEL";

/// The variable that sets how long one hook tool may run before it is
/// killed and the dispatch fails: a number of seconds (fractions allowed),
/// or `off` to wait forever as Python ops does. The default is
/// [`DEFAULT_TOOL_TIMEOUT`] (five minutes); `resource-get`, which may
/// download a large resource, always gets at least [`RESOURCE_GET_TIMEOUT`]
/// (an hour). Set it in the charm's `dispatch` file.
///
/// [`DEFAULT_TOOL_TIMEOUT`]: crate::backend::juju::DEFAULT_TOOL_TIMEOUT
/// [`RESOURCE_GET_TIMEOUT`]: crate::backend::juju::RESOURCE_GET_TIMEOUT
pub const TOOL_TIMEOUT_VAR: &str = "JUJU_OPS_TOOL_TIMEOUT";

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
    /// The backend failed in a way that fails the whole dispatch, even
    /// though the charm handled the error it got (a hook tool killed at its
    /// deadline).
    #[error("{source}; nothing from this dispatch was saved")]
    Fatal {
        /// What failed.
        #[source]
        source: ModelError,
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
    // A signal handler belongs to the whole process: installed here, in the
    // charm binary's entry point, and never by `run` or the harness.
    install_signal_cleanup();
    let env: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let result = tool_timeout(&env).map(|timeout| {
        let backend: Arc<dyn Backend> = Arc::new(JujuBackend::new().with_tool_timeout(timeout));
        (backend.clone(), run_with::<C>(&env, backend, build))
    });
    let (backend, result) = match result {
        Ok((backend, result)) => (backend, result),
        Err(error) => (Arc::new(JujuBackend::new()) as Arc<dyn Backend>, Err(error)),
    };
    match result {
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
    let checked = check::check_event(&context, &meta)?;
    if log_level <= LogLevel::Debug {
        let _ = backend.juju_log(
            LogLevel::Debug,
            &format!("juju-ops {} up and running.", env!("CARGO_PKG_VERSION")),
        );
        if let check::Checked::NotDefined { reason } = &checked {
            let _ = backend.juju_log(LogLevel::Debug, reason);
        }
    }
    let persisted = persist::load_persisted(backend.as_ref(), &context.unit_name)?;
    let event = context.event_name();
    let model = Model::new(backend.clone(), Arc::new(meta), context);
    let options = DispatchOptions {
        log_level,
        record_spans: true,
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        dispatch::<C>(&model, persisted.clone(), &options, build)
    }));
    // A hook tool killed at its deadline fails the dispatch even if the
    // charm carried on, and is the first thing to report if it did not.
    if result.is_ok()
        && let Some(source) = model.shared().backend.fatal_error()
    {
        return Err(MainError::Fatal { source });
    }
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
        persist::save_persisted(backend.as_ref(), &outcome.persisted)?;
    }
    if let Some(endpoint) = &outcome.trace_destination {
        // Tracing is best effort: a backend that is down never fails the hook.
        let shared = model.shared();
        let sent = crate::trace::export_otlp_http(
            endpoint,
            shared.app_name(),
            &shared.context.unit_name,
            &outcome.spans,
        );
        if let Err(error) = sent {
            let _ = backend.juju_log(LogLevel::Warning, &error.to_string());
        }
    }
    Ok(())
}

/// The deadline of one hook tool, from [`TOOL_TIMEOUT_VAR`].
fn tool_timeout(env: &BTreeMap<String, String>) -> Result<Option<Duration>, MainError> {
    let Some(value) = env
        .get(TOOL_TIMEOUT_VAR)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
    else {
        return Ok(Some(DEFAULT_TOOL_TIMEOUT));
    };
    if value.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    value
        .parse::<f64>()
        .ok()
        .filter(|seconds| *seconds > 0.0)
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .map(Some)
        .ok_or_else(|| MainError::Setting {
            var: TOOL_TIMEOUT_VAR,
            value: value.to_owned(),
            expected: "a positive number of seconds (such as 600), or `off` to wait forever",
        })
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_tool_deadline_is_five_minutes_unless_set() {
        let env = |value: &str| -> BTreeMap<String, String> {
            [(TOOL_TIMEOUT_VAR.to_owned(), value.to_owned())].into()
        };
        assert_eq!(
            tool_timeout(&BTreeMap::new()).unwrap(),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            tool_timeout(&env("2.5")).unwrap(),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(tool_timeout(&env("OFF")).unwrap(), None);
        for bad in ["0", "-1", "soon", "NaN", "inf"] {
            let err = tool_timeout(&env(bad)).unwrap_err();
            assert!(
                err.to_string().contains("JUJU_OPS_TOOL_TIMEOUT="),
                "{bad}: {err}"
            );
        }
    }

    /// Logs one line at DEBUG and one at INFO on start.
    struct Chatty;

    impl Charm for Chatty {
        fn new(framework: &mut Framework<Self>) -> Self {
            framework.observe(crate::on::start(), Self::on_start);
            Chatty
        }
    }

    impl Chatty {
        fn on_start(&mut self, _: &mut crate::StartEvent) -> crate::HandlerResult {
            tracing::debug!("a debug line");
            tracing::info!("an info line");
            Ok(())
        }
    }

    /// Each dispatch on a thread filters by its own level, whatever the
    /// dispatches before it on the same thread asked for (the subscriber is
    /// the thread's, the level the dispatch's).
    #[test]
    fn each_dispatch_on_a_thread_logs_at_its_own_level() {
        let root = std::env::temp_dir().join(format!("juju-ops-chatty-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let tools = root.join("tools");
        std::fs::create_dir_all(&tools).unwrap();
        let log = root.join("log");
        for (tool, body) in [
            ("state-get", "echo null".to_owned()),
            ("is-leader", "echo false".to_owned()),
            ("juju-log", format!("echo \"$*\" >> {}", log.display())),
        ] {
            let path = tools.join(tool);
            crate::test_scripts::install_sh(&path, &body);
        }
        std::fs::write(root.join("metadata.yaml"), "name: chatty\n").unwrap();
        let env = |level: &str| -> BTreeMap<String, String> {
            [
                ("JUJU_DISPATCH_PATH", "hooks/start"),
                ("JUJU_UNIT_NAME", "chatty/0"),
                ("JUJU_MODEL_NAME", "m"),
                ("JUJU_VERSION", "3.6.14"),
                ("JUJU_CHARM_DIR", root.to_str().unwrap()),
                (LOG_LEVEL_VAR, level),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
        };
        let mut lines = Vec::new();
        for level in ["DEBUG", "INFO", "DEBUG", "WARNING"] {
            let _ = std::fs::remove_file(&log);
            let backend = Arc::new(JujuBackend::with_tools_dir(&tools));
            run::<Chatty>(&env(level), backend).unwrap();
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let sent = |line: &str| text.lines().any(|l| l.ends_with(line));
            lines.push((level, sent("a debug line"), sent("an info line")));
        }
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(
            lines,
            [
                ("DEBUG", true, true),
                ("INFO", false, true),
                ("DEBUG", true, true),
                ("WARNING", false, false),
            ]
        );
    }

    /// Swallows every error, as a careless charm would.
    struct Careless {
        model: Model,
    }

    impl Charm for Careless {
        fn new(framework: &mut Framework<Self>) -> Self {
            framework.observe(crate::on::start(), Self::on_start);
            Careless {
                model: framework.model().clone(),
            }
        }
    }

    impl Careless {
        fn on_start(&mut self, _: &mut crate::StartEvent) -> crate::HandlerResult {
            let unit = self.model.unit();
            let _ = unit.is_leader();
            let _ = unit.set_status(crate::ActiveStatus::new("up"));
            Ok(())
        }
    }

    #[test]
    fn a_hung_tool_fails_the_dispatch_even_when_the_charm_swallows_its_error() {
        let root = std::env::temp_dir().join(format!("juju-ops-careless-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let tools = root.join("tools");
        std::fs::create_dir_all(&tools).unwrap();
        for (tool, body) in [
            ("state-get", "echo null"),
            ("is-leader", "echo false"),
            ("juju-log", "true"),
            ("status-set", "exec sleep 30"),
        ] {
            let path = tools.join(tool);
            crate::test_scripts::install_sh(&path, body);
        }
        std::fs::write(root.join("metadata.yaml"), "name: careless\n").unwrap();
        let env: BTreeMap<String, String> = [
            ("JUJU_DISPATCH_PATH", "hooks/start"),
            ("JUJU_UNIT_NAME", "careless/0"),
            ("JUJU_MODEL_NAME", "m"),
            ("JUJU_VERSION", "3.6.14"),
            ("JUJU_CHARM_DIR", root.to_str().unwrap()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let backend =
            JujuBackend::with_tools_dir(&tools).with_tool_timeout(Some(Duration::from_millis(300)));
        let result = run::<Careless>(&env, Arc::new(backend));
        let _ = std::fs::remove_dir_all(&root);
        match result {
            Err(MainError::Fatal {
                source: ModelError::HookToolTimeout { tool, .. },
            }) => assert_eq!(tool, "status-set"),
            other => panic!("expected the dispatch to fail, got {other:?}"),
        }
    }
}
