//! The consistency rules for containers (ops.testing's C1–C9, E4–E8):
//! declared names, check infos that match the plan, exec mocks, and
//! workload events whose container, notice or check is in the State.

use super::Report;
use crate::state::{CheckInfo, Container, Notice, State};
use ops::meta::CharmMeta;
use ops::pebble::CheckStartup;
use std::collections::BTreeSet;

/// Juju's rule for container names: an action name (`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)
/// of at most 63 characters.
pub(super) fn is_valid_container_name(name: &str) -> bool {
    name.len() <= 63 && super::is_valid_action_name(name)
}

/// The rules on `State::containers` alone.
pub(super) fn check_containers(meta: &CharmMeta, state: &State, report: &mut Report) {
    let mut names = BTreeSet::new();
    for (i, container) in state.containers.iter().enumerate() {
        let field = || format!("containers[{i}] ({:?})", container.name);
        if !is_valid_container_name(&container.name) {
            report.add(
                field(),
                "not a valid container name: Juju wants at most 63 lowercase letters, digits and \
                 '-', starting and ending with a letter or digit",
            );
        }
        if !names.insert(container.name.as_str()) {
            report.add(
                field(),
                "a container of this name is listed twice; keep one",
            );
        }
        if !meta.containers.contains_key(&container.name) {
            let declared = meta.containers.keys().cloned().collect::<Vec<_>>();
            report.add(
                field(),
                if declared.is_empty() {
                    "the charm's metadata declares no containers; declare this one under \
                     `containers` or remove it from State.containers"
                        .to_owned()
                } else {
                    format!(
                        "the container is not declared in the charm's metadata (it declares: {}); \
                         declare it or remove it from State.containers",
                        declared.join(", ")
                    )
                },
            );
        }
        check_check_infos(container, &field(), report);
        let mut prefixes = BTreeSet::new();
        for exec in &container.execs {
            if !prefixes.insert(&exec.command_prefix) {
                report.add(
                    format!("{} execs", field()),
                    format!(
                        "two exec mocks have the command prefix {:?}; keep one",
                        exec.command_prefix
                    ),
                );
            }
        }
        for (key, mount) in &container.mounts {
            if !mount.location.starts_with('/') {
                report.add(
                    format!("{} mounts.{key}", field()),
                    format!(
                        "mount location {:?} is not absolute; give the path inside the container, starting with '/'",
                        mount.location
                    ),
                );
            }
        }
    }
}

/// C6–C9: every check info names a check of the plan, with the plan's
/// level, startup and threshold.
fn check_check_infos(container: &Container, field: &str, report: &mut Report) {
    if container.check_infos.is_empty() {
        return;
    }
    let plan = container.plan();
    for info in &container.check_infos {
        let field = format!("{field} check_infos {:?}", info.name);
        let Some(check) = plan.checks.get(&info.name) else {
            let names = plan.checks.keys().cloned().collect::<Vec<_>>();
            report.add(
                field,
                if names.is_empty() {
                    "the container's plan has no checks; add a layer that defines this check, or \
                     remove the check info"
                        .to_owned()
                } else {
                    format!(
                        "the container's plan has only checks: {}; add a layer that defines this \
                         check, or remove the check info",
                        names.join(", ")
                    )
                },
            );
            continue;
        };
        if info.level != check.level {
            report.add(
                field.clone(),
                format!(
                    "level {:?} differs from the plan's {:?}; make them the same",
                    info.level, check.level
                ),
            );
        }
        let planned_startup = check.startup.clone().unwrap_or(CheckStartup::Enabled);
        if info.startup != planned_startup {
            report.add(
                field.clone(),
                format!(
                    "startup {} differs from the plan's {planned_startup}; make them the same",
                    info.startup
                ),
            );
        }
        let threshold = info.threshold.unwrap_or(3);
        let planned_threshold = check.threshold.unwrap_or(3);
        if threshold != planned_threshold {
            report.add(
                field,
                format!(
                    "threshold {threshold} differs from the plan's {planned_threshold}; make them the same"
                ),
            );
        }
    }
}

/// C1–C4, E5–E6: a workload event's container is declared and in the
/// State, and its notice or check is in that container.
pub(super) fn check_workload_event(
    meta: &CharmMeta,
    state: &State,
    field: &str,
    container: &Container,
    notice: Option<&Notice>,
    check: Option<&CheckInfo>,
    report: &mut Report,
) {
    if !meta.containers.contains_key(&container.name) {
        report.add(
            field,
            format!(
                "container {:?} is not declared in the charm's metadata; declare it under `containers`",
                container.name
            ),
        );
    }
    let Some(in_state) = state.get_container(&container.name) else {
        report.add(
            field,
            format!(
                "container {:?} is not in State.containers; add it",
                container.name
            ),
        );
        return;
    };
    if in_state != container {
        report.add(
            field,
            format!(
                "container {:?} differs from the one in State.containers; pass the same object to the event and the State",
                container.name
            ),
        );
    }
    if let Some(notice) = notice
        && in_state.get_notice(&notice.id).is_none()
    {
        report.add(
            field,
            format!(
                "notice {:?} (id {}) is not among container {:?}'s notices; add it to the container",
                notice.key, notice.id, container.name
            ),
        );
    }
    if let Some(check) = check
        && in_state.get_check_info(&check.name).is_none()
    {
        report.add(
            field,
            format!(
                "check {:?} is not among container {:?}'s check infos; add it to the container",
                check.name, container.name
            ),
        );
    }
}
