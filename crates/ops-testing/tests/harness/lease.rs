//! Leadership lost in the middle of a hook ([`Lease`]): `is-leader`
//! answers `false` from then on, Juju's leader-only tools refuse the unit,
//! and the output State no longer leads.

use crate::common::map;
use ops::{
    ActiveStatus, Charm, ConfigChangedEvent, Framework, HandlerResult, Model, SecretOwner,
    SecretQuery, on,
};
use ops_testing::{Context, Lease, Secret, State};
use pretty_assertions::assert_eq;
use std::time::Duration;

/// On config-changed: asks `is-leader` three times and reports the
/// answers as its status.
struct Asker {
    model: Model,
}

impl Charm for Asker {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::config_changed(), Self::on_config_changed);
        Asker {
            model: framework.model().clone(),
        }
    }
}

impl Asker {
    fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        let mut answers = Vec::new();
        for _ in 0..3 {
            answers.push(self.model.unit().is_leader()?.to_string());
        }
        self.model
            .unit()
            .set_status(ActiveStatus::new(answers.join(",")))?;
        Ok(())
    }
}

/// On config-changed: checks leadership once, then sets the application
/// secret's content.
struct SecretSetter {
    model: Model,
}

impl Charm for SecretSetter {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::config_changed(), Self::on_config_changed);
        SecretSetter {
            model: framework.model().clone(),
        }
    }
}

impl SecretSetter {
    fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        if self.model.unit().is_leader()? {
            let secret = self.model.get_secret(SecretQuery::label("creds"))?;
            secret.set_content(map(&[("password", "new")]))?;
        }
        Ok(())
    }
}

fn leader() -> State {
    State {
        leader: true,
        ..State::default()
    }
}

fn app_secret() -> Secret {
    Secret {
        label: Some("creds".to_owned()),
        owner: Some(SecretOwner::App),
        ..Secret::new(map(&[("password", "old")]))
    }
}

#[test]
fn is_leader_answers_false_after_the_nth_call() {
    let mut ctx =
        Context::<Asker>::new(ops::CharmMeta::new("asker")).lease(Lease::AfterIsLeaderCalls(2));
    let out = ctx.run(ctx.on.config_changed(), leader()).unwrap();
    assert_eq!(out.unit_status, ActiveStatus::new("true,true,false"));
    assert!(!out.leader);
    assert_eq!(ctx.leadership_lost_at, Some(Duration::ZERO));
}

#[test]
fn the_lease_ends_at_a_time_on_the_simulated_clock() {
    // Each hook-tool call takes 10 s: the calls at 10 s and 20 s still
    // lead, the one at 30 s does not.
    let mut ctx = Context::<Asker>::new(ops::CharmMeta::new("asker"))
        .tool_call_time(Duration::from_secs(10))
        .lease(Lease::At(Duration::from_secs(30)));
    let out = ctx.run(ctx.on.config_changed(), leader()).unwrap();
    assert_eq!(out.unit_status, ActiveStatus::new("true,true,false"));
    assert_eq!(ctx.leadership_lost_at, Some(Duration::from_secs(30)));
}

#[test]
fn a_lease_is_ended_afresh_in_each_run() {
    let mut ctx =
        Context::<Asker>::new(ops::CharmMeta::new("asker")).lease(Lease::AfterIsLeaderCalls(1));
    for _ in 0..2 {
        let out = ctx.run(ctx.on.config_changed(), leader()).unwrap();
        assert_eq!(out.unit_status, ActiveStatus::new("true,false,false"));
    }
}

#[test]
fn a_non_leader_has_no_lease_to_lose() {
    let mut ctx =
        Context::<Asker>::new(ops::CharmMeta::new("asker")).lease(Lease::AfterIsLeaderCalls(1));
    let out = ctx.run(ctx.on.config_changed(), State::default()).unwrap();
    assert_eq!(out.unit_status, ActiveStatus::new("false,false,false"));
    assert_eq!(ctx.leadership_lost_at, None);
}

#[test]
fn without_a_lease_leadership_holds() {
    let mut ctx = Context::<Asker>::new(ops::CharmMeta::new("asker"));
    let out = ctx.run(ctx.on.config_changed(), leader()).unwrap();
    assert_eq!(out.unit_status, ActiveStatus::new("true,true,true"));
    assert!(out.leader);
}

#[test]
fn juju_refuses_an_application_secret_change_after_the_lease() {
    // is-leader at 1 s leads; the lease ends at 2 s, before secret-set.
    let mut ctx = Context::<SecretSetter>::new(ops::CharmMeta::new("setter"))
        .tool_call_time(Duration::from_secs(1))
        .lease(Lease::At(Duration::from_secs(2)));
    let state = State {
        secrets: vec![app_secret()],
        ..leader()
    };
    let err = ctx.run(ctx.on.config_changed(), &state).unwrap_err();
    assert!(err.to_string().contains("ERROR permission denied"), "{err}");

    // Within the lease, the same change is allowed.
    let mut ctx = Context::<SecretSetter>::new(ops::CharmMeta::new("setter"))
        .tool_call_time(Duration::from_secs(1))
        .lease(Lease::At(Duration::from_secs(60)));
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(out.secrets[0].latest_revision, 2);
    assert_eq!(ctx.leadership_lost_at, None);
}
