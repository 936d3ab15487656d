//! The leadership charm across units: a three-unit deployment that loses
//! its leader, in every order Juju could deliver the events, and leadership
//! lost in the middle of a hook (the seed's 30-second warning).

use leadership::{LEADER_KEY, LeadershipCharm, PEER, SECRET_LABEL};
use ops::{
    Charm, ConfigChangedEvent, Framework, HandlerResult, LeaderElectedEvent, Model, SecretMetadata,
    SecretOwner, SecretQuery, on,
};
use ops_testing as testing;
use ops_testing::deployment::{Deployment, DeploymentError, every_order, sample_orders};
use pretty_assertions::assert_eq;
use std::path::{Path, PathBuf};

/// The config file unit `n` renders, under `dir`.
fn config_file(dir: &Path, n: u32) -> PathBuf {
    dir.join(format!("unit-{n}")).join("leadership.conf")
}

/// A deployment of charm `C` whose unit `n` writes its config file under
/// `dir`, built with `build`.
fn deployment<C: Charm>(dir: &Path, build: fn(&mut Framework<C>, PathBuf) -> C) -> Deployment<C> {
    let dir = dir.to_owned();
    Deployment::new(move |n| {
        let path = config_file(&dir, n);
        testing::Context::from_charm_root(env!("CARGO_MANIFEST_DIR"))
            .expect("charmcraft.yaml loads")
            .with_charm(move |framework| build(framework, path.clone()))
    })
}

fn seed_charm(framework: &mut Framework<LeadershipCharm>, file: PathBuf) -> LeadershipCharm {
    LeadershipCharm::with_config_file(framework, file)
}

fn rendered_leader(dir: &Path, n: u32) -> String {
    let text = std::fs::read_to_string(config_file(dir, n)).expect("the unit rendered its config");
    text.lines()
        .find_map(|line| line.strip_prefix("leader = "))
        .expect("the config names a leader")
        .to_owned()
}

/// Every remaining unit renders the leader's name, and the peer relation
/// announces it.
fn assert_converged<C: Charm>(deployment: &Deployment<C>, dir: &Path) {
    let leader = deployment.leader().expect("Juju elected a new leader");
    let name = format!("leadership/{leader}");
    for n in deployment.units() {
        assert_eq!(rendered_leader(dir, n), name, "unit {n}");
        let state = deployment.state(n).unwrap();
        let peers = state.get_relations(PEER)[0].local_app_data();
        assert_eq!(
            peers.get(LEADER_KEY),
            Some(&name),
            "unit {n}'s view of the peer data"
        );
    }
}

#[test]
fn three_units_deploy_with_unit_0_leading() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = deployment(dir.path(), seed_charm).deploy(3).unwrap();
    assert_eq!(deployment.units(), vec![0, 1, 2]);
    assert_eq!(deployment.leader(), Some(0));
    assert_converged(&deployment, dir.path());
    // Only the leader made the application secret, and every unit sees it.
    for n in 0..3 {
        let state = deployment.state(n).unwrap();
        let secret = state
            .get_secret_by_label(SECRET_LABEL)
            .expect("the app secret");
        assert_eq!(secret.owner, Some(SecretOwner::App));
    }
    assert_eq!(
        deployment.context(0).unwrap().unit_status_history.len(),
        1,
        "unit 0 set its status once"
    );
}

#[test]
fn removing_the_leader_converges_on_a_new_leader_in_every_order() {
    let orders = every_order(1000, |order| {
        let dir = tempfile::tempdir().unwrap();
        let mut deployment = deployment(dir.path(), seed_charm).deploy(3)?;
        deployment.set_order(order);
        deployment.remove_unit(0)?;
        assert_eq!(deployment.units(), vec![1, 2]);
        assert_converged(&deployment, dir.path());
        // The removed unit ran its departure hooks.
        let removed = deployment.context(0).unwrap();
        assert!(removed.emitted_events.iter().any(|e| e.name == "remove"));
        Ok(())
    })
    .unwrap();
    // Either remaining unit may be elected, and the events interleave.
    assert!(orders > 2, "{orders} orders");
}

#[test]
fn stopping_the_leader_on_kubernetes_converges_too() {
    sample_orders(7, 20, |order| {
        let dir = tempfile::tempdir().unwrap();
        let mut deployment = deployment(dir.path(), seed_charm).deploy(3)?;
        deployment.set_order(order);
        deployment.stop_unit(0)?;
        let leader = deployment.leader().unwrap();
        assert_ne!(leader, 0);
        for n in [1, 2] {
            assert_eq!(
                rendered_leader(dir.path(), n),
                format!("leadership/{leader}")
            );
        }
        // The stopped unit learns the new leader once its agent runs again.
        deployment.resume_unit(0)?;
        assert_converged(&deployment, dir.path());
        Ok(())
    })
    .unwrap();
}

#[test]
fn an_added_unit_learns_the_leader() {
    let dir = tempfile::tempdir().unwrap();
    let mut deployment = deployment(dir.path(), seed_charm).deploy(2).unwrap();
    let n = deployment.add_unit().unwrap();
    assert_eq!(n, 2);
    assert_converged(&deployment, dir.path());
    let trace: Vec<String> = deployment.trace().iter().map(ToString::to_string).collect();
    assert!(trace.contains(&"leadership/0: replicas-relation-joined (leadership/2)".to_owned()));
    assert!(trace.contains(&"leadership/2: replicas-relation-joined (leadership/1)".to_owned()));
}

#[test]
fn electing_another_unit_moves_leadership() {
    let dir = tempfile::tempdir().unwrap();
    let mut deployment = deployment(dir.path(), seed_charm).deploy(3).unwrap();
    deployment.elect(2).unwrap();
    assert_eq!(deployment.leader(), Some(2));
    assert_converged(&deployment, dir.path());
    assert!(!deployment.state(0).unwrap().leader);
}

#[test]
fn config_changes_reach_every_unit_and_the_leader_updates_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut deployment = deployment(dir.path(), seed_charm).deploy(3).unwrap();
    deployment
        .set_config([("port".to_owned(), 9090.into())])
        .unwrap();
    for n in 0..3 {
        let text = std::fs::read_to_string(config_file(dir.path(), n)).unwrap();
        assert!(text.contains("port = 9090"), "unit {n}: {text}");
    }
    let state = deployment.state(1).unwrap();
    let secret = state.get_secret_by_label(SECRET_LABEL).unwrap();
    assert_eq!(
        secret.latest_content.get("password").map(String::as_str),
        Some("pass-9090")
    );
}

// ---- Leadership lost in the middle of a hook ------------------------------

/// The seed charm's mistake, made on purpose: its config-changed checks
/// leadership once, does slow work, and then acts as the leader without
/// asking again.
struct CarelessCharm {
    model: Model,
}

impl Charm for CarelessCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        careless_charm(framework, PathBuf::new())
    }
}

fn careless_charm(framework: &mut Framework<CarelessCharm>, _file: PathBuf) -> CarelessCharm {
    framework.observe(on::leader_elected(), CarelessCharm::on_leader_elected);
    framework.observe(on::config_changed(), CarelessCharm::on_config_changed);
    CarelessCharm {
        model: framework.model().clone(),
    }
}

impl CarelessCharm {
    fn on_leader_elected(&mut self, _: &mut LeaderElectedEvent) -> HandlerResult {
        if self
            .model
            .get_secret(SecretQuery::label(SECRET_LABEL))
            .is_err()
        {
            let metadata = SecretMetadata {
                label: Some(SECRET_LABEL.to_owned()),
                ..SecretMetadata::default()
            };
            self.model
                .app()
                .add_secret([("password".to_owned(), "one".to_owned())].into(), metadata)?;
        }
        Ok(())
    }

    fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        if self.model.unit().is_leader()? {
            // ... slow work, longer than the 30-second lease ...
            let secret = self.model.get_secret(SecretQuery::label(SECRET_LABEL))?;
            secret.set_content([("password".to_owned(), "two".to_owned())].into())?;
        }
        Ok(())
    }
}

/// Runs config-changed on a leader whose lease ends after its first
/// `is-leader` call.
fn config_changed_losing_the_lease<C: Charm>(
    ctx: testing::Context<C>,
) -> Result<testing::State, testing::Error> {
    let mut ctx = ctx.lease(testing::Lease::AfterIsLeaderCalls(1));
    let secret = testing::Secret {
        label: Some(SECRET_LABEL.to_owned()),
        owner: Some(SecretOwner::App),
        ..testing::Secret::new([("password".to_owned(), "one".to_owned())].into())
    };
    let state = testing::State {
        leader: true,
        secrets: vec![secret],
        ..testing::State::default()
    };
    ctx.run(ctx.on.config_changed(), state)
}

fn context_of<C: Charm>(
    dir: &Path,
    build: fn(&mut Framework<C>, PathBuf) -> C,
) -> testing::Context<C> {
    let path = dir.join("leadership.conf");
    testing::Context::from_charm_root(env!("CARGO_MANIFEST_DIR"))
        .expect("charmcraft.yaml loads")
        .with_charm(move |framework| build(framework, path.clone()))
}

#[test]
fn the_seed_charm_checks_leadership_again_after_slow_work() {
    let dir = tempfile::tempdir().unwrap();
    let out = config_changed_losing_the_lease(context_of(dir.path(), seed_charm)).unwrap();
    assert!(!out.leader);
    let secret = out.get_secret_by_label(SECRET_LABEL).unwrap();
    assert_eq!(
        secret.latest_revision, 1,
        "the secret was left to the new leader"
    );
}

#[test]
fn a_charm_that_does_not_check_again_is_refused_by_juju() {
    let dir = tempfile::tempdir().unwrap();
    let err = config_changed_losing_the_lease(context_of(dir.path(), careless_charm)).unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
}

#[test]
fn a_lease_lost_in_a_deployment_hands_leadership_on() {
    // The seed charm: the leader loses its lease during config-changed,
    // Juju elects another unit, and everyone follows it.
    let dir = tempfile::tempdir().unwrap();
    let mut seed = deployment(dir.path(), seed_charm).deploy(3).unwrap();
    seed.lease(0, testing::Lease::AfterIsLeaderCalls(1))
        .unwrap();
    let before = seed.trace().len();
    seed.set_config([("username".to_owned(), "user".into())])
        .unwrap();
    let new_leader = seed.leader().unwrap();
    assert_ne!(new_leader, 0);
    let elected = format!("leadership/{new_leader}: leader-elected");
    let trace: Vec<String> = seed.trace()[before..]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(trace.contains(&elected), "{trace:#?}");
    assert_converged(&seed, dir.path());

    // The careless charm: the same change makes its old leader's hook fail.
    let dir = tempfile::tempdir().unwrap();
    let mut careless = deployment(dir.path(), careless_charm).deploy(3).unwrap();
    careless
        .lease(0, testing::Lease::AfterIsLeaderCalls(1))
        .unwrap();
    let err = careless
        .set_config([("username".to_owned(), "user".into())])
        .unwrap_err();
    assert!(
        matches!(&err, DeploymentError::Hook { unit, .. } if unit == "leadership/0"),
        "{err}"
    );
    assert!(err.to_string().contains("permission denied"), "{err}");
}
