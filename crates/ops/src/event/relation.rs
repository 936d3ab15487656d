//! Relation events.

use super::{Event, Snapshot, missing, text};
use crate::backend::RelationId;
use crate::error::ModelError;
use crate::model::{Application, Model, Relation, Unit};
use serde_json::Value;

struct RelationParts {
    relation: Relation,
    app: Option<Application>,
    unit: Option<Unit>,
    departing_unit: Option<Unit>,
}

fn restore_relation(
    model: &Model,
    snapshot: &Snapshot,
    event: &str,
) -> Result<RelationParts, ModelError> {
    let endpoint =
        text(snapshot, "relation_name").ok_or_else(|| missing(event, "relation_name"))?;
    let id = snapshot
        .get("relation_id")
        .and_then(Value::as_u64)
        .and_then(|id| RelationId::try_from(id).ok())
        .ok_or_else(|| missing(event, "relation_id"))?;
    let relation = model.get_relation_by_id(&endpoint, id)?;
    Ok(RelationParts {
        app: text(snapshot, "app_name").map(|name| model.get_app(&name)),
        unit: text(snapshot, "unit_name").map(|name| model.get_unit(&name)),
        departing_unit: text(snapshot, "departing_unit").map(|name| model.get_unit(&name)),
        relation,
    })
}

macro_rules! relation_events {
    ($( $(#[$doc:meta])* $event:ident ),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $event {
            /// The relation.
            pub relation: Relation,
            /// The remote application (this application for peers), if known.
            pub app: Option<Application>,
            /// The remote unit the event is about (`None` for created and broken).
            pub unit: Option<Unit>,
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
                let parts = restore_relation(model, snapshot, stringify!($event))?;
                Ok($event { relation: parts.relation, app: parts.app, unit: parts.unit, deferred: false })
            }
            fn is_deferred(&self) -> bool {
                self.deferred
            }
        }
    )*};
}

relation_events! {
    /// A relation was created (before any unit joined).
    RelationCreatedEvent,
    /// A remote unit joined the relation.
    RelationJoinedEvent,
    /// A remote unit's or application's databag changed.
    RelationChangedEvent,
    /// The relation is going away; its data is still readable.
    RelationBrokenEvent,
}

/// A remote unit left the relation.
#[derive(Debug)]
pub struct RelationDepartedEvent {
    /// The relation.
    pub relation: Relation,
    /// The remote application (this application for peers), if known.
    pub app: Option<Application>,
    /// The remote unit that departed.
    pub unit: Option<Unit>,
    /// The unit that is leaving (may be this unit).
    pub departing_unit: Option<Unit>,
    deferred: bool,
}

impl RelationDepartedEvent {
    /// Defers the event.
    pub fn defer(&mut self) {
        self.deferred = true;
    }
}

impl Event for RelationDepartedEvent {
    fn restore(model: &Model, snapshot: &Snapshot) -> Result<Self, ModelError> {
        let parts = restore_relation(model, snapshot, "RelationDepartedEvent")?;
        Ok(RelationDepartedEvent {
            relation: parts.relation,
            app: parts.app,
            unit: parts.unit,
            departing_unit: parts.departing_unit,
            deferred: false,
        })
    }
    fn is_deferred(&self) -> bool {
        self.deferred
    }
}
