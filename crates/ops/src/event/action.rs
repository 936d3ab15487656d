//! Action events.

use super::{Event, Snapshot, text};
use crate::error::ModelError;
use crate::model::Model;
use serde_json::Value;

/// An action run by an operator (`juju run unit/0 <action>`).
///
/// ```no_run
/// # fn demo(event: &mut ops::ActionEvent) -> ops::HandlerResult {
/// let params = event.params().clone();
/// event.log("starting")?;
/// if params.get("target").is_none() {
///     event.fail("give a target")?;
///     return Ok(());
/// }
/// event.set_results(serde_json::json!({"done": "yes"}))?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ActionEvent {
    /// The action's id (`JUJU_ACTION_UUID`).
    pub id: String,
    name: String,
    params: serde_json::Map<String, Value>,
    model: Model,
    deferred: bool,
}

impl ActionEvent {
    /// The parameters the operator gave.
    pub fn params(&self) -> &serde_json::Map<String, Value> {
        &self.params
    }

    /// The parameters converted to the charm's own type with serde.
    ///
    /// Juju fills in the `default` of every parameter the operator left out
    /// and refuses to run the action without its `required` ones, so a
    /// parameter with a default can be a plain field.
    pub fn load_params<T: serde::de::DeserializeOwned>(&self) -> Result<T, ModelError> {
        serde_json::from_value(Value::Object(self.params.clone())).map_err(|e| {
            ModelError::ActionParams {
                action: self.name.clone(),
                target: std::any::type_name::<T>().to_owned(),
                reason: e.to_string(),
            }
        })
    }

    /// The action's name, as the metadata declares it (`do-backup`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds results (a JSON object; nested objects allowed). Results of
    /// several calls are merged.
    pub fn set_results(&self, results: Value) -> Result<(), ModelError> {
        let Value::Object(map) = results else {
            return Err(ModelError::InvalidActionResults {
                reason: "results must be a JSON object of key/value pairs".to_owned(),
            });
        };
        validate_results(&map, "")?;
        self.model.shared().backend.action_set(&map)
    }

    /// Sends a progress message to the operator.
    pub fn log(&self, message: &str) -> Result<(), ModelError> {
        self.model.shared().backend.action_log(message)
    }

    /// Marks the action as failed. The handler goes on running; results set
    /// before or after still count.
    pub fn fail(&self, message: &str) -> Result<(), ModelError> {
        self.model.shared().backend.action_fail(message)
    }

    /// Actions cannot really be deferred; ops allows the call, so this does too.
    pub fn defer(&mut self) {
        self.deferred = true;
    }
}

/// Juju's rule for result keys, per dotted segment: `^[a-z0-9](([a-z0-9-.]+)?[a-z0-9])?$`.
fn validate_results(map: &serde_json::Map<String, Value>, prefix: &str) -> Result<(), ModelError> {
    const RESERVED: [&str; 4] = ["stdout", "stdout-encoding", "stderr", "stderr-encoding"];
    for (key, value) in map {
        let valid = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && key
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && key
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        let full = format!("{prefix}{key}");
        if !valid {
            return Err(ModelError::InvalidActionResults {
                reason: format!(
                    "key {full:?} is not allowed: use lowercase letters, digits, '-' and '.', \
                     starting and ending with a letter or digit"
                ),
            });
        }
        if prefix.is_empty() && RESERVED.contains(&key.as_str()) {
            return Err(ModelError::InvalidActionResults {
                reason: format!("key {full:?} is reserved by Juju; pick another name"),
            });
        }
        if let Value::Object(inner) = value {
            validate_results(inner, &format!("{full}."))?;
        }
    }
    Ok(())
}

impl Event for ActionEvent {
    fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
        Ok(ActionEvent {
            id: text(snapshot, "id").unwrap_or_default(),
            name: model
                .shared()
                .context
                .dispatch_path
                .strip_prefix("actions/")
                .unwrap_or_default()
                .to_owned(),
            params: model.shared().backend.action_get()?,
            model: model.clone(),
            deferred: false,
        })
    }
    fn is_deferred(&self) -> bool {
        self.deferred
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn result_keys_follow_juju_rules() {
        let ok: serde_json::Map<String, Value> =
            serde_json::from_str(r#"{"a": 1, "b-c": {"d.e": "x"}}"#).unwrap();
        assert!(validate_results(&ok, "").is_ok());
        for bad in [
            r#"{"A": 1}"#,
            r#"{"-a": 1}"#,
            r#"{"stdout": 1}"#,
            r#"{"a": {"b_c": 1}}"#,
        ] {
            let map: serde_json::Map<String, Value> = serde_json::from_str(bad).unwrap();
            assert!(validate_results(&map, "").is_err(), "{bad}");
        }
    }
}
