//! test_state.py::test_init_converts_to_concrete_type: upstream converts
//! tuples, iterators and other mappings into its concrete collection types.
//! Each field here has one concrete type; anything else is a type error,
//! so there is nothing to convert.
use ops_testing::{Relation, State};

fn main() {
    let _ = State { deferred: (), ..State::default() };
    let _ = State { relations: (Relation::new("foo").into(),), ..State::default() };
    let _ = State { secrets: std::iter::empty(), ..State::default() };
}
