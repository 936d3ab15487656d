//! Storage and resources: the State's instances as the charm sees them,
//! the Context's storage directory, deferred storage events, and the
//! consistency rules.

use crate::common::Probe;
use ops::{
    Charm, Framework, HandlerResult, Model, StorageAttachedEvent, StorageDetachingEvent,
    UpdateStatusEvent, on,
};
use ops_testing::{Context, Error, Resource, State, Storage};
use std::path::PathBuf;

const META: &str = "name: store\nstorage:\n  data: {type: filesystem, multiple: {range: 1-3}}\n  logs: {type: filesystem}\nresources:\n  blob: {type: file}\n";

/// Records what it saw of storage and resources.
struct StorageCharm {
    model: Model,
    seen: Probe<String>,
    defer: bool,
}

impl Charm for StorageCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::storage_attached("data"), Self::on_attached);
        framework.observe(on::storage_detaching("data"), Self::on_detaching);
        framework.observe(on::update_status(), Self::on_update_status);
        StorageCharm {
            model: framework.model().clone(),
            seen: Probe::default(),
            defer: false,
        }
    }
}

impl StorageCharm {
    fn on_attached(&mut self, event: &mut StorageAttachedEvent) -> HandlerResult {
        let location = event.storage.location()?;
        std::fs::write(location.join("attached"), event.storage.full_id())?;
        self.seen
            .push(format!("attached {}", event.storage.full_id()));
        if self.defer {
            event.defer();
        }
        Ok(())
    }

    fn on_detaching(&mut self, event: &mut StorageDetachingEvent) -> HandlerResult {
        self.seen
            .push(format!("detaching {}", event.storage.full_id()));
        Ok(())
    }

    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        let ids: Vec<String> = self
            .model
            .storages()
            .get("data")?
            .iter()
            .map(ops::Storage::full_id)
            .collect();
        self.seen.push(format!("data: {}", ids.join(" ")));
        self.seen.push(format!(
            "names: {}",
            self.model.storages().names().join(" ")
        ));
        match self.model.resources().fetch("blob") {
            Ok(path) => self.seen.push(format!("blob: {}", path.display())),
            Err(e) => self.seen.push(format!("blob error: {e}")),
        }
        Ok(())
    }
}

fn context(seen: &Probe<String>, defer: bool) -> Context<StorageCharm> {
    let seen = seen.clone();
    Context::<StorageCharm>::from_yaml(META)
        .unwrap()
        .with_charm(move |fw| {
            let mut charm = StorageCharm::new(fw);
            charm.seen = seen.clone();
            charm.defer = defer;
            charm
        })
}

#[test]
fn instances_are_listed_in_state_order_and_resources_served() {
    let seen = Probe::default();
    let mut ctx = context(&seen, false);
    let state = State {
        storages: vec![
            Storage::with_index("data", 2),
            Storage::with_index("logs", 0),
            Storage::with_index("data", 0),
        ],
        resources: vec![Resource::new("blob", "/srv/blob.tgz")],
        ..State::default()
    };
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(
        seen.take(),
        [
            "data: data/2 data/0",
            "names: data logs",
            "blob: /srv/blob.tgz"
        ]
    );
    assert_eq!(out, state);
    // Nothing asked for a location: no directory was made.
    assert!(ctx.storage_root().is_some());
    assert_eq!(
        std::fs::read_dir(ctx.storage_root().unwrap())
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn a_declared_resource_missing_from_the_state_fails_as_in_juju() {
    let seen = Probe::default();
    let mut ctx = context(&seen, false);
    ctx.run(ctx.on.update_status(), &State::default()).unwrap();
    let lines = seen.take();
    assert!(
        lines[2].starts_with("blob error: ") && lines[2].contains("not found in State.resources"),
        "{lines:?}"
    );
    // A State without storage makes no storage directory.
    assert!(ctx.storage_root().is_none());
}

#[test]
fn the_storage_directory_is_removed_with_the_context_unless_kept() {
    let data = Storage::new("data");
    let state = State {
        storages: vec![data.clone()],
        ..State::default()
    };
    let mut dirs: Vec<(PathBuf, bool)> = Vec::new();
    for keep in [false, true] {
        let seen = Probe::default();
        let mut ctx = context(&seen, false).keep_storage_dirs(keep);
        ctx.run(ctx.on.storage_attached(&data), &state).unwrap();
        let location = ctx.storage_location(&data).unwrap();
        assert_eq!(
            std::fs::read_to_string(location.join("attached")).unwrap(),
            data.full_id()
        );
        assert_eq!(
            location,
            ctx.storage_root()
                .unwrap()
                .join(format!("data-{}", data.index))
        );
        dirs.push((ctx.storage_root().unwrap().to_owned(), keep));
    }
    for (root, keep) in dirs {
        assert_eq!(root.exists(), keep, "{}", root.display());
        if keep {
            std::fs::remove_dir_all(root).unwrap();
        }
    }
}

#[test]
fn a_deferred_storage_event_comes_back_with_its_instance() {
    let data = Storage::new("data");
    let state = State {
        storages: vec![data.clone()],
        ..State::default()
    };
    let seen = Probe::default();
    let mut ctx = context(&seen, true);
    let out = ctx.run(ctx.on.storage_attached(&data), &state).unwrap();
    assert_eq!(out.deferred.len(), 1);
    // The snapshot ops.testing builds for a deferred storage event.
    assert_eq!(
        out.deferred[0],
        ctx.on
            .storage_attached(&data)
            .deferred(StorageCharm::on_attached)
    );
    let mut ctx = context(&seen, false);
    let out = ctx.run(ctx.on.storage_detaching(&data), out).unwrap();
    assert!(out.deferred.is_empty());
    let id = data.full_id();
    assert_eq!(
        seen.take(),
        [
            format!("attached {id}"),
            format!("attached {id}"),
            format!("detaching {id}")
        ]
    );
}

#[test]
fn storage_get_of_an_instance_gone_from_the_state_is_juju_s_error() {
    // A storage-attached event deferred while the instance was there, and
    // re-emitted after it was detached: its location is asked of Juju again.
    let data = Storage::new("data");
    let deferred = {
        let ctx = Context::<StorageCharm>::from_yaml(META).unwrap();
        ctx.on
            .storage_attached(&data)
            .deferred(StorageCharm::on_attached)
    };
    let seen = Probe::default();
    let mut ctx = context(&seen, false);
    let err = ctx
        .run(
            ctx.on.update_status(),
            &State {
                deferred: vec![deferred],
                ..State::default()
            },
        )
        .unwrap_err();
    let model = err.model_error().expect("a model error");
    let text = model.to_string();
    assert!(text.contains("storage-get"), "{text}");
    assert!(text.contains(&format!("\"{}\"", data.full_id())), "{text}");
    assert!(text.contains("storage not found"), "{text}");
}

#[test]
fn a_storage_event_needs_its_storage_declared_and_in_the_state() {
    let seen = Probe::default();
    let mut ctx = context(&seen, false);
    let undeclared = Storage::new("cache");
    let err = ctx
        .run(
            ctx.on.storage_attached(&undeclared),
            &State {
                storages: vec![undeclared.clone()],
                ..State::default()
            },
        )
        .unwrap_err();
    let Error::Inconsistent { problems } = &err else {
        panic!("{err:?}");
    };
    let text = err.to_string();
    // T1 for the State's storage, E18 for the event's.
    assert_eq!(problems.len(), 2, "{text}");
    assert!(text.contains("storages[0] (cache/"), "{text}");
    assert!(text.contains("storage \"cache\" is not declared"), "{text}");
    assert!(seen.take().is_empty());
}

#[test]
fn storage_indices_count_per_thread_from_zero() {
    let first = std::thread::spawn(|| {
        let next = ops_testing::peek_next_storage_index();
        (
            next,
            Storage::new("a").index,
            ops_testing::peek_next_storage_index(),
        )
    })
    .join()
    .unwrap();
    assert_eq!(first, (0, 0, 1));
}
