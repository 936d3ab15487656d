# Thin wrappers over cargo: every recipe has a plain-cargo equivalent (see README).

# List the recipes.
default:
    @just --list

# Run every test: unit, harness, conformance, examples, doctests.
test:
    cargo test --workspace

# Format the code.
fmt:
    cargo fmt --all

# Formatting check and clippy with warnings as errors (what CI runs).
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Build the API docs, warnings as errors.
doc:
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

# The main job: the example charm run through the harness.
transcript:
    cargo run -p leadership-charm --example transcript

# Benchmarks.
bench:
    cargo bench --workspace

# ops.testing and juju-ops-testing side by side, one table (docs/performance.md).
# Plain equivalent: python3 bench/compare/compare.py
bench-compare *ARGS:
    python3 bench/compare/compare.py {{ARGS}}

# What CI runs.
ci: lint test
