//! ops' `machine-tinyproxy` example charm, in Rust: a machine charm that
//! runs tinyproxy as a reverse proxy for `http://www.example.com/`.
//!
//! - `install`: install tinyproxy (unless it is there) and report its version.
//! - `start`, `config-changed`: write the config file for the `slug` option
//!   and start tinyproxy, or ask a running one to reload a changed config.
//! - `stop`: stop tinyproxy and wait until it has gone.
//! - `remove`: uninstall tinyproxy.
//! - `collect-unit-status` (after every event): blocked on an invalid slug,
//!   maintenance while tinyproxy is not installed or not running, else active.
//!
//! The charm reaches tinyproxy only through [`workload::Workload`]; unit tests
//! give [`TinyproxyCharm::with_workload`] a fake one.

pub mod workload;

use ops::{
    ActiveStatus, BlockedStatus, Charm, CollectStatusEvent, ConfigChangedEvent, Framework,
    HandlerResult, InstallEvent, MaintenanceStatus, Model, ModelError, RemoveEvent, StartEvent,
    StopEvent, on,
};
use serde::Deserialize;
use std::rc::Rc;
use std::time::Duration;
use workload::{Workload, WorkloadError};

/// The port tinyproxy listens on.
pub const PORT: u16 = 8000;

/// How many times, a second apart, the charm checks that tinyproxy started or stopped.
pub const WAIT_ATTEMPTS: u32 = 3;

/// The charm's config options, as declared in `charmcraft.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Config {
    /// The reverse proxy's path; valid when it matches `[a-z0-9-]+`.
    pub slug: String,
}

impl Config {
    /// Checks the options serde cannot: the slug must match `^[a-z0-9-]+$`.
    pub fn validate(self) -> Result<Config, ConfigError> {
        let valid = !self.slug.is_empty()
            && self
                .slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid {
            Ok(self)
        } else {
            Err(ConfigError::InvalidSlug { slug: self.slug })
        }
    }
}

/// Why the charm's config cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The `slug` option does not match `[a-z0-9-]+`; the message is the
    /// blocked status the user sees.
    #[error("Invalid slug: '{slug}'. Slug must match the regex [a-z0-9-]+")]
    InvalidSlug {
        /// The value set.
        slug: String,
    },
    /// The config could not be read or converted to [`Config`].
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Why a handler gave up (Juju then shows the unit in error status and logs this).
#[derive(Debug, thiserror::Error)]
pub enum CharmError {
    /// Tinyproxy was started but is not running.
    #[error(
        "tinyproxy was not running after {WAIT_ATTEMPTS} checks a second apart; check its log (journalctl, /var/log/tinyproxy)"
    )]
    NotStarted,
    /// Tinyproxy was asked to stop but is still running.
    #[error(
        "tinyproxy was still running after {WAIT_ATTEMPTS} checks a second apart; kill it by hand, then resolve the unit"
    )]
    NotStopped,
    /// Tinyproxy's state could not be read.
    #[error(transparent)]
    Workload(#[from] WorkloadError),
}

/// The charm.
pub struct TinyproxyCharm {
    model: Model,
    tinyproxy: Rc<dyn Workload>,
    poll_interval: Duration,
}

impl Charm for TinyproxyCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::with_workload(framework, Rc::new(workload::System::new()))
    }
}

impl TinyproxyCharm {
    /// Builds the charm driving `tinyproxy` (tests pass a fake).
    pub fn with_workload(framework: &mut Framework<Self>, tinyproxy: Rc<dyn Workload>) -> Self {
        framework.observe(on::collect_unit_status(), Self::on_collect_status);
        framework.observe(on::install(), Self::on_install);
        framework.observe(on::start(), Self::on_start);
        framework.observe(on::config_changed(), Self::on_config_changed);
        framework.observe(on::stop(), Self::on_stop);
        framework.observe(on::remove(), Self::on_remove);
        TinyproxyCharm {
            model: framework.model().clone(),
            tinyproxy,
            poll_interval: Duration::from_secs(1),
        }
    }

    /// Waits `interval` (default one second) between the checks that
    /// tinyproxy started or stopped; tests that exercise the timeout use zero.
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The validated config.
    pub fn config(&self) -> Result<Config, ConfigError> {
        self.model.load_config::<Config>()?.validate()
    }

    /// Reports the status of tinyproxy (runs after each event).
    fn on_collect_status(&mut self, event: &mut CollectStatusEvent) -> HandlerResult {
        match self.config() {
            Ok(_) => {}
            Err(e @ ConfigError::InvalidSlug { .. }) => {
                event.add_status(BlockedStatus::new(e.to_string()));
            }
            Err(e) => return Err(e.into()),
        }
        if !self.tinyproxy.is_installed()? {
            event.add_status(MaintenanceStatus::new(
                "Waiting for tinyproxy to be installed",
            ));
        }
        if !self.tinyproxy.is_running()? {
            event.add_status(MaintenanceStatus::new("Waiting for tinyproxy to start"));
        }
        event.add_status(ActiveStatus::new(""));
        Ok(())
    }

    fn on_install(&mut self, _event: &mut InstallEvent) -> HandlerResult {
        if !self.tinyproxy.is_installed()? {
            self.tinyproxy.install()?;
            let version = self.tinyproxy.get_version()?;
            self.model.unit().set_workload_version(&version)?;
        }
        Ok(())
    }

    fn on_start(&mut self, _event: &mut StartEvent) -> HandlerResult {
        self.configure_and_run()
    }

    fn on_config_changed(&mut self, _event: &mut ConfigChangedEvent) -> HandlerResult {
        self.configure_and_run()
    }

    fn on_stop(&mut self, _event: &mut StopEvent) -> HandlerResult {
        self.tinyproxy.stop()?;
        self.wait_for(false)?;
        Ok(())
    }

    fn on_remove(&mut self, _event: &mut RemoveEvent) -> HandlerResult {
        self.tinyproxy.uninstall()?;
        Ok(())
    }

    /// Ensures that tinyproxy is running with the configured slug.
    fn configure_and_run(&self) -> HandlerResult {
        let config = match self.config() {
            Ok(config) => config,
            // The collect-status handler runs next and shows the user why.
            Err(ConfigError::InvalidSlug { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if !self.tinyproxy.is_installed()? {
            return Ok(());
        }
        let changed = self.tinyproxy.ensure_config(PORT, &config.slug)?;
        if !self.tinyproxy.is_running()? {
            self.tinyproxy.start()?;
            self.wait_for(true)?;
        } else if changed {
            tracing::info!("Config changed while tinyproxy is running. Updating tinyproxy config");
            self.tinyproxy.reload_config()?;
        }
        Ok(())
    }

    /// Checks up to [`WAIT_ATTEMPTS`] times, [`Self::with_poll_interval`]
    /// apart, that tinyproxy's running state is `running`.
    fn wait_for(&self, running: bool) -> Result<(), CharmError> {
        for _ in 0..WAIT_ATTEMPTS {
            if self.tinyproxy.is_running()? == running {
                return Ok(());
            }
            std::thread::sleep(self.poll_interval);
        }
        Err(if running {
            CharmError::NotStarted
        } else {
            CharmError::NotStopped
        })
    }
}
