//! The JSON schema of [`State`] (feature `schema`), for editors and tools
//! that read State files: derived with `schemars` from the same types (and
//! serde attributes) that serialize a State, so it cannot drift from them.

use crate::State;
use serde_json::Value;

impl State {
    /// The JSON schema (draft 2020-12) of a serialized `State`.
    ///
    /// The repository keeps it in `schema/state.schema.json`; a test fails
    /// when that file is stale.
    ///
    /// ```
    /// let schema = ops_testing::State::json_schema();
    /// assert_eq!(schema["title"], "State");
    /// assert!(schema["properties"]["relations"].is_object());
    /// ```
    pub fn json_schema() -> Value {
        schemars::schema_for!(State).into()
    }
}
