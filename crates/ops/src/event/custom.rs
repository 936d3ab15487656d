//! Custom events: events a charm or a charm library defines and emits
//! itself (ops' `EventSource` on an `ObjectEvents`).
//!
//! The event's data is any serde type; handlers receive it wrapped in a
//! [`CustomEvent`], which can be deferred like any other event. Get an
//! [`EventSource`] from [`Framework::event_source`](crate::Framework::event_source)
//! (an event on the charm's own `on`) or from a library object's
//! [`ObjectScope::event_source`](crate::framework::ObjectScope::event_source),
//! observe [`EventSource::on`], and call [`EventSource::emit`] from a handler.
//!
//! ```
//! use ops::{on, Charm, CustomEvent, EventSource, Framework, HandlerResult, StartEvent};
//!
//! #[derive(Debug, serde::Serialize, serde::Deserialize)]
//! struct Ready { port: u16 }
//!
//! struct MyCharm { ready: EventSource<Ready> }
//!
//! impl Charm for MyCharm {
//!     fn new(framework: &mut Framework<Self>) -> Self {
//!         let ready = framework.event_source::<Ready>("ready");
//!         framework.observe(on::start(), Self::on_start);
//!         framework.observe(ready.on(), Self::on_ready);
//!         MyCharm { ready }
//!     }
//! }
//!
//! impl MyCharm {
//!     fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
//!         self.ready.emit(Ready { port: 8080 })?;
//!         Ok(())
//!     }
//!     fn on_ready(&mut self, event: &mut CustomEvent<Ready>) -> HandlerResult {
//!         assert_eq!(event.port, 8080);
//!         Ok(())
//!     }
//! }
//! ```
//!
//! Unlike Python ops, where `emit` runs the observers before it returns, an
//! emitted event is delivered as soon as the emitting handler returns (a
//! Rust handler holds the charm mutably, so another handler cannot run
//! inside it); it still runs before the next observer of the event being
//! handled.

use super::{Event, On, Snapshot, event_path};
use crate::error::ModelError;
use crate::model::Model;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

/// A custom event as its handlers receive it: the emitted data, and
/// `defer()`. It dereferences to the data.
#[derive(Debug)]
pub struct CustomEvent<T> {
    data: T,
    deferred: bool,
}

impl<T> CustomEvent<T> {
    /// The data it was emitted with.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// Takes the data out.
    pub fn into_data(self) -> T {
        self.data
    }

    /// Defers the event: it is emitted again, to this handler, before the
    /// next event this unit receives.
    pub fn defer(&mut self) {
        self.deferred = true;
    }
}

impl<T> Deref for CustomEvent<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T> DerefMut for CustomEvent<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.data
    }
}

impl<T: DeserializeOwned + 'static> Event for CustomEvent<T> {
    fn restore(_: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
        let value = Value::Object(snapshot.clone().into_iter().collect());
        // `()` and other unit-like data were emitted as an empty snapshot.
        let data = serde_json::from_value(value)
            .or_else(|e| {
                if snapshot.is_empty() {
                    serde_json::from_value(Value::Null).map_err(|_| e)
                } else {
                    Err(e)
                }
            })
            .map_err(|e| ModelError::BadOutput {
            tool: format!("{} snapshot", std::any::type_name::<T>()),
            reason: format!(
                "{e}; the stored event no longer fits its type (add #[serde(default)] to new fields)"
            ),
        })?;
        Ok(CustomEvent {
            data,
            deferred: false,
        })
    }

    fn is_deferred(&self) -> bool {
        self.deferred
    }
}

/// Why a custom event could not be emitted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The data does not serialise to a map of fields, which is what a
    /// snapshot (and so deferral) needs.
    #[error(
        "cannot emit {event}: its data serialises to {found}, not a map of fields; \
         use a struct (or `()` for no data)"
    )]
    NotAMap {
        /// The event's path.
        event: String,
        /// What it serialised to.
        found: &'static str,
    },
    /// serde refused the data.
    #[error("cannot emit {event}: {reason}")]
    Serialize {
        /// The event's path.
        event: String,
        /// What serde reported.
        reason: String,
    },
}

/// An event emitted during a dispatch and not delivered yet.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PendingEmit {
    pub(crate) path: String,
    pub(crate) name: String,
    pub(crate) snapshot: Snapshot,
}

/// Events emitted and waiting for the framework to deliver them.
pub(crate) type EmitQueue = Rc<RefCell<Vec<PendingEmit>>>;

/// A custom event a charm or library can emit: ops' `EventSource`.
///
/// Cloning it is cheap; every clone emits the same event.
pub struct EventSource<T> {
    owner: String,
    name: String,
    queue: EmitQueue,
    _data: PhantomData<fn(T)>,
}

impl<T> Clone for EventSource<T> {
    fn clone(&self) -> Self {
        EventSource {
            owner: self.owner.clone(),
            name: self.name.clone(),
            queue: self.queue.clone(),
            _data: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for EventSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EventSource({})", self.path())
    }
}

impl<T> EventSource<T> {
    /// `<owner>/on/<name>`, the event's handle path without its `[n]`.
    pub fn path(&self) -> String {
        event_path(&self.owner, &self.name)
    }
}

impl<T: Serialize + DeserializeOwned + 'static> EventSource<T> {
    pub(crate) fn new(owner: String, name: String, queue: EmitQueue) -> Self {
        EventSource {
            owner,
            name,
            queue,
            _data: PhantomData,
        }
    }

    /// The event to observe.
    pub fn on(&self) -> On<CustomEvent<T>> {
        On::custom(self.owner.clone(), self.name.clone())
    }

    /// Emits the event: its observers run as soon as the current handler
    /// returns, in the order they were registered.
    pub fn emit(&self, data: T) -> Result<(), EmitError> {
        let snapshot = match serde_json::to_value(&data) {
            Ok(Value::Object(map)) => map.into_iter().collect(),
            Ok(Value::Null) => Snapshot::new(),
            Ok(other) => {
                return Err(EmitError::NotAMap {
                    event: self.path(),
                    found: json_kind(&other),
                });
            }
            Err(e) => {
                return Err(EmitError::Serialize {
                    event: self.path(),
                    reason: e.to_string(),
                });
            }
        };
        self.queue.borrow_mut().push(PendingEmit {
            path: self.path(),
            name: self.name.clone(),
            snapshot,
        });
        Ok(())
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}
