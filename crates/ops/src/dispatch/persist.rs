//! Loading and saving what the framework keeps between dispatches, in
//! Juju's unit state.

use super::{MainError, STATE_KEY};
use crate::backend::Backend;
use crate::framework::notice::Persisted;

pub(super) fn load_persisted(backend: &dyn Backend, unit: &str) -> Result<Persisted, MainError> {
    let failed = |reason: String| MainError::LoadState {
        unit: unit.to_owned(),
        reason,
    };
    match backend.state_get(STATE_KEY) {
        Ok(None) => Ok(Persisted::default()),
        Ok(Some(text)) => serde_json::from_str(&text).map_err(|e| {
            failed(format!(
                "it is not what this version of juju-ops saves: {e}"
            ))
        }),
        Err(e) => Err(failed(e.to_string())),
    }
}

pub(super) fn save_persisted(
    backend: &dyn Backend,
    persisted: &Persisted,
) -> Result<(), MainError> {
    // Serialising plain JSON values cannot fail; an empty document would only
    // mean nothing is saved.
    let text = serde_json::to_string(persisted).unwrap_or_default();
    let bytes = text.len();
    let entries = [(STATE_KEY.to_owned(), text)].into_iter().collect();
    backend
        .state_set(&entries)
        .map_err(|source| MainError::SaveState { bytes, source })
}
