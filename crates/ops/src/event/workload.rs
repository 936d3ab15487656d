//! Workload (Pebble) events: pebble-ready, custom notices, check failures
//! and recoveries, each about one container.

use super::{Event, Snapshot, missing, text};
use crate::error::{ModelError, PebbleError};
use crate::model::{Container, Model};
use pebble::{CheckInfo, Notice, NoticeType};

fn restore_container(
    model: &Model,
    snapshot: &Snapshot,
    event: &str,
) -> Result<Container, ModelError> {
    let name = text(snapshot, "container_name").ok_or_else(|| missing(event, "container_name"))?;
    model.unit().get_container(&name)
}

/// The notice a [`PebbleCustomNoticeEvent`] is about: what Juju says of it
/// (id, type, key); [`LazyNotice::get`] asks Pebble for the rest.
#[derive(Debug, Clone)]
pub struct LazyNotice {
    /// The notice's id.
    pub id: String,
    /// Its type (`custom` for these events).
    pub notice_type: NoticeType,
    /// Its key, such as `example.com/db-ready`.
    pub key: String,
    container: Container,
}

impl LazyNotice {
    /// The whole notice (occurrences, data, times), from the container's Pebble.
    pub fn get(&self) -> Result<Notice, PebbleError> {
        self.container.get_notice(&self.id)
    }
}

/// The check a check event is about: its name; [`LazyCheckInfo::get`] asks
/// Pebble for its status.
#[derive(Debug, Clone)]
pub struct LazyCheckInfo {
    /// The check's name.
    pub name: String,
    container: Container,
}

impl LazyCheckInfo {
    /// The check's status now (up or down, successes, failures), from the
    /// container's Pebble.
    pub fn get(&self) -> Result<CheckInfo, PebbleError> {
        self.container
            .get_check(&self.name)?
            .ok_or_else(|| PebbleError::Api {
                container: self.container.name().to_owned(),
                code: 404,
                status: "Not Found".to_owned(),
                message: format!(
                    "check {:?} not found: the plan no longer has it; look checks up with `get_checks`",
                    self.name
                ),
            })
    }
}

/// The container's Pebble is up: configure the workload (add a layer, replan).
#[derive(Debug)]
pub struct PebbleReadyEvent {
    /// The container.
    pub workload: Container,
    deferred: bool,
}

/// The workload recorded a custom notice (`pebble notify <key>`).
#[derive(Debug)]
pub struct PebbleCustomNoticeEvent {
    /// The container.
    pub workload: Container,
    /// The notice.
    pub notice: LazyNotice,
    deferred: bool,
}

/// A check reached its failure threshold.
#[derive(Debug)]
pub struct PebbleCheckFailedEvent {
    /// The container.
    pub workload: Container,
    /// The check.
    pub info: LazyCheckInfo,
    deferred: bool,
}

/// A failed check passes again.
#[derive(Debug)]
pub struct PebbleCheckRecoveredEvent {
    /// The container.
    pub workload: Container,
    /// The check.
    pub info: LazyCheckInfo,
    deferred: bool,
}

macro_rules! defer_impls {
    ($($event:ident),*) => {$(
        impl $event {
            /// Defers the event: it is emitted again, to this handler,
            /// before the next event this unit receives.
            pub fn defer(&mut self) {
                self.deferred = true;
            }
        }
    )*};
}
defer_impls!(
    PebbleReadyEvent,
    PebbleCustomNoticeEvent,
    PebbleCheckFailedEvent,
    PebbleCheckRecoveredEvent
);

impl Event for PebbleReadyEvent {
    fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
        Ok(PebbleReadyEvent {
            workload: restore_container(model, snapshot, "PebbleReadyEvent")?,
            deferred: false,
        })
    }
    fn is_deferred(&self) -> bool {
        self.deferred
    }
}

impl Event for PebbleCustomNoticeEvent {
    fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
        const EVENT: &str = "PebbleCustomNoticeEvent";
        let workload = restore_container(model, snapshot, EVENT)?;
        let field = |key| text(snapshot, key).ok_or_else(|| missing(EVENT, key));
        let notice = LazyNotice {
            id: field("notice_id")?,
            notice_type: NoticeType::from(field("notice_type")?.as_str()),
            key: field("notice_key")?,
            container: workload.clone(),
        };
        Ok(PebbleCustomNoticeEvent {
            workload,
            notice,
            deferred: false,
        })
    }
    fn is_deferred(&self) -> bool {
        self.deferred
    }
}

macro_rules! check_event_impls {
    ($($event:ident),*) => {$(
        impl Event for $event {
            fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
                let workload = restore_container(model, snapshot, stringify!($event))?;
                let name = text(snapshot, "check_name")
                    .ok_or_else(|| missing(stringify!($event), "check_name"))?;
                Ok($event {
                    info: LazyCheckInfo { name, container: workload.clone() },
                    workload,
                    deferred: false,
                })
            }
            fn is_deferred(&self) -> bool {
                self.deferred
            }
        }
    )*};
}
check_event_impls!(PebbleCheckFailedEvent, PebbleCheckRecoveredEvent);
