//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_event.py>.
//!
//! Events are run only through `ctx.on` here; names are classified by the
//! event table (`EventKind::parse_ops_name`), and
//! the framework emits no `pre_commit`/`commit` events: the captured
//! framework events are the collect-status ones.

use crate::helpers::{CatchAll, Probe, catch_all, meta};
use ops::event::{EventKind, Scope};
use ops::{Charm, Framework, HandlerResult, UpdateStatusEvent, on};
use ops_testing::{Context, EmitKind, Relation, Secret, State};
use pretty_assertions::assert_eq;
use rstest::rstest;

// For events tied to a named entity (a relation endpoint, storage, or
// container), Juju keeps the entity name exactly as declared in the
// metadata and only uses dashes in the event-type suffix. Events not tied to
// such an entity use dashes throughout. Upstream reads `_Event(evt)._juju_name`;
// here every name goes through the event table that `Event::juju_name` reads
// (`EventKind::parse_ops_name`, then `hook_name`), and the names `ctx.on` can
// build (no storage or container events yet) are also built and asked.
#[rstest]
#[case("foo_relation_changed", "foo-relation-changed")]
#[case("receive-ca-cert_relation_changed", "receive-ca-cert-relation-changed")]
#[case("receive_ca_cert_relation_changed", "receive_ca_cert-relation-changed")]
#[case("my-storage_storage_attached", "my-storage-storage-attached")]
#[case("my_storage_storage_detaching", "my_storage-storage-detaching")]
#[case("my-container_pebble_ready", "my-container-pebble-ready")]
#[case("my_container_pebble_ready", "my_container-pebble-ready")]
#[case("config_changed", "config-changed")]
#[case("update_status", "update-status")]
#[case("pre_series_upgrade", "pre-series-upgrade")]
#[case("secret_changed", "secret-changed")]
#[case("start", "start")]
fn test_event_juju_name(#[case] evt: &str, #[case] expected_juju_name: &str) {
    let (kind, entity) = EventKind::parse_ops_name(evt).unwrap();
    assert_eq!(kind.hook_name(entity), expected_juju_name);
    assert_eq!(kind.ops_name(entity), evt.replace('-', "_"));
    let ctx = catch_all("name: x", &Probe::default());
    let event = match evt {
        "config_changed" => ctx.on.config_changed(),
        "update_status" => ctx.on.update_status(),
        "pre_series_upgrade" => ctx.on.pre_series_upgrade(),
        "secret_changed" => ctx
            .on
            .secret_changed(&Secret::new([("a".to_owned(), "b".to_owned())].into())),
        "start" => ctx.on.start(),
        _ if kind == EventKind::RelationChanged => {
            ctx.on.relation_changed(Relation::new(entity.unwrap()))
        }
        // Storage and container events: no `ctx.on` constructor yet.
        _ => return,
    };
    assert_eq!(event.name, evt.replace('-', "_"));
    assert_eq!(event.kind, kind);
    assert_eq!(event.juju_name(), expected_juju_name);
}

#[test]
fn test_emitted_framework() {
    let mut ctx = Context::<CatchAll>::new(meta("name: joop")).capture_framework_events(true);
    ctx.run(ctx.on.update_status(), &State::default()).unwrap();
    let emitted: Vec<(&str, EmitKind)> = ctx
        .emitted_events
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    // Upstream: [UpdateStatus, CollectStatus, PreCommit, Commit].
    assert_eq!(
        emitted,
        [
            ("update_status", EmitKind::Dispatched),
            ("collect_unit_status", EmitKind::Framework),
        ]
    );
}

struct MyCharm;

impl Charm for MyCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::update_status(), Self::on_update_status);
        MyCharm
    }
}

impl MyCharm {
    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        Ok(())
    }
}

#[test]
fn test_emitted_deferred() {
    let mut ctx = Context::<MyCharm>::new(meta("name: joop"))
        .capture_deferred_events(true)
        .capture_framework_events(true);
    let deferred = ctx.on.update_status().deferred(MyCharm::on_update_status);
    ctx.run(
        ctx.on.start(),
        &State {
            deferred: vec![deferred],
            ..State::default()
        },
    )
    .unwrap();
    let kinds: Vec<&str> = ctx.emitted_events.iter().map(|e| e.name.as_str()).collect();
    // Upstream also records pre_commit and commit.
    assert_eq!(kinds, ["update_status", "start", "collect_unit_status"]);
}

/// Upstream's `_EventType`, as our event table's scopes.
#[rstest]
#[case("foo_relation_changed", Some(Scope::Relation))]
#[case("foo_relation_created", Some(Scope::Relation))]
#[case("foo_bar_baz_relation_created", Some(Scope::Relation))]
#[case("foo_storage_attached", Some(Scope::Storage))]
#[case("foo_storage_detaching", Some(Scope::Storage))]
#[case("foo_bar_baz_storage_detaching", Some(Scope::Storage))]
#[case("foo_pebble_ready", Some(Scope::Workload))]
#[case("foo_bar_baz_pebble_ready", Some(Scope::Workload))]
#[case("foo_pebble_custom_notice", Some(Scope::Workload))]
#[case("foo_bar_baz_pebble_custom_notice", Some(Scope::Workload))]
#[case("secret_remove", Some(Scope::Secret))]
#[case("collect_unit_status", Some(Scope::Framework))]
#[case("collect_app_status", Some(Scope::Framework))]
// `pre_commit` and `commit` are framework events upstream; the Rust
// framework has neither, so they classify as custom names here.
#[case("pre_commit", None)]
#[case("commit", None)]
#[case("foo", None)]
#[case("kaboozle_bar_baz", None)]
fn test_event_type(#[case] evt: &str, #[case] expected: Option<Scope>) {
    let parsed = EventKind::parse_ops_name(evt);
    assert_eq!(parsed.map(|(kind, _)| kind.scope()), expected, "{evt}");
    // Builtin iff the name is an event of the table (None: custom).
    let entity = parsed.and_then(|(_, entity)| entity);
    if matches!(
        expected,
        Some(Scope::Relation | Scope::Storage | Scope::Workload)
    ) {
        assert!(
            entity.is_some_and(|e| e == "foo" || e == "foo_bar_baz"),
            "{evt}: {entity:?}"
        );
    }
}
