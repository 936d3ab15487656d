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

// The Manager tests. Upstream's `with ctx(event, state) as mgr:` block is
// the closure given to `Context::run_with`. What upstream checks of the
// process environment (no `OPERATOR_DISPATCH` or charm-set variable left
// behind) cannot go wrong here: the harness never writes the environment
// and safe Rust charms cannot either (`compile_fail/env_set_var_is_unsafe.rs`).
// What each test checks instead is the same teardown seen from the
// Context: the run ended once, its records were kept, the charm was dropped
// once, and the next run on the Context starts clean.

#[test]
fn test_context_manager() {
    let probe = Probe::default();
    let mut ctx = catch_all("name: foo\nactions:\n  act: {}\n", &probe);
    let state = State::default();
    ctx.run_with(ctx.on.start(), &state, |mgr| {
        mgr.run()?;
        assert_eq!(mgr.charm().model.meta().name, "foo");
        Ok(())
    })
    .unwrap();

    ctx.run_with(ctx.on.action("act"), &state, |mgr| {
        mgr.run()?;
        assert_eq!(mgr.charm().model.meta().name, "foo");
        Ok(())
    })
    .unwrap();
    assert_eq!(
        probe.seen_without_collect_status(),
        ["StartEvent", "ActionEvent"]
    );
}

/// Upstream's `_RaisingCharm`: start fails; counts how often it is dropped.
struct RaisingCharm {
    drops: Rc<std::cell::Cell<u32>>,
}

impl Charm for RaisingCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Rc::default())
    }
}

impl RaisingCharm {
    fn build(framework: &mut Framework<Self>, drops: Rc<std::cell::Cell<u32>>) -> Self {
        framework.observe(on::start(), Self::on_start);
        RaisingCharm { drops }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        Err("charm went bang".into())
    }
}

impl Drop for RaisingCharm {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

fn raising_context() -> (Context<RaisingCharm>, Rc<std::cell::Cell<u32>>) {
    let drops = Rc::new(std::cell::Cell::new(0));
    let counter = drops.clone();
    let ctx = Context::<RaisingCharm>::new(meta("name: foo"))
        .with_charm(move |framework| RaisingCharm::build(framework, counter.clone()));
    (ctx, drops)
}

/// After a failed Manager run the Context starts the next run clean: the
/// failed run's dispatch is over (nothing of it carries into the next), and
/// its records were kept.
fn assert_torn_down(ctx: &mut Context<RaisingCharm>, drops: &Rc<std::cell::Cell<u32>>) {
    assert_eq!(drops.get(), 1, "the charm is dropped once");
    assert!(
        ctx.juju_log
            .iter()
            .any(|line| line.message.contains("Emitting Juju event start")),
        "{:?}",
        ctx.juju_log
    );
    let before = ctx.emitted_events.len();
    let out = ctx.run(ctx.on.update_status(), State::default()).unwrap();
    assert_eq!(out, State::default());
    assert_eq!(ctx.emitted_events.len(), before + 1);
    assert_eq!(ctx.emitted_events[before].name, "update_status");
}

fn assert_uncaught(err: &Error, text: &str) {
    let Error::UncaughtCharmError { event, message, .. } = err else {
        panic!("expected an uncaught charm error, got {err:?}");
    };
    assert_eq!(event, "start");
    assert!(message.contains(text), "{message}");
}

#[test]
fn test_context_manager_does_not_leak_env_when_implicit_run_raises() {
    let (mut ctx, drops) = raising_context();
    let err = ctx
        .run_with(ctx.on.start(), State::default(), |_mgr| {
            // Deliberately don't call mgr.run(): leaving the closure runs
            // it, and the charm fails.
            Ok(())
        })
        .unwrap_err();
    assert_uncaught(&err, "charm went bang");
    assert_torn_down(&mut ctx, &drops);
}

#[test]
fn test_explicit_run_does_not_leak_env_when_charm_raises() {
    let (mut ctx, drops) = raising_context();
    let err = ctx
        .run_with(ctx.on.start(), State::default(), |mgr| {
            let result = mgr.run();
            assert!(mgr.emitted());
            result
        })
        .unwrap_err();
    assert_uncaught(&err, "charm went bang");
    assert_torn_down(&mut ctx, &drops);
}

#[test]
fn test_wrapped_ctx_exit_called_once_on_happy_path() {
    let probe = Probe::default();
    let mut ctx = catch_all("name: foo", &probe);
    ctx.run_with(ctx.on.start(), State::default(), |mgr| {
        mgr.run()?;
        // The run ended (its records are on the Context) exactly once.
        assert!(matches!(mgr.run(), Err(Error::AlreadyEmitted)));
        Ok(())
    })
    .unwrap();
    assert_eq!(ctx.emitted_events.len(), 1);
    let emitting = ctx
        .juju_log
        .iter()
        .filter(|line| line.message.contains("Emitting Juju event start"))
        .count();
    assert_eq!(emitting, 1);
    assert_eq!(probe.seen_without_collect_status(), ["StartEvent"]);
}

// Upstream runs this with and without SCENARIO_BARE_CHARM_ERRORS; as in
// `test_run_uncaught_error`, the two cases here are returning an error and
// panicking.
#[rstest]
fn test_context_manager_uncaught_error(#[values(false, true)] panics: bool) {
    let mut ctx = Context::<CrashyCharm>::new(meta("name: crashy"))
        .with_charm(move |framework| CrashyCharm::build(framework, panics));
    let err = ctx
        .run_with(ctx.on.start(), State::default(), |mgr| {
            assert_eq!(mgr.charm().panics, panics);
            mgr.run()
        })
        .unwrap_err();
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

/// Upstream's `GoodCharm`: what it put in the environment (`1` when built,
/// `2` in start) is a field here, seen through the Manager.
struct GoodCharm {
    value: u32,
    drops: Rc<std::cell::Cell<u32>>,
}

impl Charm for GoodCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        GoodCharm {
            value: 1,
            drops: Rc::default(),
        }
    }
}

impl GoodCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.value = 2;
        Ok(())
    }
}

impl Drop for GoodCharm {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

#[test]
fn test_context_manager_env_cleared() {
    let drops = Rc::new(std::cell::Cell::new(0));
    let counter = drops.clone();
    let mut ctx = Context::<GoodCharm>::new(meta("name: crashy")).with_charm(move |framework| {
        let mut charm = GoodCharm::new(framework);
        charm.drops = counter.clone();
        charm
    });
    let after = ctx
        .run_with(ctx.on.start(), State::default(), |mgr| {
            assert_eq!(mgr.charm().value, 1);
            mgr.run()?;
            Ok(mgr.charm().value)
        })
        .unwrap();
    assert_eq!(after, 2);
    // Nothing of the run outlives it: the charm is gone.
    assert_eq!(drops.get(), 1);
}

#[test]
fn test_framework_closed_when_manager_scope_raises() {
    // The block fails before running (a failing assertion is a panic):
    // the run ends without the event, the charm is dropped once, and the
    // Context's records are kept.
    let (mut ctx, drops) = raising_context();
    let raised = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ctx.run_with(
            ctx.on.start(),
            State::default(),
            |_mgr| -> Result<(), Error> {
                panic!("the test's block raised");
            },
        )
    }));
    assert!(raised.is_err());
    assert_eq!(drops.get(), 1);
    assert!(ctx.emitted_events.is_empty(), "the event never ran");
    let out = ctx.run(ctx.on.update_status(), State::default()).unwrap();
    assert_eq!(out, State::default());
    assert_eq!(drops.get(), 2);

    // The block returns an error before running: the event runs on the way
    // out (as upstream's implicit run), and its error replaces the block's.
    let err = ctx
        .run_with(
            ctx.on.start(),
            State::default(),
            |_mgr| -> Result<(), Error> { Err(Error::AlreadyEmitted) },
        )
        .unwrap_err();
    assert_uncaught(&err, "charm went bang");
    assert_eq!(drops.get(), 3);
}
