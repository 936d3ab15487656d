//! [`Deployment`]: several units of one application, each running its own
//! charm instance, over one simulated Juju model.
//!
//! A [`Context`] runs one unit at a time against a [`State`], which can
//! only describe what one unit sees. A Deployment keeps what Juju shares
//! between the units in one [`ModelStore`] — the peer relations and their
//! application databag, each unit's peer databag, the application's
//! secrets with the revision each unit tracks, the application status,
//! config and the leader — and gives each unit a Context of its own (its
//! charm instance, its records, its deferred events and stored state).
//!
//! To run an event on a unit, the Deployment projects the store into that
//! unit's State ([`ModelStore::into_state`]), runs the unit's Context on it,
//! and writes what the unit changed back into the store. A change other
//! units can see queues the event Juju would send them
//! (`relation-changed` for a databag, `leader-elected` for a new leader,
//! `relation-departed` for a unit that left, …). Every operation delivers
//! queued events until none is left: the model has settled.
//!
//! ```
//! use ops::{on, Charm, Framework, HandlerResult, LeaderElectedEvent, Model, RelationChangedEvent};
//! use ops_testing::{Context, Deployment};
//!
//! struct Peer { model: Model }
//! impl Charm for Peer {
//!     fn new(framework: &mut Framework<Self>) -> Self {
//!         framework.observe(on::leader_elected(), Self::on_leader_elected);
//!         framework.observe(on::relation_changed("peers"), Self::on_changed);
//!         Peer { model: framework.model().clone() }
//!     }
//! }
//! impl Peer {
//!     fn on_leader_elected(&mut self, _: &mut LeaderElectedEvent) -> HandlerResult {
//!         let me = self.model.unit().name().to_owned();
//!         if let Some(peers) = self.model.get_relation("peers")? {
//!             peers.data(self.model.app()).set("leader", &me)?;
//!         }
//!         Ok(())
//!     }
//!     fn on_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
//!         if let Some(leader) = event.relation.data(self.model.app()).get("leader")? {
//!             self.model.unit().set_status(ops::ActiveStatus::new(format!("led by {leader}")))?;
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let meta = ops::CharmMeta::from_yaml("name: app\npeers: {peers: {interface: p}}").unwrap();
//! let mut deployment = Deployment::new(move |_unit| Context::<Peer>::new(meta.clone()))
//!     .deploy(3)
//!     .unwrap();
//! assert_eq!(deployment.leader(), Some(0));
//! deployment.remove_unit(0).unwrap();
//! let leader = deployment.leader().unwrap();
//! for unit in deployment.units() {
//!     if unit != leader {
//!         let status = deployment.state(unit).unwrap().unit_status;
//!         assert_eq!(status, ops::ActiveStatus::new(format!("led by app/{leader}")));
//!     }
//! }
//! ```

mod order;

pub use order::{DeliveryOrder, Explorer};

use crate::juju::{
    Actor, ModelStore, RelationKind, SecretContent, SecretOwnerRef, SecretRevision, UnitExtras,
};
use crate::state::{AnyRelation, DeferredEvent, Model, State, StoredState};
use crate::{Context, Error, Lease};
use ops::{Charm, RelationId};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

/// How many deliveries an operation may make before the Deployment gives
/// up on the model settling (change it with [`Deployment::max_steps`]).
pub const DEFAULT_MAX_STEPS: usize = 1000;

/// Why a [`Deployment`] operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    /// A unit's hook failed (an error returned, a panic, or an inconsistent
    /// State): Juju would leave the unit in error and retry the hook.
    #[error(
        "unit {unit} failed its {event} hook: {source}; fix the charm (or the deployment's input), as Juju would retry this hook until it succeeds"
    )]
    Hook {
        /// The unit, `app/N`.
        unit: String,
        /// The hook, as Juju names it.
        event: String,
        /// What the unit's Context reported.
        #[source]
        source: Box<Error>,
    },
    /// The units kept changing what the others see, so events never
    /// stopped.
    #[error(
        "the deployment did not settle after {steps} deliveries (still queued: {pending}); a handler probably writes a new value every time it runs (a counter, a timestamp): write only what changed, or raise the bound with Deployment::max_steps"
    )]
    NeverSettles {
        /// Deliveries made.
        steps: usize,
        /// The events still queued, per unit.
        pending: String,
    },
    /// The operation named a unit the deployment does not have.
    #[error(
        "the deployment has no running unit {unit} (units: {units:?}); name a unit that was added and not removed"
    )]
    NoSuchUnit {
        /// The unit number asked for.
        unit: u32,
        /// The units there are.
        units: Vec<u32>,
    },
    /// [`Deployment::set_secret_content`] named a secret the model does not
    /// have.
    #[error(
        "the deployment has no secret {id}; give it in the State passed to Deployment::with_state, or use an id a unit created"
    )]
    NoSuchSecret {
        /// The secret id asked for.
        id: String,
    },
    /// [`Deployment::set_secret_content`] named a secret this application
    /// owns, whose content only its leader changes.
    #[error(
        "secret {id} is owned by the deployment's own application, so only its leader changes it; run a hook on the leader instead (set_config, elect, ...)"
    )]
    OwnSecret {
        /// The secret id.
        id: String,
    },
    /// [`every_order`] found more orders than its limit allows.
    #[error(
        "there are more than {limit} delivery orders; raise the limit given to every_order, or use sample_orders for a seeded random sample"
    )]
    TooManyOrders {
        /// The limit.
        limit: usize,
    },
    /// A scenario failed in one of the orders [`every_order`] or
    /// [`sample_orders`] tried.
    #[error("in delivery order {order}: {source}")]
    InOrder {
        /// The order: the choices made (explored) or the seed (sampled).
        order: String,
        /// The failure.
        #[source]
        source: Box<DeploymentError>,
    },
}

/// One delivered event, in a [`Deployment::trace`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The unit that ran it, `app/N`.
    pub unit: String,
    /// The hook, as Juju names it (`replicas-relation-changed`).
    pub hook: String,
    /// The unit the event is about (remote or departing unit), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
}

impl std::fmt::Display for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.unit, self.hook)?;
        if let Some(about) = &self.about {
            write!(f, " ({about})")?;
        }
        Ok(())
    }
}

/// An event queued for a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Queued {
    Install,
    Start,
    Stop,
    Remove,
    ConfigChanged,
    LeaderElected,
    Created(RelationId),
    Joined(RelationId, u32),
    /// About a unit's databag, or (`None`) the application's.
    Changed(RelationId, Option<u32>),
    Departed(RelationId, u32),
    Broken(RelationId),
    SecretChanged(String),
}

/// What a unit keeps apart from the shared model.
struct Member<C: Charm> {
    ctx: Context<C>,
    running: bool,
    deferred: Vec<DeferredEvent>,
    stored_states: Vec<StoredState>,
    queue: VecDeque<(u64, Queued)>,
    /// A lease to end during the unit's next hook.
    lease: Option<Lease>,
}

type ContextFactory<C> = Box<dyn Fn(u32) -> Context<C>>;

/// N units of one application, each with its own charm instance and
/// [`Context`] records, sharing what Juju shares. See the
/// [module documentation](self).
pub struct Deployment<C: Charm> {
    app: String,
    store: ModelStore,
    template: State,
    members: BTreeMap<u32, Member<C>>,
    removed: BTreeMap<u32, Context<C>>,
    next_unit: u32,
    order: DeliveryOrder,
    max_steps: usize,
    trace: Vec<Delivery>,
    sequence: u64,
    factory: ContextFactory<C>,
}

impl<C: Charm> std::fmt::Debug for Deployment<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deployment")
            .field("app", &self.app)
            .field("units", &self.units())
            .field("leader", &self.leader())
            .finish_non_exhaustive()
    }
}

impl<C: Charm> Deployment<C> {
    /// A deployment with no units yet, whose unit `N` runs in the Context
    /// `factory(N)` returns (the Deployment sets its application name and
    /// unit number). Add units with [`Deployment::deploy`].
    pub fn new(factory: impl Fn(u32) -> Context<C> + 'static) -> Self {
        let probe = factory(0);
        let app = probe.meta().name.clone();
        Deployment {
            app,
            store: ModelStore::default(),
            template: State::default(),
            members: BTreeMap::new(),
            removed: BTreeMap::new(),
            next_unit: 0,
            order: DeliveryOrder::default(),
            max_steps: DEFAULT_MAX_STEPS,
            trace: Vec::new(),
            sequence: 0,
            factory: Box::new(factory),
        }
    }

    /// The model the units start from, as one unit's State would give it:
    /// config, relations (a peer relation for each peer endpoint of the
    /// metadata is added if missing), the application's secrets, the
    /// model, networks. Its leadership, statuses, deferred events and
    /// stored state are not used. Call before [`Deployment::deploy`].
    pub fn with_state(mut self, state: State) -> Self {
        self.template = state;
        self
    }

    /// The application's name (the charm's name).
    pub fn app(&self) -> &str {
        &self.app
    }

    /// How operations pick the next event to deliver (default
    /// [`DeliveryOrder::Oldest`]).
    pub fn set_order(&mut self, order: DeliveryOrder) {
        self.order = order;
    }

    /// The most deliveries one operation may make before it fails with
    /// [`DeploymentError::NeverSettles`] (default [`DEFAULT_MAX_STEPS`]).
    pub fn max_steps(mut self, steps: usize) -> Self {
        self.max_steps = steps;
        self
    }

    /// Deploys `units` units (0, 1, …; unit 0 leads) and lets the model
    /// settle: each unit runs `install`, `<peer>-relation-created`, (the
    /// leader) `leader-elected`, `config-changed` and `start`, then
    /// `-relation-joined` and `-relation-changed` for each other unit.
    pub fn deploy(mut self, units: u32) -> Result<Self, DeploymentError> {
        let (store, _) = ModelStore::from_state(self.template.clone(), &self.actor(0));
        self.store = store;
        self.store.applications.clear();
        let uuid = self.template.model.uuid.clone();
        self.store.model_uuid = uuid;
        let existing: Vec<String> = self
            .store
            .relations
            .iter()
            .filter_map(|r| r.sides.first().and_then(|s| s.endpoint.clone()))
            .collect();
        let peers: Vec<String> = self
            .members_meta()
            .peers
            .keys()
            .filter(|endpoint| !existing.contains(endpoint))
            .cloned()
            .collect();
        for endpoint in peers {
            let relation = crate::PeerRelation::new(endpoint);
            self.store.relations.push(crate::juju::relation_record(
                relation.into(),
                &self.actor(0),
            ));
        }
        // The template's unit 0 data belongs to no unit yet.
        let mut relations = self.store.relations.take_all();
        for relation in &mut relations {
            if let Some(side) = relation.sides.iter_mut().find(|s| s.app == self.app) {
                side.units.clear();
            }
        }
        self.store.relations = relations.into();
        // The template's tracking of a secret (as unit 0) becomes each
        // unit's for a secret granted to the application; the application's
        // own secrets are tracked once each unit reads them.
        let prototypes: Vec<_> = self
            .store
            .secrets
            .iter_mut()
            .map(|secret| {
                let prototype = secret.consumers.pop().filter(|_| secret.owner.is_none());
                secret.consumers.clear();
                prototype
            })
            .collect();
        for n in 0..units {
            self.join(n);
            let unit = self.actor(n).unit_name().clone();
            for (secret, prototype) in self.store.secrets.iter_mut().zip(&prototypes) {
                if let Some(prototype) = prototype {
                    secret.consumers.push(crate::juju::SecretConsumer {
                        unit: unit.clone(),
                        ..prototype.clone()
                    });
                }
            }
        }
        if units > 0 {
            self.store.set_leader(&self.app, Some(0));
        }
        for n in 0..units {
            let mut first = vec![Queued::Install];
            first.extend(self.peer_ids().into_iter().map(Queued::Created));
            if n == 0 {
                first.push(Queued::LeaderElected);
            }
            first.extend([Queued::ConfigChanged, Queued::Start]);
            for event in first {
                self.queue(n, event);
            }
        }
        for n in 0..units {
            for m in 0..units {
                if n != m {
                    for id in self.peer_ids() {
                        self.queue(n, Queued::Joined(id, m));
                        self.queue(n, Queued::Changed(id, Some(m)));
                    }
                }
            }
        }
        self.settle()?;
        Ok(self)
    }

    fn members_meta(&self) -> std::sync::Arc<ops::CharmMeta> {
        std::sync::Arc::new(
            self.members
                .values()
                .next()
                .map(|m| m.ctx.meta().clone())
                .unwrap_or_else(|| (self.factory)(0).meta().clone()),
        )
    }

    /// Adds unit `n` to the model, its Context and its peer relations.
    fn join(&mut self, n: u32) {
        self.store.add_unit(&self.app, n);
        for id in self.peer_ids() {
            // The relation is there: peer_ids found it.
            let _ = self.store.join_relation(id, &self.app, n);
        }
        let ctx = (self.factory)(n).app_name(self.app.clone()).unit_id(n);
        self.members.insert(
            n,
            Member {
                ctx,
                running: true,
                deferred: Vec::new(),
                stored_states: Vec::new(),
                queue: VecDeque::new(),
                lease: None,
            },
        );
        self.next_unit = self.next_unit.max(n + 1);
    }

    fn actor(&self, n: u32) -> Actor {
        Actor::new(&self.app, n)
    }

    fn peer_ids(&self) -> Vec<RelationId> {
        self.store
            .relations
            .iter()
            .filter(|r| r.kind == RelationKind::Peer && r.side_index(&self.app).is_some())
            .map(|r| r.id)
            .collect()
    }

    /// The units other than `n` joined to relation `id`.
    fn others_in(&self, id: RelationId, n: u32) -> Vec<u32> {
        self.store
            .relations
            .get(id)
            .and_then(|r| r.side_index(&self.app).map(|i| &r.sides[i]))
            .map(|side| side.units.keys().copied().filter(|&m| m != n).collect())
            .unwrap_or_default()
    }

    /// Queues `event` for unit `n`, unless the same event is queued for it
    /// already (Juju coalesces them).
    fn queue(&mut self, n: u32, event: Queued) {
        self.sequence += 1;
        let sequence = self.sequence;
        if let Some(member) = self.members.get_mut(&n)
            && !member.queue.iter().any(|(_, queued)| *queued == event)
        {
            member.queue.push_back((sequence, event));
        }
    }

    /// The units, running or stopped, in order.
    pub fn units(&self) -> Vec<u32> {
        self.members.keys().copied().collect()
    }

    /// The leader's unit number, if the application has a leader.
    pub fn leader(&self) -> Option<u32> {
        self.store
            .applications
            .get(self.app.as_str())
            .and_then(|app| app.leader)
    }

    /// The shared model.
    pub fn store(&self) -> &ModelStore {
        &self.store
    }

    /// Every event delivered so far, in order.
    pub fn trace(&self) -> &[Delivery] {
        &self.trace
    }

    /// Unit `n`'s Context, with the records of its runs; a removed unit's
    /// too.
    pub fn context(&self, n: u32) -> Option<&Context<C>> {
        self.members
            .get(&n)
            .map(|m| &m.ctx)
            .or_else(|| self.removed.get(&n))
    }

    /// Unit `n`'s Context, to change its settings (a [`crate::Lease`] for
    /// its next runs, …).
    pub fn context_mut(&mut self, n: u32) -> Option<&mut Context<C>> {
        self.members.get_mut(&n).map(|m| &mut m.ctx)
    }

    /// Ends unit `n`'s leadership during the next hook it runs, at the
    /// point `lease` says, as Juju may once the 30 seconds after an
    /// `is-leader` check have passed. Juju then elects another unit, which
    /// runs `leader-elected`. Takes effect with the next operation.
    pub fn lease(&mut self, n: u32, lease: Lease) -> Result<(), DeploymentError> {
        match self.members.get_mut(&n) {
            Some(member) => {
                member.lease = Some(lease);
                Ok(())
            }
            None => Err(self.no_such_unit(n)),
        }
    }

    /// What unit `n` sees now, as its State.
    pub fn state(&self, n: u32) -> Result<State, DeploymentError> {
        let member = self.member(n)?;
        let extras = UnitExtras {
            networks: self.template.networks.clone(),
            planned_units: u32::try_from(self.members.len()).unwrap_or(u32::MAX),
            model: Model {
                uuid: String::new(),
                ..self.template.model.clone()
            },
            deferred: member.deferred.clone(),
            stored_states: member.stored_states.clone(),
            // Every unit is given the template's storage and resources.
            storages: self.template.storages.clone(),
            resources: self.template.resources.clone(),
        };
        Ok(self.store.clone().into_state(&self.actor(n), extras))
    }

    fn member(&self, n: u32) -> Result<&Member<C>, DeploymentError> {
        self.members.get(&n).ok_or_else(|| self.no_such_unit(n))
    }

    fn no_such_unit(&self, unit: u32) -> DeploymentError {
        DeploymentError::NoSuchUnit {
            unit,
            units: self.units(),
        }
    }

    fn running(&self, n: u32) -> Result<(), DeploymentError> {
        match self.members.get(&n) {
            Some(member) if member.running => Ok(()),
            _ => Err(self.no_such_unit(n)),
        }
    }

    /// Makes unit `n` the leader: the old leader loses leadership (it is
    /// told nothing, as under Juju) and `n` runs `leader-elected`; then the
    /// model settles.
    pub fn elect(&mut self, n: u32) -> Result<(), DeploymentError> {
        self.running(n)?;
        if self.leader() != Some(n) {
            self.store.set_leader(&self.app, Some(n));
            self.queue(n, Queued::LeaderElected);
        }
        self.settle()
    }

    /// Removes unit `n` (its machine, for machine charms): the unit runs
    /// `-relation-departed` for each peer, `-relation-broken`, `stop` and
    /// `remove`; the other units run `-relation-departed` for it; if it
    /// led, Juju elects another unit, which runs `leader-elected`. Then
    /// the model settles.
    pub fn remove_unit(&mut self, n: u32) -> Result<(), DeploymentError> {
        self.running(n)?;
        let steps_before = self.trace.len();
        for id in self.peer_ids() {
            for m in self.others_in(id, n) {
                self.queue(n, Queued::Departed(id, m));
            }
            self.queue(n, Queued::Broken(id));
        }
        self.queue(n, Queued::Stop);
        self.queue(n, Queued::Remove);
        // The dying unit's hooks run before it leaves the model.
        while let Some((_, event)) = self.members.get_mut(&n).and_then(|m| m.queue.pop_front()) {
            self.deliver(n, event)?;
            let steps = self.trace.len() - steps_before;
            if steps > self.max_steps {
                return Err(self.never_settles(steps));
            }
        }
        let was_leader = self.leader() == Some(n);
        let peers = self.peer_ids();
        self.leave(n);
        for id in peers {
            for m in self.others_in(id, n) {
                self.queue(m, Queued::Departed(id, n));
            }
        }
        if was_leader {
            self.store.set_leader(&self.app, None);
            self.elect_someone();
        }
        self.settle()
    }

    /// Stops unit `n`'s agent (`juju_stop_unit` in a Kubernetes charm's
    /// container): it runs no hooks, and its events wait until
    /// [`Deployment::resume_unit`]; if it led, Juju elects another running
    /// unit, which runs `leader-elected`. Then the model settles.
    pub fn stop_unit(&mut self, n: u32) -> Result<(), DeploymentError> {
        self.running(n)?;
        if let Some(member) = self.members.get_mut(&n) {
            member.running = false;
        }
        if self.leader() == Some(n) {
            self.store.set_leader(&self.app, None);
            self.elect_someone();
        }
        self.settle()
    }

    /// Starts a stopped unit's agent again: it runs the events that waited
    /// for it, then the model settles.
    pub fn resume_unit(&mut self, n: u32) -> Result<(), DeploymentError> {
        match self.members.get_mut(&n) {
            Some(member) => member.running = true,
            None => return Err(self.no_such_unit(n)),
        }
        if self.leader().is_none() {
            self.elect_someone();
        }
        self.settle()
    }

    /// Adds a unit (the next number): it runs `install`,
    /// `-relation-created`, `config-changed`, `start`, then
    /// `-relation-joined` and `-relation-changed` for each other unit,
    /// which run the same for it. Returns its number once the model has
    /// settled.
    pub fn add_unit(&mut self) -> Result<u32, DeploymentError> {
        let n = self.next_unit;
        self.join(n);
        let mut first = vec![Queued::Install];
        first.extend(self.peer_ids().into_iter().map(Queued::Created));
        first.extend([Queued::ConfigChanged, Queued::Start]);
        for event in first {
            self.queue(n, event);
        }
        for id in self.peer_ids() {
            for m in self.others_in(id, n) {
                self.queue(n, Queued::Joined(id, m));
                self.queue(n, Queued::Changed(id, Some(m)));
                self.queue(m, Queued::Joined(id, n));
                self.queue(m, Queued::Changed(id, Some(n)));
            }
        }
        if self.leader().is_none() {
            self.elect_someone();
        }
        self.settle()?;
        Ok(n)
    }

    /// `juju config`: sets these options (JSON values as `State::config`
    /// holds them); every unit runs `config-changed`, then the model
    /// settles.
    pub fn set_config(
        &mut self,
        values: impl IntoIterator<Item = (String, Value)>,
    ) -> Result<(), DeploymentError> {
        self.store
            .config
            .entry(self.app.as_str().into())
            .or_default()
            .extend(values);
        for n in self.units() {
            self.queue(n, Queued::ConfigChanged);
        }
        self.settle()
    }

    /// The application that owns secret `id` (another application, or a
    /// secret given in the template State without an owner) publishes a
    /// new revision with `content`: every unit that tracks an earlier
    /// revision runs `secret-changed`, then the model settles. A secret
    /// this application owns is changed by its leader, not by this.
    pub fn set_secret_content(
        &mut self,
        id: &str,
        content: ops::StringMap,
    ) -> Result<(), DeploymentError> {
        let app = self.app.clone();
        let Some(record) = self.store.secrets.iter_mut().find(|r| r.id == id) else {
            return Err(DeploymentError::NoSuchSecret { id: id.to_owned() });
        };
        let owned_here = match &record.owner {
            Some(SecretOwnerRef::Application(owner)) => **owner == *app,
            Some(SecretOwnerRef::Unit(unit)) => {
                Actor::from_unit_name(unit).is_some_and(|actor| actor.app() == app)
            }
            None => false,
        };
        if owned_here {
            return Err(DeploymentError::OwnSecret { id: id.to_owned() });
        }
        let revision = record.latest.revision.saturating_add(1);
        let next = SecretRevision {
            revision,
            content: SecretContent(content),
        };
        let previous = std::mem::replace(&mut record.latest, next);
        record.earlier.push(previous);
        let behind: Vec<u32> = record
            .consumers
            .iter()
            .filter(|c| c.revision < revision)
            .filter_map(|c| Actor::from_unit_name(&c.unit))
            .filter(|actor| actor.app() == app)
            .map(|actor| actor.unit_id())
            .collect();
        for n in behind {
            self.queue(n, Queued::SecretChanged(id.to_owned()));
        }
        self.settle()
    }

    /// Juju elects one of the running units (which one is the order's
    /// choice), which will run `leader-elected`.
    fn elect_someone(&mut self) {
        let candidates: Vec<u32> = self
            .members
            .iter()
            .filter(|(_, m)| m.running)
            .map(|(n, _)| *n)
            .collect();
        if candidates.is_empty() {
            return;
        }
        let ages: Vec<u64> = candidates.iter().map(|n| u64::from(*n)).collect();
        let chosen = candidates[self.order.choose(&ages)];
        self.store.set_leader(&self.app, Some(chosen));
        self.queue(chosen, Queued::LeaderElected);
    }

    /// Takes unit `n` out of the model (its Context is kept for its records).
    fn leave(&mut self, n: u32) {
        let unit = self.actor(n).unit_name().clone();
        if let Some(app) = self.store.applications.get_mut(self.app.as_str()) {
            app.units.remove(&n);
        }
        let mut relations = self.store.relations.take_all();
        for relation in &mut relations {
            for side in relation.sides.iter_mut().filter(|s| s.app == self.app) {
                side.units.remove(&n);
            }
        }
        self.store.relations = relations.into();
        for secret in &mut self.store.secrets {
            secret.consumers.retain(|c| c.unit != unit);
        }
        self.store.statuses.units.remove(&unit);
        self.store.statuses.workload_versions.remove(&unit);
        self.store.ports.remove(&unit);
        self.store.unit_state.remove(&unit);
        if let Some(member) = self.members.remove(&n) {
            self.removed.insert(n, member.ctx);
        }
    }

    /// Delivers queued events until none is left for a running unit.
    pub fn settle(&mut self) -> Result<(), DeploymentError> {
        let mut steps = 0;
        loop {
            let ready: Vec<(u32, u64)> = self
                .members
                .iter()
                .filter(|(_, m)| m.running)
                .filter_map(|(n, m)| m.queue.front().map(|(age, _)| (*n, *age)))
                .collect();
            if ready.is_empty() {
                return Ok(());
            }
            if steps >= self.max_steps {
                return Err(self.never_settles(steps));
            }
            let ages: Vec<u64> = ready.iter().map(|(_, age)| *age).collect();
            let n = ready[self.order.choose(&ages)].0;
            let Some((_, event)) = self.members.get_mut(&n).and_then(|m| m.queue.pop_front())
            else {
                continue;
            };
            self.deliver(n, event)?;
            steps += 1;
        }
    }

    fn never_settles(&self, steps: usize) -> DeploymentError {
        let pending = self
            .members
            .iter()
            .filter(|(_, m)| !m.queue.is_empty())
            .map(|(n, m)| {
                let events: Vec<String> = m.queue.iter().map(|(_, e)| format!("{e:?}")).collect();
                format!("{}/{n}: {}", self.app, events.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ");
        DeploymentError::NeverSettles { steps, pending }
    }

    /// Runs `event` on unit `n` and writes what it changed into the model.
    fn deliver(&mut self, n: u32, event: Queued) -> Result<(), DeploymentError> {
        let before = self.state(n)?;
        let app = self.app.clone();
        let Some(member) = self.members.get_mut(&n) else {
            return Err(self.no_such_unit(n));
        };
        let on = &member.ctx.on;
        let relation = |id: RelationId| before.get_relation(id).cloned();
        let unit_name = |m: u32| format!("{app}/{m}");
        let (built, about) = match &event {
            Queued::Install => (Some(on.install()), None),
            Queued::Start => (Some(on.start()), None),
            Queued::Stop => (Some(on.stop()), None),
            Queued::Remove => (Some(on.remove()), None),
            Queued::ConfigChanged => (Some(on.config_changed()), None),
            Queued::LeaderElected => (Some(on.leader_elected()), None),
            Queued::Created(id) => (relation(*id).map(|r| on.relation_created(r)), None),
            Queued::Joined(id, m) => (
                relation(*id).map(|r| on.relation_joined(r).remote_unit(*m)),
                Some(unit_name(*m)),
            ),
            Queued::Changed(id, about) => {
                let remote = about.or(self_leader(&self.store, &app)).filter(|m| *m != n);
                let built = relation(*id).map(|r| {
                    let event = on.relation_changed(r);
                    match remote {
                        Some(m) => event.remote_unit(m),
                        None => event,
                    }
                });
                (built, about.map(unit_name))
            }
            Queued::Departed(id, m) => (
                relation(*id).map(|r| on.relation_departed(r).remote_unit(*m).departing_unit(*m)),
                Some(unit_name(*m)),
            ),
            Queued::Broken(id) => (relation(*id).map(|r| on.relation_broken(r)), None),
            Queued::SecretChanged(id) => {
                (before.get_secret(id).map(|s| on.secret_changed(s)), None)
            }
        };
        // An event about a relation that has gone is not delivered.
        let Some(built) = built else {
            return Ok(());
        };
        let hook = built.juju_name();
        self.trace.push(Delivery {
            unit: unit_name(n),
            hook: hook.clone(),
            about,
        });
        let lease = member.lease.take();
        if lease.is_some() {
            member.ctx.set_lease(lease);
        }
        let result = member.ctx.run(built, &before);
        if lease.is_some() {
            member.ctx.set_lease(None);
        }
        let out = result.map_err(|source| DeploymentError::Hook {
            unit: unit_name(n),
            event: hook,
            source: Box::new(source),
        })?;
        self.absorb(n, before, out);
        Ok(())
    }

    /// Writes what unit `n` changed (from `before` to `out`) into the
    /// shared model, and queues what the other units will hear of it.
    fn absorb(&mut self, n: u32, before: State, out: State) {
        let actor = self.actor(n);
        let unit = actor.unit_name().clone();
        if let Some(member) = self.members.get_mut(&n) {
            member.deferred = out.deferred.clone();
            member.stored_states = out.stored_states.clone();
        }
        // Relations: the unit's own databag, and the application's.
        let mut changes = Vec::new();
        for relation in &out.relations {
            let id = relation.id();
            let Some(old) = before.get_relation(id) else {
                continue;
            };
            let (old_app, old_unit) = local_bags(old);
            let (new_app, new_unit) = local_bags(relation);
            let Some(record) = self.store.relations.get_mut(id) else {
                continue;
            };
            let is_peer = record.kind == RelationKind::Peer;
            let Some(side) = record.sides.iter_mut().find(|s| s.app == self.app) else {
                continue;
            };
            if new_app != old_app {
                side.app_data = new_app.clone();
                if is_peer {
                    changes.push((id, None));
                }
            }
            if new_unit != old_unit {
                side.units.insert(n, new_unit.clone());
                if is_peer {
                    changes.push((id, Some(n)));
                }
            }
        }
        for (id, about) in changes {
            for m in self.others_in(id, n) {
                self.queue(m, Queued::Changed(id, about.or(Some(n))));
            }
        }
        self.absorb_secrets(&actor, &before, &out);
        // Statuses, workload version, ports.
        if out.unit_status != before.unit_status {
            self.store
                .statuses
                .units
                .insert(unit.clone(), out.unit_status.clone());
        }
        if out.app_status != before.app_status {
            self.store
                .statuses
                .apps
                .insert(self.app.as_str().into(), out.app_status.clone());
        }
        if out.workload_version != before.workload_version {
            self.store
                .statuses
                .workload_versions
                .insert(unit.clone(), out.workload_version.clone());
        }
        if out.opened_ports != before.opened_ports {
            self.store.ports.insert(unit, out.opened_ports.clone());
        }
        // A lease that ended in the hook: Juju elects another unit.
        if before.leader && !out.leader && self.leader() == Some(n) {
            self.store.set_leader(&self.app, None);
            self.elect_someone_but(n);
        }
    }

    fn elect_someone_but(&mut self, n: u32) {
        if let Some(member) = self.members.get_mut(&n) {
            member.running = false;
            self.elect_someone();
        }
        if let Some(member) = self.members.get_mut(&n) {
            member.running = true;
        }
    }

    fn absorb_secrets(&mut self, actor: &Actor, before: &State, out: &State) {
        for secret in &out.secrets {
            let Some(record) = self.store.secrets.iter_mut().find(|r| r.id == secret.id) else {
                self.store
                    .secrets
                    .push(crate::juju::secret_record(secret.clone(), actor));
                continue;
            };
            let owned = record.owned_by(actor);
            if secret.latest_revision != record.latest.revision {
                let next = SecretRevision {
                    revision: secret.latest_revision,
                    content: SecretContent(secret.latest_content.clone().into_inner()),
                };
                let previous = std::mem::replace(&mut record.latest, next);
                record.earlier.push(previous);
            }
            if owned {
                record.owner_label.clone_from(&secret.label);
                record.description.clone_from(&secret.description);
                record.expire.clone_from(&secret.expire);
                record.rotate = secret.rotate;
                record.grants.clone_from(&secret.remote_grants);
            }
            let tracked = secret.tracked_revision;
            if tracked != record.latest.revision && record.revision_content(tracked).is_none() {
                record.earlier.push(SecretRevision {
                    revision: tracked,
                    content: SecretContent(secret.tracked_content.clone().into_inner()),
                });
            }
            let consumer = match record.consumers.iter().position(|c| c.unit == actor.unit()) {
                Some(position) => &mut record.consumers[position],
                None => {
                    record.consumers.push(crate::juju::SecretConsumer::at(
                        actor.unit_name().clone(),
                        tracked,
                    ));
                    let last = record.consumers.len() - 1;
                    &mut record.consumers[last]
                }
            };
            consumer.revision = tracked;
            consumer.content = None;
            if !owned {
                consumer.label.clone_from(&secret.label);
            }
        }
        // Secrets the unit removed (an owner's `secret-remove`).
        let gone: Vec<String> = before
            .secrets
            .iter()
            .filter(|s| out.get_secret(&s.id).is_none())
            .map(|s| s.id.clone())
            .collect();
        self.store
            .secrets
            .retain(|r| !(gone.contains(&r.id) && r.owned_by(actor)));
    }
}

fn self_leader(store: &ModelStore, app: &str) -> Option<u32> {
    store.applications.get(app).and_then(|a| a.leader)
}

/// A relation's local application and unit databags.
fn local_bags(relation: &AnyRelation) -> (crate::Databag, crate::Databag) {
    match relation {
        AnyRelation::Regular(r) => (r.local_app_data.clone(), r.local_unit_data.clone()),
        AnyRelation::Peer(r) => (r.local_app_data.clone(), r.local_unit_data.clone()),
        AnyRelation::Subordinate(r) => (r.local_app_data.clone(), r.local_unit_data.clone()),
    }
}

/// Runs `scenario` once for every order in which a Deployment could
/// deliver its events (and elect its leaders), depth first: each run gets
/// a [`DeliveryOrder::Explore`] to give to [`Deployment::set_order`], and
/// the next run takes the next path. Returns how many orders were run.
///
/// Orders multiply quickly; `limit` bounds them, and more gives
/// [`DeploymentError::TooManyOrders`]. A failure names the order it
/// happened in. Set the order after the set-up the scenario does not
/// mean to explore (such as [`Deployment::deploy`]).
pub fn every_order(
    limit: usize,
    mut scenario: impl FnMut(DeliveryOrder) -> Result<(), DeploymentError>,
) -> Result<usize, DeploymentError> {
    let explorer = Explorer::default();
    let mut runs = 0;
    loop {
        if runs >= limit {
            return Err(DeploymentError::TooManyOrders { limit });
        }
        runs += 1;
        scenario(DeliveryOrder::Explore(explorer.clone())).map_err(|source| {
            DeploymentError::InOrder {
                order: format!("{:?} (choices at each branch)", explorer.choices()),
                source: Box::new(source),
            }
        })?;
        if !explorer.advance() {
            return Ok(runs);
        }
    }
}

/// Runs `scenario` `count` times, with [`DeliveryOrder::Seeded`] orders
/// from `seed`, `seed + 1`, …: a reproducible random sample of the orders
/// when there are too many to run them all.
pub fn sample_orders(
    seed: u64,
    count: u32,
    mut scenario: impl FnMut(DeliveryOrder) -> Result<(), DeploymentError>,
) -> Result<(), DeploymentError> {
    for i in 0..count {
        let seed = seed.wrapping_add(u64::from(i));
        scenario(DeliveryOrder::Seeded(seed)).map_err(|source| DeploymentError::InOrder {
            order: format!("seed {seed}"),
            source: Box::new(source),
        })?;
    }
    Ok(())
}
