//! test_relations.py::test_relation_unit_data_bad_types and
//! test_relation_app_data_bad_types: upstream refuses databag values that
//! are not strings. Databags are `BTreeMap<String, String>`.
use ops_testing::{Databag, Relation};
use std::collections::BTreeMap;

fn main() {
    let number: BTreeMap<String, i32> = [("a".to_owned(), 1)].into();
    let _ = Relation { local_app_data: number, ..Relation::new("foo") };
    let list: BTreeMap<String, Vec<String>> = [("a".to_owned(), vec![])].into();
    let _ = Relation { remote_units_data: [(0, list)].into(), ..Relation::new("foo") };
    let none: Databag = [("a".to_owned(), None)].into();
}
