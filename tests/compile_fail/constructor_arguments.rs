//! Upstream's positional-argument tests for relations, secrets, stored
//! states and actions (test_relations.py::test_relation_positional_arguments,
//! test_secrets.py::test_no_additional_positional_arguments,
//! test_stored_state.py::test_positional_arguments,
//! test_actions.py::test_positional_arguments): each constructor takes the
//! one required argument (a map for a stored state's content); the rest is
//! set by field name with struct update syntax or builder methods.
use ops_testing::{Context, PeerRelation, Relation, Secret, StoredState, SubordinateRelation};
use std::collections::BTreeMap;

struct MyCharm;
impl ops::Charm for MyCharm {
    fn new(_: &mut ops::Framework<Self>) -> Self {
        MyCharm
    }
}

fn main() {
    let _ = Relation::new("foo", "bar", None);
    let _ = PeerRelation::new("foo", "bar", None);
    let _ = SubordinateRelation::new("foo", "bar", None);
    let _ = Secret::new(BTreeMap::new(), BTreeMap::new());
    let _ = StoredState::new("_stored", "");
    let ctx = Context::<MyCharm>::new(ops::CharmMeta::new("foo"));
    let _ = ctx.on.action("foo", BTreeMap::<String, String>::new());
}
