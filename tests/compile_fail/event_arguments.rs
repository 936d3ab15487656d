//! test_context_on.py::test_revision_secret_events_as_positional_arg and
//! test_relation_events_as_positional_arg: upstream refuses a revision (or
//! a remote unit) given positionally, so it cannot be mistaken for another
//! argument. Here the revision is a required `u32` after the secret, and
//! relation events take only the relation (the remote unit is a builder
//! method): a misplaced or extra argument does not compile.
use ops_testing::{Context, Relation, Secret};
use std::collections::BTreeMap;

struct MyCharm;
impl ops::Charm for MyCharm {
    fn new(_: &mut ops::Framework<Self>) -> Self {
        MyCharm
    }
}

fn main() {
    let ctx = Context::<MyCharm>::new(ops::CharmMeta::new("foo"));
    let secret = Secret::new(BTreeMap::new());
    let _ = ctx.on.secret_expired(&secret);
    let _ = ctx.on.secret_remove(42, &secret);
    let relation = Relation::new("baz");
    let _ = ctx.on.relation_created(&relation, 0);
    let _ = ctx.on.relation_broken(&relation, 0);
}
