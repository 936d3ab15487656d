//! The result of an action (`juju run`) or of `juju exec`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One task's outcome, from the JSON `juju run` and `juju exec` print.
///
/// Juju mixes `return-code`, `stdout` and `stderr` into the task's results;
/// here they are taken out into their own fields, and
/// [`results`](Self::results) holds only what the action itself set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The resolved unit name (for `juju exec --machine`, the machine id):
    /// `app/0` even when `app/leader` was asked for.
    pub unit: String,
    /// The task id (for `juju show-task`).
    pub id: String,
    /// `completed`, `failed`, `error`, `cancelled` or `aborted`.
    pub status: String,
    /// The failure message the action set, if any.
    pub message: String,
    /// The lines the action logged.
    pub log: Vec<String>,
    /// The action's own results (nested maps as the action set them).
    pub results: Map<String, Value>,
    /// The exit code of the action or command.
    pub return_code: i64,
    /// What the action or command printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

impl Task {
    /// Whether the task completed with return code 0.
    pub fn success(&self) -> bool {
        self.status == "completed" && self.return_code == 0
    }

    /// The action's results read into your own type with serde. Values an
    /// action sets with `action-set` come back from Juju as strings (dotted
    /// keys as nested maps), so declare such fields as `String`.
    pub fn results_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(Value::Object(self.results.clone()))
    }

    /// Parses the output of `juju run --format json` or `juju exec --format
    /// json` for one unit: `{"app/0": {"id", "status", "results", …}}`.
    pub fn from_json(json: &str) -> Result<Task, String> {
        let top: Map<String, Value> =
            serde_json::from_str(json).map_err(|error| format!("not a JSON object: {error}"))?;
        let mut entries = top.into_iter();
        let (key, value) = entries
            .next()
            .ok_or_else(|| "no task in the output (was the unit or action found?)".to_owned())?;
        if entries.next().is_some() {
            return Err("more than one task in the output; run one unit at a time".to_owned());
        }
        let Value::Object(mut task) = value else {
            return Err(format!("the entry for `{key}` is not an object"));
        };
        let text = |task: &mut Map<String, Value>, name: &str| match task.remove(name) {
            Some(Value::String(s)) => s,
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let mut results = match task.remove("results") {
            Some(Value::Object(results)) => results,
            Some(Value::Null) | None => Map::new(),
            Some(other) => return Err(format!("`results` is not an object: {other}")),
        };
        let return_code = match results.remove("return-code").or(results.remove("Code")) {
            Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
            Some(Value::String(s)) => s.parse().unwrap_or(-1),
            _ => 0,
        };
        let take = |results: &mut Map<String, Value>, name: &str| match results.remove(name) {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let stdout = take(&mut results, "stdout");
        let stderr = take(&mut results, "stderr");
        let log = match task.remove("log") {
            Some(Value::Array(lines)) => lines
                .into_iter()
                .map(|line| match line {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let unit = match text(&mut task, "unit") {
            unit if unit.is_empty() => key,
            unit => unit,
        };
        Ok(Task {
            unit,
            id: text(&mut task, "id"),
            status: text(&mut task, "status"),
            message: text(&mut task, "message"),
            log,
            results,
            return_code,
            stdout,
            stderr,
        })
    }
}
