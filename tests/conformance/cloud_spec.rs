//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_cloud_spec.py>.
//!
//! Upstream reads `mgr.charm.model.get_cloud_spec()` inside a Manager; here
//! the charm reads it in its start handler and hands the result out.

use ops::{
    CharmMeta, CloudCredential, CloudSpec, Framework, HandlerResult, ModelError, StartEvent, on,
};
use ops_testing::{Context, Model, ModelType, State};
use pretty_assertions::assert_eq;
use std::cell::RefCell;
use std::rc::Rc;

type Seen = Rc<RefCell<Option<Result<CloudSpec, ModelError>>>>;

struct MyCharm {
    model: ops::Model,
    seen: Seen,
}

impl ops::Charm for MyCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Seen::default())
    }
}

impl MyCharm {
    fn build(framework: &mut Framework<Self>, seen: Seen) -> Self {
        framework.observe(on::start(), Self::on_start);
        MyCharm {
            model: framework.model().clone(),
            seen,
        }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        *self.seen.borrow_mut() = Some(self.model.get_cloud_spec());
        Ok(())
    }
}

fn run(trusted: bool, cloud_spec: Option<CloudSpec>) -> Result<CloudSpec, ModelError> {
    let seen = Seen::default();
    let probe = seen.clone();
    let mut ctx = Context::new(CharmMeta::new("foo"))
        .app_trusted(trusted)
        .with_charm(move |fw| MyCharm::build(fw, probe.clone()));
    let state = State {
        model: Model {
            name: "lxd-model".into(),
            kind: ModelType::Lxd,
            cloud_spec,
            ..Model::default()
        },
        ..State::default()
    };
    ctx.run(ctx.on.start(), &state).unwrap();
    seen.borrow_mut().take().expect("the start handler ran")
}

fn lxd_spec() -> CloudSpec {
    CloudSpec {
        kind: "lxd".into(),
        name: "localhost".into(),
        endpoint: Some("https://127.0.0.1:8443".into()),
        credential: Some(CloudCredential {
            auth_type: "clientcertificate".into(),
            attributes: [
                ("client-cert", "foo"),
                ("client-key", "bar"),
                ("server-cert", "baz"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            redacted: vec![],
        }),
        ..CloudSpec::default()
    }
}

#[test]
fn test_get_cloud_spec() {
    assert_eq!(run(true, Some(lxd_spec())).unwrap(), lxd_spec());
}

#[test]
fn test_get_cloud_spec_error() {
    let error = run(true, None).unwrap_err();
    assert!(
        matches!(error, ModelError::HookTool { ref tool, .. } if tool == "credential-get"),
        "{error}"
    );
}

#[test]
fn test_get_cloud_spec_untrusted() {
    let error = run(
        false,
        Some(CloudSpec {
            kind: "lxd".into(),
            name: "localhost".into(),
            ..CloudSpec::default()
        }),
    )
    .unwrap_err();
    assert!(error.to_string().contains("not trusted"), "{error}");
}
