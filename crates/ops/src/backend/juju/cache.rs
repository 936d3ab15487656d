//! What one dispatch remembers of the hook tools' answers, as ops does:
//! each tool call costs milliseconds under Juju, so an answer that cannot
//! change while the hook runs is asked for once.
//!
//! Cached for the dispatch (the backend lives as long as it): the relation
//! ids of each endpoint, the units and remote application of each relation,
//! each relation databag, each relation's remote model, unit and
//! application status, and each binding's network. Juju does not change
//! these under a running hook; the charm's own writes change them, and
//! each write updates or drops what it changes:
//!
//! - `relation-set` merges what it wrote into the cached bag of this unit
//!   (or application), as `relation-get` would now answer (an empty value
//!   removes the key); when the unit's name is not known, the relation's
//!   cached bags of that kind are dropped instead;
//! - `status-set` is what `status-get` answers afterwards.
//!
//! `is-leader` (within its lease) and `config-get` are cached by the
//! backend itself. Failed calls are never cached, so a retry asks again.
//! Secrets, ports, goal state, storage and unit state are not cached: ops
//! asks for them every time too, and Juju or other units may change them.

use crate::backend::BackendResult;
use crate::types::{Network, RelationId, Status, StringMap};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

#[derive(Default)]
struct Entries {
    relation_ids: HashMap<String, Vec<RelationId>>,
    relation_list: HashMap<RelationId, Vec<String>>,
    remote_app: HashMap<RelationId, Option<String>>,
    /// `(relation, member, is_app)` → the bag, shared with the charm's
    /// databag handles (changed copy-on-write).
    bags: HashMap<(RelationId, String, bool), Arc<StringMap>>,
    remote_models: HashMap<RelationId, String>,
    /// `[unit, application]`.
    status: [Option<Status>; 2],
    networks: HashMap<(String, Option<RelationId>), Network>,
}

/// The cache of one dispatch's hook-tool answers.
#[derive(Default)]
pub(super) struct ToolCache {
    entries: Mutex<Entries>,
    /// This unit's name (`JUJU_UNIT_NAME`), read when first needed.
    unit: OnceLock<Option<String>>,
}

/// Sizes only: cached databags may hold operator data.
impl std::fmt::Debug for ToolCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = self.lock();
        f.debug_struct("ToolCache")
            .field("relation_ids", &entries.relation_ids.len())
            .field("relation_list", &entries.relation_list.len())
            .field("bags", &entries.bags.len())
            .finish_non_exhaustive()
    }
}

/// Answers from `cache` (found with `get`), or asks `fetch` and remembers
/// a successful answer with `put`. The lock is not held while the tool runs.
fn cached<T: Clone>(
    cache: &ToolCache,
    get: impl FnOnce(&Entries) -> Option<&T>,
    put: impl FnOnce(&mut Entries, T),
    fetch: impl FnOnce() -> BackendResult<T>,
) -> BackendResult<T> {
    if let Some(answer) = get(&cache.lock()) {
        return Ok(answer.clone());
    }
    let answer = fetch()?;
    put(&mut cache.lock(), answer.clone());
    Ok(answer)
}

impl ToolCache {
    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// This unit's name and its application's, if known.
    fn own_names(&self) -> Option<(&str, &str)> {
        let unit = self
            .unit
            .get_or_init(|| std::env::var("JUJU_UNIT_NAME").ok())
            .as_deref()?;
        let (app, _) = unit.split_once('/')?;
        Some((unit, app))
    }

    /// Sets this unit's name (instead of reading `JUJU_UNIT_NAME`).
    #[cfg(test)]
    pub(super) fn set_unit(&self, unit: &str) {
        let _ = self.unit.set(Some(unit.to_owned()));
    }

    pub(super) fn relation_ids(
        &self,
        endpoint: &str,
        fetch: impl FnOnce() -> BackendResult<Vec<RelationId>>,
    ) -> BackendResult<Vec<RelationId>> {
        cached(
            self,
            |e| e.relation_ids.get(endpoint),
            |e, ids| {
                e.relation_ids.insert(endpoint.to_owned(), ids);
            },
            fetch,
        )
    }

    pub(super) fn relation_list(
        &self,
        id: RelationId,
        fetch: impl FnOnce() -> BackendResult<Vec<String>>,
    ) -> BackendResult<Vec<String>> {
        cached(
            self,
            |e| e.relation_list.get(&id),
            |e, units| {
                e.relation_list.insert(id, units);
            },
            fetch,
        )
    }

    pub(super) fn remote_app(
        &self,
        id: RelationId,
        fetch: impl FnOnce() -> BackendResult<Option<String>>,
    ) -> BackendResult<Option<String>> {
        cached(
            self,
            |e| e.remote_app.get(&id),
            |e, app| {
                e.remote_app.insert(id, app);
            },
            fetch,
        )
    }

    pub(super) fn relation_get(
        &self,
        id: RelationId,
        member: &str,
        is_app: bool,
        fetch: impl FnOnce() -> BackendResult<StringMap>,
    ) -> BackendResult<Arc<StringMap>> {
        let key = (id, member.to_owned(), is_app);
        if let Some(bag) = self.lock().bags.get(&key) {
            return Ok(bag.clone());
        }
        let bag = Arc::new(fetch()?);
        self.lock().bags.insert(key, bag.clone());
        Ok(bag)
    }

    /// After a successful `relation-set`: what `relation-get` of this
    /// unit's (or application's) bag now answers.
    pub(super) fn relation_set(&self, id: RelationId, data: StringMap, is_app: bool) {
        let own = self
            .own_names()
            .map(|(unit, app)| if is_app { app } else { unit }.to_owned());
        let mut entries = self.lock();
        let Some(member) = own else {
            entries
                .bags
                .retain(|(relation, _, app), _| !(*relation == id && *app == is_app));
            return;
        };
        // A bag never read stays unread: the next read asks Juju.
        // A bag a databag handle still holds is copied first (copy-on-write).
        if let Some(bag) = entries.bags.get_mut(&(id, member, is_app)) {
            let bag = Arc::make_mut(bag);
            for (key, value) in data {
                if value.is_empty() {
                    bag.remove(&key);
                } else {
                    bag.insert(key, value);
                }
            }
        }
    }

    pub(super) fn relation_model(
        &self,
        id: RelationId,
        fetch: impl FnOnce() -> BackendResult<String>,
    ) -> BackendResult<String> {
        cached(
            self,
            |e| e.remote_models.get(&id),
            |e, uuid| {
                e.remote_models.insert(id, uuid);
            },
            fetch,
        )
    }

    pub(super) fn status_get(
        &self,
        is_app: bool,
        fetch: impl FnOnce() -> BackendResult<Status>,
    ) -> BackendResult<Status> {
        let slot = usize::from(is_app);
        cached(
            self,
            |e| e.status[slot].as_ref(),
            |e, status| e.status[slot] = Some(status),
            fetch,
        )
    }

    /// After a successful `status-set`.
    pub(super) fn status_set(&self, status: &Status, is_app: bool) {
        self.lock().status[usize::from(is_app)] = Some(status.clone());
    }

    pub(super) fn network(
        &self,
        binding: &str,
        relation_id: Option<RelationId>,
        fetch: impl FnOnce() -> BackendResult<Network>,
    ) -> BackendResult<Network> {
        let key = (binding.to_owned(), relation_id);
        if let Some(network) = self.lock().networks.get(&key) {
            return Ok(network.clone());
        }
        let network = fetch()?;
        self.lock().networks.insert(key, network.clone());
        Ok(network)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ModelError;
    use std::cell::Cell;

    fn map(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// A fetch that counts its calls and answers `answer`.
    fn counting<T: Clone>(calls: &Cell<u32>, answer: T) -> impl FnOnce() -> BackendResult<T> {
        move || {
            calls.set(calls.get() + 1);
            Ok(answer)
        }
    }

    #[test]
    fn each_answer_is_asked_for_once_per_key() {
        let cache = ToolCache::default();
        let calls = Cell::new(0);
        for _ in 0..3 {
            assert_eq!(
                cache.relation_ids("db", counting(&calls, vec![1, 2])),
                Ok(vec![1, 2])
            );
            let units = vec!["pg/0".to_owned()];
            assert_eq!(
                cache.relation_list(1, counting(&calls, units.clone())),
                Ok(units)
            );
            let app = Some("pg".to_owned());
            assert_eq!(cache.remote_app(1, counting(&calls, app.clone())), Ok(app));
            let bag = map(&[("a", "1")]);
            assert_eq!(
                cache.relation_get(1, "pg/0", false, counting(&calls, bag.clone())),
                Ok(Arc::new(bag))
            );
            let uuid = "u".to_owned();
            assert_eq!(
                cache.relation_model(1, counting(&calls, uuid.clone())),
                Ok(uuid)
            );
            let status = Status::Active("ok".into());
            assert_eq!(
                cache.status_get(false, counting(&calls, status.clone())),
                Ok(status)
            );
            let network = Network::default();
            assert_eq!(
                cache.network("db", None, counting(&calls, network.clone())),
                Ok(network)
            );
        }
        assert_eq!(calls.get(), 7);
        // Other keys are asked for.
        cache.relation_ids("web", counting(&calls, vec![])).unwrap();
        cache
            .relation_get(1, "pg", true, counting(&calls, StringMap::new()))
            .unwrap();
        cache
            .status_get(true, counting(&calls, Status::Unknown))
            .unwrap();
        assert_eq!(calls.get(), 10);
    }

    #[test]
    fn failures_are_not_cached() {
        let cache = ToolCache::default();
        let fail = || Err(ModelError::hook_tool("relation-ids", "ERROR boom"));
        assert!(cache.relation_ids("db", fail).is_err());
        let calls = Cell::new(0);
        assert_eq!(
            cache.relation_ids("db", counting(&calls, vec![3])),
            Ok(vec![3])
        );
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn a_write_updates_the_cached_bag_it_changes() {
        let cache = ToolCache::default();
        cache.set_unit("me/0");
        let calls = Cell::new(0);
        let mine = map(&[("keep", "1"), ("drop", "2")]);
        let theirs = map(&[("x", "y")]);
        cache
            .relation_get(1, "me/0", false, counting(&calls, mine))
            .unwrap();
        cache
            .relation_get(1, "pg/0", false, counting(&calls, theirs.clone()))
            .unwrap();
        cache.relation_set(1, map(&[("drop", ""), ("new", "3")]), false);
        let after = cache.relation_get(1, "me/0", false, counting(&calls, StringMap::new()));
        assert_eq!(after, Ok(Arc::new(map(&[("keep", "1"), ("new", "3")]))));
        let remote = cache.relation_get(1, "pg/0", false, counting(&calls, StringMap::new()));
        assert_eq!(remote, Ok(Arc::new(theirs)));
        assert_eq!(calls.get(), 2);
        // The application bag was never read: the next read asks Juju.
        cache.relation_set(1, map(&[("k", "v")]), true);
        let app = cache.relation_get(1, "me", true, counting(&calls, map(&[("k", "v")])));
        assert_eq!(app, Ok(Arc::new(map(&[("k", "v")]))));
        assert_eq!(calls.get(), 3);
        // And once read, a write to it updates it too.
        cache.relation_set(1, map(&[("k", "w")]), true);
        let app = cache.relation_get(1, "me", true, counting(&calls, StringMap::new()));
        assert_eq!(app, Ok(Arc::new(map(&[("k", "w")]))));
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn status_set_is_what_status_get_answers_next() {
        let cache = ToolCache::default();
        let calls = Cell::new(0);
        cache
            .status_get(false, counting(&calls, Status::Unknown))
            .unwrap();
        cache.status_set(&Status::Blocked("stuck".into()), false);
        let now = cache.status_get(false, counting(&calls, Status::Unknown));
        assert_eq!(now, Ok(Status::Blocked("stuck".into())));
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn the_backend_asks_each_tool_once_per_dispatch() {
        use crate::backend::Backend;
        use crate::backend::juju::JujuBackend;

        let dir = std::env::temp_dir().join(format!("juju-ops-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("calls");
        for (tool, answer) in [
            ("relation-ids", r#"["db:1"]"#),
            ("relation-list", r#"["pg/0"]"#),
            ("relation-get", r#"{"a": "1"}"#),
            ("status-get", r#"{"status": "active", "message": "ok"}"#),
            ("status-set", ""),
        ] {
            let path = dir.join(tool);
            let script = format!(
                "#!/bin/sh\necho {tool} >> '{}'\necho '{answer}'\n",
                log.display()
            );
            crate::test_scripts::install(&path, &script);
        }
        let backend = JujuBackend::with_tools_dir(&dir);
        for _ in 0..2 {
            assert_eq!(backend.relation_ids("db").unwrap(), vec![1]);
            assert_eq!(backend.relation_list(1).unwrap(), vec!["pg/0".to_owned()]);
            assert_eq!(
                *backend.relation_get(1, "pg/0", false).unwrap(),
                map(&[("a", "1")])
            );
        }
        let before = backend.status_get(false).unwrap();
        backend
            .status_set(&Status::Maintenance("busy".into()), false)
            .unwrap();
        assert_eq!(
            backend.status_get(false).unwrap(),
            Status::Maintenance("busy".into())
        );
        let calls = std::fs::read_to_string(&log).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(before, Status::Active("ok".into()));
        assert_eq!(
            calls.lines().collect::<Vec<_>>(),
            [
                "relation-ids",
                "relation-list",
                "relation-get",
                "status-get",
                "status-set"
            ]
        );
    }
}
