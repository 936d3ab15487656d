//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_resource.py>.

use crate::helpers::{Probe, catch_all, is};
use ops::{ModelError, UpdateStatusEvent};
use ops_testing::{Resource, State};
use pretty_assertions::assert_eq;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

type Fetched = (PathBuf, PathBuf, Result<PathBuf, ModelError>);

#[test]
fn test_get_resource() {
    let meta = "name: resource-charm\nresources:\n  foo: {type: file}\n  bar: {type: file}\n";
    let resource1 = Resource::new("foo", "/var/charm/foo");
    let resource2 = Resource::new("bar", "~/bar");
    let found: Rc<RefCell<Option<Fetched>>> = Rc::default();
    let slot = found.clone();
    let probe = Probe::calling(move |model, event| {
        if is::<UpdateStatusEvent>(event) {
            let resources = model.resources();
            *slot.borrow_mut() = Some((
                resources.fetch("foo")?,
                resources.fetch("bar")?,
                resources.fetch("baz"),
            ));
        }
        Ok(())
    });
    let mut ctx = catch_all(meta, &probe);
    let state = State {
        resources: vec![resource1.clone(), resource2.clone()],
        ..State::default()
    };
    ctx.run(ctx.on.update_status(), &state).unwrap();
    let (foo, bar, baz) = found.take().expect("update-status ran");
    assert_eq!(foo, resource1.path);
    assert_eq!(bar, resource2.path);
    // Not in the metadata: upstream's NameError.
    assert!(
        matches!(&baz, Err(ModelError::NotDeclared { kind, name }) if kind == "resource" && name == "baz"),
        "{baz:?}"
    );
}
