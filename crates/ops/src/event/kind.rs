//! [`EventKind`]: the one table of the events Juju (and the framework) can
//! send a charm, with everything that depends on which event it is.
//!
//! Hook-name parsing (`ops::main`), event snapshots, the `on::*` and
//! `ctx.on.*` constructors and the harness's consistency rules all read
//! their facts from here, so adding an event is one row of the table.

use std::fmt;

/// What an event's name is prefixed with, and what it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// About the unit as a whole (`install`, `leader-elected`, …): no prefix.
    Unit,
    /// About one relation: prefixed with its endpoint (`db-relation-changed`).
    Relation,
    /// About one storage instance: prefixed with the storage name (`data-storage-attached`).
    Storage,
    /// About one workload container: prefixed with its name (`web-pebble-ready`).
    Workload,
    /// About one secret: no prefix (`secret-changed`).
    Secret,
    /// An action: `actions/<name>` rather than a hook.
    Action,
    /// Emitted by the framework itself, never by Juju (`collect-unit-status`).
    Framework,
}

impl Scope {
    /// What the entity that prefixes the event's name is called in messages
    /// and in charmcraft.yaml (`relation endpoint`, `storage`, `container`, `action`).
    pub fn entity(self) -> Option<&'static str> {
        match self {
            Scope::Relation => Some("relation endpoint"),
            Scope::Storage => Some("storage"),
            Scope::Workload => Some("container"),
            Scope::Action => Some("action"),
            Scope::Unit | Scope::Secret | Scope::Framework => None,
        }
    }
}

/// A hook-environment variable an event needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnvVar {
    /// `JUJU_RELATION`.
    Relation,
    /// `JUJU_RELATION_ID`.
    RelationId,
    /// `JUJU_SECRET_ID`.
    SecretId,
    /// `JUJU_SECRET_REVISION`.
    SecretRevision,
    /// `JUJU_STORAGE_ID`.
    StorageId,
    /// `JUJU_WORKLOAD_NAME`.
    WorkloadName,
    /// `JUJU_NOTICE_ID`.
    NoticeId,
    /// `JUJU_NOTICE_TYPE`.
    NoticeType,
    /// `JUJU_NOTICE_KEY`.
    NoticeKey,
    /// `JUJU_PEBBLE_CHECK_NAME`.
    CheckName,
    /// `JUJU_ACTION_UUID`.
    ActionUuid,
}

impl EnvVar {
    /// The variable's name.
    pub fn name(self) -> &'static str {
        match self {
            EnvVar::Relation => "JUJU_RELATION",
            EnvVar::RelationId => "JUJU_RELATION_ID",
            EnvVar::SecretId => "JUJU_SECRET_ID",
            EnvVar::SecretRevision => "JUJU_SECRET_REVISION",
            EnvVar::StorageId => "JUJU_STORAGE_ID",
            EnvVar::WorkloadName => "JUJU_WORKLOAD_NAME",
            EnvVar::NoticeId => "JUJU_NOTICE_ID",
            EnvVar::NoticeType => "JUJU_NOTICE_TYPE",
            EnvVar::NoticeKey => "JUJU_NOTICE_KEY",
            EnvVar::CheckName => "JUJU_PEBBLE_CHECK_NAME",
            EnvVar::ActionUuid => "JUJU_ACTION_UUID",
        }
    }
}

/// What, beyond its scope, an event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Carries {
    remote_unit: bool,
    departing_unit: bool,
    revision: bool,
    notice: bool,
    check: bool,
}

const NOTHING: Carries = Carries {
    remote_unit: false,
    departing_unit: false,
    revision: false,
    notice: false,
    check: false,
};
const REMOTE_UNIT: Carries = Carries {
    remote_unit: true,
    ..NOTHING
};
const DEPARTING: Carries = Carries {
    remote_unit: true,
    departing_unit: true,
    ..NOTHING
};
const REVISION: Carries = Carries {
    revision: true,
    ..NOTHING
};
const NOTICE: Carries = Carries {
    notice: true,
    ..NOTHING
};
const CHECK: Carries = Carries {
    check: true,
    ..NOTHING
};

struct Row {
    kind: EventKind,
    scope: Scope,
    /// The hook name (unit and secret events) or the suffix after the
    /// entity (`relation-changed`); empty for actions.
    hook: &'static str,
    carries: Carries,
    /// The name of the event's type in ops: `StartEvent`.
    type_name: &'static str,
}

macro_rules! event_kinds {
    ($( $(#[$doc:meta])* $kind:ident => $scope:ident, $hook:literal, $carries:ident; )*) => {
        /// Every kind of event Juju or the framework sends a charm.
        ///
        /// ```
        /// use ops::event::{EventKind, Scope};
        /// let (kind, entity) = EventKind::parse_dispatch_path("hooks/db-relation-departed").unwrap();
        /// assert_eq!(kind, EventKind::RelationDeparted);
        /// assert_eq!(entity, Some("db"));
        /// assert_eq!(kind.scope(), Scope::Relation);
        /// assert!(kind.carries_departing_unit());
        /// assert_eq!(kind.ops_name(Some("receive-ca-cert")), "receive_ca_cert_relation_departed");
        /// assert_eq!(kind.hook_name(Some("db")), "db-relation-departed");
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum EventKind {
            $( $(#[$doc])* $kind, )*
        }

        const TABLE: &[Row] = &[
            $( Row {
                kind: EventKind::$kind,
                scope: Scope::$scope,
                hook: $hook,
                carries: $carries,
                type_name: concat!(stringify!($kind), "Event"),
            }, )*
        ];
    };
}

event_kinds! {
    /// `install`.
    Install => Unit, "install", NOTHING;
    /// `start`.
    Start => Unit, "start", NOTHING;
    /// `stop`.
    Stop => Unit, "stop", NOTHING;
    /// `remove`.
    Remove => Unit, "remove", NOTHING;
    /// `update-status`.
    UpdateStatus => Unit, "update-status", NOTHING;
    /// `config-changed`.
    ConfigChanged => Unit, "config-changed", NOTHING;
    /// `upgrade-charm`.
    UpgradeCharm => Unit, "upgrade-charm", NOTHING;
    /// `pre-series-upgrade` (machine charms).
    PreSeriesUpgrade => Unit, "pre-series-upgrade", NOTHING;
    /// `post-series-upgrade` (machine charms).
    PostSeriesUpgrade => Unit, "post-series-upgrade", NOTHING;
    /// `leader-elected`.
    LeaderElected => Unit, "leader-elected", NOTHING;
    /// `leader-settings-changed` (legacy; Juju still sends it).
    LeaderSettingsChanged => Unit, "leader-settings-changed", NOTHING;
    /// `leader-deposed` (legacy; Juju still sends it).
    LeaderDeposed => Unit, "leader-deposed", NOTHING;
    /// `<endpoint>-relation-created`.
    RelationCreated => Relation, "relation-created", NOTHING;
    /// `<endpoint>-relation-joined`.
    RelationJoined => Relation, "relation-joined", REMOTE_UNIT;
    /// `<endpoint>-relation-changed`.
    RelationChanged => Relation, "relation-changed", REMOTE_UNIT;
    /// `<endpoint>-relation-departed`.
    RelationDeparted => Relation, "relation-departed", DEPARTING;
    /// `<endpoint>-relation-broken`.
    RelationBroken => Relation, "relation-broken", NOTHING;
    /// `<storage>-storage-attached`.
    StorageAttached => Storage, "storage-attached", NOTHING;
    /// `<storage>-storage-detaching`.
    StorageDetaching => Storage, "storage-detaching", NOTHING;
    /// `<container>-pebble-ready`.
    PebbleReady => Workload, "pebble-ready", NOTHING;
    /// `<container>-pebble-custom-notice`.
    PebbleCustomNotice => Workload, "pebble-custom-notice", NOTICE;
    /// `<container>-pebble-check-failed`.
    PebbleCheckFailed => Workload, "pebble-check-failed", CHECK;
    /// `<container>-pebble-check-recovered`.
    PebbleCheckRecovered => Workload, "pebble-check-recovered", CHECK;
    /// `secret-changed`: a secret this unit tracks has a new revision.
    SecretChanged => Secret, "secret-changed", NOTHING;
    /// `secret-rotate`: an owned secret is due for rotation.
    SecretRotate => Secret, "secret-rotate", NOTHING;
    /// `secret-remove`: a revision of an owned secret is no longer tracked.
    SecretRemove => Secret, "secret-remove", REVISION;
    /// `secret-expired`: a revision of an owned secret expired.
    SecretExpired => Secret, "secret-expired", REVISION;
    /// `actions/<name>`.
    Action => Action, "", NOTHING;
    /// `collect-app-status` (framework; leader only).
    CollectAppStatus => Framework, "collect-app-status", NOTHING;
    /// `collect-unit-status` (framework).
    CollectUnitStatus => Framework, "collect-unit-status", NOTHING;
    /// A custom event that a charm or library defines and emits itself
    /// (an [`EventSource`](crate::EventSource)). Juju never sends one and no
    /// name parses as one; the testing harness can dispatch one directly.
    Custom => Framework, "", NOTHING;
}

/// Hooks Juju runs in a restricted context, without the state tools; the
/// framework emits nothing for them.
pub const RESTRICTED_HOOKS: [&str; 2] = ["collect-metrics", "meter-status-changed"];

impl EventKind {
    fn row(self) -> &'static Row {
        // The table lists every variant in declaration order.
        &TABLE[self as usize]
    }

    /// The variant's name followed by `Event` (`StartEvent`,
    /// `CollectAppStatusEvent`), without formatting.
    pub(crate) fn variant_event_name(self) -> &'static str {
        self.row().type_name
    }

    /// Every kind, in table order.
    pub fn all() -> impl Iterator<Item = EventKind> {
        TABLE.iter().map(|row| row.kind)
    }

    /// What the event is about.
    pub fn scope(self) -> Scope {
        self.row().scope
    }

    /// Whether Juju (rather than the framework) sends it.
    pub fn is_juju_event(self) -> bool {
        self.scope() != Scope::Framework
    }

    /// Whether the event names a remote unit (`JUJU_REMOTE_UNIT`): relation
    /// joined, changed and departed.
    pub fn carries_remote_unit(self) -> bool {
        self.row().carries.remote_unit
    }

    /// Whether the event names the departing unit (`JUJU_DEPARTING_UNIT`).
    pub fn carries_departing_unit(self) -> bool {
        self.row().carries.departing_unit
    }

    /// Whether the event names a secret revision (`JUJU_SECRET_REVISION`).
    pub fn carries_revision(self) -> bool {
        self.row().carries.revision
    }

    /// Whether the event carries a Pebble notice (`JUJU_NOTICE_*`).
    pub fn carries_notice(self) -> bool {
        self.row().carries.notice
    }

    /// Whether the event carries a Pebble check name.
    pub fn carries_check(self) -> bool {
        self.row().carries.check
    }

    /// The variables Juju sets for this event, which a dispatch needs.
    pub fn required_env(self) -> Vec<EnvVar> {
        let mut vars = match self.scope() {
            Scope::Relation => vec![EnvVar::Relation, EnvVar::RelationId],
            Scope::Secret => vec![EnvVar::SecretId],
            Scope::Storage => vec![EnvVar::StorageId],
            Scope::Workload => vec![EnvVar::WorkloadName],
            Scope::Action => vec![EnvVar::ActionUuid],
            Scope::Unit | Scope::Framework => Vec::new(),
        };
        let carries = self.row().carries;
        if carries.revision {
            vars.push(EnvVar::SecretRevision);
        }
        if carries.notice {
            vars.extend([EnvVar::NoticeId, EnvVar::NoticeType, EnvVar::NoticeKey]);
        }
        if carries.check {
            vars.push(EnvVar::CheckName);
        }
        vars
    }

    /// The name Juju runs it under: `install`, `db-relation-changed`
    /// (the entity verbatim, as declared); empty for actions, which are not hooks.
    pub fn hook_name(self, entity: Option<&str>) -> String {
        let row = self.row();
        match (row.scope, entity) {
            (Scope::Action, _) => String::new(),
            (Scope::Relation | Scope::Storage | Scope::Workload, Some(entity)) => {
                format!("{entity}-{}", row.hook)
            }
            _ => row.hook.to_owned(),
        }
    }

    /// The name ops gives it: `start`, `db_relation_changed`,
    /// `do_backup_action` (hyphens in the entity become underscores).
    pub fn ops_name(self, entity: Option<&str>) -> String {
        let row = self.row();
        let entity = entity.map(|e| e.replace('-', "_"));
        match (row.scope, entity) {
            (Scope::Action, Some(action)) => format!("{action}_action"),
            (Scope::Relation | Scope::Storage | Scope::Workload, Some(entity)) => {
                format!("{entity}_{}", row.hook.replace('-', "_"))
            }
            _ => row.hook.replace('-', "_"),
        }
    }

    /// Parses a `JUJU_DISPATCH_PATH` (`hooks/<hook>` or `actions/<name>`)
    /// into the event kind and the entity it is about. `None` for a hook
    /// that is not in the table.
    pub fn parse_dispatch_path(path: &str) -> Option<(EventKind, Option<&str>)> {
        if let Some(action) = path.strip_prefix("actions/") {
            return (!action.is_empty()).then_some((EventKind::Action, Some(action)));
        }
        let hook = path.strip_prefix("hooks/")?;
        Self::parse_hook(hook)
    }

    /// Parses a hook name (`install`, `db-relation-changed`) as
    /// [`parse_dispatch_path`](Self::parse_dispatch_path) does.
    pub fn parse_hook(hook: &str) -> Option<(EventKind, Option<&str>)> {
        parse_spelled(hook, b'-', false)
    }

    /// Parses an ops event name (`start`, `db_relation_changed`,
    /// `backup_action`) into the kind and the entity in ops spelling
    /// (underscores). `None` for a name no Juju or framework event has:
    /// a custom event.
    pub fn parse_ops_name(name: &str) -> Option<(EventKind, Option<&str>)> {
        if let Some(action) = name.strip_suffix("_action") {
            return (!action.is_empty()).then_some((EventKind::Action, Some(action)));
        }
        parse_spelled(name, b'_', true)
    }
}

/// `name` without the suffix `hook` spelled with `separator` for `-`, and
/// without the separator before it.
fn strip_spelled_suffix<'a>(name: &'a str, hook: &str, separator: u8) -> Option<&'a str> {
    let split = name.len().checked_sub(hook.len() + 1)?;
    let (head, tail) = name.as_bytes().split_at(split);
    let spelled = std::iter::once(separator)
        .chain(hook.bytes().map(|b| if b == b'-' { separator } else { b }));
    (tail.iter().copied().eq(spelled) && !head.is_empty()).then(|| &name[..split])
}

/// Parses a hook name (`separator` `-`) or an ops name (`_`): exact names
/// first, so a unit event never reads as `<entity><sep><suffix>`.
fn parse_spelled(name: &str, separator: u8, framework: bool) -> Option<(EventKind, Option<&str>)> {
    let spelled_eq = |hook: &str| {
        hook.len() == name.len()
            && hook
                .bytes()
                .zip(name.bytes())
                .all(|(h, n)| n == if h == b'-' { separator } else { h })
    };
    let exact = TABLE.iter().find(|row| {
        !row.hook.is_empty()
            && (matches!(row.scope, Scope::Unit | Scope::Secret)
                || (framework && row.scope == Scope::Framework))
            && spelled_eq(row.hook)
    });
    if let Some(row) = exact {
        return Some((row.kind, None));
    }
    TABLE
        .iter()
        .filter(|row| {
            matches!(
                row.scope,
                Scope::Relation | Scope::Storage | Scope::Workload
            )
        })
        .find_map(|row| {
            strip_spelled_suffix(name, row.hook, separator).map(|entity| (row.kind, Some(entity)))
        })
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = self.row();
        match row.scope {
            Scope::Action => f.write_str("action"),
            Scope::Framework if row.hook.is_empty() => f.write_str("custom event"),
            Scope::Relation | Scope::Storage | Scope::Workload => write!(
                f,
                "<{}>-{}",
                row.scope.entity().unwrap_or("entity"),
                row.hook
            ),
            _ => f.write_str(row.hook),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_declaration_order() {
        for (index, row) in TABLE.iter().enumerate() {
            assert_eq!(row.kind as usize, index, "{:?}", row.kind);
        }
    }

    #[test]
    fn every_juju_event_round_trips_through_its_hook_and_ops_names() {
        for kind in EventKind::all().filter(|k| k.is_juju_event()) {
            let entity = kind.scope().entity().map(|_| "my-thing");
            let path = match kind.scope() {
                Scope::Action => "actions/my-thing".to_owned(),
                _ => format!("hooks/{}", kind.hook_name(entity)),
            };
            assert_eq!(
                EventKind::parse_dispatch_path(&path),
                Some((kind, entity)),
                "{path}"
            );
            let ops_name = kind.ops_name(entity);
            let ops_entity = entity.map(|e| e.replace('-', "_"));
            assert_eq!(
                EventKind::parse_ops_name(&ops_name),
                Some((kind, ops_entity.as_deref())),
                "{ops_name}"
            );
        }
    }

    #[test]
    fn unknown_names_are_not_parsed() {
        for path in [
            "hooks/frobnicate",
            "hooks/-relation-changed",
            "hooks/relation-changed",
            "actions/",
            "start",
        ] {
            assert_eq!(EventKind::parse_dispatch_path(path), None, "{path}");
        }
        assert_eq!(EventKind::parse_ops_name("db_ready"), None);
        // The custom kind has no name of its own.
        assert_eq!(EventKind::parse_ops_name(""), None);
        assert_eq!(EventKind::parse_hook(""), None);
    }

    #[test]
    fn entities_may_contain_the_suffix_words() {
        assert_eq!(
            EventKind::parse_hook("my-relation-relation-changed"),
            Some((EventKind::RelationChanged, Some("my-relation")))
        );
        assert_eq!(
            EventKind::parse_hook("secret-store-storage-attached"),
            Some((EventKind::StorageAttached, Some("secret-store")))
        );
    }

    #[test]
    fn required_variables_follow_the_event() {
        assert_eq!(
            EventKind::SecretExpired.required_env(),
            [EnvVar::SecretId, EnvVar::SecretRevision]
        );
        assert_eq!(
            EventKind::PebbleCheckFailed.required_env(),
            [EnvVar::WorkloadName, EnvVar::CheckName]
        );
        assert!(EventKind::Start.required_env().is_empty());
    }
}
