//! Runs the leadership charm through ops-testing, once as the leader and
//! once as a follower, and prints what happened: the main job of this
//! project in one screen.
//!
//! ```sh
//! cargo run -p leadership-charm --example transcript
//! ```

use leadership::{LEADER_KEY, LeadershipCharm, PEER, SECRET_LABEL};
use ops_testing as testing;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let tmp = tempfile::Builder::new()
        .prefix("leadership-transcript-")
        .tempdir()?;
    let scratch = tmp.path();
    for leader in [true, false] {
        let role = if leader { "leader" } else { "non-leader" };
        println!("=== leadership/0 as the {role} ===");
        let config_file = scratch.join(role).join("leadership.conf");
        let path = config_file.clone();
        let mut ctx =
            testing::Context::<LeadershipCharm>::from_charm_root(env!("CARGO_MANIFEST_DIR"))?
                .with_charm(move |framework| {
                    LeadershipCharm::with_config_file(framework, path.clone())
                });

        let peers = testing::PeerRelation {
            local_app_data: if leader {
                Default::default()
            } else {
                [(LEADER_KEY.to_owned(), "leadership/1".to_owned())].into()
            },
            peers_data: [(1, Default::default())].into(),
            ..testing::PeerRelation::new(PEER)
        };
        let mut state = testing::State {
            leader,
            relations: vec![peers.clone().into()],
            ..testing::State::default()
        };

        let steps = if leader {
            vec![
                ("leader-elected", ctx.on.leader_elected()),
                ("config-changed", ctx.on.config_changed()),
                ("start", ctx.on.start()),
            ]
        } else {
            vec![
                ("replicas-relation-changed", ctx.on.relation_changed(&peers)),
                ("config-changed", ctx.on.config_changed()),
                ("start", ctx.on.start()),
            ]
        };
        for (hook, event) in steps {
            if hook == "config-changed" {
                // The operator runs `juju config leadership username=operator`.
                state
                    .config
                    .insert("username".to_owned(), "operator".into());
                println!("   (config: username=operator)");
            }
            let logged = ctx.juju_log.len();
            state = ctx.run(event, &state)?;
            println!("-> {hook}");
            for line in &ctx.juju_log[logged..] {
                if line.level >= ops::LogLevel::Info {
                    println!("   log {:<7} {}", line.level.as_str(), line.message);
                }
            }
        }
        // The next run must see the output peer relation, not the input one.
        let peers_out = state
            .get_relation(peers.id)
            .expect("the peer relation is kept");
        println!("   unit status      : {}", state.unit_status);
        println!(
            "   peer app data    : leader = {}",
            peers_out
                .local_app_data()
                .get(LEADER_KEY)
                .map_or("(unset)", String::as_str)
        );
        match state.get_secret_by_label(SECRET_LABEL) {
            Some(secret) => println!(
                "   app secret       : {SECRET_LABEL} at revision {} (username = {})",
                secret.latest_revision, secret.latest_content["username"]
            ),
            None => println!("   app secret       : none visible to this unit"),
        }
        let rendered = std::fs::read_to_string(&config_file)?;
        println!(
            "   {}:",
            config_file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
        );
        for line in rendered.lines() {
            println!("     | {line}");
        }
        println!();
    }
    tmp.close()?;
    Ok(())
}
