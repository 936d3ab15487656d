//! What the framework keeps between dispatches: deferred-event notices and
//! stored state, as plain data.

use crate::event::Snapshot;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// An event a handler deferred, waiting to be emitted again.
///
/// Its identity is the one ops gives it: the event's handle path, the
/// handle path of the object whose handler deferred it, and the handler's
/// name. None of these depends on Rust module paths or on the compiler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeferredNotice {
    /// `<owner>/on/<event>[<n>]`, as ops names it: `MyCharm/on/start[3]`,
    /// `MyCharm/Db[db]/on/ready[7]`.
    pub handle_path: String,
    /// The handle path of the object that observed the event: `MyCharm`,
    /// or `MyCharm/Db[db]` for a library object.
    pub owner: String,
    /// The name of the handler that deferred it.
    pub observer: String,
    /// What is needed to rebuild the event.
    pub snapshot: Snapshot,
}

impl DeferredNotice {
    /// The event's name (`start`, `db_relation_changed`, …): the last path
    /// segment without its `[n]`.
    pub fn event_name(&self) -> &str {
        event_name_of(&self.handle_path)
    }

    /// The `n` of `[n]`, 0 if absent.
    pub(crate) fn sequence(&self) -> u64 {
        self.handle_path
            .rsplit_once('[')
            .and_then(|(_, rest)| rest.strip_suffix(']'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// The event's path without `[n]`: `MyCharm/on/start`.
    pub(crate) fn event_path(&self) -> &str {
        self.handle_path
            .rsplit_once('[')
            .filter(|(_, rest)| rest.ends_with(']'))
            .map_or(&self.handle_path, |(prefix, _)| prefix)
    }
}

/// The event name in a handle path: `MyCharm/on/db_relation_changed[3]` →
/// `db_relation_changed`.
pub fn event_name_of(handle_path: &str) -> &str {
    let last = handle_path.rsplit('/').next().unwrap_or(handle_path);
    last.split('[').next().unwrap_or(last)
}

/// What the framework keeps between dispatches: the deferred-event queue
/// and stored state by handle path (`<Owner>/StoredStateData[<name>]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Persisted {
    /// Deferred events, in the order they will be re-emitted.
    pub deferred: Vec<DeferredNotice>,
    /// Stored state content by handle path.
    pub stored: BTreeMap<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_library_events_are_split_at_the_last_index() {
        let notice = DeferredNotice {
            handle_path: "MyCharm/Db[db]/on/ready[7]".to_owned(),
            owner: "MyCharm/Db[db]".to_owned(),
            observer: "on_ready".to_owned(),
            snapshot: Snapshot::new(),
        };
        assert_eq!(notice.event_name(), "ready");
        assert_eq!(notice.event_path(), "MyCharm/Db[db]/on/ready");
        assert_eq!(notice.sequence(), 7);
    }
}
