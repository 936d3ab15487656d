//! The seed document's charm ("Manage leadership changes"), in Rust.
//!
//! - `leader-elected`: reconfigure with this unit as leader, tell the other
//!   units through the peer relation, and create the application secret.
//! - peer `relation-changed`: followers learn the leader from the peer
//!   relation's application databag and reconfigure (deferring the event
//!   until the leader has announced itself).
//! - `config-changed`: everyone re-renders; only the leader changes the
//!   application secret, checking leadership again after the slow part.
//! - `start`: "I rule" or "I am ruled".
//! - action `show-leader`: reports the leader this unit knows of.

use ops::{
    ActionEvent, ActiveStatus, Charm, ConfigChangedEvent, Framework, HandlerResult,
    LeaderElectedEvent, Model, RelationChangedEvent, SecretMetadata, SecretQuery, StartEvent,
    StoredState, StringMap, on,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The peer endpoint, declared in `charmcraft.yaml`.
pub const PEER: &str = "replicas";
/// The label of the application secret the leader manages.
pub const SECRET_LABEL: &str = "my-label";
/// The peer application databag key naming the leader.
pub const LEADER_KEY: &str = "leader";

/// The charm's configuration, loaded with serde.
#[derive(Debug, Deserialize)]
pub struct Config {
    /// Port the workload listens on.
    pub port: u16,
    /// User name stored in the application secret.
    pub username: String,
}

/// What the charm remembers between events.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Memory {
    /// The leader this unit last rendered its config for.
    pub leader: Option<String>,
    /// How many times this unit was elected leader.
    pub elections_won: u32,
}

/// The charm.
pub struct LeadershipCharm {
    model: Model,
    memory: StoredState<Memory>,
    config_file: PathBuf,
}

impl Charm for LeadershipCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::with_config_file(framework, PathBuf::from("/etc/leadership/leadership.conf"))
    }
}

impl LeadershipCharm {
    /// Builds the charm writing its config file at `config_file` (tests
    /// point it at a temporary directory).
    pub fn with_config_file(framework: &mut Framework<Self>, config_file: PathBuf) -> Self {
        framework.observe(on::leader_elected(), Self::on_leader_elected);
        framework.observe(on::relation_changed(PEER), Self::on_peer_changed);
        framework.observe(on::config_changed(), Self::on_config_changed);
        framework.observe(on::start(), Self::on_start);
        framework.observe(on::action("show-leader"), Self::on_show_leader);
        LeadershipCharm {
            model: framework.model().clone(),
            memory: framework.stored_state("_stored"),
            config_file,
        }
    }

    fn on_leader_elected(&mut self, _event: &mut LeaderElectedEvent) -> HandlerResult {
        let me = self.model.unit().name().to_owned();
        tracing::info!("{me} was elected leader");
        self.memory.borrow_mut().elections_won += 1;
        self.reconfigure(&me)?;
        // Tell the other units through the peer relation (not leader-settings-changed).
        if let Some(peers) = self.model.get_relation(PEER)? {
            peers.data(self.model.app()).set(LEADER_KEY, &me)?;
        }
        if let Err(e) = self.model.get_secret(SecretQuery::label(SECRET_LABEL)) {
            if !e.is_secret_not_found() {
                return Err(e.into());
            }
            let metadata = SecretMetadata {
                label: Some(SECRET_LABEL.to_owned()),
                ..SecretMetadata::default()
            };
            self.model.app().add_secret(self.credentials()?, metadata)?;
        }
        Ok(())
    }

    fn on_peer_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        let leader = event.relation.data(self.model.app()).get(LEADER_KEY)?;
        match leader {
            Some(leader) => self.reconfigure(&leader)?,
            None => {
                // Try again before the next event, when the leader may have announced itself.
                tracing::debug!("the leader has not announced itself yet; deferring");
                event.defer();
            }
        }
        Ok(())
    }

    fn on_config_changed(&mut self, _event: &mut ConfigChangedEvent) -> HandlerResult {
        // Clone first: `reconfigure` updates the stored state, which must not be borrowed then.
        let known_leader = self.memory.borrow().leader.clone();
        if let Some(leader) = known_leader {
            self.reconfigure(&leader)?;
        }
        if !self.model.unit().is_leader()? {
            return Ok(());
        }
        let credentials = self.credentials()?;
        // Leadership is guaranteed for 30 seconds after an is-leader check;
        // after slow work, ask again before acting as the leader.
        self.slow_work();
        if !self.model.unit().is_leader()? {
            tracing::warn!(
                "lost leadership while reconfiguring; leaving the secret to the new leader"
            );
            return Ok(());
        }
        let secret = self.model.get_secret(SecretQuery::label(SECRET_LABEL))?;
        secret.set_content(credentials)?;
        Ok(())
    }

    fn on_start(&mut self, _event: &mut StartEvent) -> HandlerResult {
        if self.model.unit().is_leader()? {
            self.model.unit().set_status(ActiveStatus::new("I rule"))?;
        } else {
            self.model
                .unit()
                .set_status(ActiveStatus::new("I am ruled"))?;
        }
        Ok(())
    }

    fn on_show_leader(&mut self, event: &mut ActionEvent) -> HandlerResult {
        let known_leader = self.memory.borrow().leader.clone();
        match known_leader {
            Some(leader) => event.set_results(serde_json::json!({ "leader": leader }))?,
            None => event.fail("this unit does not know the leader yet")?,
        }
        Ok(())
    }

    fn credentials(&self) -> Result<StringMap, ops::ModelError> {
        let config: Config = self.model.load_config()?;
        Ok([
            ("username".to_owned(), config.username),
            ("password".to_owned(), format!("pass-{}", config.port)),
        ]
        .into())
    }

    /// Renders the config file naming the leader.
    fn reconfigure(&self, leader: &str) -> HandlerResult {
        let config: Config = self.model.load_config()?;
        let text = format!(
            "# written by the leadership charm\nleader = {leader}\nport = {}\n",
            config.port
        );
        if let Some(dir) = self.config_file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&self.config_file, text)?;
        self.memory.borrow_mut().leader = Some(leader.to_owned());
        tracing::info!(
            "configured {} with leader {leader}",
            self.config_file.display()
        );
        Ok(())
    }

    /// Stands in for work that can outlast the leadership guarantee.
    fn slow_work(&self) {
        tracing::debug!("doing slow reconfiguration work");
    }
}
