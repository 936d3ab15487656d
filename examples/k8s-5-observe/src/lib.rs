//! ops' `k8s-5-observe` example charm, in Rust: a Kubernetes sidecar charm
//! for a small FastAPI demo server that keeps its names in PostgreSQL, with
//! observability: `k8s-4-action` plus
//!
//! - `metrics-endpoint` ([`prometheus_scrape::MetricsEndpointProvider`]):
//!   one scrape job for `*:<server-port>`, published again on
//!   `config-changed`; left out, as upstream does, when the config is
//!   invalid;
//! - `logging` ([`loki_push_api::LogForwarder`]): Pebble forwards the
//!   server's logs to the related Loki units;
//! - `grafana-dashboard` ([`grafana_dashboard::GrafanaDashboardProvider`]):
//!   the leader sends Grafana the dashboard in `src/grafana_dashboards/`
//!   (request latency, failed requests and the server's logs), which the
//!   packed charm carries at the same path.
//!
//! - `demo-server-pebble-ready`, `config-changed`, and `database`
//!   relation changes that bring credentials or endpoints: add the
//!   `fastapi_demo` layer (the image's `fastapi` service, listening on
//!   `server-port`, with the database's location and credentials in its
//!   environment), replan, and record the server's version.
//! - `database-relation-created`: the leader asks for the `names_db` database
//!   (through the [`postgresql_client`] library, whose `database_created` and
//!   `endpoints_changed` events trigger the replan).
//! - `get-db-info` action: the database's host and port, and with
//!   `show-password` its user name and password; fails when no database is
//!   connected.
//! - `collect-unit-status` (after every event): blocked on an invalid port
//!   or without the database relation, waiting while the database has not
//!   answered, maintenance until Pebble answers and the service runs, else
//!   active.
//!
//! The charm reaches the server only through [`fastapi_demo::Workload`];
//! unit tests give [`FastApiDemoCharm::with_workload`] a fake one.

pub mod fastapi_demo;

use fastapi_demo::Workload;
use grafana_dashboard::GrafanaDashboardProvider;
use loki_push_api::LogForwarder;
use ops::pebble::{Layer, Override, Service};
use ops::{
    ActionEvent, ActiveStatus, BlockedStatus, Charm, CollectStatusEvent, ConfigChangedEvent,
    Framework, HandlerResult, MaintenanceStatus, Model, ModelError, PebbleError, PebbleReadyEvent,
    WaitingStatus, on,
};
use postgresql_client::{DatabaseCreatedEvent, DatabaseRequires, DatabaseRequiresError};
use prometheus_scrape::MetricsEndpointProvider;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The workload container, as `charmcraft.yaml` declares it.
pub const CONTAINER: &str = "demo-server";

/// The Pebble service the image defines and the charm's layer merges into.
pub const SERVICE: &str = "fastapi";

/// The label of the charm's layer.
pub const LAYER: &str = "fastapi_demo";

/// The endpoint of the database relation.
pub const DATABASE_ENDPOINT: &str = "database";

/// The database the charm asks for.
pub const DATABASE_NAME: &str = "names_db";

/// The endpoint Prometheus scrapes the server through.
pub const METRICS_ENDPOINT: &str = "metrics-endpoint";

/// The endpoint of the Loki relation.
pub const LOGGING_ENDPOINT: &str = "logging";

/// The endpoint Grafana reads dashboards from.
pub const GRAFANA_ENDPOINT: &str = "grafana-dashboard";

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

/// Why the database's answer cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// The provider's databag lacks a key it must set.
    #[error(
        "the database relation {relation} has no {key:?} in the provider's data; check the provider (postgresql-k8s) charm's status"
    )]
    Missing {
        /// The relation id.
        relation: u32,
        /// The missing key.
        key: &'static str,
    },
    /// `endpoints` is not `host:port`.
    #[error(
        "the database relation {relation} has endpoints {endpoints:?}, not host:port; check the provider charm"
    )]
    BadEndpoints {
        /// The relation id.
        relation: u32,
        /// The value found.
        endpoints: String,
    },
    /// The relation data could not be read.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The provider's data (or its secrets) could not be read.
    #[error(transparent)]
    Requires(#[from] DatabaseRequiresError),
}

/// Where the database is and how to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbData {
    /// The database host.
    pub host: String,
    /// The database port.
    pub port: String,
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// The `get-db-info` action's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct GetDbInfoAction {
    /// Whether to include the user name and password.
    pub show_password: bool,
}

/// The charm's Pebble layer: the image's `fastapi` service, listening on
/// `port`, with `env` in its environment.
pub fn pebble_layer(port: u16, env: BTreeMap<String, String>) -> Layer {
    let command = format!("/bin/uvicorn api_demo_server.app:app --host 0.0.0.0 --port {port}");
    let mut service = Service::new(command).with_override(Override::Merge);
    service.environment = env;
    let mut layer = Layer::new()
        .summary("FastAPI demo service")
        .service(SERVICE, service);
    layer.description = "pebble config layer for FastAPI demo server".to_owned();
    layer
}

/// The charm.
pub struct FastApiDemoCharm {
    model: Model,
    database: DatabaseRequires,
    server: Rc<dyn Workload>,
    logging: LogForwarder,
    /// Detached (publishing nothing) when the config was invalid as the
    /// charm was built, as upstream then builds no provider.
    prometheus_scraping: MetricsEndpointProvider,
    grafana_dashboards: GrafanaDashboardProvider,
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
        framework.observe(on::collect_unit_status(), Self::on_collect_status);
        // The library asks for the database and says when it is ready.
        let database = DatabaseRequires::new(
            framework.object(DATABASE_ENDPOINT, |c: &mut Self| &mut c.database),
            DATABASE_ENDPOINT,
            DATABASE_NAME,
        );
        framework.observe(database.database_created.on(), Self::on_database_endpoint);
        framework.observe(database.endpoints_changed.on(), Self::on_database_endpoint);
        framework.observe(on::action("get-db-info"), Self::on_get_db_info_action);
        let model = framework.model().clone();
        // Enable pushing application logs to Loki.
        let logging = LogForwarder::new(
            &mut framework.object(LOGGING_ENDPOINT, |c: &mut Self| &mut c.logging),
            LOGGING_ENDPOINT,
        );
        // Provide a metrics endpoint for Prometheus to scrape.
        let prometheus_scraping = match model
            .load_config::<FastApiConfig>()
            .map(FastApiConfig::validate)
        {
            Ok(Ok(port)) => {
                let mut scope =
                    framework.object(METRICS_ENDPOINT, |c: &mut Self| &mut c.prometheus_scraping);
                let jobs = vec![serde_json::json!({
                    "static_configs": [{"targets": [format!("*:{port}")]}]
                })];
                let provider = MetricsEndpointProvider::new(&mut scope, METRICS_ENDPOINT, jobs);
                MetricsEndpointProvider::refresh_on(&mut scope, on::config_changed());
                provider
            }
            Ok(Err(e)) => {
                tracing::warn!("Unable to add metrics: invalid configuration: {e}");
                MetricsEndpointProvider::detached(&model, METRICS_ENDPOINT, vec![])
            }
            Err(e) => {
                tracing::warn!("Unable to add metrics: invalid configuration: {e}");
                MetricsEndpointProvider::detached(&model, METRICS_ENDPOINT, vec![])
            }
        };
        // Provide grafana dashboards over a relation interface.
        let grafana_dashboards = GrafanaDashboardProvider::new(
            &mut framework.object(GRAFANA_ENDPOINT, |c: &mut Self| &mut c.grafana_dashboards),
            GRAFANA_ENDPOINT,
        );
        FastApiDemoCharm {
            database,
            model,
            server,
            logging,
            prometheus_scraping,
            grafana_dashboards,
        }
    }

    fn on_demo_server_pebble_ready(&mut self, _: &mut PebbleReadyEvent) -> HandlerResult {
        self.replan_workload()
    }

    fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        self.replan_workload()
    }

    fn on_collect_status(&mut self, event: &mut CollectStatusEvent) -> HandlerResult {
        match self.model.load_config::<FastApiConfig>()?.validate() {
            Ok(_) => {}
            Err(ConfigError::Model(e)) => return Err(e.into()),
            Err(e) => event.add_status(BlockedStatus::new(e.to_string())),
        }
        if self.model.get_relation(DATABASE_ENDPOINT)?.is_none() {
            // The user needs to `juju integrate` the charm with a database.
            event.add_status(BlockedStatus::new("Waiting for database relation"));
        } else if self
            .database
            .fetch_relation_data()?
            .values()
            .all(BTreeMap::is_empty)
        {
            // The charms have not finished integrating.
            event.add_status(WaitingStatus::new("Waiting for database relation"));
        }
        let container = self.model.unit().get_container(CONTAINER)?;
        match container.get_service(SERVICE) {
            Ok(Some(service)) => {
                if !service.is_running() {
                    event.add_status(MaintenanceStatus::new(
                        "Waiting for the service to start up",
                    ));
                }
            }
            Ok(None) | Err(PebbleError::Connection { .. } | PebbleError::Api { .. }) => {
                event.add_status(MaintenanceStatus::new(
                    "Waiting for Pebble in workload container",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        // If nothing is wrong, the unit is active.
        event.add_status(ActiveStatus::new(""));
        Ok(())
    }

    /// The provider created the database (the credentials arrived) or moved
    /// it (the endpoints changed): give the server its new environment.
    fn on_database_endpoint(&mut self, _: &mut DatabaseCreatedEvent) -> HandlerResult {
        self.replan_workload()
    }

    /// Shows the database's location, and with `show-password` its credentials.
    fn on_get_db_info_action(&mut self, event: &mut ActionEvent) -> HandlerResult {
        let params = match event.load_params::<GetDbInfoAction>() {
            Ok(params) => params,
            Err(e) => {
                event.fail(&e.to_string())?;
                return Ok(());
            }
        };
        let Some(db) = self.fetch_database_relation_data()? else {
            event.fail("No database connected")?;
            return Ok(());
        };
        let mut output = serde_json::json!({
            "db-host": db.host,
            "db-port": db.port,
        });
        if params.show_password {
            output["db-username"] = db.username.into();
            output["db-password"] = db.password.into();
        }
        event.set_results(output)?;
        Ok(())
    }

    /// Adds the charm's layer for the configured port and the database, and
    /// has Pebble apply it. The collect-status handler reports what is missing.
    fn replan_workload(&self) -> HandlerResult {
        let unit = self.model.unit();
        unit.set_status(MaintenanceStatus::new("Assembling Pebble layers"))?;
        let port = match self.model.load_config::<FastApiConfig>()?.validate() {
            Ok(port) => port,
            Err(ConfigError::Model(e)) => return Err(e.into()),
            Err(e) => {
                tracing::error!("Configuration error: {e}");
                return Ok(());
            }
        };
        let env = self.app_environment()?;
        let container = unit.get_container(CONTAINER)?;
        let applied = container
            .add_layer(LAYER, &pebble_layer(port, env), true)
            .inspect(|()| tracing::info!("Added updated layer '{LAYER}' to Pebble plan"))
            .and_then(|()| container.replan());
        match applied {
            Ok(()) => tracing::info!("Replanned with '{SERVICE}' service"),
            Err(e @ (PebbleError::Connection { .. } | PebbleError::Api { .. })) => {
                tracing::info!("Unable to connect to Pebble: {e}");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        let version = self.server.get_version(port)?;
        unit.set_workload_version(&version)?;
        Ok(())
    }

    /// The server's environment variables for the database (none without one).
    pub fn app_environment(&self) -> Result<BTreeMap<String, String>, DatabaseError> {
        let Some(db) = self.fetch_database_relation_data()? else {
            return Ok(BTreeMap::new());
        };
        Ok([
            ("DEMO_SERVER_DB_HOST", db.host),
            ("DEMO_SERVER_DB_PORT", db.port),
            ("DEMO_SERVER_DB_USER", db.username),
            ("DEMO_SERVER_DB_PASSWORD", db.password),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect())
    }

    /// The database of the first relation whose provider has answered.
    pub fn fetch_database_relation_data(&self) -> Result<Option<DbData>, DatabaseError> {
        let relations = self.database.fetch_relation_data()?;
        // The data holds the password: log only which relations answered.
        tracing::debug!("Got database data for relations {:?}", relations.keys());
        for (id, data) in relations {
            if data.is_empty() {
                continue;
            }
            let get = |key: &'static str| {
                data.get(key)
                    .cloned()
                    .ok_or(DatabaseError::Missing { relation: id, key })
            };
            let endpoints = get("endpoints")?;
            tracing::info!("New database endpoint is {endpoints}");
            let Some((host, port)) = endpoints.split_once(':') else {
                return Err(DatabaseError::BadEndpoints {
                    relation: id,
                    endpoints,
                });
            };
            return Ok(Some(DbData {
                host: host.to_owned(),
                port: port.to_owned(),
                username: get("username")?,
                password: get("password")?,
            }));
        }
        Ok(None)
    }
}
