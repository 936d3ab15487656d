//! ops' `k8s-2-configurable` example charm, in Rust: a Kubernetes sidecar
//! charm for a small FastAPI demo server whose port is a config option.
//!
//! On `demo-server-pebble-ready` and `config-changed` the charm adds its
//! `fastapi_demo` layer, which merges into the image's `fastapi` service a
//! command listening on `server-port`, and asks Pebble to replan (restart
//! the service if its definition changed). Then it records the server's
//! version and sets the unit active. An invalid port blocks the unit; a
//! Pebble that does not answer yet leaves it in maintenance.
//!
//! The charm reaches the server only through [`fastapi_demo::Workload`];
//! unit tests give [`FastApiDemoCharm::with_workload`] a fake one.

pub mod fastapi_demo;

use fastapi_demo::Workload;
use ops::pebble::{Layer, Override, Service};
use ops::{
    ActiveStatus, BlockedStatus, Charm, ConfigChangedEvent, Framework, HandlerResult,
    MaintenanceStatus, Model, ModelError, PebbleError, PebbleReadyEvent, on,
};
use serde::Deserialize;
use std::rc::Rc;

/// The workload container, as `charmcraft.yaml` declares it.
pub const CONTAINER: &str = "demo-server";

/// The Pebble service the image defines and the charm's layer merges into.
pub const SERVICE: &str = "fastapi";

/// The label of the charm's layer.
pub const LAYER: &str = "fastapi_demo";

/// The charm's config options, as declared in `charmcraft.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FastApiConfig {
    /// The port the server listens on.
    pub server_port: i64,
}

impl FastApiConfig {
    /// Checks what serde cannot: the port is a TCP port other than 22.
    pub fn validate(self) -> Result<u16, ConfigError> {
        if self.server_port == 22 {
            return Err(ConfigError::SshPort);
        }
        u16::try_from(self.server_port)
            .ok()
            .filter(|port| *port != 0)
            .ok_or(ConfigError::NotAPort {
                port: self.server_port,
            })
    }
}

/// Why the charm's config cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `server-port` is 22; the message is the blocked status the user sees.
    #[error("Invalid port number, 22 is reserved for SSH")]
    SshPort,
    /// `server-port` is outside 1–65535 (beyond upstream, which passes such
    /// a value on to the server).
    #[error("Invalid port number, {port} is not between 1 and 65535")]
    NotAPort {
        /// The value set.
        port: i64,
    },
    /// The config could not be read or converted to [`FastApiConfig`].
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// The charm's Pebble layer: the image's `fastapi` service, listening on `port`.
pub fn pebble_layer(port: u16) -> Layer {
    let command = format!("/bin/uvicorn api_demo_server.app:app --host 0.0.0.0 --port {port}");
    let mut layer = Layer::new().summary("FastAPI demo service").service(
        SERVICE,
        Service::new(command).with_override(Override::Merge),
    );
    layer.description = "pebble config layer for FastAPI demo server".to_owned();
    layer
}

/// The charm.
pub struct FastApiDemoCharm {
    model: Model,
    server: Rc<dyn Workload>,
}

impl Charm for FastApiDemoCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::with_workload(framework, Rc::new(fastapi_demo::Server))
    }
}

impl FastApiDemoCharm {
    /// Builds the charm reading the server's version through `server`
    /// (tests pass a fake).
    pub fn with_workload(framework: &mut Framework<Self>, server: Rc<dyn Workload>) -> Self {
        framework.observe(
            on::pebble_ready(CONTAINER),
            Self::on_demo_server_pebble_ready,
        );
        framework.observe(on::config_changed(), Self::on_config_changed);
        FastApiDemoCharm {
            model: framework.model().clone(),
            server,
        }
    }

    fn on_demo_server_pebble_ready(&mut self, _: &mut PebbleReadyEvent) -> HandlerResult {
        self.replan_workload()
    }

    fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        self.replan_workload()
    }

    /// Adds the charm's layer for the configured port and has Pebble apply it.
    fn replan_workload(&self) -> HandlerResult {
        let unit = self.model.unit();
        unit.set_status(MaintenanceStatus::new("Assembling Pebble layers"))?;
        let port = match self.model.load_config::<FastApiConfig>() {
            Err(e) => return Err(e.into()),
            Ok(config) => match config.validate() {
                Ok(port) => port,
                Err(e) => {
                    tracing::error!("Configuration error: {e}");
                    unit.set_status(BlockedStatus::new(e.to_string()))?;
                    return Ok(());
                }
            },
        };
        let container = unit.get_container(CONTAINER)?;
        let applied = container
            .add_layer(LAYER, &pebble_layer(port), true)
            .inspect(|()| tracing::info!("Added updated layer '{LAYER}' to Pebble plan"))
            .and_then(|()| container.replan());
        match applied {
            Ok(()) => tracing::info!("Replanned with '{SERVICE}' service"),
            Err(e @ (PebbleError::Connection { .. } | PebbleError::Api { .. })) => {
                tracing::info!("Unable to connect to Pebble: {e}");
                unit.set_status(MaintenanceStatus::new(
                    "Waiting for Pebble in workload container",
                ))?;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        let version = self.server.get_version(port)?;
        unit.set_workload_version(&version)?;
        unit.set_status(ActiveStatus::new(""))?;
        Ok(())
    }
}
