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

/// The sequence number for the next deferred notice: one more than the
/// largest in `queue` (1 for an empty queue), or an error when the largest is
/// already `u64::MAX`. Only a hand-edited or corrupt queue gets there: a real
/// charm would need to defer an event every nanosecond for 584 years.
pub(crate) fn next_sequence(
    queue: &[DeferredNotice],
    event: &str,
) -> Result<u64, SequenceExhausted> {
    let Some(last) = queue.iter().max_by_key(|n| n.sequence()) else {
        return Ok(1);
    };
    last.sequence()
        .checked_add(1)
        .ok_or_else(|| SequenceExhausted {
            event: event.to_owned(),
            last: last.handle_path.clone(),
        })
}

/// A deferral that would need a sequence number past `u64::MAX`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot defer {event}: the deferred-event queue already holds {last}, the largest sequence \
     number there is ({}), so no number is left for a new notice; the persisted queue was edited \
     or is corrupt: drop that notice or give it a smaller number (in a test, the `[n]` of the \
     DeferredEvent's handle path)",
    u64::MAX
)]
pub struct SequenceExhausted {
    /// The handle path of the event that was being deferred, without `[n]`.
    pub event: String,
    /// The handle path of the queued notice holding the largest number.
    pub last: String,
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

    fn notice(handle_path: &str) -> DeferredNotice {
        DeferredNotice {
            handle_path: handle_path.to_owned(),
            owner: "MyCharm".to_owned(),
            observer: "on_start".to_owned(),
            snapshot: Snapshot::new(),
        }
    }

    #[test]
    fn sequence_numbers_follow_the_largest_and_stop_at_the_last_one() {
        assert_eq!(next_sequence(&[], "MyCharm/on/start"), Ok(1));
        let queue = [notice("MyCharm/on/start[3]"), notice("MyCharm/on/start[9]")];
        assert_eq!(next_sequence(&queue, "MyCharm/on/start"), Ok(10));
        let last = format!("MyCharm/on/start[{}]", u64::MAX);
        let queue = [notice("MyCharm/on/start[1]"), notice(&last)];
        let err = next_sequence(&queue, "MyCharm/on/config_changed").unwrap_err();
        assert_eq!(err.last, last);
        let message = err.to_string();
        assert!(
            message.contains("cannot defer MyCharm/on/config_changed")
                && message.contains(&last)
                && message.contains("drop that notice"),
            "{message}"
        );
    }
}
