//! `State::from_context`: a State filled in from what the charm declares,
//! ops.testing's `State.from_context(ctx, ...)`.

use crate::Context;
use crate::state::{
    AnyRelation, Container, PeerRelation, Relation, State, Storage, StoredState,
    SubordinateRelation,
};
use ops::Charm;
use ops::internal::charm_handle;
use ops::meta::RelationRole;

impl State {
    /// A State with everything the charm's metadata declares, each in its
    /// default form: every config option's default in
    /// [`State::config`], one relation per declared endpoint (a
    /// [`PeerRelation`] for `peers`, a [`SubordinateRelation`] for a
    /// `scope: container` endpoint, a [`Relation`] otherwise, each with the
    /// declared interface), and an empty [`StoredState`] for each stored
    /// state the charm registers when it is built (the charm is built once,
    /// over an empty State, to find them).
    ///
    /// Every declared container not in the State is added, connectable
    /// (`Container::new(name).can_connect(true)`), and one instance of every
    /// declared storage the State has no instance of
    /// (`Storage::new(name)`, taking the next storage index).
    ///
    /// ```
    /// use ops::{Charm, Framework};
    /// use ops_testing::{Context, State};
    /// # struct MyCharm;
    /// # impl Charm for MyCharm { fn new(_: &mut Framework<Self>) -> Self { MyCharm } }
    /// let ctx = Context::<MyCharm>::from_yaml(
    ///     "name: web\nrequires: {db: {interface: pgsql}}\nconfig: {options: {port: {type: int, default: 80}}}\n",
    /// ).unwrap();
    /// let state = State::from_context(&ctx);
    /// assert_eq!(state.config["port"], 80);
    /// assert_eq!(state.get_relations("db").len(), 1);
    /// ```
    pub fn from_context<C: Charm>(ctx: &Context<C>) -> State {
        State::from_context_with(ctx, State::default())
    }

    /// [`State::from_context`] on top of `given`: what `given` holds wins
    /// and everything else of it is kept (`leader`, secrets, relations on
    /// endpoints the metadata does not declare, …). A config option set in
    /// `given` keeps its value; a declared endpoint that already has a
    /// relation in `given` gets no other; a stored state `given` has (same
    /// name and owner) is not replaced; a declared storage with any
    /// instance in `given` gets no other (and no index is taken).
    ///
    /// ```
    /// use ops::{Charm, Framework};
    /// use ops_testing::{Context, Relation, State};
    /// # struct MyCharm;
    /// # impl Charm for MyCharm { fn new(_: &mut Framework<Self>) -> Self { MyCharm } }
    /// let ctx = Context::<MyCharm>::from_yaml("name: web\nrequires: {db: {interface: pgsql}}\n").unwrap();
    /// let db = Relation { remote_app_data: [("host", "db.local")].into(), ..Relation::new("db") };
    /// let state = State::from_context_with(&ctx, State {
    ///     leader: true,
    ///     relations: vec![db.clone().into()],
    ///     ..State::default()
    /// });
    /// assert!(state.leader);
    /// assert_eq!(state.relations, [db.into()]);
    /// ```
    pub fn from_context_with<C: Charm>(ctx: &Context<C>, given: State) -> State {
        let meta = ctx.meta();
        let mut state = given;
        for (name, option) in &meta.config.options {
            if let Some(default) = &option.default
                && !state.config.contains_key(name)
            {
                state.config.insert(name.clone(), default.clone());
            }
        }
        for (endpoint, role, relation_meta) in meta.endpoints() {
            if state.relations.iter().any(|r| r.endpoint() == endpoint) {
                continue;
            }
            let interface = Some(relation_meta.interface.clone());
            let relation: AnyRelation = if role == RelationRole::Peer {
                PeerRelation {
                    interface,
                    ..PeerRelation::new(endpoint)
                }
                .into()
            } else if relation_meta.is_container_scoped() {
                SubordinateRelation {
                    interface,
                    ..SubordinateRelation::new(endpoint)
                }
                .into()
            } else {
                Relation {
                    interface,
                    ..Relation::new(endpoint)
                }
                .into()
            };
            state.relations.push(relation);
        }
        for name in meta.containers.keys() {
            if state.get_container(name).is_none() {
                state
                    .containers
                    .push(Container::new(name.clone()).can_connect(true));
            }
        }
        for name in meta.storage.keys() {
            if !state.storages.iter().any(|s| &s.name == name) {
                state.storages.push(Storage::new(name.clone()));
            }
        }
        let charm = charm_handle::<C>();
        for (owner, name) in ctx.registered_stored_states() {
            let owner_path = (owner != charm).then_some(owner);
            let given = state.stored_states.iter().any(|s| {
                s.name == name
                    && s.owner_path.as_deref().unwrap_or(charm)
                        == owner_path.as_deref().unwrap_or(charm)
            });
            if !given {
                state.stored_states.push(StoredState {
                    name,
                    owner_path,
                    content: Default::default(),
                });
            }
        }
        state
    }
}
