//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_actions.py>.

use crate::helpers::{CatchAll, Probe, catch_all};
use ops::{ActionEvent, Model};
use ops_testing::{Context, EmitKind, Error, State};
use pretty_assertions::assert_eq;
use rstest::rstest;
use serde_json::{Value, json};
use std::cell::RefCell;
use std::rc::Rc;

type ActionHandler = dyn Fn(&Model, &mut ActionEvent) -> ops::HandlerResult;

/// Upstream's `mycharm` with `_evt_handler`: the catch-all charm, calling
/// `handler` for action events only.
fn action_context(
    meta_yaml: &str,
    handler: impl Fn(&Model, &mut ActionEvent) -> ops::HandlerResult + 'static,
) -> (Context<CatchAll>, Probe) {
    let handler: Rc<ActionHandler> = Rc::new(handler);
    let probe =
        Probe::calling(
            move |model, event| match event.as_any().downcast_mut::<ActionEvent>() {
                Some(action) => handler(model, action),
                None => Ok(()),
            },
        );
    (catch_all(meta_yaml, &probe), probe)
}

const FOO: &str = "name: foo\nactions:\n  foo: {}\n";

fn results(value: Value) -> Option<serde_json::Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

#[rstest]
fn test_action_event(#[values(true, false)] baz_value: bool) {
    let seen = Rc::new(RefCell::new(None));
    let params = seen.clone();
    let (mut ctx, _) = action_context(
        "
name: foo
actions:
  foo:
    params:
      bar: {type: number}
      baz: {type: boolean}
",
        move |_, event| {
            *params.borrow_mut() = Some(event.params().clone());
            Ok(())
        },
    );
    ctx.run(
        ctx.on
            .action("foo")
            .params(json!({"baz": baz_value, "bar": 10})),
        &State::default(),
    )
    .unwrap();

    let evt = &ctx.emitted_events[0];
    assert_eq!(
        (evt.name.as_str(), evt.kind),
        ("foo_action", EmitKind::Dispatched)
    );
    let params = seen.borrow().clone().unwrap();
    assert_eq!(params["bar"], 10);
    assert_eq!(params["baz"], baz_value);
}

#[test]
fn test_action_no_results() {
    let (mut ctx, probe) = action_context("name: foo\nactions:\n  act: {}\n", |_, _| Ok(()));
    ctx.run(ctx.on.action("act"), &State::default()).unwrap();
    assert_eq!(probe.seen.borrow()[0], "ActionEvent");
    assert_eq!(ctx.action_results, None);
    assert!(ctx.action_logs.is_empty());
}

// Python's tuple `(1,)` and set `{1, 2}` are JSON arrays here.
#[rstest]
#[case::str(json!("one"))]
#[case::int(json!(1))]
#[case::list_int(json!([2]))]
#[case::list_str(json!(["bar"]))]
#[case::tuple(json!([1]))]
#[case::set(json!([1, 2]))]
fn test_action_event_results_invalid(#[case] res_value: Value) {
    let (mut ctx, probe) = action_context(FOO, move |_, event| {
        assert!(event.set_results(res_value.clone()).is_err());
        Ok(())
    });
    ctx.run(ctx.on.action("foo"), &State::default()).unwrap();
    assert_eq!(probe.seen.borrow()[0], "ActionEvent");
    assert_eq!(ctx.action_results, None);
}

// Python's set `{'c'}` is the JSON array `["c"]` here.
#[rstest]
#[case::nested(json!({"a": {"b": ["c"]}}))]
#[case::flat(json!({"d": "e"}))]
fn test_action_event_results_valid(#[case] res_value: Value) {
    let set = res_value.clone();
    let (mut ctx, _) = action_context(FOO, move |_, event| {
        event.set_results(set.clone())?;
        event.log("foo")?;
        event.log("bar")?;
        Ok(())
    });
    ctx.run(ctx.on.action("foo"), &State::default()).unwrap();
    assert_eq!(ctx.action_results, results(res_value));
}

#[rstest]
#[case::nested(json!({"a": {"b": ["c"]}}))]
#[case::flat(json!({"d": "e"}))]
fn test_action_event_outputs(#[case] res_value: Value) {
    let set = res_value.clone();
    let (mut ctx, _) = action_context(FOO, move |_, event| {
        event.set_results(json!({"my-res": set.clone()}))?;
        event.log("log1")?;
        event.log("log2")?;
        event.fail("failed becozz")?;
        Ok(())
    });
    let err = ctx
        .run(ctx.on.action("foo"), &State::default())
        .unwrap_err();
    let Error::ActionFailed { message, .. } = err else {
        panic!("expected ActionFailed, got {err:?}");
    };
    assert_eq!(message, "failed becozz");
    assert_eq!(ctx.action_results, results(json!({"my-res": res_value})));
    assert_eq!(ctx.action_logs, ["log1", "log2"]);
}

#[test]
fn test_action_event_fail() {
    let (mut ctx, _) = action_context(FOO, |_, event| {
        event.fail("action failed!")?;
        Ok(())
    });
    let err = ctx
        .run(ctx.on.action("foo"), &State::default())
        .unwrap_err();
    let Error::ActionFailed { message, .. } = err else {
        panic!("expected ActionFailed, got {err:?}");
    };
    assert_eq!(message, "action failed!");
}

#[test]
fn test_action_event_fail_context_manager() {
    let (mut ctx, _) = action_context(FOO, |_, event| {
        event.fail("action failed!")?;
        Ok(())
    });
    // The run happens when the closure returns; its failure is the result.
    let err = ctx
        .run_with(ctx.on.action("foo"), &State::default(), |mgr| {
            assert!(!mgr.emitted());
            Ok(())
        })
        .unwrap_err();
    let Error::ActionFailed { message, .. } = err else {
        panic!("expected ActionFailed, got {err:?}");
    };
    assert_eq!(message, "action failed!");
}

#[test]
fn test_action_continues_after_fail() {
    let (mut ctx, _) = action_context(FOO, |_, event| {
        event.log("starting")?;
        event.set_results(json!({"initial": "result"}))?;
        event.fail("oh no!")?;
        event.set_results(json!({"final": "result"}))?;
        Ok(())
    });
    let err = ctx
        .run(ctx.on.action("foo"), &State::default())
        .unwrap_err();
    let Error::ActionFailed { message, .. } = err else {
        panic!("expected ActionFailed, got {err:?}");
    };
    assert_eq!(message, "oh no!");
    assert_eq!(ctx.action_logs, ["starting"]);
    assert_eq!(
        ctx.action_results,
        results(json!({"initial": "result", "final": "result"}))
    );
}

#[test]
fn test_action_event_has_id() {
    let (mut ctx, probe) = action_context(FOO, |_, event| {
        assert!(!event.id.is_empty());
        Ok(())
    });
    ctx.run(ctx.on.action("foo"), &State::default()).unwrap();
    assert_eq!(probe.seen.borrow()[0], "ActionEvent");
}

#[test]
fn test_action_event_has_override_id() {
    let uuid = "0ddba11-cafe-ba1d-5a1e-dec0debad";
    let (mut ctx, probe) = action_context(FOO, move |_, event| {
        assert_eq!(event.id, uuid);
        Ok(())
    });
    ctx.run(ctx.on.action("foo").id(uuid), &State::default())
        .unwrap();
    assert_eq!(probe.seen.borrow()[0], "ActionEvent");
}

#[test]
fn test_two_actions_same_context() {
    let (mut ctx, _) = action_context(
        "name: foo\nactions:\n  foo: {}\n  bar: {}\n",
        |model, event| {
            let name = model
                .juju_context()
                .action_name
                .clone()
                .expect("an action runs");
            event.log(&name)?;
            event.set_results(json!({name: "result"}))?;
            Ok(())
        },
    );
    ctx.run(ctx.on.action("foo"), &State::default()).unwrap();
    assert_eq!(ctx.action_results, results(json!({"foo": "result"})));
    assert_eq!(ctx.action_logs, ["foo"]);
    // Not recommended, but run another action in the same context.
    ctx.run(ctx.on.action("bar"), &State::default()).unwrap();
    assert_eq!(ctx.action_results, results(json!({"bar": "result"})));
    assert_eq!(ctx.action_logs, ["bar"]);
}

/// Metadata declaring one action called `name` (quoted, so any string is a key).
fn declaring(name: &str) -> String {
    format!("name: foo\nactions:\n  {}: {{}}\n", json!(name))
}

#[rstest]
#[case("do-backup")]
#[case("a")]
#[case("0")]
#[case("do-backup-2")]
#[case("00-7")]
fn test_action_name_valid(#[case] name: &'static str) {
    let (mut ctx, probe) = action_context(&declaring(name), move |model, _| {
        assert_eq!(model.juju_context().action_name.as_deref(), Some(name));
        Ok(())
    });
    ctx.run(ctx.on.action(name), &State::default()).unwrap();
    assert_eq!(probe.seen.borrow()[0], "ActionEvent");
}

// Juju rejects action names that are not lowercase alphanumeric-and-hyphen,
// starting and ending alphanumeric (notably, underscores are not allowed).
// Upstream refuses them when the event is built; here the consistency check
// refuses them (even when the metadata declares them).
#[rstest]
#[case("do_backup")]
#[case("Backup")]
#[case("-backup")]
#[case("backup-")]
#[case("")]
#[case("bäckup")]
fn test_action_name_invalid(#[case] name: &str) {
    let (mut ctx, probe) = action_context(&declaring(name), |_, _| Ok(()));
    let err = ctx.run(ctx.on.action(name), &State::default()).unwrap_err();
    let Error::Inconsistent { problems } = &err else {
        panic!("expected an inconsistent scenario, got {err:?}");
    };
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("not a valid action name")),
        "{err}"
    );
    assert!(probe.seen.borrow().is_empty());
}

#[test]
fn test_default_arguments() {
    // Rust has no peek at the next action id: ids come from a per-thread
    // counter, so two actions built in a row get consecutive ids.
    let ids = Rc::new(RefCell::new(Vec::new()));
    let (seen_ids, seen_params) = (ids.clone(), Rc::new(RefCell::new(Vec::new())));
    let params = seen_params.clone();
    let (mut ctx, _) = action_context(FOO, move |_, event| {
        seen_ids.borrow_mut().push(event.id.clone());
        params.borrow_mut().push(event.params().clone());
        Ok(())
    });
    let first = ctx.on.action("foo");
    let second = ctx.on.action("foo");
    assert_eq!(first.name, "foo_action");
    ctx.run(first, &State::default()).unwrap();
    ctx.run(second, &State::default()).unwrap();
    let ids: Vec<u64> = ids.borrow().iter().map(|id| id.parse().unwrap()).collect();
    assert_eq!(ids[1], ids[0] + 1);
    assert!(seen_params.borrow().iter().all(|p| p.is_empty()));
}
