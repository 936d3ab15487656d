//! Snapshots of whole output States (insta): the leader's and a follower's
//! view after leadership changes, as JSON. A change in what the charm
//! writes shows up as a reviewable diff (`cargo insta review`, or
//! `INSTA_UPDATE=always` to accept), rather than as a field-by-field
//! assertion someone forgot to add.

use leadership::{LEADER_KEY, LeadershipCharm, PEER};
use ops_testing as testing;

fn context() -> testing::Context<LeadershipCharm> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("leadership.conf");
    testing::Context::from_charm_root(env!("CARGO_MANIFEST_DIR"))
        .expect("charmcraft.yaml loads")
        .with_charm(move |framework| {
            let _owned = &dir;
            LeadershipCharm::with_config_file(framework, file.clone())
        })
}

fn snapshot(state: &testing::State) -> String {
    serde_json::to_string_pretty(state).expect("a State is JSON")
}

#[test]
fn the_new_leaders_output_state() {
    let mut ctx = context();
    let state = testing::State {
        leader: true,
        relations: vec![testing::PeerRelation::new(PEER).into()],
        ..testing::State::default()
    };
    let out = ctx.run(ctx.on.leader_elected(), state).unwrap();
    insta::assert_snapshot!(snapshot(&out));
}

#[test]
fn a_followers_output_state() {
    let mut ctx = context();
    let peers = testing::PeerRelation {
        local_app_data: [(LEADER_KEY, "leadership/1")].into(),
        ..testing::PeerRelation::new(PEER)
    };
    let state = testing::State {
        relations: vec![peers.into()],
        ..testing::State::default()
    };
    let out = ctx.run(ctx.on.config_changed(), state).unwrap();
    insta::assert_snapshot!(snapshot(&out));
}
