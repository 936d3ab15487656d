//! A three-unit leader failover, end to end: deploy three units of the
//! leadership charm (each rendering its config file), remove the leader,
//! and let the remaining units converge on the new one.
//!
//! ```sh
//! cargo bench -p leadership-charm --bench failover
//! ```

use divan::Bencher;
use leadership::LeadershipCharm;
use ops_testing::Deployment;
use std::path::Path;

fn main() {
    divan::main();
}

fn deployment(dir: &Path) -> Deployment<LeadershipCharm> {
    let dir = dir.to_owned();
    Deployment::new(move |n| {
        let path = dir.join(format!("unit-{n}")).join("leadership.conf");
        ops_testing::Context::from_charm_root(env!("CARGO_MANIFEST_DIR"))
            .expect("charmcraft.yaml loads")
            .with_charm(move |framework| LeadershipCharm::with_config_file(framework, path.clone()))
    })
}

/// Deploying three units (about 25 hooks).
#[divan::bench]
fn deploy_three_units(bencher: Bencher) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    bencher.bench_local(|| deployment(dir.path()).deploy(3).expect("deploys"));
}

/// Removing the leader of a deployed three-unit application, until the
/// other two follow the new leader (the deployment is set up outside the
/// timing).
#[divan::bench]
fn remove_the_leader_of_three(bencher: Bencher) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    bencher
        .with_inputs(|| deployment(dir.path()).deploy(3).expect("deploys"))
        .bench_local_values(|mut deployment| {
            deployment.remove_unit(0).expect("converges");
            assert!(deployment.leader().is_some());
            deployment
        });
}
