//! A Kubernetes sidecar charm: a web server in the `web` container, run by
//! Pebble.
//!
//! * On `web-pebble-ready` and `config-changed`, the charm writes the
//!   server's config file into the container, adds the `webapp` layer built
//!   from the charm's config (the service and its `up` health check), and
//!   starts the service, or restarts it when it already runs so that it
//!   picks the new config up.
//! * When the `up` check fails, the unit is blocked until it recovers.
//! * When the workload records a `webapp.example.com/reloaded` notice
//!   (`pebble notify webapp.example.com/reloaded`), the unit's status says
//!   how many reloads the server reported.
//!
//! Until the container's Pebble answers, the unit waits.

use ops::pebble::{Check, CheckLevel, Layer, Override, PushOptions, Service, ServiceStartup};
use ops::{
    ActiveStatus, BlockedStatus, Charm, ConfigChangedEvent, Container, Framework, HandlerResult,
    Model, PebbleCheckFailedEvent, PebbleCheckRecoveredEvent, PebbleCustomNoticeEvent,
    PebbleReadyEvent, WaitingStatus, on,
};
use serde::Deserialize;

/// The workload container.
pub const CONTAINER: &str = "web";
/// The Pebble service (and the layer's label).
pub const SERVICE: &str = "webapp";
/// The health check.
pub const CHECK: &str = "up";
/// The server's config file in the container.
pub const CONFIG_FILE: &str = "/etc/webapp/config.json";
/// The key of the notice the server records after reloading its config.
pub const RELOADED_NOTICE: &str = "webapp.example.com/reloaded";

/// The charm's config (`charmcraft.yaml`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WebConfig {
    /// Port the server listens on.
    pub port: u16,
    /// What the server says.
    pub greeting: String,
}

/// The Pebble layer that runs the server with `config`.
pub fn layer(config: &WebConfig) -> Layer {
    let service = Service::new(format!("/usr/bin/webapp --config {CONFIG_FILE}"))
        .startup(ServiceStartup::Enabled)
        .with_override(Override::Replace)
        .env("WEBAPP_PORT", config.port.to_string());
    let check = Check::http(format!("http://localhost:{}/health", config.port))
        .level(CheckLevel::Alive)
        .period("10s")
        .threshold(3);
    Layer::new()
        .summary("webapp")
        .service(SERVICE, service)
        .check(CHECK, check)
}

/// The server's config file for `config`.
pub fn config_file(config: &WebConfig) -> String {
    serde_json::json!({"port": config.port, "greeting": config.greeting}).to_string()
}

/// The charm.
pub struct WebappCharm {
    model: Model,
}

impl Charm for WebappCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::pebble_ready(CONTAINER), Self::on_pebble_ready);
        framework.observe(on::config_changed(), Self::on_config_changed);
        framework.observe(on::pebble_check_failed(CONTAINER), Self::on_check_failed);
        framework.observe(
            on::pebble_check_recovered(CONTAINER),
            Self::on_check_recovered,
        );
        framework.observe(on::pebble_custom_notice(CONTAINER), Self::on_notice);
        WebappCharm {
            model: framework.model().clone(),
        }
    }
}

impl WebappCharm {
    fn on_pebble_ready(&mut self, event: &mut PebbleReadyEvent) -> HandlerResult {
        self.configure(&event.workload)
    }

    fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        let web = self.model.unit().get_container(CONTAINER)?;
        self.configure(&web)
    }

    /// Writes the config file and the layer, then starts or restarts the server.
    fn configure(&self, web: &Container) -> HandlerResult {
        if !web.can_connect() {
            self.model.unit().set_status(WaitingStatus::new(
                "waiting for Pebble in the web container",
            ))?;
            return Ok(());
        }
        let config: WebConfig = self.model.load_config()?;
        web.push_with(
            CONFIG_FILE,
            config_file(&config),
            &PushOptions::new().make_dirs(true).permissions(0o644),
        )?;
        web.add_layer(SERVICE, &layer(&config), true)?;
        let running = web
            .get_service(SERVICE)?
            .is_some_and(|service| service.is_running());
        if running {
            tracing::info!("restarting {SERVICE} for its new config");
            web.restart(&[SERVICE])?;
        } else {
            web.replan()?;
        }
        self.model.unit().set_status(ActiveStatus::new(format!(
            "serving on port {}",
            config.port
        )))?;
        Ok(())
    }

    fn on_check_failed(&mut self, event: &mut PebbleCheckFailedEvent) -> HandlerResult {
        if event.info.name == CHECK {
            let info = event.info.get()?;
            self.model.unit().set_status(BlockedStatus::new(format!(
                "health check failing ({} failures)",
                info.failures
            )))?;
        }
        Ok(())
    }

    fn on_check_recovered(&mut self, event: &mut PebbleCheckRecoveredEvent) -> HandlerResult {
        if event.info.name == CHECK {
            let config: WebConfig = self.model.load_config()?;
            self.model.unit().set_status(ActiveStatus::new(format!(
                "serving on port {}",
                config.port
            )))?;
        }
        Ok(())
    }

    fn on_notice(&mut self, event: &mut PebbleCustomNoticeEvent) -> HandlerResult {
        if event.notice.key == RELOADED_NOTICE {
            let notice = event.notice.get()?;
            self.model.unit().set_status(ActiveStatus::new(format!(
                "reloaded {} times",
                notice.occurrences
            )))?;
        }
        Ok(())
    }
}
