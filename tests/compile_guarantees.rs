//! The compile-time guarantees `docs/parity.md` gives as the reason an
//! upstream ops.testing test is not ported: each file under
//! `compile_fail/` is the Rust spelling of what the upstream test refuses
//! at run time, and must not compile (with the error recorded next to it).
//!
//! After a compiler upgrade changes the wording, regenerate the `.stderr`
//! files with `TRYBUILD=overwrite cargo test -p conformance --test compile_guarantees`
//! and check that each still fails for the reason its file names.

#[test]
fn upstream_failures_do_not_compile() {
    trybuild::TestCases::new().compile_fail("compile_fail/*.rs");
}
