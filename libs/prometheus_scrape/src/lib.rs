//! The provider side of the `prometheus_scrape` interface: a Rust port of
//! the part of `MetricsEndpointProvider` (from the prometheus-k8s charm's
//! `prometheus_scrape` library, v0) that a charm exposing a metrics
//! endpoint needs, writing what the real Prometheus charm reads.
//!
//! What it writes, on every relation of its endpoint:
//!
//! - this unit's databag (every unit): `prometheus_scrape_unit_address`
//!   (the bind address of the endpoint), `prometheus_scrape_unit_path`
//!   (empty, which Juju stores as no key), `prometheus_scrape_unit_name` (the unit's name) and
//!   `prometheus_scrape_unit_fqdn` (the host name; empty when unknown);
//! - the application databag (the leader only): `scrape_metadata` (the
//!   Juju topology as JSON: `model`, `model_uuid`, `application`, `unit`,
//!   `charm_name`), `scrape_jobs` (the jobs as a JSON list, each reduced to
//!   the keys Prometheus accepts on top of the default job
//!   `{"metrics_path": "/metrics", "static_configs": [{"targets": ["*:80"]}]}`;
//!   no jobs means the default job) and `alert_rules` (JSON).
//!
//! When, as upstream: on `relation-joined` of the endpoint and on each
//! refresh event the charm names ([`MetricsEndpointProvider::refresh_on`]),
//! both bags; on `relation-changed` and `update-status`, the unit bag.
//!
//! Left out (not needed by the examples): alert rule files and the generic
//! alert rules upstream adds (`alert_rules` is always `{}`, what upstream
//! writes when there are no rules), `external_url`, lookaside jobs, and the
//! `alert_rule_status_changed` / `invalid_scrape_job` events.
//!
//! ```
//! use ops::{on, Charm, Framework};
//! use prometheus_scrape::MetricsEndpointProvider;
//! use serde_json::json;
//!
//! struct MyCharm {
//!     metrics: MetricsEndpointProvider,
//! }
//!
//! impl Charm for MyCharm {
//!     fn new(framework: &mut Framework<Self>) -> Self {
//!         let mut scope = framework.object("metrics-endpoint", |c: &mut Self| &mut c.metrics);
//!         let jobs = vec![json!({"static_configs": [{"targets": ["*:8000"]}]})];
//!         let metrics = MetricsEndpointProvider::new(&mut scope, "metrics-endpoint", jobs);
//!         MetricsEndpointProvider::refresh_on(&mut scope, on::config_changed());
//!         MyCharm { metrics }
//!     }
//! }
//! ```

use ops::{
    Charm, Event, HandlerResult, Model, ModelError, ObjectScope, RelationChangedEvent,
    RelationJoinedEvent, UpdateStatusEvent, on,
};
use serde_json::{Map, Value, json};

/// The endpoint name upstream uses by default.
pub const DEFAULT_RELATION_NAME: &str = "metrics-endpoint";

/// The keys of a scrape job that are passed on to Prometheus.
pub const ALLOWED_KEYS: &[&str] = &[
    "job_name",
    "metrics_path",
    "static_configs",
    "scrape_interval",
    "scrape_timeout",
    "proxy_url",
    "relabel_configs",
    "metric_relabel_configs",
    "sample_limit",
    "label_limit",
    "label_name_length_limit",
    "label_value_length_limit",
    "scheme",
    "basic_auth",
    "tls_config",
    "authorization",
    "params",
];

/// The job used when a charm gives none, and the base of every job.
pub fn default_job() -> Value {
    json!({"metrics_path": "/metrics", "static_configs": [{"targets": ["*:80"]}]})
}

/// A job reduced to [`ALLOWED_KEYS`] over [`default_job`]; a job that is
/// not a JSON object becomes the default job.
pub fn sanitize_scrape_config(job: &Value) -> Value {
    let mut sanitized = default_job();
    if let (Some(out), Some(job)) = (sanitized.as_object_mut(), job.as_object()) {
        for (key, value) in job {
            if ALLOWED_KEYS.contains(&key.as_str()) {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    sanitized
}

/// The Juju topology of this unit as upstream's `JujuTopology.as_dict()`.
pub fn topology(model: &Model) -> Value {
    let mut map = Map::new();
    map.insert("model".into(), model.name().into());
    map.insert("model_uuid".into(), model.uuid().into());
    map.insert("application".into(), model.app().name().into());
    map.insert("unit".into(), model.unit().name().into());
    map.insert("charm_name".into(), model.meta().name.clone().into());
    Value::Object(map)
}

/// Why the provider could not publish its data.
#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    /// Reading the model or writing a databag of the endpoint failed.
    #[error(
        "prometheus_scrape could not publish the scrape data on endpoint {endpoint:?}: {source}; check the relation and that the endpoint is declared under `provides`"
    )]
    Model {
        /// The endpoint.
        endpoint: String,
        /// What failed.
        source: ModelError,
    },
    /// The jobs could not be serialised.
    #[error(
        "prometheus_scrape could not serialise the scrape jobs: {0}; pass JSON-representable jobs"
    )]
    Json(#[from] serde_json::Error),
}

/// Publishes scrape jobs and this unit's address to Prometheus over the
/// relations of one `prometheus_scrape` endpoint (upstream's
/// `MetricsEndpointProvider`).
#[derive(Debug, Clone)]
pub struct MetricsEndpointProvider {
    model: Model,
    relation_name: String,
    jobs: Vec<Value>,
}

impl MetricsEndpointProvider {
    /// A provider on `relation_name` publishing `jobs` (upstream's `jobs`
    /// argument; each is sanitized). Registers its observers in `scope`.
    pub fn new<C: Charm>(
        scope: &mut ObjectScope<'_, C, Self>,
        relation_name: &str,
        jobs: Vec<Value>,
    ) -> Self {
        scope.observe_as(
            "set_scrape_job_spec",
            on::relation_joined(relation_name),
            |p: &mut Self, _: &mut RelationJoinedEvent| p.handle(),
        );
        scope.observe_as(
            "_on_relation_changed",
            on::relation_changed(relation_name),
            |p: &mut Self, _: &mut RelationChangedEvent| p.set_unit_ip().map_err(Into::into),
        );
        scope.observe_as(
            "_set_unit_ip",
            on::update_status(),
            |p: &mut Self, _: &mut UpdateStatusEvent| p.set_unit_ip().map_err(Into::into),
        );
        MetricsEndpointProvider {
            model: scope.model().clone(),
            relation_name: relation_name.to_owned(),
            jobs: jobs.iter().map(sanitize_scrape_config).collect(),
        }
    }

    /// A provider that observes no events: nothing is published unless the
    /// charm calls [`set_scrape_job_spec`](Self::set_scrape_job_spec) or
    /// [`set_unit_ip`](Self::set_unit_ip) itself. For a charm that, like
    /// upstream's k8s-5-observe with an invalid config, offers no scrape
    /// target in this dispatch but still needs a value for its field.
    pub fn detached(model: &Model, relation_name: &str, jobs: Vec<Value>) -> Self {
        MetricsEndpointProvider {
            model: model.clone(),
            relation_name: relation_name.to_owned(),
            jobs: jobs.iter().map(sanitize_scrape_config).collect(),
        }
    }

    /// Also publishes everything when `on` is emitted (upstream's
    /// `refresh_event`), e.g. `on::config_changed()` when the port is config.
    pub fn refresh_on<C: Charm, E: Event>(scope: &mut ObjectScope<'_, C, Self>, on: ops::On<E>) {
        scope.observe_as("set_scrape_job_spec", on, |p: &mut Self, _: &mut E| {
            p.handle()
        });
    }

    fn handle(&mut self) -> HandlerResult {
        self.set_scrape_job_spec()?;
        Ok(())
    }

    /// The endpoint.
    pub fn relation_name(&self) -> &str {
        &self.relation_name
    }

    /// The jobs as published: sanitized, or the default job when none.
    pub fn scrape_jobs(&self) -> Vec<Value> {
        if self.jobs.is_empty() {
            vec![default_job()]
        } else {
            self.jobs.clone()
        }
    }

    /// Replaces the jobs and publishes them (upstream's `update_scrape_job_spec`).
    pub fn update_scrape_job_spec(&mut self, jobs: Vec<Value>) -> Result<(), ScrapeError> {
        self.jobs = jobs.iter().map(sanitize_scrape_config).collect();
        self.set_scrape_job_spec()
    }

    /// Writes the unit bag and, on the leader, the application bag of every
    /// relation of the endpoint.
    pub fn set_scrape_job_spec(&self) -> Result<(), ScrapeError> {
        self.set_unit_ip()?;
        let err = |source| ScrapeError::Model {
            endpoint: self.relation_name.clone(),
            source,
        };
        if !self.model.unit().is_leader().map_err(err)? {
            return Ok(());
        }
        let metadata = serde_json::to_string(&topology(&self.model))?;
        let jobs = serde_json::to_string(&self.scrape_jobs())?;
        for relation in self.model.relations(&self.relation_name).map_err(err)? {
            let bag = relation.data(self.model.app());
            bag.set("scrape_metadata", &metadata).map_err(err)?;
            bag.set("scrape_jobs", &jobs).map_err(err)?;
            bag.set("alert_rules", "{}").map_err(err)?;
        }
        Ok(())
    }

    /// Writes this unit's address and name to every relation of the endpoint.
    pub fn set_unit_ip(&self) -> Result<(), ScrapeError> {
        let err = |source| ScrapeError::Model {
            endpoint: self.relation_name.clone(),
            source,
        };
        let relations = self.model.relations(&self.relation_name).map_err(err)?;
        if relations.is_empty() {
            return Ok(());
        }
        let network = self.model.get_network(&self.relation_name).map_err(err)?;
        let ip = network
            .bind_addresses
            .iter()
            .flat_map(|b| b.addresses.iter())
            .map(|a| a.value.clone())
            .find(|v| v.parse::<std::net::IpAddr>().is_ok());
        let fqdn = host_name();
        let (address, fqdn) = match ip {
            Some(ip) => (ip, fqdn),
            None => (fqdn.clone(), fqdn),
        };
        for relation in relations {
            let bag = relation.data(self.model.unit());
            bag.set("prometheus_scrape_unit_address", &address)
                .map_err(err)?;
            bag.set("prometheus_scrape_unit_path", "").map_err(err)?;
            bag.set("prometheus_scrape_unit_name", self.model.unit().name())
                .map_err(err)?;
            bag.set("prometheus_scrape_unit_fqdn", &fqdn).map_err(err)?;
        }
        Ok(())
    }
}

/// The machine's host name (Linux), or empty when it cannot be read.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}
