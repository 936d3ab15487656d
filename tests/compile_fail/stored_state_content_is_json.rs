//! test_consistency_checker.py::test_storedstate_consistency, second half:
//! upstream refuses stored-state content that cannot be stored (a Secret
//! object). Content is a map of `serde_json::Value`, which can always be
//! stored, and a `Secret` is not a `Value`.
use ops_testing::{Secret, StoredState};
use std::collections::BTreeMap;

fn main() {
    let content = [("secret".to_owned(), Secret::new(BTreeMap::new()))].into();
    let _ = StoredState::new("_stored", content);
}
