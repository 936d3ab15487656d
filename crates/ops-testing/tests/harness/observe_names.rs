//! Observing an event of a name the metadata does not declare (a typo)
//! fails when the charm is built, naming the name, the declared ones and the
//! closest: the handler could never have run.

use ops::framework::DispatchError;
use ops::{ActionEvent, Charm, Framework, HandlerResult, RelationChangedEvent, on};
use ops_testing::{Context, Error, State};
use rstest::rstest;

const META: &str = "
name: typo
requires:
  db: {interface: pgsql}
peers:
  replicas: {interface: typo_peers}
actions:
  do-backup: {}
";

/// Observes whatever `observed` says.
struct Observer;

impl Observer {
    fn build(framework: &mut Framework<Self>, observed: &str) -> Self {
        match observed {
            "relation" => framework.observe(on::relation_changed("dbx"), Self::on_changed),
            "action" => framework.observe(on::action("do_backup"), Self::on_action),
            "far" => framework.observe(on::action("monitoring"), Self::on_action),
            _ => {
                framework.observe(on::relation_changed("db"), Self::on_changed);
                framework.observe(on::action("do-backup"), Self::on_action);
            }
        }
        Observer
    }

    fn on_changed(&mut self, _: &mut RelationChangedEvent) -> HandlerResult {
        Ok(())
    }

    fn on_action(&mut self, _: &mut ActionEvent) -> HandlerResult {
        Ok(())
    }
}

impl Charm for Observer {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, "")
    }
}

fn run(observed: &'static str) -> Result<State, Error> {
    let mut ctx = Context::<Observer>::from_yaml(META)
        .unwrap()
        .with_charm(move |fw| Observer::build(fw, observed));
    ctx.run(ctx.on.start(), &State::default())
}

#[rstest]
#[case::relation("relation", "dbx", "relation endpoint", Some("db"), &["db", "replicas"])]
#[case::action("action", "do_backup", "action", Some("do-backup"), &["do-backup"])]
#[case::far("far", "monitoring", "action", None, &["do-backup"])]
fn an_undeclared_name_fails_the_run_naming_it(
    #[case] observed: &'static str,
    #[case] want_name: &str,
    #[case] want_what: &str,
    #[case] want_closest: Option<&str>,
    #[case] want_declared: &[&str],
) {
    let err = run(observed).unwrap_err();
    let Some(DispatchError::NotDeclared {
        name,
        what,
        declared,
        closest,
        ..
    }) = err.dispatch_error()
    else {
        panic!("expected DispatchError::NotDeclared, got {err:?}");
    };
    assert_eq!(name, want_name);
    assert_eq!(*what, want_what);
    assert_eq!(closest.as_deref(), want_closest);
    assert_eq!(declared, want_declared);
}

#[test]
fn declared_names_are_accepted() {
    run("").unwrap();
}

#[test]
fn the_message_names_the_declared_and_the_closest() {
    insta::assert_snapshot!(format!("{:?}", run("relation").unwrap_err()));
}
