//! Doctests for the README and every page in `docs/`: each Rust block in
//! them is compiled and run by `cargo test --workspace`, so published
//! snippets cannot rot.
//!
//! Doctests are not compiled with `cfg(test)`, so `#[test]` and `#[rstest]`
//! functions in them would be dropped unchecked. Pages that show tests wrap
//! them in a hidden `tests!` macro that turns each one into a plain function
//! and calls it (with every `#[values(..)]` value), so the shown tests compile
//! and run.

#[doc = include_str!("../../README.md")]
pub mod readme {}

#[doc = include_str!("../../docs/getting-started.md")]
#[allow(
    clippy::test_attr_in_doctest,
    reason = "a hidden `tests!` macro on the page runs each #[test] and #[rstest] as a plain function"
)]
pub mod getting_started {}

#[doc = include_str!("../../docs/coming-from-python.md")]
#[allow(
    clippy::test_attr_in_doctest,
    reason = "a hidden `tests!` macro on the page runs each #[test] and #[rstest] as a plain function"
)]
pub mod coming_from_python {}

#[doc = include_str!("../../docs/integration-testing.md")]
#[allow(
    clippy::test_attr_in_doctest,
    reason = "a hidden `tests!` macro on the page turns each #[test] into a plain function"
)]
pub mod integration_testing {}

#[doc = include_str!("../../docs/packaging.md")]
pub mod packaging {}

#[doc = include_str!("../../docs/performance.md")]
pub mod performance {}

#[doc = include_str!("../../docs/design.md")]
pub mod design {}

#[doc = include_str!("../../docs/parity.md")]
pub mod parity {}

#[doc = include_str!("../../docs/manager.md")]
pub mod manager {}

#[doc = include_str!("../../docs/storage.md")]
pub mod storage {}

#[doc = include_str!("../../docs/resources.md")]
pub mod resources {}

#[doc = include_str!("../../docs/deployment.md")]
pub mod deployment {}

#[doc = include_str!("../../docs/lease-expiry.md")]
pub mod lease_expiry {}

#[doc = include_str!("../../docs/exploration.md")]
pub mod exploration {}

#[doc = include_str!("../../docs/containers.md")]
pub mod containers {}

#[doc = include_str!("../../docs/actions.md")]
pub mod actions {}

#[doc = include_str!("../../docs/model-and-network.md")]
pub mod model_and_network {}

#[doc = include_str!("../../docs/secrets.md")]
pub mod secrets {}

#[doc = include_str!("../../docs/custom-events.md")]
pub mod custom_events {}

#[doc = include_str!("../../docs/goal-state.md")]
pub mod goal_state {}

#[doc = include_str!("../../docs/tracing.md")]
pub mod tracing_how_to {}
