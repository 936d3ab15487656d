//! `ops::main`: the entry point of a charm binary under Juju.
//!
//! This is the only module that reads the process environment. It parses
//! Juju's variables into a [`JujuContext`], loads metadata from the charm
//! directory, loads what earlier dispatches persisted, dispatches the event,
//! and persists the result only when every handler succeeded.
//!
//! Persistence uses Juju's unit state (`state-get`/`state-set`), which Juju
//! keeps on the controller: it survives a Kubernetes pod being rescheduled,
//! unlike a file in the charm directory.

use crate::backend::juju::JujuBackend;
use crate::backend::{Backend, LogLevel};
use crate::charm::Charm;
use crate::framework::{self, DispatchOptions, Persisted};
use crate::juju_context::JujuContext;
use crate::meta::CharmMeta;
use crate::model::Model;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// The unit-state key holding the framework's persisted data (JSON).
pub const STATE_KEY: &str = "juju-ops.framework";

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
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let backend: Arc<dyn Backend> = Arc::new(JujuBackend::new());
    match run::<C>(&env, backend.clone()) {
        Ok(()) => 0,
        Err(message) => {
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
) -> Result<(), String> {
    let context = JujuContext::from_map(env).map_err(|e| format!("cannot dispatch: {e}"))?;
    let meta = CharmMeta::load(&context.charm_dir).map_err(|e| format!("cannot dispatch: {e}"))?;
    let persisted = load_persisted(backend.as_ref())?;
    let log_level = if env.contains_key("JUJU_DEBUG")
        || env.get("JUJU_OPS_LOG_LEVEL").is_some_and(|l| l == "DEBUG")
    {
        LogLevel::Debug
    } else {
        LogLevel::Info
    };
    let event = context.event_name();
    let model = Model::new(backend.clone(), Arc::new(meta), context);
    let options = DispatchOptions { log_level };
    let result = catch_unwind(AssertUnwindSafe(|| {
        framework::dispatch::<C>(&model, persisted.clone(), &options, C::new)
    }));
    let outcome = match result {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => return Err(format!("Uncaught error while handling {event}: {error}")),
        Err(panic) => {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-text panic".to_owned());
            return Err(format!("The charm panicked while handling {event}: {text}"));
        }
    };
    if outcome.persisted != persisted {
        save_persisted(backend.as_ref(), &outcome.persisted)?;
    }
    Ok(())
}

fn load_persisted(backend: &dyn Backend) -> Result<Persisted, String> {
    match backend.state_get(STATE_KEY) {
        Ok(None) => Ok(Persisted::default()),
        Ok(Some(text)) => serde_json::from_str(&text).map_err(|e| {
            format!("cannot read the charm's persisted state ({STATE_KEY}): {e}; remove it with `state-delete {STATE_KEY}`")
        }),
        Err(e) => Err(format!("cannot read the charm's persisted state: {e}")),
    }
}

fn save_persisted(backend: &dyn Backend, persisted: &Persisted) -> Result<(), String> {
    let text = serde_json::to_string(persisted)
        .map_err(|e| format!("cannot save the charm's state: {e}"))?;
    let entries = [(STATE_KEY.to_owned(), text)].into_iter().collect();
    backend
        .state_set(&entries)
        .map_err(|e| format!("cannot save the charm's state: {e}"))
}
