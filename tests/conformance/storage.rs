//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_storage.py>.
//!
//! Upstream reads `mgr.charm.model.storages` inside `with ctx(..) as mgr`;
//! here the catch-all charm's update-status handler does the same through
//! the model, and the test reads what it found.

use crate::helpers::{Probe, catch_all, is};
use ops::{ModelError, StorageAttachedEvent, StorageDetachingEvent, UpdateStatusEvent};
use ops_testing::{State, Storage};
use pretty_assertions::assert_eq;
use rstest::rstest;
use std::cell::RefCell;
use std::rc::Rc;

const WITH_STORAGE: &str = "name: charlene\nstorage:\n  foo: {type: filesystem}\n";
const WITHOUT_STORAGE: &str = "name: patrick\n";

/// Runs update-status with `call` in its handler and returns what it gave.
fn in_update_status<T: 'static>(
    meta: &str,
    state: &State,
    call: impl Fn(&ops::Model) -> T + 'static,
) -> (T, ops_testing::Context<crate::helpers::CatchAll>) {
    let out = Rc::new(RefCell::new(None));
    let slot = out.clone();
    let probe = Probe::calling(move |model, event| {
        if is::<UpdateStatusEvent>(event) {
            *slot.borrow_mut() = Some(call(model));
        }
        Ok(())
    });
    let mut ctx = catch_all(meta, &probe);
    ctx.run(ctx.on.update_status(), state).unwrap();
    let value = out.take().expect("update-status ran");
    (value, ctx)
}

#[test]
fn test_storage_get_null() {
    let (len, _) = in_update_status(WITHOUT_STORAGE, &State::default(), |model| {
        model.storages().len()
    });
    assert_eq!(len, 0);
}

#[test]
fn test_storage_get_unknown_name() {
    let (result, _) = in_update_status(WITH_STORAGE, &State::default(), |model| {
        model.storages().get("bar").map(|s| s.len())
    });
    // Not in the metadata: upstream's KeyError.
    assert!(
        matches!(&result, Err(ModelError::NotDeclared { kind, name }) if kind == "storage" && name == "bar"),
        "{result:?}"
    );
}

#[test]
fn test_storage_request_unknown_name() {
    let (result, ctx) = in_update_status(WITH_STORAGE, &State::default(), |model| {
        model.storages().request("bar", 1)
    });
    assert!(
        matches!(&result, Err(ModelError::NotDeclared { .. })),
        "{result:?}"
    );
    assert!(ctx.requested_storages.is_empty());
}

#[test]
fn test_storage_get_some() {
    // Declared, but none attached.
    let (found, _) = in_update_status(WITH_STORAGE, &State::default(), |model| {
        model.storages().get("foo").map(|s| s.len())
    });
    assert_eq!(found.unwrap(), 0);
}

#[rstest]
fn test_storage_add(#[values(1, 3, 5)] n: u32) {
    let (result, ctx) = in_update_status(WITH_STORAGE, &State::default(), move |model| {
        model.storages().request("foo", n)
    });
    result.unwrap();
    assert_eq!(ctx.requested_storages["foo"], n);
}

#[test]
fn test_storage_usage() {
    let storage = Storage::new("foo");
    let probe_storage = storage.clone();
    let found = Rc::new(RefCell::new(None));
    let slot = found.clone();
    let probe = Probe::calling(move |model, event| {
        if is::<UpdateStatusEvent>(event) {
            let foo = &model.storages().get("foo")?[0];
            assert_eq!(foo.index(), probe_storage.index);
            let location = foo.location()?;
            let text = std::fs::read_to_string(location.join("myfile.txt"))?;
            std::fs::write(location.join("path.py"), "helloworlds")?;
            *slot.borrow_mut() = Some((location, text));
        }
        Ok(())
    });
    let mut ctx = catch_all(WITH_STORAGE, &probe);
    // Set up the storage with some content.
    let dir = storage.get_filesystem(&ctx).unwrap();
    std::fs::write(dir.join("myfile.txt"), "helloworld").unwrap();

    let state = State {
        storages: vec![storage.clone()],
        ..State::default()
    };
    ctx.run(ctx.on.update_status(), &state).unwrap();
    let (location, text) = found.take().expect("update-status ran");
    assert_eq!(location, dir);
    assert_eq!(text, "helloworld");

    // Post-mortem: inspect the filesystem contents.
    assert_eq!(
        std::fs::read_to_string(storage.get_filesystem(&ctx).unwrap().join("path.py")).unwrap(),
        "helloworlds"
    );
}

#[test]
fn test_storage_attached_event() {
    let storage = Storage::new("foo");
    let probe = Probe::default();
    let mut ctx = catch_all(WITH_STORAGE, &probe);
    let state = State {
        storages: vec![storage.clone()],
        ..State::default()
    };
    ctx.run(ctx.on.storage_attached(&storage), &state).unwrap();
    assert_eq!(
        probe.seen_without_collect_status(),
        ["StorageAttachedEvent"]
    );
    let _ = is::<StorageAttachedEvent>;
}

#[test]
fn test_storage_detaching_event() {
    let storage = Storage::new("foo");
    let probe = Probe::default();
    let mut ctx = catch_all(WITH_STORAGE, &probe);
    let state = State {
        storages: vec![storage.clone()],
        ..State::default()
    };
    ctx.run(ctx.on.storage_detaching(&storage), &state).unwrap();
    assert_eq!(
        probe.seen_without_collect_status(),
        ["StorageDetachingEvent"]
    );
    let _ = is::<StorageDetachingEvent>;
}
