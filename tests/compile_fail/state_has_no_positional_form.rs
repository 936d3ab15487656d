//! test_state.py::test_positional_arguments (State): upstream's `State`
//! refuses positional arguments. `State` is a struct with named fields.
//!
//! The compiler's help lists every field of `State`: when a field is added,
//! regenerate this file's `.stderr` (see `compile_guarantees.rs`).
use ops_testing::State;

fn main() {
    let _ = State(None);
}
