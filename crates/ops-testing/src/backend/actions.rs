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
