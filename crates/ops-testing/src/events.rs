//! `ctx.on.*`: the events a test can run, named as in ops.testing.

use crate::state::ids::next_action_id;
use crate::state::{AnyRelation, DeferredEvent, Secret};
use ops::JujuContext;
use ops::framework::event_snapshot;
use ops::framework::short_type_name;
use serde_json::Value;

/// One event to run with [`Context::run`](crate::Context::run).
///
/// Build it with `ctx.on.<event>(..)`; options use builder methods named
/// after ops.testing's keyword arguments (`.remote_unit(1)`, `.params(..)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event's name as ops spells it (`start`, `db_relation_changed`, `backup_action`).
    pub name: String,
    pub(crate) source: EventSource,
    app_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EventSource {
    Plain,
    Relation {
        relation: AnyRelation,
        suffix: &'static str,
        remote_unit: Option<u32>,
        departing_unit: Option<u32>,
    },
    Secret {
        secret: Secret,
        revision: Option<u32>,
    },
    Action {
        action: String,
        params: serde_json::Map<String, Value>,
        id: String,
    },
}

impl Event {
    fn plain(name: &str, app_name: &str) -> Self {
        Event {
            name: name.to_owned(),
            source: EventSource::Plain,
            app_name: app_name.to_owned(),
        }
    }

    /// The hook name Juju would use (`start`, `db-relation-changed`); empty for actions.
    pub fn juju_name(&self) -> String {
        match &self.source {
            EventSource::Relation {
                relation, suffix, ..
            } => {
                format!("{}-relation-{suffix}", relation.endpoint())
            }
            EventSource::Action { .. } => String::new(),
            _ => self.name.replace('_', "-"),
        }
    }

    /// For relation events: the remote unit the event is about, by number
    /// (default: the relation's first remote unit).
    pub fn remote_unit(mut self, unit_id: u32) -> Self {
        if let EventSource::Relation { remote_unit, .. } = &mut self.source {
            *remote_unit = Some(unit_id);
        }
        self
    }

    /// For relation-departed: the unit that is leaving, by number (default: the remote unit).
    pub fn departing_unit(mut self, unit_id: u32) -> Self {
        if let EventSource::Relation { departing_unit, .. } = &mut self.source {
            *departing_unit = Some(unit_id);
        }
        self
    }

    /// For actions: the parameters (a JSON object).
    pub fn params(mut self, value: Value) -> Self {
        if let (EventSource::Action { params, .. }, Value::Object(map)) = (&mut self.source, value)
        {
            *params = map;
        }
        self
    }

    /// For actions: the action id (default: a fresh one).
    pub fn id(mut self, action_id: impl Into<String>) -> Self {
        if let EventSource::Action { id, .. } = &mut self.source {
            *id = action_id.into();
        }
        self
    }

    /// The remote unit number the run will use: the explicit one, else the first remote unit.
    pub(crate) fn resolved_remote_unit(&self) -> Option<u32> {
        match &self.source {
            EventSource::Relation {
                relation,
                suffix,
                remote_unit,
                ..
            } => {
                if matches!(*suffix, "created" | "broken") {
                    None
                } else {
                    remote_unit.or_else(|| relation.remote_unit_ids().first().copied())
                }
            }
            _ => None,
        }
    }

    /// Fills in what Juju's environment says about this event (dispatch
    /// path, relation, secret, action), on top of `base`.
    pub(crate) fn juju_context(&self, base: JujuContext) -> JujuContext {
        let mut ctx = base;
        ctx.dispatch_path = match &self.source {
            EventSource::Action { action, .. } => format!("actions/{action}"),
            _ => format!("hooks/{}", self.juju_name()),
        };
        match &self.source {
            EventSource::Plain => {}
            EventSource::Relation {
                relation,
                suffix,
                departing_unit,
                ..
            } => {
                let app = relation.remote_app_name(&self.app_name).to_owned();
                ctx.relation_name = Some(relation.endpoint().to_owned());
                ctx.relation_id = Some(relation.id());
                ctx.remote_app = Some(app.clone());
                let remote = self.resolved_remote_unit();
                ctx.remote_unit = remote.map(|id| format!("{app}/{id}"));
                if *suffix == "departed" {
                    ctx.departing_unit = departing_unit.or(remote).map(|id| format!("{app}/{id}"));
                }
            }
            EventSource::Secret { secret, revision } => {
                ctx.secret_id = Some(secret.id.clone());
                ctx.secret_label = secret.label.clone();
                ctx.secret_revision = *revision;
            }
            EventSource::Action { action, id, .. } => {
                ctx.action_name = Some(action.clone());
                ctx.action_uuid = Some(id.clone());
            }
        }
        ctx
    }

    /// This event as already deferred by `handler` in an earlier run, for
    /// [`State::deferred`](crate::State::deferred).
    ///
    /// Pass the handler as a method path (`MyCharm::on_start`): its type
    /// names the charm and the method, as ops records them.
    pub fn deferred<F>(&self, handler: F) -> DeferredEvent {
        let _ = handler;
        let full = std::any::type_name::<F>();
        let observer = short_type_name(full).to_owned();
        let owner = split_method_path(full)
            .map(|(path, _)| short_type_name(path).to_owned())
            .unwrap_or_default();
        DeferredEvent {
            handle_path: format!("{owner}/on/{}[1]", self.name),
            owner,
            observer,
            // The same snapshot the framework stores when it defers this event.
            snapshot_data: event_snapshot(&self.juju_context(JujuContext::default())),
        }
    }
}

/// Splits `path::Owner::method` at its last `::` outside generic arguments,
/// so a generic handler (`Owner::on_event::<StartEvent>`, whose type name
/// ends in `on_event<ops::event::StartEvent>`) still names its owner.
fn split_method_path(full: &str) -> Option<(&str, &str)> {
    let bytes = full.as_bytes();
    let mut depth = 0usize;
    let mut split = None;
    for (i, byte) in bytes.iter().enumerate() {
        match byte {
            b'<' => depth += 1,
            b'>' => depth = depth.saturating_sub(1),
            b':' if depth == 0 && bytes.get(i + 1) == Some(&b':') => split = Some(i),
            _ => {}
        }
    }
    split.map(|i| (&full[..i], &full[i + 2..]))
}

/// `ctx.on`: constructors for every event, with ops.testing's names.
#[derive(Debug, Clone, PartialEq)]
pub struct CharmEvents {
    app_name: String,
}

macro_rules! plain_events {
    ($($name:ident),*) => {$(
        #[doc = concat!("The `", stringify!($name), "` event.")]
        pub fn $name(&self) -> Event {
            Event::plain(stringify!($name), &self.app_name)
        }
    )*};
}

macro_rules! relation_events {
    ($($name:ident => $suffix:literal),*) => {$(
        #[doc = concat!("`<endpoint>_relation_", $suffix, "` for this relation.")]
        pub fn $name(&self, relation: impl Into<AnyRelation>) -> Event {
            let relation = relation.into();
            Event {
                name: format!("{}_relation_{}", relation.endpoint().replace('-', "_"), $suffix),
                source: EventSource::Relation { relation, suffix: $suffix, remote_unit: None, departing_unit: None },
                app_name: self.app_name.clone(),
            }
        }
    )*};
}

impl CharmEvents {
    pub(crate) fn new(app_name: &str) -> Self {
        CharmEvents {
            app_name: app_name.to_owned(),
        }
    }

    plain_events!(
        install,
        start,
        stop,
        remove,
        update_status,
        config_changed,
        upgrade_charm,
        pre_series_upgrade,
        post_series_upgrade,
        leader_elected,
        collect_app_status,
        collect_unit_status
    );

    relation_events!(
        relation_created => "created",
        relation_joined => "joined",
        relation_changed => "changed",
        relation_departed => "departed",
        relation_broken => "broken"
    );

    fn secret_event(&self, name: &str, secret: &Secret, revision: Option<u32>) -> Event {
        Event {
            name: name.to_owned(),
            source: EventSource::Secret {
                secret: secret.clone(),
                revision,
            },
            app_name: self.app_name.clone(),
        }
    }

    /// `secret_changed`: a secret this unit was granted (not owns) has a new revision.
    pub fn secret_changed(&self, secret: &Secret) -> Event {
        self.secret_event("secret_changed", secret, None)
    }

    /// `secret_rotate`: an owned secret is due for rotation.
    pub fn secret_rotate(&self, secret: &Secret) -> Event {
        self.secret_event("secret_rotate", secret, None)
    }

    /// `secret_expired` for a revision of an owned secret.
    pub fn secret_expired(&self, secret: &Secret, revision: u32) -> Event {
        self.secret_event("secret_expired", secret, Some(revision))
    }

    /// `secret_remove` for a revision of an owned secret.
    pub fn secret_remove(&self, secret: &Secret, revision: u32) -> Event {
        self.secret_event("secret_remove", secret, Some(revision))
    }

    /// The action called `name`; add parameters with `.params(json!({..}))`.
    pub fn action(&self, name: &str) -> Event {
        Event {
            name: format!("{}_action", name.replace('-', "_")),
            source: EventSource::Action {
                action: name.to_owned(),
                params: serde_json::Map::new(),
                id: next_action_id(),
            },
            app_name: self.app_name.clone(),
        }
    }
}
