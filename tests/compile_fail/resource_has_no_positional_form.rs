//! test_state.py::test_positional_arguments (Resource): upstream's
//! `Resource` is keyword-only. `Resource` is a struct with named fields
//! (`Resource::new(name, path)` names them by position, once).
use ops_testing::Resource;

fn main() {
    let _ = Resource("foo", "/path/to/foo");
}
