//! `ctx.on.*`: the events a test can run, named as in ops.testing.

use crate::state::ids::next_action_id;
use crate::state::{AnyRelation, CheckInfo, Container, DeferredEvent, Notice, Secret, Storage};
use ops::Snapshot;
use ops::event::EventKind;
use ops::framework::short_type_name;
use ops::internal::{CustomOwner, charm_handle, event_snapshot, handler_parts};
use ops::{Charm, JujuContext};
use serde_json::Value;

/// One event to run with [`Context::run`](crate::Context::run).
///
/// Build it with `ctx.on.<event>(..)`; options use builder methods named
/// after ops.testing's keyword arguments (`.remote_unit(1)`, `.params(..)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event's name as ops spells it (`start`, `db_relation_changed`, `backup_action`).
    pub name: String,
    /// Which event it is, in the event table shared with `ops`.
    pub kind: EventKind,
    pub(crate) source: EventSource,
    app_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EventSource {
    Plain,
    Relation {
        relation: AnyRelation,
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
    Workload {
        container: Box<Container>,
        // Boxed: the largest variant otherwise (an Event is cloned per run).
        notice: Option<Box<Notice>>,
        check: Option<Box<CheckInfo>>,
    },
    Storage {
        storage: Storage,
    },
    Custom {
        owner: CustomOwner,
        /// The data's snapshot, or why the data could not be one.
        data: Result<Snapshot, String>,
    },
}

impl Event {
    fn new(kind: EventKind, source: EventSource, app_name: &str) -> Self {
        let mut event = Event {
            name: String::new(),
            kind,
            source,
            app_name: app_name.to_owned(),
        };
        event.name = kind.ops_name(event.entity());
        event
    }

    /// The relation endpoint or action name the event's name starts with.
    pub(crate) fn entity(&self) -> Option<&str> {
        match &self.source {
            EventSource::Relation { relation, .. } => Some(relation.endpoint()),
            EventSource::Action { action, .. } => Some(action.as_str()),
            EventSource::Workload { container, .. } => Some(container.name.as_str()),
            EventSource::Storage { storage } => Some(storage.name.as_str()),
            EventSource::Plain | EventSource::Secret { .. } | EventSource::Custom { .. } => None,
        }
    }

    /// The hook name Juju would use (`start`, `db-relation-changed`); empty for actions.
    ///
    /// A custom event, which Juju never runs, gets its name with `-` for
    /// `_` (ops.testing uses the event's name as its hook name).
    pub fn juju_name(&self) -> String {
        match &self.source {
            EventSource::Custom { .. } => self.name.replace('_', "-"),
            _ => self.kind.hook_name(self.entity()),
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

    /// For custom events: the data the event carries (default: none, as
    /// `()`), which the charm's handler receives as its `CustomEvent<T>`.
    /// It must serialise to a map of fields (a struct), as
    /// `EventSource::emit` requires; otherwise the run reports it.
    pub fn data<T: serde::Serialize>(mut self, value: T) -> Self {
        if let EventSource::Custom { data, .. } = &mut self.source {
            *data = match serde_json::to_value(value) {
                Ok(Value::Object(map)) => Ok(map.into_iter().collect()),
                Ok(Value::Null) => Ok(Snapshot::new()),
                Ok(other) => Err(format!(
                    "the data serialises to {other}, not a map of fields; use a struct"
                )),
                Err(e) => Err(format!("the data cannot be serialised: {e}")),
            };
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
                remote_unit,
                ..
            } => {
                if self.kind.carries_remote_unit() {
                    remote_unit.or_else(|| relation.remote_unit_ids().first().copied())
                } else {
                    None
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
            // Juju never dispatches a custom event; the path names it, as
            // ops.testing's hook name does, and means nothing to Juju.
            EventSource::Custom { .. } => format!("hooks/{}", self.juju_name()),
            _ => format!("hooks/{}", self.juju_name()),
        };
        match &self.source {
            EventSource::Plain => {}
            EventSource::Relation {
                relation,
                departing_unit,
                ..
            } => {
                let app = relation.remote_app_name(&self.app_name).to_owned();
                ctx.relation_name = Some(relation.endpoint().to_owned());
                ctx.relation_id = Some(relation.id());
                ctx.remote_app = Some(app.clone());
                let remote = self.resolved_remote_unit();
                ctx.remote_unit = remote.map(|id| format!("{app}/{id}"));
                if self.kind.carries_departing_unit() {
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
            EventSource::Workload {
                container,
                notice,
                check,
            } => {
                ctx.workload_name = Some(container.name.clone());
                if let Some(notice) = notice {
                    ctx.notice_id = Some(notice.id.clone());
                    ctx.notice_type = Some(notice.notice_type.as_str().to_owned());
                    ctx.notice_key = Some(notice.key.clone());
                }
                if let Some(check) = check {
                    ctx.pebble_check_name = Some(check.name.clone());
                }
            }
            EventSource::Storage { storage } => {
                ctx.storage_id = Some(storage.full_id());
            }
            EventSource::Custom { .. } => {}
        }
        ctx
    }

    /// This event as already deferred by `handler` in an earlier run, for
    /// [`State::deferred`](crate::State::deferred).
    ///
    /// Pass the handler as a method path (`MyCharm::on_start`): it names
    /// the charm and the handler as the framework records them. For a
    /// handler registered with another name (`observe_as`, a closure) or
    /// owned by a library object, use [`deferred_to`](Self::deferred_to).
    pub fn deferred<F>(&self, handler: F) -> DeferredEvent {
        let _ = handler;
        let (owner, observer) =
            handler_parts(std::any::type_name::<F>()).unwrap_or((None, String::new()));
        self.deferred_to(&owner.unwrap_or_default(), &observer)
    }

    /// This event as already deferred by the observer `observer` of the
    /// object at handle path `owner` (`MyCharm`, or `MyCharm/Db[db]` for a
    /// library object). [`Event::deferred_for`] takes the charm type
    /// instead of its handle path.
    pub fn deferred_to(&self, owner: &str, observer: &str) -> DeferredEvent {
        // Juju events are emitted by the charm's `on`, whoever observes them:
        // the charm is the first segment of the observer's path.
        let charm = owner.split('/').next().unwrap_or(owner);
        // A custom event is emitted by its own object's `on`.
        let emitter = match &self.source {
            EventSource::Custom {
                owner: CustomOwner::Path(path),
                ..
            } => path.as_str(),
            _ => charm,
        };
        let snapshot_data = match &self.source {
            EventSource::Custom { data, .. } => data.clone().unwrap_or_default(),
            _ => event_snapshot(&self.juju_context(JujuContext::default())),
        };
        DeferredEvent {
            handle_path: format!("{emitter}/on/{}[1]", self.name),
            owner: owner.to_owned(),
            observer: observer.to_owned(),
            // The same snapshot the framework stores when it defers this event.
            snapshot_data,
        }
    }

    /// This event as already deferred by the charm `C`'s observer named
    /// `observer` (the name given to `observe_as`, or `closure#0`, …).
    pub fn deferred_for<C: Charm>(&self, observer: &str) -> DeferredEvent {
        self.deferred_to(charm_handle::<C>(), observer)
    }
}

/// `ctx.on`: constructors for every event, with ops.testing's names.
#[derive(Debug, Clone, PartialEq)]
pub struct CharmEvents {
    app_name: String,
}

macro_rules! plain_events {
    ($($name:ident => $kind:ident),* $(,)?) => {$(
        #[doc = concat!("The `", stringify!($name), "` event.")]
        pub fn $name(&self) -> Event {
            Event::new(EventKind::$kind, EventSource::Plain, &self.app_name)
        }
    )*};
}

macro_rules! relation_events {
    ($($name:ident => $kind:ident),* $(,)?) => {$(
        #[doc = concat!("`<endpoint>_", stringify!($name), "` for this relation.")]
        pub fn $name(&self, relation: impl Into<AnyRelation>) -> Event {
            let source = EventSource::Relation {
                relation: relation.into(),
                remote_unit: None,
                departing_unit: None,
            };
            Event::new(EventKind::$kind, source, &self.app_name)
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
        install => Install,
        start => Start,
        stop => Stop,
        remove => Remove,
        update_status => UpdateStatus,
        config_changed => ConfigChanged,
        upgrade_charm => UpgradeCharm,
        pre_series_upgrade => PreSeriesUpgrade,
        post_series_upgrade => PostSeriesUpgrade,
        leader_elected => LeaderElected,
        leader_settings_changed => LeaderSettingsChanged,
        collect_app_status => CollectAppStatus,
        collect_unit_status => CollectUnitStatus,
    );

    relation_events!(
        relation_created => RelationCreated,
        relation_joined => RelationJoined,
        relation_changed => RelationChanged,
        relation_departed => RelationDeparted,
        relation_broken => RelationBroken,
    );

    fn secret_event(&self, kind: EventKind, secret: &Secret, revision: Option<u32>) -> Event {
        let source = EventSource::Secret {
            secret: secret.clone(),
            revision,
        };
        Event::new(kind, source, &self.app_name)
    }

    /// `secret_changed`: a secret this unit was granted (not owns) has a new revision.
    pub fn secret_changed(&self, secret: &Secret) -> Event {
        self.secret_event(EventKind::SecretChanged, secret, None)
    }

    /// `secret_rotate`: an owned secret is due for rotation.
    pub fn secret_rotate(&self, secret: &Secret) -> Event {
        self.secret_event(EventKind::SecretRotate, secret, None)
    }

    /// `secret_expired` for a revision of an owned secret.
    pub fn secret_expired(&self, secret: &Secret, revision: u32) -> Event {
        self.secret_event(EventKind::SecretExpired, secret, Some(revision))
    }

    /// `secret_remove` for a revision of an owned secret.
    pub fn secret_remove(&self, secret: &Secret, revision: u32) -> Event {
        self.secret_event(EventKind::SecretRemove, secret, Some(revision))
    }

    fn workload_event(
        &self,
        kind: EventKind,
        container: &Container,
        notice: Option<&Notice>,
        check: Option<&CheckInfo>,
    ) -> Event {
        let source = EventSource::Workload {
            container: Box::new(container.clone()),
            notice: notice.cloned().map(Box::new),
            check: check.cloned().map(Box::new),
        };
        Event::new(kind, source, &self.app_name)
    }

    fn storage_event(&self, kind: EventKind, storage: &Storage) -> Event {
        let source = EventSource::Storage {
            storage: storage.clone(),
        };
        Event::new(kind, source, &self.app_name)
    }

    /// `<container>_pebble_ready`: the container's Pebble is up.
    pub fn pebble_ready(&self, container: &Container) -> Event {
        self.workload_event(EventKind::PebbleReady, container, None, None)
    }

    /// `<container>_pebble_custom_notice` for one of the container's notices.
    pub fn pebble_custom_notice(&self, container: &Container, notice: &Notice) -> Event {
        self.workload_event(EventKind::PebbleCustomNotice, container, Some(notice), None)
    }

    /// `<container>_pebble_check_failed` for one of the container's checks.
    pub fn pebble_check_failed(&self, container: &Container, info: &CheckInfo) -> Event {
        self.workload_event(EventKind::PebbleCheckFailed, container, None, Some(info))
    }

    /// `<container>_pebble_check_recovered` for one of the container's checks.
    pub fn pebble_check_recovered(&self, container: &Container, info: &CheckInfo) -> Event {
        self.workload_event(EventKind::PebbleCheckRecovered, container, None, Some(info))
    }

    /// `<storage>_storage_attached` for this instance (`JUJU_STORAGE_ID` is
    /// `<name>/<index>`); the instance must be in `State::storages`.
    pub fn storage_attached(&self, storage: &Storage) -> Event {
        self.storage_event(EventKind::StorageAttached, storage)
    }

    /// `<storage>_storage_detaching` for this instance; the instance must
    /// be in `State::storages`.
    pub fn storage_detaching(&self, storage: &Storage) -> Event {
        self.storage_event(EventKind::StorageDetaching, storage)
    }

    fn custom_event(&self, owner: CustomOwner, name: &str) -> Event {
        let source = EventSource::Custom {
            owner,
            data: Ok(Snapshot::new()),
        };
        let mut event = Event::new(EventKind::Custom, source, &self.app_name);
        event.name = name.to_owned();
        event
    }

    /// The custom event `name` of the charm's library object of type `L`
    /// (or of the charm itself when `L` is the charm), run as the
    /// dispatched event: ops.testing's `ctx.on.custom(Lib.on.name)`. Give
    /// its data with [`.data(..)`](Event::data).
    ///
    /// The run finds the one object of type `L` that defines `name` with
    /// `event_source`. It fails with [`Error::BadOwnerPath`](crate::Error::BadOwnerPath)
    /// when the charm has no object of that type (or several define the
    /// event: use [`custom_at`](Self::custom_at)), and with
    /// [`Error::NoObserver`](crate::Error::NoObserver) when the object
    /// does not define the event.
    ///
    /// [`Event::deferred`] on an event built this way files the notice
    /// under the charm's own `on`, which is right for the charm's events;
    /// for a library's, build the event with [`custom_at`](Self::custom_at),
    /// whose handle path says where the event lives.
    ///
    /// ```
    /// use ops::framework::ObjectScope;
    /// use ops::{Charm, CustomEvent, EventSource, Framework, HandlerResult};
    /// use ops_testing::{Context, State};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Debug, Serialize, Deserialize)]
    /// struct Ready { port: u16 }
    ///
    /// struct Database { ready: EventSource<Ready> }
    /// impl Database {
    ///     fn new<C: Charm>(mut scope: ObjectScope<'_, C, Self>) -> Self {
    ///         Database { ready: scope.event_source("ready") }
    ///     }
    /// }
    ///
    /// struct MyCharm { db: Database, port: u16 }
    /// impl Charm for MyCharm {
    ///     fn new(framework: &mut Framework<Self>) -> Self {
    ///         let db = Database::new(framework.object("db", |c: &mut Self| &mut c.db));
    ///         framework.observe(db.ready.on(), Self::on_ready);
    ///         MyCharm { db, port: 0 }
    ///     }
    /// }
    /// impl MyCharm {
    ///     fn on_ready(&mut self, event: &mut CustomEvent<Ready>) -> HandlerResult {
    ///         self.port = event.port;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let mut ctx = Context::<MyCharm>::new(ops::CharmMeta::new("app"));
    /// let event = ctx.on.custom::<Database>("ready").data(Ready { port: 5432 });
    /// ctx.run(event, &State::default()).unwrap();
    /// assert_eq!(ctx.emitted_events[0].path, "MyCharm/Database[db]/on/ready");
    /// assert_eq!(ctx.emitted_events[0].snapshot["port"], 5432);
    /// ```
    pub fn custom<L: 'static>(&self, name: &str) -> Event {
        let owner = short_type_name(std::any::type_name::<L>()).to_owned();
        self.custom_event(CustomOwner::Type(owner), name)
    }

    /// The custom event `name` of the object at handle path `owner`
    /// (`MyCharm` for the charm's own events, `MyCharm/Database[db]` for a
    /// library object's), run as the dispatched event. Fails as
    /// [`custom`](Self::custom) does.
    pub fn custom_at(&self, owner: &str, name: &str) -> Event {
        self.custom_event(CustomOwner::Path(owner.to_owned()), name)
    }

    /// The action called `name`; add parameters with `.params(json!({..}))`.
    pub fn action(&self, name: &str) -> Event {
        let source = EventSource::Action {
            action: name.to_owned(),
            params: serde_json::Map::new(),
            id: next_action_id(),
        };
        Event::new(EventKind::Action, source, &self.app_name)
    }
}
