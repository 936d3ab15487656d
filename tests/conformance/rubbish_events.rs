//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_rubbish_events.py>.
//!
//! Running an unknown or custom event by name does not compile here
//! (`compile_fail/unknown_events.rs`); what is left is how a name is
//! classified: builtin when it is an event of the table, whatever the
//! metadata declares, custom otherwise.

use ops::event::EventKind;
use rstest::rstest;

// Upstream asks `_Event(name)._is_builtin_event(spec)` with metadata that
// requires `foo` only: `bar-relation-changed` is builtin all the same.
#[rstest]
#[case("qux", false)]
#[case("sub", false)]
#[case("start", true)]
#[case("install", true)]
#[case("config-changed", true)]
#[case("foo-relation-changed", true)]
#[case("bar-relation-changed", true)]
fn test_is_custom_event(#[case] evt_name: &str, #[case] expected: bool) {
    let name = evt_name.replace('-', "_");
    assert_eq!(EventKind::parse_ops_name(&name).is_some(), expected);
}
