//! A small charm that touches most of the model, for the property tests
//! and the `state_json` fuzz target (which includes this file). Every
//! call's error is ignored, so one run reaches as far as it can.

use ops::{
    ActiveStatus, Charm, Framework, HandlerResult, Model, SecretQuery, StartEvent, StoredState,
    UpdateStatusEvent, on,
};
use serde::{Deserialize, Serialize};

/// The metadata the probe charm runs with.
pub const PROBE_META: &str = "
name: probe
requires:
  db: {interface: pgsql}
peers:
  peers: {interface: probe_peers}
config:
  options:
    port: {type: int, default: 8080}
    name: {type: string}
actions:
  go: {}
";

/// What the probe charm keeps between runs.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    /// How many events it handled.
    pub runs: u64,
}

/// Reads and writes config, relations, secrets, status and stored state.
pub struct ProbeCharm {
    model: Model,
    stored: StoredState<Counters>,
    secret_ids: Vec<String>,
}

impl Charm for ProbeCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Vec::new())
    }
}

impl ProbeCharm {
    /// The charm, told which secrets to look up.
    pub fn build(framework: &mut Framework<Self>, secret_ids: Vec<String>) -> Self {
        framework.observe(on::start(), Self::on_start);
        framework.observe(on::update_status(), Self::on_update_status);
        ProbeCharm {
            model: framework.model().clone(),
            stored: framework.stored_state("_stored"),
            secret_ids,
        }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.touch();
        Ok(())
    }

    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        self.touch();
        Ok(())
    }

    fn touch(&self) {
        let model = &self.model;
        let _ = model.config();
        let _ = model.app().planned_units();
        for endpoint in ["db", "peers"] {
            for relation in model.relations(endpoint).unwrap_or_default() {
                let _ = relation.data(model.unit()).to_map();
                let _ = relation.data(model.unit()).set("seen", "yes");
                let _ = relation.data(model.app()).set("leader", "maybe");
                if let Some(app) = relation.app() {
                    let _ = relation.data(app).to_map();
                }
                for unit in relation.units() {
                    let _ = relation.data(unit).get("key");
                }
            }
        }
        for id in &self.secret_ids {
            if let Ok(secret) = model.get_secret(SecretQuery::id(id)) {
                let _ = secret.get_content(false);
                let _ = secret.peek_content();
                let _ = secret.get_info();
                let _ = secret.set_content([("k".to_owned(), "v".to_owned())].into());
            }
        }
        let _ = model.unit().set_status(ActiveStatus::new("probed"));
        let _ = model.app().set_status(ActiveStatus::new("probed"));
        let mut counters = self.stored.borrow_mut();
        counters.runs = counters.runs.saturating_add(1);
    }
}
