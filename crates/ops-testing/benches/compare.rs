//! The Rust side of `just bench-compare`: times every case of
//! `common::compare_cases` and prints one JSON object per line, as
//! `bench/compare/cases.py` does for ops.testing:
//!
//! ```text
//! {"case":"run_no_observer","median_ns":...,"min_ns":...,"samples":...,"iters":...}
//! ```
//!
//! Both sides time a case the same way (see [`measure`]). Run it through
//! `bench/compare/compare.py`, or on its own:
//!
//! ```sh
//! cargo bench -p juju-ops-testing --bench compare -- [--only SUBSTRING | --exact NAME] [--list]
//! ```
//!
//! Not run by a plain `cargo bench` (`bench = false` in Cargo.toml): the
//! `testing` and `scale` benches cover the same cases with divan.

#[allow(dead_code)]
mod common;

use std::time::{Duration, Instant};

struct Options {
    only: String,
    exact: Option<String>,
    sample: Duration,
    samples: usize,
    budget: Duration,
    list: bool,
}

fn parse_args() -> Options {
    let mut options = Options {
        only: String::new(),
        exact: None,
        sample: Duration::from_millis(10),
        samples: 15,
        budget: Duration::from_secs(3),
        list: false,
    };
    let mut args = std::env::args().skip(1);
    let number = |value: Option<String>, flag: &str| -> f64 {
        value
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{flag} takes a number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--only" => options.only = args.next().expect("--only takes a substring"),
            "--exact" => options.exact = Some(args.next().expect("--exact takes a case name")),
            "--sample-ms" => {
                options.sample = Duration::from_secs_f64(number(args.next(), &arg) / 1e3);
            }
            "--samples" => options.samples = number(args.next(), &arg) as usize,
            "--budget-s" => options.budget = Duration::from_secs_f64(number(args.next(), &arg)),
            "--list" => options.list = true,
            // `cargo bench` passes --bench to every bench target.
            "--bench" => {}
            other => panic!(
                "unknown argument {other:?}; use --only, --exact, --sample-ms, --samples, --budget-s or --list"
            ),
        }
    }
    options
}

/// The median time per call over samples of `iters` back-to-back calls,
/// where `iters` is the smallest power of two that makes a sample last at
/// least `sample`; `between` runs after each sample, untimed. At least 5
/// samples, at most `samples`, and no new sample after `budget` once 5 are
/// taken. `bench/compare/cases.py` measures the same way.
fn measure(
    op: &mut dyn FnMut(),
    between: &mut dyn FnMut(),
    options: &Options,
) -> serde_json::Value {
    op();
    between();
    let mut iters: u64 = 1;
    let mut timed = |iters: u64, between: &mut dyn FnMut()| {
        let started = Instant::now();
        for _ in 0..iters {
            op();
        }
        let elapsed = started.elapsed();
        between();
        elapsed
    };
    let first = loop {
        let elapsed = timed(iters, between);
        if elapsed >= options.sample {
            break elapsed;
        }
        iters *= 2;
    };
    let per_call = |elapsed: Duration| elapsed.as_nanos() as f64 / iters as f64;
    let mut samples = vec![per_call(first)];
    let deadline = Instant::now() + options.budget;
    while samples.len() < options.samples && (samples.len() < 5 || Instant::now() < deadline) {
        samples.push(per_call(timed(iters, between)));
    }
    samples.sort_by(f64::total_cmp);
    let mid = samples.len() / 2;
    let median = if samples.len() % 2 == 1 {
        samples[mid]
    } else {
        (samples[mid - 1] + samples[mid]) / 2.0
    };
    serde_json::json!({
        "median_ns": median,
        "min_ns": samples[0],
        "samples": samples.len(),
        "iters": iters,
    })
}

fn main() {
    let options = parse_args();
    common::check_upstream_cases();
    for (name, build) in common::compare_cases() {
        let wanted = options.exact.as_ref().is_none_or(|exact| *exact == name);
        if !name.contains(&options.only) || !wanted {
            continue;
        }
        if options.list {
            println!("{name}");
            continue;
        }
        let mut case = build();
        let mut result = measure(&mut case.op, &mut case.between, &options);
        result["case"] = name.into();
        println!("{result}");
    }
}
