//! The action tools (`action-get`, `action-set`, `action-log`,
//! `action-fail`): only the harness runs actions in-process, so these
//! stay out of the model store.

use super::records::Records;
use ops::ModelError;
use ops::backend::BackendResult;
use serde_json::Value;

type Params = serde_json::Map<String, Value>;

/// The action being run, if any, and what it reported into `records`.
pub(super) struct Action {
    params: Option<Params>,
}

impl Action {
    pub(super) fn new(params: Option<Params>) -> Self {
        Action { params }
    }

    /// The parameters, if an action is running; the action tools fail otherwise.
    fn running(&self, tool: &str) -> BackendResult<&Params> {
        self.params.as_ref().ok_or_else(|| ModelError::NotInAction {
            tool: tool.to_owned(),
        })
    }

    pub(super) fn get(&self) -> BackendResult<Params> {
        self.running("action-get").cloned()
    }

    pub(super) fn set(&self, records: &mut Records, results: &Params) -> BackendResult<()> {
        self.running("action-set")?;
        let stored = records.action_results.get_or_insert_with(Default::default);
        for (key, value) in results {
            stored.insert(key.clone(), value.clone());
        }
        Ok(())
    }

    pub(super) fn log(&self, records: &mut Records, message: &str) -> BackendResult<()> {
        self.running("action-log")?;
        records.action_logs.push(message.to_owned());
        Ok(())
    }

    pub(super) fn fail(&self, records: &mut Records, message: &str) -> BackendResult<()> {
        self.running("action-fail")?;
        records.action_failure = Some(message.to_owned());
        Ok(())
    }
}

/// What Juju does with an operator's parameters before it queues the
/// action: fill in each declared `default` the operator left out (inside
/// object parameters too), then check that every `required` parameter is
/// there. Juju refuses to queue the action otherwise, with its JSON-schema
/// validator's message, which this returns. Types and undeclared parameters
/// are the consistency check's (as in ops.testing).
pub(crate) fn enqueue(spec: &ops::meta::ActionMeta, given: &Params) -> Result<Params, String> {
    let mut params = given.clone();
    let properties: Params = spec
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let required: Vec<Value> = spec.required.iter().cloned().map(Value::from).collect();
    let mut missing = Vec::new();
    fill_and_check(&properties, &required, &mut params, "(root)", &mut missing);
    if missing.is_empty() {
        Ok(params)
    } else {
        Err(format!("validation failed: {}", missing.join("; ")))
    }
}

/// Fills defaults into `target` from `properties`, and records in
/// `missing` each `required` name still absent, as `<context>: <name> is required`.
fn fill_and_check(
    properties: &Params,
    required: &[Value],
    target: &mut Params,
    context: &str,
    missing: &mut Vec<String>,
) {
    for (name, schema) in properties {
        if !target.contains_key(name)
            && let Some(default) = schema.get("default")
        {
            target.insert(name.clone(), default.clone());
        }
        if let (Some(Value::Object(inner)), Some(Value::Object(inner_properties))) =
            (target.get_mut(name), schema.get("properties"))
        {
            let inner_required = schema
                .get("required")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            fill_and_check(
                inner_properties,
                &inner_required,
                inner,
                &format!("{context}.{name}"),
                missing,
            );
        }
    }
    for name in required.iter().filter_map(Value::as_str) {
        if !target.contains_key(name) {
            missing.push(format!("{context}: {name} is required"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(yaml: &str) -> ops::meta::ActionMeta {
        let meta = ops::CharmMeta::from_yaml(&format!("name: x\nactions:\n  a:\n{yaml}")).unwrap();
        meta.actions["a"].clone()
    }

    fn params(value: Value) -> Params {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn defaults_are_filled_and_given_values_kept() {
        let spec = spec(
            "    params:\n      n: {type: integer, default: 3}\n      s: {type: string, default: x}\n",
        );
        let got = enqueue(&spec, &params(json!({"s": "given"}))).unwrap();
        assert_eq!(Value::Object(got), json!({"n": 3, "s": "given"}));
    }

    #[test]
    fn a_missing_required_param_is_refused_with_jujus_message() {
        let spec = spec(
            "    params:\n      target: {type: string}\n      n: {type: integer}\n    required: [target, n]\n",
        );
        assert_eq!(
            enqueue(&spec, &params(json!({}))).unwrap_err(),
            "validation failed: (root): target is required; (root): n is required"
        );
    }

    #[test]
    fn a_required_param_with_a_default_is_satisfied() {
        let spec = spec("    params:\n      n: {type: integer, default: 1}\n    required: [n]\n");
        assert_eq!(
            Value::Object(enqueue(&spec, &params(json!({}))).unwrap()),
            json!({"n": 1})
        );
    }

    #[test]
    fn object_params_get_their_defaults_and_required_checked() {
        let spec = spec(
            "    params:\n      opts:\n        type: object\n        properties:\n          depth: {type: integer, default: 2}\n          name: {type: string}\n        required: [name]\n",
        );
        assert_eq!(
            enqueue(&spec, &params(json!({"opts": {}}))).unwrap_err(),
            "validation failed: (root).opts: name is required"
        );
        let got = enqueue(&spec, &params(json!({"opts": {"name": "n"}}))).unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"opts": {"name": "n", "depth": 2}})
        );
    }
}
