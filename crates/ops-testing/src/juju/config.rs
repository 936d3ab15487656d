//! Application config (`config-get`).

use super::{Actor, ModelStore, Name};
use serde_json::Value;
use std::collections::BTreeMap;

impl ModelStore {
    /// `config-get`: the config values set on the actor's application.
    /// Defaults from the charm's metadata are the caller's to add.
    pub fn config_get(&self, actor: &Actor) -> BTreeMap<String, Value> {
        self.config.get(actor.app()).cloned().unwrap_or_default()
    }

    /// Sets (or, with `None`, unsets) one config value of `app`, as
    /// `juju config` does.
    pub fn set_config(&mut self, app: &str, key: &str, value: Option<Value>) {
        let config = self.config.entry(Name::from(app)).or_default();
        match value {
            Some(value) => {
                config.insert(key.to_owned(), value);
            }
            None => {
                config.remove(key);
            }
        }
    }
}
