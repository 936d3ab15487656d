//! The requirer side of the `loki_push_api` interface for Pebble log
//! forwarding: a Rust port of the part of `LogForwarder` (from the loki-k8s
//! charm's `loki_push_api` library, v1) that a Kubernetes charm needs to
//! have Pebble push its workloads' logs to Loki.
//!
//! Each remote Loki unit writes, in its unit databag, `endpoint`: JSON
//! `{"url": "http://…/loki/api/v1/push"}`. The forwarder collects these
//! (keyed by the Loki unit's name) from every relation of its endpoint and
//! adds to each workload container a layer labelled
//! `<container>-log-forwarding` with one Pebble log target per Loki unit:
//! `override: replace`, `type: loki`, `location: <url>`, `services: [all]`
//! and the labels `product`, `charm`, `juju_model`, `juju_model_uuid`,
//! `juju_application`, `juju_unit` and `job`
//! (`juju_<model>_<uuid prefix>_<application>`). A target in the plan
//! whose Loki unit is gone is replaced by a disabled one
//! (`services: [-all]`, location `(removed)`), as upstream does.
//!
//! When, as upstream: `relation-joined`, `-changed`, `-departed` and
//! `-broken` of the endpoint update every container Pebble answers in;
//! each container's `pebble-ready` updates that container. Nothing changes
//! while no Loki endpoint is known.
//!
//! Left out: alert rules (upstream's `ConsumerBase` forwards LogQL rule
//! files), refresh events, and the Juju version check.
//!
//! ```
//! use loki_push_api::LogForwarder;
//! use ops::{Charm, Framework};
//!
//! struct MyCharm {
//!     logging: LogForwarder,
//! }
//!
//! impl Charm for MyCharm {
//!     fn new(framework: &mut Framework<Self>) -> Self {
//!         let mut scope = framework.object("logging", |c: &mut Self| &mut c.logging);
//!         MyCharm { logging: LogForwarder::new(&mut scope, "logging") }
//!     }
//! }
//! ```

use ops::pebble::{Layer, LogTarget, LogTargetType, Override};
use ops::{
    Charm, Container, HandlerResult, Model, ModelError, ObjectScope, PebbleError, PebbleReadyEvent,
    RelationBrokenEvent, RelationChangedEvent, RelationDepartedEvent, RelationJoinedEvent, on,
};
use std::collections::BTreeMap;

/// The endpoint name upstream uses by default.
pub const DEFAULT_RELATION_NAME: &str = "logging";

/// Why the forwarder could not update log forwarding.
#[derive(Debug, thiserror::Error)]
pub enum LogForwardingError {
    /// Reading the relations of the endpoint failed.
    #[error(
        "loki_push_api could not read the Loki endpoints on {endpoint:?}: {source}; check the relation"
    )]
    Model {
        /// The endpoint.
        endpoint: String,
        /// What failed.
        source: ModelError,
    },
    /// Pebble refused the log-forwarding layer.
    #[error(
        "loki_push_api could not add the log-forwarding layer to container {container:?}: {source}; check the workload container's Pebble"
    )]
    Pebble {
        /// The container.
        container: String,
        /// What failed (boxed: Pebble errors carry the change's details).
        source: Box<PebbleError>,
    },
}

/// Sets Pebble log targets in the workload containers for the Loki units
/// related on one `loki_push_api` endpoint (upstream's `LogForwarder`).
#[derive(Debug, Clone)]
pub struct LogForwarder {
    model: Model,
    relation_name: String,
}

impl LogForwarder {
    /// A forwarder on `relation_name`; registers its observers in `scope`.
    pub fn new<C: Charm>(scope: &mut ObjectScope<'_, C, Self>, relation_name: &str) -> Self {
        scope.observe_as(
            "_update_logging",
            on::relation_joined(relation_name),
            |f: &mut Self, _: &mut RelationJoinedEvent| f.update(),
        );
        scope.observe_as(
            "_update_logging",
            on::relation_changed(relation_name),
            |f: &mut Self, _: &mut RelationChangedEvent| f.update(),
        );
        scope.observe_as(
            "_update_logging",
            on::relation_departed(relation_name),
            |f: &mut Self, _: &mut RelationDepartedEvent| f.update(),
        );
        scope.observe_as(
            "_update_logging",
            on::relation_broken(relation_name),
            |f: &mut Self, _: &mut RelationBrokenEvent| f.update(),
        );
        let containers: Vec<String> = scope.model().meta().containers.keys().cloned().collect();
        for name in containers {
            scope.observe_as(
                "_on_pebble_ready",
                on::pebble_ready(&name),
                |f: &mut Self, event: &mut PebbleReadyEvent| {
                    let endpoints = f.endpoints()?;
                    if endpoints.is_empty() {
                        tracing::warn!("No Loki endpoints available");
                        return Ok(());
                    }
                    f.update_container(&event.workload, &endpoints)?;
                    Ok(())
                },
            );
        }
        LogForwarder {
            model: scope.model().clone(),
            relation_name: relation_name.to_owned(),
        }
    }

    fn update(&mut self) -> HandlerResult {
        self.update_logging()?;
        Ok(())
    }

    /// The endpoint.
    pub fn relation_name(&self) -> &str {
        &self.relation_name
    }

    /// The Loki push URLs by Loki unit name, from every relation whose
    /// units have all published a valid `endpoint` (upstream's `is_ready`).
    pub fn endpoints(&self) -> Result<BTreeMap<String, String>, LogForwardingError> {
        let err = |source| LogForwardingError::Model {
            endpoint: self.relation_name.clone(),
            source,
        };
        let mut all = BTreeMap::new();
        for relation in self.model.relations(&self.relation_name).map_err(err)? {
            let mut urls = BTreeMap::new();
            let mut ready = true;
            for unit in relation.units() {
                let url = relation
                    .data(unit)
                    .get("endpoint")
                    .map_err(err)?
                    .and_then(|raw| serde_json::from_str::<serde_json::Value>(&raw).ok())
                    .and_then(|v| v.get("url").and_then(|u| u.as_str()).map(str::to_owned));
                match url {
                    Some(url) => {
                        urls.insert(unit.name().to_owned(), url);
                    }
                    None => ready = false,
                }
            }
            if ready && !urls.is_empty() {
                all.extend(urls);
            } else {
                tracing::warn!("The relation '{}' is not ready yet.", relation.name());
            }
        }
        Ok(all)
    }

    /// Whether any relation exists and each has a Loki endpoint.
    pub fn is_ready(&self) -> Result<bool, LogForwardingError> {
        let err = |source| LogForwardingError::Model {
            endpoint: self.relation_name.clone(),
            source,
        };
        let relations = self.model.relations(&self.relation_name).map_err(err)?;
        Ok(!relations.is_empty() && !self.endpoints()?.is_empty())
    }

    /// Updates log forwarding in every container Pebble answers in.
    pub fn update_logging(&self) -> Result<(), LogForwardingError> {
        let endpoints = self.endpoints()?;
        if endpoints.is_empty() {
            tracing::warn!("No Loki endpoints available");
            return Ok(());
        }
        let containers =
            self.model
                .unit()
                .containers()
                .map_err(|source| LogForwardingError::Model {
                    endpoint: self.relation_name.clone(),
                    source,
                })?;
        for container in containers.values() {
            if container.can_connect() {
                self.update_container(container, &endpoints)?;
            }
        }
        Ok(())
    }

    /// Disables targets of Loki units that are gone and enables one per
    /// endpoint, in the layer `<container>-log-forwarding`.
    pub fn update_container(
        &self,
        container: &Container,
        endpoints: &BTreeMap<String, String>,
    ) -> Result<(), LogForwardingError> {
        let err = |source| LogForwardingError::Pebble {
            container: container.name().to_owned(),
            source: Box::new(source),
        };
        let label = format!("{}-log-forwarding", container.name());
        let plan = container.get_plan().map_err(err)?;
        for (unit, target) in &plan.log_targets {
            if target.services.iter().any(|s| s == "-all") || endpoints.contains_key(unit) {
                continue;
            }
            let layer = Layer::new().log_target(unit.clone(), self.log_target("(removed)", false));
            container.add_layer(&label, &layer, true).map_err(err)?;
        }
        let mut layer = Layer::new();
        for (unit, url) in endpoints {
            layer = layer.log_target(unit.clone(), self.log_target(url, true));
        }
        container.add_layer(&label, &layer, true).map_err(err)
    }

    /// One Pebble log target for a Loki push URL (upstream's `_build_log_target`).
    pub fn log_target(&self, location: &str, enable: bool) -> LogTarget {
        let mut target = LogTarget::default();
        target.r#override = Some(Override::Replace);
        target.target_type = Some(LogTargetType::Loki);
        target.location = location.to_owned();
        target.services = vec![if enable { "all" } else { "-all" }.to_owned()];
        if enable {
            let model = &self.model;
            let uuid_prefix: String = model.uuid().chars().take(8).collect();
            let app = model.app().name();
            target.labels = [
                ("product", "Juju".to_owned()),
                ("charm", model.meta().name.clone()),
                ("juju_model", model.name().to_owned()),
                ("juju_model_uuid", model.uuid().to_owned()),
                ("juju_application", app.to_owned()),
                ("juju_unit", model.unit().name().to_owned()),
                ("job", format!("juju_{}_{uuid_prefix}_{app}", model.name())),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        }
        target
    }
}
