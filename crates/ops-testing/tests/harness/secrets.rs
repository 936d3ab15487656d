//! Secret permissions (Juju's rules, enforced by the mock backend) and
//! secret revisions.

use crate::common::{Probe, map, uncaught};
use ops::{
    Charm, Framework, HandlerResult, Model, ModelError, SecretChangedEvent, SecretMetadata,
    SecretOwner, SecretQuery, SecretRemoveEvent, UpdateStatusEvent, on,
};
use ops_testing::{Context, Relation, Secret, State};
use pretty_assertions::assert_eq;
use rstest::rstest;

const META: &str = "
name: vault
requires:
  db: {interface: pgsql}
";

/// One way of managing a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    SetContent,
    GetInfo,
    Grant,
    Revoke,
    Remove,
}

/// On update-status, looks a secret up by id and manages it with `op`;
/// on `reader`, reads it instead.
struct ManagerCharm {
    model: Model,
    secret_id: String,
    op: Option<Op>,
    seen: Probe<Result<String, ModelError>>,
}

impl Charm for ManagerCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, String::new(), None, Probe::default())
    }
}

impl ManagerCharm {
    fn build(
        framework: &mut Framework<Self>,
        secret_id: String,
        op: Option<Op>,
        seen: Probe<Result<String, ModelError>>,
    ) -> Self {
        framework.observe(on::update_status(), Self::on_update_status);
        ManagerCharm {
            model: framework.model().clone(),
            secret_id,
            op,
            seen,
        }
    }

    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        let secret = self.model.get_secret(SecretQuery::id(&self.secret_id))?;
        let result = match self.op {
            None => {
                let tracked = secret.get_content(false)?;
                let latest = secret.peek_content()?;
                Ok(format!("{} {}", tracked["password"], latest["password"]))
            }
            Some(Op::SetContent) => secret
                .set_content(map(&[("password", "new")]))
                .map(|()| "set".to_owned()),
            Some(Op::GetInfo) => secret
                .get_info()
                .map(|info| format!("{:?} rev {}", info.label, info.revision)),
            Some(Op::Grant) => {
                let relation = self.model.get_relation("db")?.expect("db relation");
                secret.grant(&relation, None).map(|()| "granted".to_owned())
            }
            Some(Op::Revoke) => {
                let relation = self.model.get_relation("db")?.expect("db relation");
                secret
                    .revoke(&relation, None)
                    .map(|()| "revoked".to_owned())
            }
            Some(Op::Remove) => secret.remove_all_revisions().map(|()| "removed".to_owned()),
        };
        self.seen.push(result);
        Ok(())
    }
}

struct Setup {
    ctx: Context<ManagerCharm>,
    seen: Probe<Result<String, ModelError>>,
    state: State,
    secret: Secret,
    relation: Relation,
}

fn setup(owner: Option<SecretOwner>, leader: bool, op: Option<Op>) -> Setup {
    let secret = Secret {
        owner,
        label: Some("creds".into()),
        latest_content: map(&[("password", "latest")]),
        latest_revision: 2,
        ..Secret::new(map(&[("password", "tracked")]))
    };
    let relation = Relation::new("db");
    let seen = Probe::default();
    let probe = seen.clone();
    let id = secret.id.clone();
    let ctx = Context::from_yaml(META)
        .unwrap()
        .with_charm(move |fw| ManagerCharm::build(fw, id.clone(), op, probe.clone()));
    let state = State {
        leader,
        secrets: vec![secret.clone()],
        relations: vec![relation.clone().into()],
        ..State::default()
    };
    Setup {
        ctx,
        seen,
        state,
        secret,
        relation,
    }
}

/// Checks the effect of a successful `op` on the output secret.
fn assert_managed(op: Op, out: &State, before: &Secret, relation: &Relation, seen: &str) {
    match op {
        Op::SetContent => {
            let after = out.get_secret(&before.id).unwrap();
            assert_eq!(after.latest_content, map(&[("password", "new")]));
            assert_eq!(after.latest_revision, before.latest_revision + 1);
        }
        Op::GetInfo => {
            assert_eq!(seen, "Some(\"creds\") rev 2");
            assert_eq!(out.get_secret(&before.id), Some(before));
        }
        Op::Grant => {
            let after = out.get_secret(&before.id).unwrap();
            assert_eq!(
                after.remote_grants,
                [(relation.id, ["remote".to_owned()].into())].into()
            );
        }
        Op::Revoke => unreachable!("revoking needs a grant: see the revoke tests"),
        Op::Remove => assert_eq!(out.get_secret(&before.id), None),
    }
}

// ops.testing raises (KeyError) when the secret has no grant on the
// relation; the mock refuses it with a hook-tool error naming the fix.
#[test]
fn revoking_on_a_relation_without_a_grant_is_refused() {
    let Setup {
        mut ctx,
        seen,
        state,
        secret,
        relation,
    } = setup(Some(SecretOwner::Unit), false, Some(Op::Revoke));
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    let [result] = seen.take().try_into().unwrap();
    let error = result.unwrap_err();
    let ModelError::HookTool { tool, stderr } = &error else {
        panic!("expected a secret-revoke error, got {error:?}");
    };
    assert_eq!(tool, "secret-revoke");
    assert!(
        stderr.contains(&format!("no grant on relation {}", relation.id)),
        "{stderr}"
    );
    assert_eq!(out.get_secret(&secret.id), Some(&secret), "nothing changed");
}

// As in ops.testing: a relation with grants, but not to this grantee,
// is left as it is.
#[test]
fn revoking_a_grantee_not_granted_on_the_relation_changes_nothing() {
    let Setup {
        mut ctx,
        seen,
        mut state,
        secret,
        relation,
    } = setup(Some(SecretOwner::Unit), false, Some(Op::Revoke));
    let granted = Secret {
        remote_grants: [(relation.id, ["other-app".to_owned()].into())].into(),
        ..secret
    };
    state.secrets = vec![granted.clone()];
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    let [result] = seen.take().try_into().unwrap();
    assert_eq!(result.unwrap(), "revoked");
    assert_eq!(out.get_secret(&granted.id), Some(&granted));
}

#[test]
fn revoking_a_grant_removes_it() {
    let Setup {
        mut ctx,
        seen,
        mut state,
        secret,
        relation,
    } = setup(Some(SecretOwner::Unit), false, Some(Op::Revoke));
    state.secrets = vec![Secret {
        remote_grants: [(relation.id, ["remote".to_owned()].into())].into(),
        ..secret.clone()
    }];
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    let [result] = seen.take().try_into().unwrap();
    assert_eq!(result.unwrap(), "revoked");
    assert_eq!(out.get_secret(&secret.id), Some(&secret));
}

#[rstest]
fn app_secrets_are_managed_by_the_leader_only(
    #[values(true, false)] leader: bool,
    #[values(Op::SetContent, Op::GetInfo, Op::Grant, Op::Remove)] op: Op,
) {
    let Setup {
        mut ctx,
        seen,
        state,
        secret,
        relation,
    } = setup(Some(SecretOwner::App), leader, Some(op));
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    let [result] = seen.take().try_into().unwrap();
    if leader {
        assert_managed(op, &out, &secret, &relation, &result.unwrap());
    } else {
        let error = result.unwrap_err();
        let ModelError::PermissionDenied { stderr, .. } = &error else {
            panic!("expected Juju's refusal, got {error:?}");
        };
        assert_eq!(stderr, "ERROR permission denied");
        assert!(error.is_permission_denied());
        assert_eq!(out.secrets, state.secrets, "nothing changed");
    }
}

#[rstest]
fn unit_secrets_are_managed_by_non_leaders_too(
    #[values(Op::SetContent, Op::GetInfo, Op::Grant, Op::Remove)] op: Op,
) {
    let Setup {
        mut ctx,
        seen,
        state,
        secret,
        relation,
    } = setup(Some(SecretOwner::Unit), false, Some(op));
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    let [result] = seen.take().try_into().unwrap();
    assert_managed(op, &out, &secret, &relation, &result.unwrap());
}

#[rstest]
fn granted_secrets_cannot_be_managed(
    #[values(true, false)] leader: bool,
    #[values(Op::SetContent, Op::GetInfo, Op::Grant, Op::Remove)] op: Op,
) {
    let Setup {
        mut ctx,
        seen,
        state,
        secret,
        ..
    } = setup(None, leader, Some(op));
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    let [result] = seen.take().try_into().unwrap();
    let error = result.unwrap_err();
    assert!(
        matches!(error, ModelError::SecretNotFound { .. }),
        "{error:?}"
    );
    let want = format!(
        "You must own secret '{}' to perform this operation",
        secret.id
    );
    assert!(error.to_string().contains(&want), "{error}");
    assert_eq!(out.secrets, state.secrets);
}

#[rstest]
fn everyone_reads_secrets(
    #[values(true, false)] leader: bool,
    #[values(Some(SecretOwner::App), Some(SecretOwner::Unit), None)] owner: Option<SecretOwner>,
) {
    let Setup {
        mut ctx,
        seen,
        state,
        ..
    } = setup(owner, leader, None);
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(seen.take(), vec![Ok("tracked latest".to_owned())]);
    assert_eq!(out.secrets, state.secrets, "reading moves no revision");
}

#[test]
fn a_handler_that_lets_the_refusal_escape_fails_the_hook() {
    /// Sets an app secret's content without guarding on leadership.
    struct CarelessCharm {
        model: Model,
    }
    impl Charm for CarelessCharm {
        fn new(framework: &mut Framework<Self>) -> Self {
            framework.observe(on::update_status(), Self::on_update_status);
            CarelessCharm {
                model: framework.model().clone(),
            }
        }
    }
    impl CarelessCharm {
        fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
            let secret = self.model.get_secret(SecretQuery::label("creds"))?;
            secret.set_content(map(&[("password", "new")]))?;
            Ok(())
        }
    }

    let mut ctx = Context::<CarelessCharm>::from_yaml(META).unwrap();
    let state = State {
        secrets: vec![Secret {
            owner: Some(SecretOwner::App),
            label: Some("creds".into()),
            ..Secret::new(map(&[("password", "old")]))
        }],
        ..State::default()
    };
    let (message, panicked) = uncaught(ctx.run(ctx.on.update_status(), &state));
    assert!(!panicked);
    assert!(message.contains("ERROR permission denied"), "{message}");
}

/// Adds a secret owned by the app or the unit on update-status.
struct AdderCharm {
    model: Model,
    seen: Probe<Result<String, ModelError>>,
}

impl Charm for AdderCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Probe::default())
    }
}

impl AdderCharm {
    fn build(framework: &mut Framework<Self>, seen: Probe<Result<String, ModelError>>) -> Self {
        framework.observe(on::update_status(), Self::on_update_status);
        AdderCharm {
            model: framework.model().clone(),
            seen,
        }
    }

    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        let metadata = |label: &str| SecretMetadata {
            label: Some(label.to_owned()),
            ..SecretMetadata::default()
        };
        for (label, result) in [
            (
                "app",
                self.model
                    .app()
                    .add_secret(map(&[("token", "a")]), metadata("app-token")),
            ),
            (
                "unit",
                self.model
                    .unit()
                    .add_secret(map(&[("token", "u")]), metadata("unit-token")),
            ),
        ] {
            self.seen
                .push(result.map(|s| format!("{label} {}", s.id().unwrap_or_default())));
        }
        Ok(())
    }
}

#[rstest]
fn added_secrets_are_in_the_output(#[values(true, false)] leader: bool) {
    let seen = Probe::default();
    let probe = seen.clone();
    let mut ctx = Context::from_yaml(META)
        .unwrap()
        .with_charm(move |fw| AdderCharm::build(fw, probe.clone()));
    let state = State {
        leader,
        ..State::default()
    };
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    let [app, unit] = seen.take().try_into().unwrap();
    let unit_id = unit.unwrap().strip_prefix("unit ").unwrap().to_owned();
    let unit_secret = out.get_secret(&unit_id).unwrap();
    assert_eq!(unit_secret.owner, Some(SecretOwner::Unit));
    assert_eq!(unit_secret.label.as_deref(), Some("unit-token"));
    assert_eq!(unit_secret.tracked_content, map(&[("token", "u")]));
    if leader {
        let app_id = app.unwrap().strip_prefix("app ").unwrap().to_owned();
        assert_eq!(
            out.get_secret(&app_id).unwrap().owner,
            Some(SecretOwner::App)
        );
        assert_eq!(out.secrets.len(), 2);
    } else {
        let error = app.unwrap_err();
        assert!(error.to_string().contains("not the leader"), "{error}");
        assert_eq!(out.secrets.len(), 1);
    }
}

/// Reacts to secret events: on secret-changed reads (refreshing or not);
/// on secret-remove removes the revision named by the event; on
/// update-status sets new content.
struct RevisionCharm {
    model: Model,
    refresh: bool,
    seen: Probe<Result<String, ModelError>>,
}

impl Charm for RevisionCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, false, Probe::default())
    }
}

impl RevisionCharm {
    fn build(
        framework: &mut Framework<Self>,
        refresh: bool,
        seen: Probe<Result<String, ModelError>>,
    ) -> Self {
        framework.observe(on::secret_changed(), Self::on_secret_changed);
        framework.observe(on::secret_remove(), Self::on_secret_remove);
        framework.observe(on::update_status(), Self::on_update_status);
        RevisionCharm {
            model: framework.model().clone(),
            refresh,
            seen,
        }
    }

    fn on_secret_changed(&mut self, event: &mut SecretChangedEvent) -> HandlerResult {
        if self.refresh {
            let content = event.secret.get_content(true)?;
            self.seen
                .push(Ok(format!("refreshed {}", content["password"])));
        } else {
            let tracked = event.secret.get_content(false)?;
            let peeked = event.secret.peek_content()?;
            let again = event.secret.get_content(false)?;
            self.seen.push(Ok(format!(
                "tracked {} peeked {} then {}",
                tracked["password"], peeked["password"], again["password"]
            )));
        }
        Ok(())
    }

    fn on_secret_remove(&mut self, event: &mut SecretRemoveEvent) -> HandlerResult {
        let result = event.secret.remove_revision(event.revision);
        self.seen
            .push(result.map(|()| format!("removed {}", event.revision)));
        Ok(())
    }

    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        let secret = self.model.get_secret(SecretQuery::label("creds"))?;
        let n = secret.get_info()?.revision + 1;
        secret.set_content(map(&[("password", &format!("v{n}"))]))?;
        Ok(())
    }
}

fn revisions(refresh: bool) -> (Context<RevisionCharm>, Probe<Result<String, ModelError>>) {
    let seen = Probe::default();
    let probe = seen.clone();
    let ctx = Context::from_yaml(META)
        .unwrap()
        .with_charm(move |fw| RevisionCharm::build(fw, refresh, probe.clone()));
    (ctx, seen)
}

fn granted_with_new_revision() -> Secret {
    Secret {
        label: Some("creds".into()),
        latest_content: map(&[("password", "v2")]),
        latest_revision: 2,
        ..Secret::new(map(&[("password", "v1")]))
    }
}

#[test]
fn peeking_does_not_track_the_latest_revision() {
    let (mut ctx, seen) = revisions(false);
    let secret = granted_with_new_revision();
    let state = State {
        secrets: vec![secret.clone()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.secret_changed(&secret), &state).unwrap();
    assert_eq!(
        seen.take(),
        vec![Ok("tracked v1 peeked v2 then v1".to_owned())]
    );
    assert_eq!(out.secrets, vec![secret]);
}

#[test]
fn refreshing_tracks_the_latest_revision() {
    let (mut ctx, seen) = revisions(true);
    let secret = granted_with_new_revision();
    let state = State {
        secrets: vec![secret.clone()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.secret_changed(&secret), &state).unwrap();
    assert_eq!(seen.take(), vec![Ok("refreshed v2".to_owned())]);
    let want = Secret {
        tracked_content: map(&[("password", "v2")]),
        tracked_revision: 2,
        ..secret
    };
    assert_eq!(out.secrets, vec![want]);
}

#[test]
fn set_content_adds_a_revision_each_time() {
    let (mut ctx, _) = revisions(false);
    let secret = Secret {
        owner: Some(SecretOwner::Unit),
        label: Some("creds".into()),
        ..Secret::new(map(&[("password", "v1")]))
    };
    let state = State {
        secrets: vec![secret.clone()],
        ..State::default()
    };
    let once = ctx.run(ctx.on.update_status(), &state).unwrap();
    let twice = ctx.run(ctx.on.update_status(), &once).unwrap();
    let want = Secret {
        latest_content: map(&[("password", "v3")]),
        latest_revision: 3,
        ..secret
    };
    assert_eq!(once.secrets[0].latest_revision, 2);
    assert_eq!(once.secrets[0].latest_content, map(&[("password", "v2")]));
    // The owner still tracks revision 1 until it refreshes.
    assert_eq!(twice.secrets, vec![want]);
}

#[test]
fn removing_an_old_revision_is_recorded_and_removing_the_current_one_fails() {
    let (mut ctx, seen) = revisions(false);
    let secret = Secret {
        owner: Some(SecretOwner::App),
        tracked_revision: 3,
        latest_revision: 3,
        ..Secret::new(map(&[("password", "v3")]))
    };
    let state = State {
        leader: true,
        secrets: vec![secret.clone()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.secret_remove(&secret, 1), &state).unwrap();
    assert_eq!(seen.take(), vec![Ok("removed 1".to_owned())]);
    assert_eq!(ctx.removed_secret_revisions, vec![1]);
    assert_eq!(out.secrets, vec![secret.clone()]);

    ctx.run(ctx.on.secret_remove(&secret, 3), &state).unwrap();
    let [result] = seen.take().try_into().unwrap();
    let error = result.unwrap_err();
    assert!(
        error.to_string().contains("cannot remove revision 3"),
        "{error}"
    );
    assert_eq!(
        ctx.removed_secret_revisions,
        vec![1],
        "nothing more removed"
    );
}

/// Sets a secret to the content it already has.
struct ResetCharm {
    model: Model,
}

impl Charm for ResetCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::update_status(), Self::on_update_status);
        ResetCharm {
            model: framework.model().clone(),
        }
    }
}

impl ResetCharm {
    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        let secret = self.model.get_secret(SecretQuery::label("same"))?;
        let content = secret.get_content(false)?;
        secret.set_content(content)?;
        Ok(())
    }
}

// Regression: the mock logged this warning while holding its own lock, and
// the log line (sent back through juju-log) deadlocked the run.
#[test]
fn setting_unchanged_content_warns_and_still_makes_a_revision() {
    let secret = Secret {
        label: Some("same".to_owned()),
        owner: Some(SecretOwner::Unit),
        ..Secret::new(map(&[("password", "x")]))
    };
    let mut ctx = Context::<ResetCharm>::from_yaml(META).unwrap();
    let state = State {
        secrets: vec![secret.clone()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(out.get_secret(&secret.id).unwrap().latest_revision, 2);
    assert!(
        ctx.juju_log
            .iter()
            .any(|l| l.level == ops::LogLevel::Warning && l.message.contains("already has")),
        "{:?}",
        ctx.juju_log
    );
}

#[test]
fn a_secret_at_the_last_revision_refuses_a_new_one_with_a_typed_error() {
    let Setup {
        mut ctx,
        seen,
        mut state,
        secret,
        ..
    } = setup(Some(SecretOwner::App), true, Some(Op::SetContent));
    state.secrets[0].latest_revision = u32::MAX;
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    let [result] = seen.take().try_into().unwrap();
    let error = result.unwrap_err();
    assert!(
        matches!(error, ModelError::HookTool { ref tool, .. } if tool == "secret-set"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains(&secret.id), "{message}");
    assert!(message.contains("latest_revision"), "{message}");
    // Nothing changed: the refused call made no revision.
    assert_eq!(
        out.get_secret(&secret.id).unwrap().latest_revision,
        u32::MAX
    );
}
