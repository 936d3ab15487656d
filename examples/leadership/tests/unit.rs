//! Unit tests of the leadership charm, run through ops-testing: no Juju needed.

use leadership::{LEADER_KEY, LeadershipCharm, PEER, SECRET_LABEL};
use ops::{ActiveStatus, SecretOwner};
use ops_testing as testing;
use pretty_assertions::assert_eq;
use rstest::rstest;
use std::path::PathBuf;

/// A Context over the charm's own charmcraft.yaml, writing its config file
/// into a temporary directory of its own, removed when the Context is dropped.
fn context() -> (testing::Context<LeadershipCharm>, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("leadership-unit-")
        .tempdir()
        .expect("a temporary directory");
    let file = dir.path().join("leadership.conf");
    let path = file.clone();
    let ctx = testing::Context::from_charm_root(env!("CARGO_MANIFEST_DIR"))
        .expect("charmcraft.yaml loads")
        .with_charm(move |framework| {
            // The charm factory owns the directory, so it lives as long as the Context.
            let _owned = &dir;
            LeadershipCharm::with_config_file(framework, path.clone())
        });
    (ctx, file)
}

fn app_secret(content: &[(&str, &str)]) -> testing::Secret {
    testing::Secret {
        label: Some(SECRET_LABEL.to_owned()),
        owner: Some(SecretOwner::App),
        ..testing::Secret::new(
            content
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

// The seed's test: the status follows leadership.
#[rstest]
fn status_leader(#[values(true, false)] leader: bool) {
    let (mut ctx, _) = context();
    let out = ctx
        .run(
            ctx.on.start(),
            &testing::State {
                leader,
                ..testing::State::default()
            },
        )
        .unwrap();
    assert_eq!(
        out.unit_status,
        ActiveStatus::new(if leader { "I rule" } else { "I am ruled" })
    );
}

#[test]
fn leader_elected_renders_config_and_tells_the_peers() {
    let (mut ctx, file) = context();
    let peers = testing::PeerRelation::new(PEER);
    let state = testing::State {
        leader: true,
        relations: vec![peers.clone().into()],
        ..testing::State::default()
    };
    let out = ctx.run(ctx.on.leader_elected(), &state).unwrap();

    let rendered = std::fs::read_to_string(&file).unwrap();
    assert!(rendered.contains("leader = leadership/0"), "{rendered}");
    let peers_out = out.get_relation(peers.id).unwrap();
    assert_eq!(
        peers_out
            .local_app_data()
            .get(LEADER_KEY)
            .map(String::as_str),
        Some("leadership/0")
    );
    let secret = out
        .secrets
        .iter()
        .find(|s| s.label.as_deref() == Some(SECRET_LABEL))
        .unwrap();
    assert_eq!(secret.owner, Some(SecretOwner::App));
    assert_eq!(secret.tracked_content["username"], "admin");
    let memory = out.get_stored_state("_stored", None).unwrap();
    assert_eq!(memory.content["elections_won"], 1);
}

#[test]
fn followers_learn_the_leader_from_peer_data() {
    let (mut ctx, file) = context();
    let peers = testing::PeerRelation {
        local_app_data: [(LEADER_KEY.to_string(), "leadership/1".to_string())].into(),
        peers_data: [(1, Default::default())].into(),
        ..testing::PeerRelation::new(PEER)
    };
    let state = testing::State {
        relations: vec![peers.clone().into()],
        ..testing::State::default()
    };
    let out = ctx.run(ctx.on.relation_changed(&peers), &state).unwrap();
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("leader = leadership/1")
    );
    assert_eq!(
        out.get_stored_state("_stored", None).unwrap().content["leader"],
        "leadership/1"
    );
}

#[rstest]
fn only_the_leader_changes_the_app_secret(#[values(true, false)] leader: bool) {
    let (mut ctx, _) = context();
    let secret = app_secret(&[("username", "old"), ("password", "old")]);
    let state = testing::State {
        leader,
        config: [("username".to_string(), "user".into())].into(),
        secrets: vec![secret.clone()],
        ..testing::State::default()
    };
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    let after = out.get_secret(&secret.id).unwrap();
    if leader {
        assert_eq!(after.latest_revision, 2);
        assert_eq!(after.latest_content["username"], "user");
        assert_eq!(after.latest_content["password"], "pass-8080");
    } else {
        assert_eq!(after, &secret);
    }
}

#[rstest]
fn show_leader_reports_what_the_unit_knows(#[values(true, false)] knows: bool) {
    let (mut ctx, _) = context();
    let stored = ops_testing::StoredState::new(
        "_stored",
        [("leader".to_string(), "leadership/3".into())].into(),
    );
    let state = testing::State {
        stored_states: if knows { vec![stored] } else { vec![] },
        ..testing::State::default()
    };
    let result = ctx.run(ctx.on.action("show-leader"), &state);
    if knows {
        result.unwrap();
        assert_eq!(ctx.action_results.unwrap()["leader"], "leadership/3");
    } else {
        let Err(testing::Error::ActionFailed { message, .. }) = result else {
            panic!("expected the action to fail")
        };
        assert_eq!(message, "this unit does not know the leader yet");
    }
}

#[test]
fn config_changed_rerenders_for_the_known_leader() {
    let (mut ctx, file) = context();
    let stored = ops_testing::StoredState::new(
        "_stored",
        [("leader".to_string(), "leadership/2".into())].into(),
    );
    let state = testing::State {
        config: [("port".to_string(), 9090.into())].into(),
        stored_states: vec![stored],
        ..testing::State::default()
    };
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    let rendered = std::fs::read_to_string(&file).unwrap();
    assert!(
        rendered.contains("leader = leadership/2") && rendered.contains("port = 9090"),
        "{rendered}"
    );
    assert_eq!(
        out.get_stored_state("_stored", None).unwrap().content["leader"],
        "leadership/2"
    );
}

// A test leaves nothing behind in the temporary directory.
#[test]
fn the_config_directory_is_removed_with_the_context() {
    let (mut ctx, file) = context();
    let state = testing::State {
        leader: true,
        relations: vec![testing::PeerRelation::new(PEER).into()],
        ..testing::State::default()
    };
    ctx.run(ctx.on.leader_elected(), &state).unwrap();
    assert!(file.exists());
    drop(ctx);
    let dir = file.parent().unwrap();
    assert!(!dir.exists(), "{} was left behind", dir.display());
}
