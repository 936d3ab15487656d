//! test_relations.py::test_cannot_instantiate_relationbase: upstream's
//! abstract `RelationBase` refuses to be built. There is no base type:
//! `AnyRelation` is an enum of the three concrete kinds.
use ops_testing::RelationBase;

fn main() {
    let _ = RelationBase::new("");
}
