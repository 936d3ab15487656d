//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_stored_state.py>.
//!
//! Stored state is typed with serde here: `set_default(foo='bar', baz={12: 142})`
//! becomes the `Default` of the stored struct, and JSON turns the integer
//! key `12` into the string `"12"`.

use crate::helpers::meta;
use ops::{Framework, HandlerResult, StartEvent, on};
use ops_testing::{Context, State, StoredState};
use pretty_assertions::assert_eq;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Serialize, Deserialize)]
#[serde(default)]
struct Data {
    foo: String,
    baz: BTreeMap<u32, u32>,
}

impl Default for Data {
    fn default() -> Self {
        Data {
            foo: "bar".into(),
            baz: [(12, 142)].into(),
        }
    }
}

struct Charm {
    stored: ops::StoredState<Data>,
    stored2: ops::StoredState<Data>,
}

impl ops::Charm for Charm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        Charm {
            stored: framework.stored_state("_stored"),
            stored2: framework.stored_state("_stored2"),
        }
    }
}

impl Charm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        // Read both, as upstream's handler does.
        let _ = (&self.stored.borrow().foo, &self.stored2.borrow().baz);
        Ok(())
    }
}

fn content(value: Value) -> BTreeMap<String, Value> {
    serde_json::from_value(value).unwrap()
}

fn run(state: &State) -> State {
    let mut ctx = Context::<Charm>::new(meta("name: mycharm"));
    ctx.run(ctx.on.start(), state).unwrap()
}

#[test]
fn test_stored_state_default() {
    let out = run(&State::default());
    // Owner path `None` means the charm (upstream: owner_path='Charm').
    let expected = content(json!({"foo": "bar", "baz": {"12": 142}}));
    assert_eq!(
        out.get_stored_state("_stored", None).unwrap().content,
        expected
    );
    assert_eq!(
        out.get_stored_state("_stored2", None).unwrap().content,
        expected
    );
}

#[test]
fn test_stored_state_initialized() {
    let out = run(&State {
        stored_states: vec![StoredState {
            owner_path: Some("Charm".into()),
            ..StoredState::new("_stored", content(json!({"foo": "FOOX"})))
        }],
        ..State::default()
    });
    assert_eq!(
        out.get_stored_state("_stored", Some("Charm"))
            .unwrap()
            .content,
        content(json!({"foo": "FOOX", "baz": {"12": 142}}))
    );
    assert_eq!(
        out.get_stored_state("_stored2", None).unwrap().content,
        content(json!({"foo": "bar", "baz": {"12": 142}}))
    );
}

#[test]
fn test_default_arguments() {
    let s = StoredState::default();
    assert_eq!(s.name, "_stored");
    assert_eq!(s.owner_path, None);
    assert_eq!(s.content, BTreeMap::new());
    // Upstream: `_data_type_name == 'StoredStateData'`, the middle of the handle path.
    assert_eq!(s.handle_path("MyCharm"), "MyCharm/StoredStateData[_stored]");
}
