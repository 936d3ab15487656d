//! Storage events: an instance of a declared storage was attached to the
//! unit, or is about to be detached.

use super::{Event, Snapshot, missing, text};
use crate::error::ModelError;
use crate::model::{Model, Storage};
use serde_json::Value;
use std::path::PathBuf;

fn restore_storage(model: &Model, snapshot: &Snapshot, event: &str) -> Result<Storage, ModelError> {
    let name = text(snapshot, "storage_name").ok_or_else(|| missing(event, "storage_name"))?;
    let index = snapshot
        .get("storage_index")
        .and_then(Value::as_u64)
        .and_then(|index| u32::try_from(index).ok())
        .ok_or_else(|| missing(event, "storage_index"))?;
    let storage = model.storage_instance(&name, index);
    if let Some(location) = text(snapshot, "storage_location") {
        storage.set_location(PathBuf::from(location));
    }
    Ok(storage)
}

macro_rules! storage_events {
    ($( $(#[$doc:meta])* $event:ident ),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $event {
            /// The storage instance the event is about.
            pub storage: Storage,
            deferred: bool,
        }

        impl $event {
            /// Defers the event: it is emitted again, to this handler,
            /// before the next event this unit receives.
            pub fn defer(&mut self) {
                self.deferred = true;
            }
        }

        impl Event for $event {
            fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
                let storage = restore_storage(model, snapshot, stringify!($event))?;
                Ok($event { storage, deferred: false })
            }
            fn is_deferred(&self) -> bool {
                self.deferred
            }
        }
    )*};
}

storage_events! {
    /// `<storage>-storage-attached`: a storage instance is attached and
    /// ready to use (Juju sends it before `install` for storage the charm
    /// is deployed with).
    StorageAttachedEvent,
    /// `<storage>-storage-detaching`: a storage instance is about to be
    /// detached; its data is still there.
    StorageDetachingEvent,
}
