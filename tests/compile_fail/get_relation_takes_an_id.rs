//! test_state.py::test_get_relation_by_rel_obj_wrong_type, _wrong_endpoint
//! and _wrong_interface_doesnt_raise: upstream looks a relation up by an
//! object whose kind, endpoint or interface may not match the one in the
//! State. `State::get_relation` takes only the id.
use ops_testing::{PeerRelation, Relation, State};

fn main() {
    let relation = Relation::new("foo");
    let state = State { relations: vec![relation.clone().into()], ..State::default() };
    let _ = state.get_relation(&relation);
    let _ = state.get_relation(PeerRelation::new("foo"));
}
