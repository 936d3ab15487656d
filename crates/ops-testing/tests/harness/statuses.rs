//! Status histories and the workload version history.

use ops::{
    ActiveStatus, BlockedStatus, Charm, Framework, HandlerResult, MaintenanceStatus, Model,
    StartEvent, UpdateStatusEvent, on,
};
use ops_testing::{Context, State, Status};
use pretty_assertions::assert_eq;

/// On start: maintenance then active, and two workload versions; on
/// update-status: blocked and a third version.
struct BootingCharm {
    model: Model,
}

impl Charm for BootingCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        framework.observe(on::update_status(), Self::on_update_status);
        BootingCharm {
            model: framework.model().clone(),
        }
    }
}

impl BootingCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        let (unit, app) = (self.model.unit(), self.model.app());
        unit.set_status(MaintenanceStatus::new("installing"))?;
        unit.set_status(ActiveStatus::new("ready"))?;
        app.set_status(MaintenanceStatus::new("app installing"))?;
        app.set_status(ActiveStatus::new("app ready"))?;
        unit.set_workload_version("1.0")?;
        unit.set_workload_version("1.1")?;
        Ok(())
    }

    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        self.model
            .unit()
            .set_status(BlockedStatus::new("disk full"))?;
        self.model
            .app()
            .set_status(BlockedStatus::new("app stuck"))?;
        self.model.unit().set_workload_version("2.0")?;
        Ok(())
    }
}

#[test]
fn status_histories_hold_the_previous_statuses_across_runs() {
    let mut ctx = Context::<BootingCharm>::new(ops::CharmMeta::new("booting"));
    let state = State {
        leader: true,
        ..State::default()
    };
    let once = ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(once.unit_status, Status::from(ActiveStatus::new("ready")));
    assert_eq!(
        ctx.unit_status_history,
        vec![Status::Unknown, MaintenanceStatus::new("installing").into()]
    );
    assert_eq!(
        ctx.app_status_history,
        vec![
            Status::Unknown,
            MaintenanceStatus::new("app installing").into()
        ]
    );

    let twice = ctx.run(ctx.on.update_status(), &once).unwrap();
    assert_eq!(
        twice.unit_status,
        Status::from(BlockedStatus::new("disk full"))
    );
    assert_eq!(
        ctx.unit_status_history,
        vec![
            Status::Unknown,
            MaintenanceStatus::new("installing").into(),
            ActiveStatus::new("ready").into(),
        ]
    );
    assert_eq!(
        ctx.app_status_history,
        vec![
            Status::Unknown,
            MaintenanceStatus::new("app installing").into(),
            ActiveStatus::new("app ready").into(),
        ]
    );
}

#[test]
fn the_input_status_is_the_first_history_entry() {
    let mut ctx = Context::<BootingCharm>::new(ops::CharmMeta::new("booting"));
    let state = State {
        leader: true,
        unit_status: ops::WaitingStatus::new("from the input").into(),
        ..State::default()
    };
    ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(ctx.unit_status_history, vec![state.unit_status]);
}

#[test]
fn workload_version_history_skips_the_empty_initial_version() {
    let mut ctx = Context::<BootingCharm>::new(ops::CharmMeta::new("booting"));
    let state = State {
        leader: true,
        ..State::default()
    };
    let once = ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(once.workload_version, "1.1");
    assert_eq!(ctx.workload_version_history, vec!["1.0"]);
    let twice = ctx.run(ctx.on.update_status(), &once).unwrap();
    assert_eq!(twice.workload_version, "2.0");
    assert_eq!(ctx.workload_version_history, vec!["1.0", "1.1"]);
}
