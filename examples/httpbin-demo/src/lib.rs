//! ops' `httpbin-demo` example charm, in Rust: a Kubernetes charm for
//! kennethreitz/httpbin that restarts the workload when its log level
//! changes.
//!
//! - `httpbin-pebble-ready`: add the `httpbin` layer (gunicorn with the
//!   configured log level) and replan, which starts the service.
//! - `config-changed`: the same, retried up to [`MAX_ATTEMPTS`] times while
//!   Pebble does not answer; a changed layer makes the replan restart it.
//! - `collect-unit-status` (after every event): blocked on an invalid log
//!   level, maintenance while the container or the service is not up, else
//!   active.

use ops::pebble::{Layer, Override, Service, ServiceStartup};
use ops::{
    ActiveStatus, BlockedStatus, Charm, CollectStatusEvent, ConfigChangedEvent, Container,
    Framework, HandlerResult, MaintenanceStatus, Model, ModelError, PebbleError, PebbleReadyEvent,
    on,
};
use serde::Deserialize;
use std::time::Duration;

/// The workload container.
pub const CONTAINER_NAME: &str = "httpbin";
/// The Pebble service that runs in the workload container.
pub const SERVICE_NAME: &str = "httpbin";
/// How many times `config-changed` tries to reach Pebble.
pub const MAX_ATTEMPTS: u32 = 3;
/// The log levels gunicorn accepts.
pub const VALID_LOG_LEVELS: [&str; 5] = ["info", "debug", "warning", "error", "critical"];

/// The charm's config options, as declared in `charmcraft.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct HttpbinConfig {
    /// gunicorn's log level.
    pub log_level: String,
}

impl HttpbinConfig {
    /// Checks the log level, and lower-cases it.
    pub fn validate(self) -> Result<HttpbinConfig, ConfigError> {
        let log_level = self.log_level.to_lowercase();
        if VALID_LOG_LEVELS.contains(&log_level.as_str()) {
            Ok(HttpbinConfig { log_level })
        } else {
            Err(ConfigError::InvalidLogLevel {
                log_level: self.log_level,
            })
        }
    }
}

/// Why the charm's config cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `log-level` is not one gunicorn knows; the message is the blocked
    /// status the user sees.
    #[error("Invalid log level: '{log_level}'. Valid values are: {}.", VALID_LOG_LEVELS.join(", "))]
    InvalidLogLevel {
        /// The value set.
        log_level: String,
    },
    /// The config could not be read or converted to [`HttpbinConfig`].
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// The Pebble layer that starts gunicorn with `log_level`.
pub fn pebble_layer(log_level: &str) -> Layer {
    let mut service = Service::new("gunicorn -b 0.0.0.0:80 httpbin:app -k gevent")
        .with_override(Override::Replace)
        .startup(ServiceStartup::Enabled)
        .env("GUNICORN_CMD_ARGS", format!("--log-level {log_level}"));
    service.summary = "httpbin".to_owned();
    Layer::new().service(SERVICE_NAME, service)
}

/// The charm.
pub struct HttpbinDemoCharm {
    model: Model,
    retry_delay: Duration,
}

impl Charm for HttpbinDemoCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::collect_unit_status(), Self::on_collect_status);
        framework.observe(
            on::pebble_ready(CONTAINER_NAME),
            Self::on_httpbin_pebble_ready,
        );
        framework.observe(on::config_changed(), Self::on_config_changed);
        HttpbinDemoCharm {
            model: framework.model().clone(),
            retry_delay: Duration::from_secs(1),
        }
    }
}

impl HttpbinDemoCharm {
    /// Waits `delay`, doubled after each attempt (default one second), between
    /// `config-changed`'s attempts to reach Pebble; tests use zero.
    pub fn with_retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    fn container(&self) -> Result<Container, ModelError> {
        self.model.unit().get_container(CONTAINER_NAME)
    }

    /// The validated config, or `None` when it is invalid (collect-status
    /// tells the user).
    fn config(&self) -> Result<Option<HttpbinConfig>, ModelError> {
        match self.model.load_config::<HttpbinConfig>()?.validate() {
            Ok(config) => Ok(Some(config)),
            Err(ConfigError::Model(e)) => Err(e),
            Err(ConfigError::InvalidLogLevel { .. }) => Ok(None),
        }
    }

    /// Reports the status of the workload (runs after each event).
    fn on_collect_status(&mut self, event: &mut CollectStatusEvent) -> HandlerResult {
        match self.model.load_config::<HttpbinConfig>()?.validate() {
            Ok(_) => {}
            Err(ConfigError::Model(e)) => return Err(e.into()),
            Err(e) => event.add_status(BlockedStatus::new(e.to_string())),
        }
        match self.container()?.get_service(SERVICE_NAME) {
            // Pebble answers but has no such service: no layer added yet.
            Ok(None) => event.add_status(MaintenanceStatus::new("waiting for workload container")),
            // Pebble does not answer: the container has not started yet.
            Err(PebbleError::Connection { .. }) => {
                event.add_status(MaintenanceStatus::new("waiting for workload container"));
            }
            Err(e) => {
                tracing::error!("Unable to fetch service info from Pebble");
                return Err(e.into());
            }
            Ok(Some(service)) => {
                if !service.is_running() {
                    event.add_status(MaintenanceStatus::new("waiting for workload"));
                }
            }
        }
        event.add_status(ActiveStatus::new(""));
        Ok(())
    }

    /// Adds the layer and starts the service. If the container went away
    /// meanwhile, the hook fails and Juju retries it.
    fn on_httpbin_pebble_ready(&mut self, event: &mut PebbleReadyEvent) -> HandlerResult {
        let Some(config) = self.config()? else {
            return Ok(());
        };
        event
            .workload
            .add_layer(SERVICE_NAME, &pebble_layer(&config.log_level), true)?;
        event.workload.replan()?;
        Ok(())
    }

    /// Updates the workload's log level, retrying while Pebble does not answer.
    fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        let Some(config) = self.config()? else {
            return Ok(());
        };
        let container = self.container()?;
        let layer = pebble_layer(&config.log_level);
        let mut delay = self.retry_delay;
        for attempt in 1..=MAX_ATTEMPTS {
            let applied = container
                .add_layer(SERVICE_NAME, &layer, true)
                .and_then(|()| container.replan());
            match applied {
                Ok(()) => {
                    tracing::debug!("Log level for gunicorn changed to '{}'", config.log_level);
                    return Ok(());
                }
                Err(PebbleError::Connection { .. } | PebbleError::Api { .. }) => {
                    tracing::info!("Unable to reconfigure gunicorn (attempt {attempt})");
                    std::thread::sleep(delay);
                    delay *= 2;
                }
                Err(e) => return Err(e.into()),
            }
        }
        // A pebble-ready event will come, and configure and start the workload.
        tracing::warn!("Unable to reconfigure gunicorn after {MAX_ATTEMPTS} attempts.");
        Ok(())
    }
}
