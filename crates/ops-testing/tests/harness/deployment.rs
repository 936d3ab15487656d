//! [`Deployment`]: several units of one application over one model.

use crate::common::map;
use ops::{
    Charm, ConfigChangedEvent, Framework, HandlerResult, LeaderElectedEvent, Model,
    RelationChangedEvent, SecretMetadata, SecretQuery, StartEvent, on,
};
use ops_testing::deployment::{DeliveryOrder, every_order, sample_orders};
use ops_testing::{Context, Deployment, DeploymentError};
use pretty_assertions::assert_eq;

const META: &str =
    "name: peer\npeers: {peers: {interface: p}}\nconfig: {options: {value: {type: string}}}\n";

/// The leader announces itself in the peer application databag and keeps
/// an application secret at the `value` config option; every unit reads
/// the secret on start and renders the leader it learns of as its status.
/// With `restless`, each relation-changed writes a new counter value into
/// the unit's databag, so the units never stop telling each other.
struct PeerCharm {
    model: Model,
    restless: bool,
}

impl Charm for PeerCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, false)
    }
}

impl PeerCharm {
    fn build(framework: &mut Framework<Self>, restless: bool) -> Self {
        framework.observe(on::leader_elected(), Self::on_leader_elected);
        framework.observe(on::relation_changed("peers"), Self::on_changed);
        framework.observe(on::start(), Self::on_start);
        framework.observe(on::config_changed(), Self::on_config_changed);
        PeerCharm {
            model: framework.model().clone(),
            restless,
        }
    }

    fn on_leader_elected(&mut self, _: &mut LeaderElectedEvent) -> HandlerResult {
        let me = self.model.unit().name().to_owned();
        if let Some(peers) = self.model.get_relation("peers")? {
            peers.data(self.model.app()).set("leader", &me)?;
        }
        if self.model.get_secret(SecretQuery::label("s")).is_err() {
            let metadata = SecretMetadata {
                label: Some("s".to_owned()),
                ..SecretMetadata::default()
            };
            self.model
                .app()
                .add_secret(map(&[("val", "1")]), metadata)?;
        }
        Ok(())
    }

    fn on_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        if let Some(leader) = event.relation.data(self.model.app()).get("leader")? {
            self.model
                .unit()
                .set_status(ops::ActiveStatus::new(format!("led by {leader}")))?;
        }
        if self.restless {
            let mine = event.relation.data(self.model.unit());
            let count: u32 = mine.get("count")?.and_then(|c| c.parse().ok()).unwrap_or(0);
            mine.set("count", &(count + 1).to_string())?;
        }
        Ok(())
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        if let Ok(secret) = self.model.get_secret(SecretQuery::label("s")) {
            secret.get_content(false)?;
        }
        Ok(())
    }

    fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        let value = self.model.config()?.get("value").cloned();
        if let Some(serde_json::Value::String(value)) = value
            && self.model.unit().is_leader()?
        {
            let secret = self.model.get_secret(SecretQuery::label("s"))?;
            secret.set_content(map(&[("val", value.as_str())]))?;
        }
        Ok(())
    }
}

fn deployment(restless: bool) -> Deployment<PeerCharm> {
    Deployment::new(move |_| {
        Context::<PeerCharm>::from_yaml(META)
            .unwrap()
            .with_charm(move |framework| PeerCharm::build(framework, restless))
    })
}

fn status(deployment: &Deployment<PeerCharm>, n: u32) -> ops::Status {
    deployment.state(n).unwrap().unit_status
}

#[test]
fn followers_see_the_leaders_announcement() {
    let deployment = deployment(false).deploy(3).unwrap();
    for n in [1, 2] {
        assert_eq!(
            status(&deployment, n),
            ops::ActiveStatus::new("led by peer/0")
        );
    }
    // Each unit sees the others' databags, not its own, as peers_data.
    let state = deployment.state(1).unwrap();
    let peers = state.get_peer_relation(state.relations[0].id()).unwrap();
    assert_eq!(
        peers.peers_data.keys().copied().collect::<Vec<_>>(),
        vec![0, 2]
    );
}

#[test]
fn the_trace_reads_as_juju_delivered_it() {
    let mut deployment = deployment(false).deploy(2).unwrap();
    deployment.remove_unit(0).unwrap();
    let trace: Vec<String> = deployment.trace().iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(trace.join("\n"));
}

#[test]
fn units_track_their_own_secret_revisions() {
    let mut deployment = deployment(false).deploy(2).unwrap();
    deployment
        .set_config([("value".to_owned(), "2".into())])
        .unwrap();
    let leader = deployment.state(0).unwrap();
    let follower = deployment.state(1).unwrap();
    let (at_leader, at_follower) = (&leader.secrets[0], &follower.secrets[0]);
    assert_eq!(at_leader.latest_revision, 2);
    assert_eq!(at_follower.latest_revision, 2);
    // The follower read revision 1 on start and still tracks it.
    assert_eq!(at_follower.tracked_revision, 1);
    assert_eq!(
        at_follower.tracked_content.get("val").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        at_follower.latest_content.get("val").map(String::as_str),
        Some("2")
    );
}

#[test]
fn a_deployment_that_never_settles_says_so() {
    let err = deployment(true).max_steps(40).deploy(2).unwrap_err();
    assert!(matches!(err, DeploymentError::NeverSettles { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("did not settle"), "{message}");
    assert!(message.contains("Deployment::max_steps"), "{message}");
}

#[test]
fn operations_name_units_that_exist() {
    let mut deployment = deployment(false).deploy(2).unwrap();
    let err = deployment.remove_unit(7).unwrap_err();
    assert!(
        matches!(&err, DeploymentError::NoSuchUnit { unit: 7, units } if units == &[0, 1]),
        "{err}"
    );
    deployment.stop_unit(1).unwrap();
    assert!(deployment.elect(1).is_err(), "a stopped unit cannot lead");
}

#[test]
fn every_order_runs_each_interleaving_once() {
    let mut traces = Vec::new();
    let orders = every_order(100, |order| {
        let mut deployment = deployment(false).deploy(3)?;
        deployment.set_order(order);
        let before = deployment.trace().len();
        deployment.remove_unit(0)?;
        traces.push(deployment.trace()[before..].to_vec());
        Ok(())
    })
    .unwrap();
    assert_eq!(orders, traces.len());
    let mut distinct = traces.clone();
    distinct.sort_by_key(|t| format!("{t:?}"));
    distinct.dedup();
    assert_eq!(distinct.len(), traces.len(), "no order was run twice");
    assert!(orders > 2);
}

#[test]
fn every_order_stops_at_its_limit() {
    let err = every_order(2, |order| {
        let mut deployment = deployment(false).deploy(3)?;
        deployment.set_order(order);
        deployment.remove_unit(0)
    })
    .unwrap_err();
    assert!(
        matches!(err, DeploymentError::TooManyOrders { limit: 2 }),
        "{err}"
    );
}

#[test]
fn a_failure_names_the_order_it_happened_in() {
    let err = sample_orders(3, 1, |order| {
        let mut deployment = deployment(true).max_steps(30).deploy(1)?;
        deployment.set_order(order);
        deployment.add_unit().map(drop)
    })
    .unwrap_err();
    assert!(
        err.to_string().starts_with("in delivery order seed 3: "),
        "{err}"
    );
}

#[test]
fn seeded_orders_repeat() {
    let run = |seed| {
        let mut deployment = deployment(false).deploy(3).unwrap();
        deployment.set_order(DeliveryOrder::Seeded(seed));
        deployment.remove_unit(0).unwrap();
        deployment.trace().to_vec()
    };
    assert_eq!(run(11), run(11));
}

/// Reads a secret granted to the application on start; on secret-changed,
/// refreshes to the new revision and shows its content as its status.
struct Consumer {
    model: Model,
}

impl Charm for Consumer {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::secret_changed(), Self::on_secret_changed);
        Consumer {
            model: framework.model().clone(),
        }
    }
}

impl Consumer {
    fn on_secret_changed(&mut self, event: &mut ops::SecretChangedEvent) -> HandlerResult {
        let content = event.secret.get_content(true)?;
        let value = content.get("val").cloned().unwrap_or_default();
        self.model
            .unit()
            .set_status(ops::ActiveStatus::new(value))?;
        Ok(())
    }
}

#[test]
fn a_new_revision_of_a_granted_secret_reaches_every_unit() {
    let secret = ops_testing::Secret::new(map(&[("val", "one")]));
    let id = secret.id.clone();
    let state = ops_testing::State {
        secrets: vec![secret],
        ..ops_testing::State::default()
    };
    let mut deployment = Deployment::new(|_| Context::<Consumer>::from_yaml(META).unwrap())
        .with_state(state)
        .deploy(2)
        .unwrap();
    deployment
        .set_secret_content(&id, map(&[("val", "two")]))
        .unwrap();
    for n in [0, 1] {
        let state = deployment.state(n).unwrap();
        assert_eq!(state.unit_status, ops::ActiveStatus::new("two"), "unit {n}");
        assert_eq!(state.secrets[0].tracked_revision, 2, "unit {n} refreshed");
    }
    let changed = deployment
        .trace()
        .iter()
        .filter(|d| d.hook == "secret-changed")
        .count();
    assert_eq!(changed, 2);
    // Only secrets the model has can change.
    let err = deployment
        .set_secret_content("secret:nope", map(&[("val", "x")]))
        .unwrap_err();
    assert!(matches!(err, DeploymentError::NoSuchSecret { .. }), "{err}");
}
