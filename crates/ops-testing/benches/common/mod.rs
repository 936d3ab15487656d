//! What the benchmark targets share: the benchmark charms, their metadata,
//! the States they run against, and the cases of `just bench-compare`.
//!
//! Every case has a Python twin in `bench/compare/cases.py` (same name, same
//! charm behaviour, same State); the charms' metadata is one file,
//! `benches/charm/charmcraft.yaml`, which the Python charm root links to.

use ops::meta::{ActionMeta, ConfigOption};
use ops::pebble::{Check, Layer, Override, PushOptions, Service, ServiceStartup};
use ops::{
    ActiveStatus, BlockedStatus, Charm, CharmMeta, ConfigChangedEvent, Framework, HandlerResult,
    LeaderElectedEvent, Model, PebbleReadyEvent, RelationChangedEvent, SecretQuery, StopEvent,
    Unit, UpdateStatusEvent, on,
};
use ops_testing::{
    Container, Context, Exec, IcmpPort, PeerRelation, Relation, Secret, State, StoredState,
    TcpPort, UdpPort, default_unit_databag,
};
use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;

/// The charm root of the benchmark charms (it holds `charmcraft.yaml`).
pub const CHARM_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/charm");

/// Relation counts of the scale cases.
pub const SCALE_RELATIONS: [usize; 4] = [1, 10, 100, 1000];
/// Remote units in each relation of the scale cases.
pub const UNITS_PER_RELATION: u32 = 10;
/// Secrets in the State of the scale cases.
pub const SECRETS: usize = 100;

/// `ops.CharmBase` itself: a charm that observes nothing.
pub struct NoObserverCharm;

impl Charm for NoObserverCharm {
    fn new(_: &mut Framework<Self>) -> Self {
        NoObserverCharm
    }
}

/// The seed test's charm: on start, the status says whether the unit leads.
pub struct SeedCharm {
    model: Model,
}

impl Charm for SeedCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        SeedCharm {
            model: framework.model().clone(),
        }
    }
}

impl SeedCharm {
    fn on_start(&mut self, _: &mut ops::StartEvent) -> HandlerResult {
        let leader = self.model.unit().is_leader()?;
        let message = if leader { "I rule" } else { "I am ruled" };
        self.model.unit().set_status(ActiveStatus::new(message))?;
        Ok(())
    }
}

/// The charm of ops.testing's benchmark suite: stop does nothing,
/// config-changed defers, update-status logs 200 lines.
pub struct BenchCharm;

impl Charm for BenchCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::update_status(), Self::on_update_status);
        framework.observe(on::stop(), Self::on_stop);
        framework.observe(on::config_changed(), Self::on_config_changed);
        BenchCharm
    }
}

impl BenchCharm {
    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        for i in 0..50 {
            tracing::debug!("log line {i}");
        }
        for i in 0..50 {
            tracing::info!("log line {i}");
        }
        for i in 0..50 {
            tracing::warn!("log line {i}");
        }
        for i in 0..50 {
            tracing::error!("log line {i}");
        }
        Ok(())
    }

    /// Does nothing: it is there to time a run with an observer.
    pub fn on_stop(&mut self, _: &mut StopEvent) -> HandlerResult {
        Ok(())
    }

    fn on_config_changed(&mut self, event: &mut ConfigChangedEvent) -> HandlerResult {
        event.defer();
        Ok(())
    }
}

/// The charm of the scale cases: by event, it touches nothing
/// (update-status), the event's relation (db-relation-changed), every
/// relation (config-changed), or one secret of many (leader-elected).
pub struct ScaleCharm {
    model: Model,
}

impl Charm for ScaleCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::update_status(), Self::on_update_status);
        framework.observe(on::relation_changed("db"), Self::on_db_changed);
        framework.observe(on::config_changed(), Self::on_config_changed);
        framework.observe(on::leader_elected(), Self::on_leader_elected);
        ScaleCharm {
            model: framework.model().clone(),
        }
    }
}

impl ScaleCharm {
    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        Ok(())
    }

    fn on_db_changed(&mut self, event: &mut RelationChangedEvent) -> HandlerResult {
        self.touch(&event.relation, event.unit.as_ref())
    }

    fn on_config_changed(&mut self, _: &mut ConfigChangedEvent) -> HandlerResult {
        for relation in self.model.relations("db")? {
            self.touch(&relation, None)?;
        }
        Ok(())
    }

    fn on_leader_elected(&mut self, _: &mut LeaderElectedEvent) -> HandlerResult {
        let secret = self.model.get_secret(SecretQuery::label("secret-50"))?;
        assert_eq!(secret.get_content(false)?["password"], "pw-50");
        Ok(())
    }

    /// Reads the remote application's bag (and a remote unit's), writes this unit's.
    fn touch(&self, relation: &ops::Relation, unit: Option<&Unit>) -> HandlerResult {
        let app = relation.app().expect("a regular relation has a remote app");
        let mut seen = relation
            .data(app)
            .get("seen")?
            .unwrap_or_else(|| "0".into());
        if let Some(unit) = unit {
            seen += &relation
                .data(unit)
                .get("ingress-address")?
                .unwrap_or_default();
        }
        relation.data(self.model.unit()).set("seen", &seen)?;
        Ok(())
    }
}

/// The container charm: on `workload-pebble-ready` it pushes a config
/// file, adds a layer with a service and a check, replans, runs a check
/// command and puts its output in the status (a sidecar charm's usual
/// pebble-ready handler).
pub struct PebbleCharm {
    model: Model,
}

/// The workload container of the benchmark charm.
pub const WORKLOAD: &str = "workload";

impl Charm for PebbleCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::pebble_ready(WORKLOAD), Self::on_pebble_ready);
        PebbleCharm {
            model: framework.model().clone(),
        }
    }
}

impl PebbleCharm {
    fn on_pebble_ready(&mut self, event: &mut PebbleReadyEvent) -> HandlerResult {
        let workload = &event.workload;
        workload.push_with(
            "/etc/bench/config.json",
            r#"{"port": 8080}"#,
            &PushOptions::new().make_dirs(true),
        )?;
        let layer = Layer::new()
            .summary("bench")
            .service(
                "server",
                Service::new("/usr/bin/server --config /etc/bench/config.json")
                    .startup(ServiceStartup::Enabled)
                    .with_override(Override::Replace),
            )
            .check("up", Check::http("http://localhost:8080/health"));
        workload.add_layer("bench", &layer, true)?;
        workload.replan()?;
        let (stdout, _) = workload.exec(["server", "--check-config"]).wait_output()?;
        self.model
            .unit()
            .set_status(ActiveStatus::new(stdout.trim()))?;
        Ok(())
    }
}

/// The State of the container case: the `workload` container, reachable,
/// with the mock for the charm's check command.
pub fn container_state() -> State {
    State {
        containers: vec![pebble_container()],
        ..State::default()
    }
}

/// The `workload` container of [`container_state`].
pub fn pebble_container() -> Container {
    Container::new(WORKLOAD)
        .can_connect(true)
        .exec(Exec::new(["server", "--check-config"]).stdout("config ok\n"))
}

/// Runs the container case once and checks it did what it says.
pub fn check_container_case() {
    let mut ctx = autoloaded::<PebbleCharm>();
    let out = ctx
        .run(ctx.on.pebble_ready(&pebble_container()), container_state())
        .unwrap();
    let workload = out.get_container(WORKLOAD).unwrap();
    assert_eq!(workload.layers.len(), 1);
    assert!(workload.services()["server"].is_running());
    assert_eq!(out.unit_status, ActiveStatus::new("config ok"));
    assert_eq!(ctx.exec_history[WORKLOAD].len(), 1);
    let root = workload.get_filesystem(&ctx).unwrap();
    assert!(root.join("etc/bench/config.json").is_file());
}

/// ops.testing's `meta={"name": "foo"}`.
pub fn explicit_meta() -> CharmMeta {
    CharmMeta::new("foo")
}

/// ops.testing's `meta={"name": "foo"}, actions={"act": ..}, config={"options": {"conf": ..}}`.
pub fn explicit_meta_config_actions() -> CharmMeta {
    let mut meta = CharmMeta::new("foo");
    meta.actions.insert(
        "act".to_owned(),
        ActionMeta {
            description: "foo".to_owned(),
            ..ActionMeta::default()
        },
    );
    meta.config.options.insert(
        "conf".to_owned(),
        ConfigOption {
            kind: Some(ops::meta::ConfigType::Int),
            description: "bar".to_owned(),
            ..ConfigOption::default()
        },
    );
    meta
}

/// A Context whose metadata is loaded from [`CHARM_ROOT`], as ops.testing autoloads it.
pub fn autoloaded<C: Charm>() -> Context<C> {
    Context::from_charm_root(CHARM_ROOT).expect("benches/charm/charmcraft.yaml loads")
}

/// A State with something in every field the State has.
///
/// ops.testing's full-state benchmark also fills containers, storages and
/// resources; add them here (and in `build_full_state` of
/// `bench/compare/cases.py`) when the State has them.
pub fn full_state() -> State {
    State {
        relations: vec![
            Relation::new("db").into(),
            PeerRelation::new("cluster").into(),
        ],
        networks: [("admin-net".to_owned(), ops::Network::default())].into(),
        opened_ports: [TcpPort(22).into(), IcmpPort.into(), UdpPort(8000).into()].into(),
        secrets: vec![Secret::new([("password", "admin")].into())],
        stored_states: vec![StoredState {
            owner_path: Some("SomeObject".to_owned()),
            ..StoredState::new("_stored", [("n".to_owned(), 1.into())].into())
        }],
        app_status: ActiveStatus::new("").into(),
        unit_status: BlockedStatus::new("I'm stuck!").into(),
        workload_version: "1.0".to_owned(),
        config: [("log-level".to_owned(), "debug".into())].into(),
        leader: true,
        planned_units: 3,
        ..State::default()
    }
}

/// `relations` relations on `db` of [`UNITS_PER_RELATION`] units each, and
/// [`SECRETS`] secrets labelled `secret-<n>`; the unit is the leader.
pub fn scale_state(relations: usize) -> State {
    State {
        leader: true,
        relations: (0..relations)
            .map(|n| {
                Relation {
                    id: n as u32 + 1,
                    remote_app_name: format!("db{n}"),
                    remote_app_data: [("seen".to_owned(), n.to_string())].into(),
                    remote_units_data: (0..UNITS_PER_RELATION)
                        .map(|unit| (unit, default_unit_databag()))
                        .collect(),
                    ..Relation::new("db")
                }
                .into()
            })
            .collect(),
        secrets: (0..SECRETS)
            .map(|n| Secret {
                label: Some(format!("secret-{n}")),
                ..Secret::new([("password".to_owned(), format!("pw-{n}"))].into())
            })
            .collect(),
        ..State::default()
    }
}

/// What a scale case's charm touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touch {
    /// update-status: nothing.
    Idle,
    /// db-relation-changed: the event's relation, in the middle of the list.
    OneRelation,
    /// config-changed: every relation.
    AllRelations,
    /// leader-elected: one secret, found by label among [`SECRETS`].
    OneSecret,
}

impl Touch {
    /// Every kind, in table order.
    pub const ALL: [Touch; 4] = [
        Touch::Idle,
        Touch::OneRelation,
        Touch::AllRelations,
        Touch::OneSecret,
    ];

    /// The name used in case names (`scale_<name>_<relations>`).
    pub fn name(self) -> &'static str {
        match self {
            Touch::Idle => "idle",
            Touch::OneRelation => "one_relation",
            Touch::AllRelations => "all_relations",
            Touch::OneSecret => "one_secret",
        }
    }

    /// The event of this kind against `state`.
    pub fn event(self, ctx: &Context<ScaleCharm>, state: &State) -> ops_testing::Event {
        match self {
            Touch::Idle => ctx.on.update_status(),
            Touch::OneRelation => ctx
                .on
                .relation_changed(&state.relations[state.relations.len() / 2])
                .remote_unit(5),
            Touch::AllRelations => ctx.on.config_changed(),
            Touch::OneSecret => ctx.on.leader_elected(),
        }
    }

    /// How many relations the charm writes to.
    pub fn relations_written(self, relations: usize) -> usize {
        match self {
            Touch::OneRelation => 1,
            Touch::AllRelations => relations,
            Touch::Idle | Touch::OneSecret => 0,
        }
    }
}

/// Runs a scale case once and checks it did what it says.
pub fn check_scale(touch: Touch, relations: usize) {
    let mut ctx = autoloaded::<ScaleCharm>();
    let state = scale_state(relations);
    let event = touch.event(&ctx, &state);
    let out = ctx.run(event, state).unwrap();
    let written = out
        .relations
        .iter()
        .filter(|r| r.local_unit_data().contains_key("seen"))
        .count();
    assert_eq!(written, touch.relations_written(relations));
}

/// Clears what runs pile up on a Context (done between samples, untimed).
pub fn clear_records<C: Charm>(ctx: &mut Context<C>) {
    ctx.exec_history.clear();
    ctx.juju_log.clear();
    ctx.emitted_events.clear();
    ctx.unit_status_history.clear();
    ctx.app_status_history.clear();
}

/// Four runs in a row on a fresh Context, each from the last one's output
/// (ops.testing's "many tests" benchmarks).
pub fn four_events<C: Charm>(mut ctx: Context<C>) -> State {
    let mut state = State::default();
    for event in [
        ctx.on.install(),
        ctx.on.start(),
        ctx.on.stop(),
        ctx.on.remove(),
    ] {
        state = ctx.run(event, state).unwrap();
    }
    black_box(state)
}

/// One case of `just bench-compare`: the operation to time, and what to do
/// between samples (untimed).
pub struct Case {
    /// The operation.
    pub op: Box<dyn FnMut()>,
    /// Between samples.
    pub between: Box<dyn FnMut()>,
}

/// A case by name, built (and checked) only when it is run.
pub type NamedCase = (String, Box<dyn FnOnce() -> Case>);

fn named(name: &str, build: impl FnOnce() -> Case + 'static) -> NamedCase {
    (name.to_owned(), Box::new(build))
}

fn timed(op: impl FnMut() + 'static) -> Case {
    Case {
        op: Box::new(op),
        between: Box::new(|| {}),
    }
}

/// How a case hands its State to `ctx.run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// By value, each run's output as the next run's input (what a test
    /// that does not keep its input does): only for cases whose output is
    /// their input again, which [`run_case`] checks.
    Chained,
    /// By reference (`&state`): the run copies the input.
    Copied,
}

/// A case that runs `event` against `state` on one Context over and over.
fn run_case<C: Charm + 'static>(
    ctx: Context<C>,
    event: impl Fn(&Context<C>, &State) -> ops_testing::Event + 'static,
    state: State,
    feed: Feed,
) -> Case {
    let mut ctx = ctx;
    // After one run the chained State is the case's steady state: a second
    // run must give it back unchanged, or chaining would time a growing State.
    let state = if feed == Feed::Chained {
        let first = ctx.run(event(&ctx, &state), state).unwrap();
        let second = ctx.run(event(&ctx, &first), &first).unwrap();
        assert_eq!(second, first, "a chained case's output must be its input");
        clear_records(&mut ctx);
        first
    } else {
        state
    };
    let ctx = Rc::new(RefCell::new(ctx));
    let runner = ctx.clone();
    let mut held = Some(state);
    Case {
        op: Box::new(move || {
            let mut ctx = runner.borrow_mut();
            match feed {
                Feed::Chained => {
                    let input = held
                        .take()
                        .expect("the chained State is back after each run");
                    let event = event(&ctx, &input);
                    held = Some(black_box(ctx.run(event, input).unwrap()));
                }
                Feed::Copied => {
                    let input = held.as_ref().expect("the State stays");
                    let event = event(&ctx, input);
                    black_box(ctx.run(event, input).unwrap());
                }
            }
        }),
        between: Box::new(move || clear_records(&mut ctx.borrow_mut())),
    }
}

/// Every case of `just bench-compare`, in table order.
pub fn compare_cases() -> Vec<NamedCase> {
    let mut cases = vec![
        named("context_explicit_meta", || {
            timed(|| {
                black_box(Context::<NoObserverCharm>::new(explicit_meta()));
            })
        }),
        named("context_meta_config_actions", || {
            timed(|| {
                black_box(Context::<NoObserverCharm>::new(
                    explicit_meta_config_actions(),
                ));
            })
        }),
        named("context_autoload_meta", || {
            timed(|| {
                black_box(autoloaded::<BenchCharm>());
            })
        }),
        named("seed_start", || {
            let ctx = Context::<SeedCharm>::new(explicit_meta());
            let state = State {
                leader: true,
                ..State::default()
            };
            let case = run_case(ctx, |ctx, _| ctx.on.start(), state, Feed::Chained);
            let mut check = Context::<SeedCharm>::new(explicit_meta());
            let leader = State {
                leader: true,
                ..State::default()
            };
            let out = check.run(check.on.start(), leader).unwrap();
            assert_eq!(out.unit_status, ActiveStatus::new("I rule"));
            case
        }),
        named("run_no_observer", || {
            run_case(
                autoloaded::<BenchCharm>(),
                |ctx, _| ctx.on.start(),
                State::default(),
                Feed::Chained,
            )
        }),
        named("run_observed", || {
            run_case(
                autoloaded::<BenchCharm>(),
                |ctx, _| ctx.on.stop(),
                State::default(),
                Feed::Chained,
            )
        }),
        named("deferred_events", || {
            let ctx = autoloaded::<BenchCharm>().capture_deferred_events(true);
            let deferred = ctx.on.stop().deferred(BenchCharm::on_stop);
            let state = State {
                deferred: vec![deferred],
                ..State::default()
            };
            // Each run defers config-changed again: the output is not the
            // input, so the input is copied.
            run_case(ctx, |ctx, _| ctx.on.config_changed(), state, Feed::Copied)
        }),
        named("lots_of_logs", || {
            run_case(
                autoloaded::<BenchCharm>(),
                |ctx, _| ctx.on.update_status(),
                State::default(),
                Feed::Chained,
            )
        }),
        named("full_state_build", || {
            timed(|| {
                black_box(full_state());
            })
        }),
        named("full_state_run", || {
            run_case(
                autoloaded::<BenchCharm>(),
                |ctx, _| ctx.on.start(),
                full_state(),
                Feed::Chained,
            )
        }),
        named("four_events_explicit_meta", || {
            timed(|| {
                four_events(Context::<NoObserverCharm>::new(explicit_meta()));
            })
        }),
        named("four_events_autoload_meta", || {
            timed(|| {
                four_events(autoloaded::<BenchCharm>());
            })
        }),
    ];
    cases.push(named("container_pebble_ready", || {
        check_container_case();
        // Each run adds the layer to a container that has none: the output
        // is not the input, so the input is copied.
        run_case(
            autoloaded::<PebbleCharm>(),
            |ctx, _| ctx.on.pebble_ready(&pebble_container()),
            container_state(),
            Feed::Copied,
        )
    }));
    for touch in Touch::ALL {
        for relations in SCALE_RELATIONS {
            cases.push(named(
                &format!("scale_{}_{relations}", touch.name()),
                move || {
                    check_scale(touch, relations);
                    run_case(
                        autoloaded::<ScaleCharm>(),
                        move |ctx, state| touch.event(ctx, state),
                        scale_state(relations),
                        Feed::Chained,
                    )
                },
            ));
        }
    }
    cases
}

/// The checks ops.testing's benchmark suite makes, run once.
pub fn check_upstream_cases() {
    let mut ctx = Context::<NoObserverCharm>::new(explicit_meta_config_actions());
    let config = [("conf".to_owned(), 10.into())].into();
    let state = State {
        config,
        ..State::default()
    };
    ctx.run(ctx.on.action("act"), &state).unwrap();
    assert_eq!(ctx.emitted_events.len(), 1);

    let mut ctx = autoloaded::<BenchCharm>();
    let db = Relation::new("db");
    let state = State {
        relations: vec![db.clone().into()],
        ..State::default()
    };
    ctx.run(ctx.on.relation_created(&db), &state).unwrap();

    let mut ctx = autoloaded::<BenchCharm>();
    ctx.run(ctx.on.update_status(), &State::default()).unwrap();
    assert!(ctx.juju_log.len() >= 200, "{}", ctx.juju_log.len());

    let mut ctx = autoloaded::<BenchCharm>().capture_deferred_events(true);
    let state = State {
        deferred: vec![ctx.on.stop().deferred(BenchCharm::on_stop)],
        ..State::default()
    };
    let out = ctx.run(ctx.on.config_changed(), &state).unwrap();
    assert_eq!(out.deferred.len(), 1);
    let names: Vec<_> = ctx.emitted_events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["stop", "config_changed"]);

    let mut ctx = autoloaded::<BenchCharm>();
    let state = full_state();
    let out = ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(out, state);
}
