//! What a failed run prints: `Debug` of the harness's errors is their
//! readable `Display` text (tests `.unwrap()` runs), and an uncaught charm
//! error keeps the charm's error as its source.

use ops::{Charm, Framework, HandlerResult, Model, ModelError, StartEvent, on};
use ops_testing::{Context, Error, Relation, State};

/// Fails on start with the model error of an undeclared endpoint.
struct LooksUpDb {
    model: Model,
}

impl Charm for LooksUpDb {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        LooksUpDb {
            model: framework.model().clone(),
        }
    }
}

impl LooksUpDb {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.model.get_relation("db")?;
        Ok(())
    }
}

/// Wraps a model error in the charm's own error type.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach the database")]
struct Unreachable(#[source] ModelError);

struct WrapsIt {
    model: Model,
}

impl Charm for WrapsIt {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        WrapsIt {
            model: framework.model().clone(),
        }
    }
}

impl WrapsIt {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        self.model.get_relation("db").map_err(Unreachable)?;
        Ok(())
    }
}

struct Panics;

impl Charm for Panics {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(
            on::start(),
            |_: &mut Self, _: &mut StartEvent| -> HandlerResult { panic!("kaboom") },
        );
        Panics
    }
}

#[test]
fn inconsistent_input_prints_one_problem_per_line() {
    let mut ctx = Context::<LooksUpDb>::new(ops::CharmMeta::new("foo"));
    let state = State {
        relations: vec![Relation::new("db").into()],
        config: [("port".to_owned(), 8080.into())].into(),
        ..State::default()
    };
    let err = ctx.run(ctx.on.start(), &state).unwrap_err();
    assert!(matches!(err, Error::Inconsistent { .. }));
    insta::assert_snapshot!(format!("{err:?}"));
}

#[test]
fn unwrap_of_a_failed_run_panics_with_the_readable_text() {
    let payload = std::panic::catch_unwind(|| {
        let mut ctx = Context::<LooksUpDb>::new(ops::CharmMeta::new("foo"));
        let state = State {
            relations: vec![Relation::new("db").into()],
            ..State::default()
        };
        ctx.run(ctx.on.start(), &state).unwrap();
    })
    .unwrap_err();
    let text = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    insta::assert_snapshot!(text);
}

#[test]
fn an_uncaught_error_prints_the_handler_and_the_charms_message() {
    let mut ctx = Context::<LooksUpDb>::new(ops::CharmMeta::new("foo"));
    let err = ctx.run(ctx.on.start(), &State::default()).unwrap_err();
    insta::assert_snapshot!(format!("{err:?}"));
}

#[test]
fn missing_metadata_prints_the_hint() {
    let dir = tempfile::tempdir().unwrap();
    let err = Context::<LooksUpDb>::from_charm_root(dir.path()).unwrap_err();
    let text = format!("{err:?}").replace(&dir.path().display().to_string(), "[DIR]");
    insta::assert_snapshot!(text);
}

#[test]
fn a_returned_model_error_is_the_source_and_can_be_matched() {
    let mut ctx = Context::<LooksUpDb>::new(ops::CharmMeta::new("foo"));
    let err = ctx.run(ctx.on.start(), &State::default()).unwrap_err();
    let Error::UncaughtCharmError {
        panicked, source, ..
    } = &err
    else {
        panic!("expected an uncaught charm error, got {err:?}");
    };
    assert!(!panicked);
    assert!(source.is_some());
    assert!(std::error::Error::source(&err).is_some());
    match err.model_error() {
        Some(ModelError::NotDeclared { kind, name }) => {
            assert_eq!(name, "db");
            assert!(kind.contains("relation"), "{kind}");
        }
        other => panic!("expected ModelError::NotDeclared, got {other:?}"),
    }
}

#[test]
fn a_wrapped_model_error_is_found_through_the_charms_error() {
    let mut ctx = Context::<WrapsIt>::new(ops::CharmMeta::new("foo"));
    let err = ctx.run(ctx.on.start(), &State::default()).unwrap_err();
    assert!(err.charm_error::<Unreachable>().is_some());
    assert!(matches!(
        err.model_error(),
        Some(ModelError::NotDeclared { name, .. }) if name == "db"
    ));
}

#[test]
fn a_panic_is_its_own_case_without_a_source() {
    let mut ctx = Context::<Panics>::new(ops::CharmMeta::new("foo"));
    let err = ctx.run(ctx.on.start(), &State::default()).unwrap_err();
    let Error::UncaughtCharmError {
        panicked,
        source,
        message,
        ..
    } = &err
    else {
        panic!("expected an uncaught charm error, got {err:?}");
    };
    assert!(panicked);
    assert!(source.is_none());
    assert!(message.contains("kaboom"), "{message}");
    assert!(err.model_error().is_none());
    insta::assert_snapshot!(format!("{err:?}"));
}
