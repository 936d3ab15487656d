//! Each unit's state (`state-get`, `state-set`, `state-delete`): where
//! the framework persists stored state and deferred events under Juju.

use super::{Actor, ModelStore};
use ops::StringMap;

impl ModelStore {
    /// `state-get <key>`: the value, if the key is set.
    pub fn state_get(&self, actor: &Actor, key: &str) -> Option<String> {
        self.unit_state
            .get(actor.unit())
            .and_then(|state| state.get(key))
            .cloned()
    }

    /// `state-get` without a key: the whole state of the actor's unit.
    pub fn state_get_all(&self, actor: &Actor) -> StringMap {
        self.unit_state
            .get(actor.unit())
            .cloned()
            .unwrap_or_default()
    }

    /// `state-set`: sets each entry; an empty value deletes its key, as
    /// Juju does.
    pub fn state_set(&mut self, actor: &Actor, entries: &StringMap) {
        let state = self
            .unit_state
            .entry(actor.unit_name().clone())
            .or_default();
        merge(state, entries);
    }

    /// `state-delete <key>`: deleting a missing key changes nothing.
    pub fn state_delete(&mut self, actor: &Actor, key: &str) {
        if let Some(state) = self.unit_state.get_mut(actor.unit()) {
            state.remove(key);
        }
    }
}

/// Juju's merge of string maps: an empty value deletes its key.
pub(crate) fn merge(target: &mut StringMap, changes: &StringMap) {
    for (key, value) in changes {
        if value.is_empty() {
            target.remove(key);
        } else {
            target.insert(key.clone(), value.clone());
        }
    }
}

/// [`merge`] moving the changes in: nothing is copied, and a bag that
/// would not change is not touched (so a shared one is not copied).
pub(crate) fn merge_owned(target: &mut crate::Databag, changes: StringMap) {
    for (key, value) in changes {
        if value.is_empty() {
            if target.contains_key(&key) {
                target.remove(&key);
            }
        } else if target.get(&key) != Some(&value) {
            target.insert(key, value);
        }
    }
}
