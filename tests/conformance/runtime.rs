//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_runtime.py>.
//!
//! Upstream inspects the environment the runtime sets for ops; here the
//! harness hands the charm an in-memory `JujuContext` (the same struct
//! `ops::main` builds from the real environment), read through
//! `model.juju_context()`. There is no `JUJU_HOOK_NAME` field: the hook name
//! is the tail of `dispatch_path` (and `Event::juju_name`).

use crate::helpers::{Probe, catch_all, meta, relation_view};
use ops::{Charm, Framework, HandlerResult, JujuContext, UpdateStatusEvent, on};
use ops_testing::{CharmEvents, Context, Error, Event, Relation, Secret, State, Storage};
use pretty_assertions::assert_eq;
use rstest::rstest;
use std::cell::RefCell;
use std::rc::Rc;

/// Runs `event` and returns the `JujuContext` the charm's first handler saw.
fn juju_context(
    meta_yaml: &str,
    state: &State,
    event: impl FnOnce(&CharmEvents) -> Event,
) -> JujuContext {
    let seen = Rc::new(RefCell::new(None));
    let record = seen.clone();
    let probe = Probe::calling(move |model, _| {
        if record.borrow().is_none() {
            *record.borrow_mut() = Some(model.juju_context().clone());
        }
        Ok(())
    });
    let mut ctx = catch_all(meta_yaml, &probe).app_name("dashchk");
    let event = event(&ctx.on);
    ctx.run(event, state).unwrap();
    seen.take().expect("the charm handled the event")
}

/// Upstream defines `bar` on the charm's own `on` (`define_event`) and
/// runs `_Event('bar')`; here the charm defines it with `event_source`
/// and the test runs `ctx.on.custom::<Charm>("bar")`.
#[test]
fn test_event_emission() {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct MyEvt {}

    struct MyCharm {
        got: Rc<RefCell<Vec<String>>>,
    }
    impl Charm for MyCharm {
        fn new(framework: &mut Framework<Self>) -> Self {
            let bar = framework.event_source::<MyEvt>("bar");
            framework.observe(bar.on(), |c: &mut Self, _: &mut ops::CustomEvent<MyEvt>| {
                c.got.borrow_mut().push("MyEvt".to_owned());
                Ok(())
            });
            MyCharm { got: Rc::default() }
        }
    }
    let got: Rc<RefCell<Vec<String>>> = Rc::default();
    let shared = got.clone();
    let mut ctx = Context::<MyCharm>::new(meta(
        "name: foo\nrequires:\n  ingress-per-unit: {interface: ingress_per_unit}\n",
    ))
    .with_charm(move |framework| {
        let mut charm = MyCharm::new(framework);
        charm.got = shared.clone();
        charm
    });
    ctx.run(ctx.on.custom::<MyCharm>("bar"), &State::default())
        .unwrap();
    assert_eq!(*got.borrow(), ["MyEvt"]);
    assert_eq!(ctx.emitted_events[0].path, "MyCharm/on/bar");
}

#[rstest]
fn test_unit_name(
    #[values("foo", "bar-baz", "QuX2")] app_name: &'static str,
    #[values(1, 2, 42)] unit_id: u32,
) {
    let seen = Rc::new(RefCell::new(None));
    let record = seen.clone();
    let probe = Probe::calling(move |model, _| {
        *record.borrow_mut() = Some(model.unit().name().to_owned());
        Ok(())
    });
    let mut ctx = catch_all(&format!("name: {app_name}"), &probe).unit_id(unit_id);
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert_eq!(seen.take(), Some(format!("{app_name}/{unit_id}")));
}

#[test]
fn test_env_clean_on_charm_error() {
    let remote_name = "ava";
    let probe = Probe::calling(move |model, event| {
        if relation_view(event).is_some() {
            assert_eq!(
                model.juju_context().remote_app.as_deref(),
                Some(remote_name)
            );
            return Err("ZeroDivisionError: division by zero".into());
        }
        Ok(())
    });
    let mut ctx = catch_all(
        "name: frank\nrequires:\n  box: {interface: triangle}\n",
        &probe,
    );
    let rel = Relation {
        remote_app_name: remote_name.into(),
        ..Relation::new("box")
    };
    let err = ctx
        .run(
            ctx.on.relation_changed(&rel),
            &State {
                relations: vec![rel.clone().into()],
                ..State::default()
            },
        )
        .unwrap_err();
    // Ensure that some other error didn't occur (like a failed assertion).
    let Error::UncaughtCharmError {
        message, panicked, ..
    } = &err
    else {
        panic!("expected an uncaught charm error, got {err:?}");
    };
    assert!(!panicked);
    assert!(message.contains("ZeroDivisionError"), "{message}");
    // The Juju context never reaches the process environment.
    assert!(std::env::var_os("JUJU_REMOTE_APP").is_none());
}

#[rstest]
#[case("receive-ca-cert", "receive-ca-cert-relation-changed")]
#[case("receive_ca_cert", "receive_ca_cert-relation-changed")]
fn test_relation_event_juju_hook_name_preserves_endpoint_spelling(
    #[case] endpoint: &str,
    #[case] expected_hook_name: &str,
) {
    let rel = Relation::new(endpoint);
    let juju = juju_context(
        &format!("name: foo\nrequires:\n  {endpoint}: {{interface: certificates}}\n"),
        &State {
            relations: vec![rel.clone().into()],
            ..State::default()
        },
        |on| on.relation_changed(&rel),
    );
    assert_eq!(juju.dispatch_path, format!("hooks/{expected_hook_name}"));
    // Juju echoes the endpoint name verbatim in JUJU_RELATION.
    assert_eq!(juju.relation_name.as_deref(), Some(endpoint));
}

#[test]
fn test_juju_version_is_set_in_environ() {
    let version = "2.9";
    let seen = Rc::new(RefCell::new(None));
    let record = seen.clone();
    let probe = Probe::calling(move |model, _| {
        *record.borrow_mut() = Some(model.juju_version().clone());
        Ok(())
    });
    let mut ctx = catch_all("name: foo", &probe).juju_version(version);
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    // The charm sees 2.9.0, which is what "2.9" means.
    assert_eq!(seen.take().expect("the charm ran"), version);
}

/// Upstream's `ValueErrorCharm`.
struct ValueErrorCharm;

impl Charm for ValueErrorCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::update_status(), Self::on_update_status);
        ValueErrorCharm
    }
}

impl ValueErrorCharm {
    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        Err("ValueError".into())
    }
}

#[test]
fn test_bare_charm_errors_not_set() {
    let mut ctx = Context::<ValueErrorCharm>::new(meta("name: value-error"));
    let err = ctx
        .run(ctx.on.update_status(), &State::default())
        .unwrap_err();
    assert!(
        matches!(&err, Error::UncaughtCharmError { message, .. } if message.contains("ValueError")),
        "{err:?}"
    );
}

#[test]
fn test_relation_event_dispatch_path_and_id_match_juju() {
    let relation = Relation {
        remote_app_name: "other".into(),
        ..Relation::new("receive-ca-cert")
    };
    let juju = juju_context(
        "name: dashchk\nrequires:\n  receive-ca-cert: {interface: x}\n",
        &State {
            relations: vec![relation.clone().into()],
            ..State::default()
        },
        |on| on.relation_changed(&relation),
    );
    assert_eq!(juju.dispatch_path, "hooks/receive-ca-cert-relation-changed");
    assert_eq!(juju.relation_name.as_deref(), Some("receive-ca-cert"));
    // JUJU_RELATION_ID is `receive-ca-cert:<id>`; the context keeps the id.
    assert_eq!(juju.relation_id, Some(relation.id));
}

#[test]
fn test_storage_event_dispatch_path_preserves_storage_name() {
    let storage = Storage::new("my-store");
    let juju = juju_context(
        "name: dashchk\nstorage:\n  my-store: {type: filesystem}\n",
        &State {
            storages: vec![storage.clone()],
            ..State::default()
        },
        |on| on.storage_attached(&storage),
    );
    assert_eq!(juju.event_name(), "my_store_storage_attached");
    assert_eq!(juju.dispatch_path, "hooks/my-store-storage-attached");
    assert_eq!(juju.storage_id, Some(storage.full_id()));
}

#[test]
fn test_action_dispatch_path_uses_actions_prefix() {
    let probe = Probe::default();
    let ctx = catch_all("name: dashchk\nactions:\n  my-action: {}\n", &probe);
    // Real Juju dispatches actions under `actions/<name>`, with no hook name.
    assert_eq!(ctx.on.action("my-action").juju_name(), "");
    let juju = juju_context(
        "name: dashchk\nactions:\n  my-action: {}\n",
        &State::default(),
        |on| on.action("my-action").id("7"),
    );
    assert_eq!(juju.dispatch_path, "actions/my-action");
    assert_eq!(juju.action_name.as_deref(), Some("my-action"));
    // JUJU_ACTION_TAG is `action-<id>`; the context keeps the id.
    assert_eq!(juju.action_uuid.as_deref(), Some("7"));
}

#[rstest]
#[case("update_status", "update-status")]
#[case("config_changed", "config-changed")]
#[case("upgrade_charm", "upgrade-charm")]
#[case("leader_elected", "leader-elected")]
#[case("start", "start")]
#[case("secret_changed", "secret-changed")]
fn test_builtin_event_dispatch_path_is_hyphenated(#[case] path: &str, #[case] hook_name: &str) {
    let secret = Secret {
        id: "secret:0".into(),
        ..Secret::new([("key".to_owned(), "value".to_owned())].into())
    };
    let juju = juju_context(
        "name: dashchk",
        &State {
            secrets: vec![secret.clone()],
            ..State::default()
        },
        |on| match path {
            "update_status" => on.update_status(),
            "config_changed" => on.config_changed(),
            "upgrade_charm" => on.upgrade_charm(),
            "leader_elected" => on.leader_elected(),
            "start" => on.start(),
            _ => on.secret_changed(&secret),
        },
    );
    assert_eq!(juju.dispatch_path, format!("hooks/{hook_name}"));
}

#[test]
fn test_workload_event_dispatch_path_preserves_container_name() {
    let container = ops_testing::Container::new("temporal-worker");
    let juju = juju_context(
        "name: dashchk\ncontainers:\n  temporal-worker: {}\n",
        &State {
            containers: vec![container.clone()],
            ..State::default()
        },
        |on| on.pebble_ready(&container),
    );
    // JUJU_HOOK_NAME is the hook of the dispatch path.
    assert_eq!(juju.dispatch_path, "hooks/temporal-worker-pebble-ready");
    assert_eq!(juju.workload_name.as_deref(), Some("temporal-worker"));
}
