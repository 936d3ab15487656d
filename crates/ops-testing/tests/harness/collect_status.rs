//! Collect-status: the highest-priority status added wins.

use crate::common::Probe;
use ops::{
    ActiveStatus, BlockedStatus, Charm, CollectStatusEvent, Framework, HandlerResult,
    MaintenanceStatus, WaitingStatus, on,
};
use ops_testing::{Context, State, Status};
use pretty_assertions::assert_eq;
use rstest::rstest;

/// Two unit-status observers and one app-status observer, each adding
/// several statuses.
struct ReportingCharm {
    seen: Probe<&'static str>,
}

impl Charm for ReportingCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Probe::default())
    }
}

impl ReportingCharm {
    fn build(framework: &mut Framework<Self>, seen: Probe<&'static str>) -> Self {
        framework.observe(on::collect_unit_status(), Self::on_collect_workload);
        framework.observe(on::collect_unit_status(), Self::on_collect_config);
        framework.observe(on::collect_app_status(), Self::on_collect_app);
        ReportingCharm { seen }
    }

    fn on_collect_workload(&mut self, event: &mut CollectStatusEvent) -> HandlerResult {
        self.seen.push("unit");
        event.add_status(ActiveStatus::new("serving"));
        event.add_status(WaitingStatus::new("for the database"));
        Ok(())
    }

    fn on_collect_config(&mut self, event: &mut CollectStatusEvent) -> HandlerResult {
        self.seen.push("unit");
        event.add_status(MaintenanceStatus::new("rotating logs"));
        event.add_status(BlockedStatus::new("set the `port` option"));
        // Ties go to the first added.
        event.add_status(BlockedStatus::new("also blocked"));
        Ok(())
    }

    fn on_collect_app(&mut self, event: &mut CollectStatusEvent) -> HandlerResult {
        self.seen.push("app");
        event.add_status(ActiveStatus::new("app serving"));
        event.add_status(MaintenanceStatus::new("app upgrading"));
        event.add_status(WaitingStatus::new("app waiting"));
        Ok(())
    }
}

#[rstest]
fn the_highest_priority_status_wins(#[values(true, false)] leader: bool) {
    let seen = Probe::default();
    let probe = seen.clone();
    let mut ctx = Context::new(ops::CharmMeta::new("reporter"))
        .with_charm(move |fw| ReportingCharm::build(fw, probe.clone()));
    let state = State {
        leader,
        ..State::default()
    };
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(
        out.unit_status,
        Status::from(BlockedStatus::new("set the `port` option"))
    );
    assert_eq!(ctx.unit_status_history, vec![Status::Unknown]);
    if leader {
        assert_eq!(seen.take(), vec!["app", "unit", "unit"]);
        assert_eq!(
            out.app_status,
            Status::from(MaintenanceStatus::new("app upgrading"))
        );
        assert_eq!(ctx.app_status_history, vec![Status::Unknown]);
    } else {
        assert_eq!(seen.take(), vec!["unit", "unit"], "no app collection");
        assert_eq!(out.app_status, Status::Unknown);
        assert_eq!(ctx.app_status_history, Vec::<Status>::new());
    }
}

/// Observes collect-unit-status but adds nothing.
struct QuietCharm {
    seen: Probe<&'static str>,
}

impl Charm for QuietCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Probe::default())
    }
}

impl QuietCharm {
    fn build(framework: &mut Framework<Self>, seen: Probe<&'static str>) -> Self {
        framework.observe(on::collect_unit_status(), Self::on_collect);
        framework.observe(on::collect_app_status(), Self::on_collect);
        QuietCharm { seen }
    }

    fn on_collect(&mut self, _: &mut CollectStatusEvent) -> HandlerResult {
        self.seen.push("collect");
        Ok(())
    }
}

#[test]
fn when_nothing_is_added_the_status_is_untouched() {
    let seen = Probe::default();
    let probe = seen.clone();
    let mut ctx = Context::new(ops::CharmMeta::new("quiet"))
        .with_charm(move |fw| QuietCharm::build(fw, probe.clone()));
    let state = State {
        leader: true,
        unit_status: ActiveStatus::new("as before").into(),
        app_status: WaitingStatus::new("app as before").into(),
        ..State::default()
    };
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(seen.take(), vec!["collect", "collect"], "observers ran");
    assert_eq!(out.unit_status, state.unit_status);
    assert_eq!(out.app_status, state.app_status);
    assert_eq!(ctx.unit_status_history, Vec::<Status>::new());
    assert_eq!(ctx.app_status_history, Vec::<Status>::new());
}
