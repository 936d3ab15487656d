//! Secret events.

use super::{Event, Snapshot, missing, text};
use crate::error::ModelError;
use crate::model::{Model, Secret};
use serde_json::Value;

fn restore_secret(model: &Model, snapshot: &Snapshot, event: &str) -> Result<Secret, ModelError> {
    let id = text(snapshot, "secret_id").ok_or_else(|| missing(event, "secret_id"))?;
    let label = text(snapshot, "secret_label").filter(|l| !l.is_empty());
    Ok(Secret::from_event(model.shared(), id, label))
}

fn revision(snapshot: &Snapshot, event: &str) -> Result<u32, ModelError> {
    snapshot
        .get("secret_revision")
        .and_then(Value::as_u64)
        .and_then(|r| u32::try_from(r).ok())
        .ok_or_else(|| missing(event, "secret_revision"))
}

/// A secret this unit tracks has a new revision: call
/// `secret.get_content(true)` to move to it.
#[derive(Debug)]
pub struct SecretChangedEvent {
    /// The secret.
    pub secret: Secret,
    deferred: bool,
}

/// An owned secret is due for rotation.
#[derive(Debug)]
pub struct SecretRotateEvent {
    /// The secret.
    pub secret: Secret,
    deferred: bool,
}

/// A revision of an owned secret is no longer tracked by anyone and can be removed.
#[derive(Debug)]
pub struct SecretRemoveEvent {
    /// The secret.
    pub secret: Secret,
    /// The revision to remove.
    pub revision: u32,
    deferred: bool,
}

/// A revision of an owned secret has expired.
#[derive(Debug)]
pub struct SecretExpiredEvent {
    /// The secret.
    pub secret: Secret,
    /// The expired revision.
    pub revision: u32,
    deferred: bool,
}

macro_rules! secret_event_impls {
    ($( $event:ident { $($rev:ident)? } ),*) => {$(
        impl $event {
            /// Defers the event.
            pub fn defer(&mut self) {
                self.deferred = true;
            }
        }

        impl Event for $event {
            fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
                Ok($event {
                    secret: restore_secret(model, snapshot, stringify!($event))?,
                    $($rev: revision(snapshot, stringify!($event))?,)?
                    deferred: false,
                })
            }
            fn is_deferred(&self) -> bool {
                self.deferred
            }
        }
    )*};
}

secret_event_impls!(
    SecretChangedEvent {},
    SecretRotateEvent {},
    SecretRemoveEvent { revision },
    SecretExpiredEvent { revision }
);
