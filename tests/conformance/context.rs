//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_context.py>.
//!
//! Upstream checks what the runtime puts in the process environment; here
//! the harness builds the charm's `JujuContext` in memory and never touches
//! the environment, so the same facts are read from `model.juju_context()`.

use crate::helpers::{CatchAll, Probe, catch_all, is, meta};
use ops::{Charm, Framework, HandlerResult, JujuContext, StartEvent, on};
use ops_testing::{Context, Error, State};
use pretty_assertions::assert_eq;
use rstest::rstest;
use std::cell::RefCell;
use std::rc::Rc;

/// A Context over the catch-all charm recording the `JujuContext` of start.
fn recording(
    meta_yaml: &str,
    configure: impl FnOnce(Context<CatchAll>) -> Context<CatchAll>,
) -> (Context<CatchAll>, Rc<RefCell<Option<JujuContext>>>) {
    let seen = Rc::new(RefCell::new(None));
    let record = seen.clone();
    let probe = Probe::calling(move |model, event| {
        if is::<StartEvent>(event) {
            *record.borrow_mut() = Some(model.juju_context().clone());
        }
        Ok(())
    });
    (configure(catch_all(meta_yaml, &probe)), seen)
}

fn start(ctx: &mut Context<CatchAll>, seen: &Rc<RefCell<Option<JujuContext>>>) -> JujuContext {
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    seen.borrow().clone().expect("start was handled")
}

#[test]
fn test_run() {
    let probe = Probe::default();
    let mut ctx = catch_all("name: foo", &probe);
    let state = State {
        leader: true,
        workload_version: "1.0".into(),
        ..State::default()
    };
    let output = ctx.run(ctx.on.start(), &state).unwrap();
    // The charm got the start event, and the output is the input state as
    // a charm that changes nothing leaves it.
    assert_eq!(probe.seen.borrow()[0], "StartEvent");
    assert_eq!(output, state);
}

#[test]
fn test_run_action() {
    let seen = Rc::new(RefCell::new(None));
    let record = seen.clone();
    let probe = Probe::calling(move |model, event| {
        if let Some(action) = event.as_any().downcast_mut::<ops::ActionEvent>() {
            *record.borrow_mut() = Some((model.juju_context().clone(), action.id.clone()));
        }
        Ok(())
    });
    let mut ctx = catch_all("name: foo\nactions:\n  do-foo: {}\n", &probe);
    let event = ctx.on.action("do-foo");
    assert_eq!(event.name, "do_foo_action");
    // Actions have no hook name; the Juju prefix is the action's name.
    assert_eq!(event.juju_name(), "");
    let next = ctx.on.action("do-foo");
    ctx.run(event, &State::default()).unwrap();
    let (juju, id) = seen.borrow().clone().unwrap();
    assert_eq!(juju.action_name.as_deref(), Some("do-foo"));
    assert_eq!(juju.dispatch_path, "actions/do-foo");
    assert_eq!(juju.action_uuid.as_deref(), Some(id.as_str()));
    // Ids come from a counter: the next action built gets the next id.
    ctx.run(next, &State::default()).unwrap();
    let (_, next_id) = seen.borrow().clone().unwrap();
    assert_eq!(
        next_id.parse::<u64>().unwrap(),
        id.parse::<u64>().unwrap() + 1
    );
}

#[rstest]
fn test_app_name(
    #[values("foo", "bar", "george")] app_name: &'static str,
    #[values(1, 2, 42)] unit_id: u32,
) {
    let names = Rc::new(RefCell::new(None));
    let record = names.clone();
    let probe = Probe::calling(move |model, event| {
        if is::<StartEvent>(event) {
            *record.borrow_mut() = Some((
                model.app().name().to_owned(),
                model.unit().name().to_owned(),
            ));
        }
        Ok(())
    });
    let mut ctx = catch_all("name: foo", &probe)
        .app_name(app_name)
        .unit_id(unit_id);
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert_eq!(
        names.borrow().clone(),
        Some((app_name.to_owned(), format!("{app_name}/{unit_id}")))
    );
}

#[rstest]
#[case(Some("0"))]
#[case(None)]
#[case(Some("42"))]
#[case(Some("0/lxd/4"))]
fn test_machine_id_envvar(#[case] machine_id: Option<&str>) {
    let (mut ctx, seen) = recording("name: foo", |ctx| match machine_id {
        Some(id) => ctx.machine_id(id),
        None => ctx,
    });
    assert_eq!(start(&mut ctx, &seen).machine_id.as_deref(), machine_id);
}

#[rstest]
#[case(Some("zone1"))]
#[case(None)]
#[case(Some("us-east-1a"))]
fn test_availability_zone_envvar(#[case] availability_zone: Option<&str>) {
    let (mut ctx, seen) = recording("name: foo", |ctx| match availability_zone {
        Some(zone) => ctx.availability_zone(zone),
        None => ctx,
    });
    assert_eq!(
        start(&mut ctx, &seen).availability_zone.as_deref(),
        availability_zone
    );
}

#[rstest]
#[case(Some("main/0"))]
#[case(None)]
#[case(Some("app/42"))]
fn test_principal_unit_envvar(#[case] principal_unit: Option<&str>) {
    let (mut ctx, seen) = recording("name: foo", |ctx| match principal_unit {
        Some(unit) => ctx.principal_unit(unit),
        None => ctx,
    });
    assert_eq!(
        start(&mut ctx, &seen).principal_unit.as_deref(),
        principal_unit
    );
}

#[test]
fn test_app_name_and_unit_id_default() {
    let ctx = Context::<CatchAll>::new(meta("name: foo"));
    assert_eq!(ctx.unit_name(), "foo/0");
}

#[test]
fn test_app_name_and_unit_id() {
    let ctx = Context::<CatchAll>::new(meta("name: foo"))
        .app_name("notfoo")
        .unit_id(42);
    assert_eq!(ctx.unit_name(), "notfoo/42");
}

/// Upstream's `CrashyCharm`: start fails.
struct CrashyCharm {
    panics: bool,
}

impl Charm for CrashyCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, false)
    }
}

impl CrashyCharm {
    fn build(framework: &mut Framework<Self>, panics: bool) -> Self {
        framework.observe(on::start(), Self::on_start);
        CrashyCharm { panics }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        if self.panics {
            panic!("Crash!");
        }
        Err("Crash!".into())
    }
}

// Upstream runs this twice, with and without SCENARIO_BARE_CHARM_ERRORS;
// there is no such switch here (errors are always wrapped), so the two cases
// are the two ways a Rust charm fails: returning an error, and panicking.
#[rstest]
fn test_run_uncaught_error(#[values(false, true)] panics: bool) {
    let mut ctx = Context::<CrashyCharm>::new(meta("name: crashy"))
        .with_charm(move |framework| CrashyCharm::build(framework, panics));
    let err = ctx.run(ctx.on.start(), &State::default()).unwrap_err();
    let Error::UncaughtCharmError {
        event,
        message,
        panicked,
        ..
    } = err
    else {
        panic!("expected an uncaught charm error, got {err:?}");
    };
    assert_eq!(event, "start");
    assert!(message.contains("Crash!"), "{message}");
    assert_eq!(panicked, panics);
}

// `test_run_env_cleared` is not ported: its charm sets an environment
// variable, which safe Rust cannot do (`std::env::set_var` is unsafe in
// edition 2024), and the harness never writes the environment; the
// compile-time check is `compile_fail/env_set_var_is_unsafe.rs`.

const CONFIG: &str = "
config:
  options:
    perambulator-abbreviation: {type: string, default: pram}
";
const ACTIONS: &str = "
actions:
  do-foo:
    description: Who do? Foo do.
";

fn run_update_status(ctx: &mut Context<CatchAll>) {
    ctx.run(ctx.on.update_status(), &State::default()).unwrap();
}

#[test]
fn test_init_with_meta_only() {
    let mut ctx = Context::<CatchAll>::new(meta("name: jane"));
    assert_eq!(ctx.meta().name, "jane");
    assert!(ctx.meta().config.options.is_empty());
    assert!(ctx.meta().actions.is_empty());
    run_update_status(&mut ctx);
}

/// Upstream's `MyCharm` for the `test_init_with_*` tests: observes nothing.
struct MyCharm;

impl Charm for MyCharm {
    fn new(_: &mut Framework<Self>) -> Self {
        MyCharm
    }
}

// Upstream's `Context(MyCharm, config=CONFIG)`: metadata with only config
// set; the charm is named after its type.
#[test]
fn test_init_with_config_only() {
    let config = meta(&format!("name: x\n{CONFIG}")).config;
    let mut ctx = Context::<MyCharm>::new(ops::CharmMeta {
        config: config.clone(),
        ..ops::CharmMeta::default()
    });
    assert_eq!(ctx.meta().name, "MyCharm");
    assert_eq!(ctx.meta().config, config);
    assert!(ctx.meta().actions.is_empty());
    assert_eq!(ctx.unit_name(), "MyCharm/0");
    ctx.run(ctx.on.update_status(), &State::default()).unwrap();
}

#[test]
fn test_init_with_actions_only() {
    let actions = meta(&format!("name: x\n{ACTIONS}")).actions;
    let mut ctx = Context::<MyCharm>::new(ops::CharmMeta {
        actions: actions.clone(),
        ..ops::CharmMeta::default()
    });
    assert_eq!(ctx.meta().name, "MyCharm");
    assert!(ctx.meta().config.options.is_empty());
    assert_eq!(ctx.meta().actions, actions);
    ctx.run(ctx.on.update_status(), &State::default()).unwrap();
}

#[test]
fn test_init_with_no_meta() {
    // A Context always has metadata (`Context::new` takes it); loading it
    // from a directory without any fails.
    let dir = tempfile::tempdir().unwrap();
    let result = Context::<CatchAll>::from_charm_root(dir.path());
    assert!(matches!(result, Err(Error::Metadata(_))));
}

// Upstream accepts the metadata and fails when running; here metadata
// without a name is refused when it is loaded.
#[test]
fn test_init_and_run_with_bad_meta() {
    let err = Context::<CatchAll>::from_yaml("a truth universally acknowledged: it").unwrap_err();
    assert!(matches!(err, Error::Metadata(_)));
    assert!(err.to_string().contains("name"), "{err}");
}

#[test]
fn test_init_with_charmcraft_yaml_as_meta_w_actions() {
    let mut ctx = Context::<CatchAll>::from_yaml(&format!("name: mary\n{ACTIONS}")).unwrap();
    assert_eq!(ctx.meta().name, "mary");
    assert!(ctx.meta().config.options.is_empty());
    assert_eq!(ctx.meta().actions["do-foo"].description, "Who do? Foo do.");
    run_update_status(&mut ctx);
}

#[test]
fn test_init_with_charmcraft_yaml_as_meta_w_config() {
    let mut ctx = Context::<CatchAll>::from_yaml(&format!("name: lydia\n{CONFIG}")).unwrap();
    assert_eq!(ctx.meta().name, "lydia");
    assert_eq!(
        ctx.meta().config.options["perambulator-abbreviation"].default,
        Some("pram".into())
    );
    assert!(ctx.meta().actions.is_empty());
    run_update_status(&mut ctx);
}

#[test]
fn test_init_with_charmcraft_yaml_as_meta_w_config_and_actions_only() {
    let err = Context::<CatchAll>::from_yaml(&format!("{CONFIG}{ACTIONS}")).unwrap_err();
    assert!(err.to_string().contains("name"), "{err}");
}

#[test]
fn test_init_with_full_charmcraft_yaml_as_meta() {
    let mut ctx =
        Context::<CatchAll>::from_yaml(&format!("name: anne\n{CONFIG}{ACTIONS}")).unwrap();
    assert_eq!(ctx.meta().name, "anne");
    assert!(
        ctx.meta()
            .config
            .options
            .contains_key("perambulator-abbreviation")
    );
    assert!(ctx.meta().actions.contains_key("do-foo"));
    run_update_status(&mut ctx);
}

// Upstream passes the full charmcraft.yaml as `meta` and config (or
// actions) separately; the Rust counterpart of separate `config=`/`actions=`
// is `CharmMeta::from_legacy_yaml`, which refuses the pair the same way.
#[test]
fn test_init_with_full_charmcraft_yaml_as_meta_and_explicit_config() {
    let charmcraft_yaml = format!("name: elizabeth\n{CONFIG}{ACTIONS}");
    let config = "options:\n  match: {type: string, default: darcy}\n";
    let err = ops::CharmMeta::from_legacy_yaml(&charmcraft_yaml, Some(config), None).unwrap_err();
    assert!(matches!(err, ops::MetadataError::Invalid { .. }), "{err:?}");
    assert!(err.to_string().contains("config"), "{err}");
}

#[test]
fn test_init_with_full_charmcraft_yaml_as_meta_and_explicit_actions() {
    let charmcraft_yaml = format!("name: catherine\n{CONFIG}{ACTIONS}");
    let actions = "do-bar:\n  description: Do `bar`, whatever that is.\n";
    let err = ops::CharmMeta::from_legacy_yaml(&charmcraft_yaml, None, Some(actions)).unwrap_err();
    assert!(matches!(err, ops::MetadataError::Invalid { .. }), "{err:?}");
    assert!(err.to_string().contains("actions"), "{err}");
}
