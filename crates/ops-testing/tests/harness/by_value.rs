//! `ctx.run(event, state)` by value works on the State in place; a run
//! touches only the relations and secrets the charm names, and the output
//! keeps every other one as it was, in the input's order.

use crate::common::{Probe, map};
use ops::{
    Charm, Framework, HandlerResult, Model, SecretMetadata, SecretQuery, UpdateStatusEvent, on,
};
use ops_testing::{Context, Relation, Secret, State};
use pretty_assertions::assert_eq;

const META: &str = "
name: busy
requires:
  db: {interface: pgsql}
";

/// What the charm does on update-status.
#[derive(Clone, Default)]
struct Plan {
    /// Relations to read (remote app bag) and write (`seen` in this unit's bag).
    touch: Vec<u32>,
    /// Secrets to read by label.
    read_labels: Vec<String>,
    /// Secrets to read by id first (before `read_labels`).
    read_ids: Vec<String>,
    /// Secrets to remove, by label.
    remove_labels: Vec<String>,
    /// Add an application secret with this label.
    add: Option<String>,
}

struct BusyCharm {
    model: Model,
    plan: Plan,
    seen: Probe<String>,
}

impl Charm for BusyCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Plan::default(), Probe::default())
    }
}

impl BusyCharm {
    fn build(framework: &mut Framework<Self>, plan: Plan, seen: Probe<String>) -> Self {
        framework.observe(on::update_status(), Self::on_update_status);
        BusyCharm {
            model: framework.model().clone(),
            plan,
            seen,
        }
    }

    fn on_update_status(&mut self, _: &mut UpdateStatusEvent) -> HandlerResult {
        for id in &self.plan.touch {
            let relation = self.model.get_relation_by_id("db", *id)?;
            let app = relation.app().expect("a regular relation has a remote app");
            let value = relation.data(app).get("n")?.unwrap_or_default();
            relation.data(self.model.unit()).set("seen", &value)?;
            self.seen.push(format!("relation {id}: {value}"));
        }
        for id in &self.plan.read_ids {
            let secret = self.model.get_secret(SecretQuery::id(id.clone()))?;
            self.seen
                .push(format!("secret {}", secret.get_content(false)?["key"]));
        }
        for label in &self.plan.read_labels {
            let secret = self.model.get_secret(SecretQuery::label(label.clone()))?;
            self.seen
                .push(format!("secret {}", secret.get_content(false)?["key"]));
        }
        for label in &self.plan.remove_labels {
            let secret = self.model.get_secret(SecretQuery::label(label.clone()))?;
            secret.remove_all_revisions()?;
        }
        if let Some(label) = &self.plan.add {
            let metadata = SecretMetadata {
                label: Some(label.clone()),
                ..SecretMetadata::default()
            };
            self.model
                .app()
                .add_secret(map(&[("key", "new")]), metadata)?;
        }
        Ok(())
    }
}

fn context(plan: Plan, seen: &Probe<String>) -> Context<BusyCharm> {
    let seen = seen.clone();
    Context::<BusyCharm>::from_yaml(META)
        .unwrap()
        .with_charm(move |framework| BusyCharm::build(framework, plan.clone(), seen.clone()))
}

/// `count` relations on `db` (ids from `first_id`, stepping by `step`), each
/// with two remote units and `n` in the remote app bag, and `count` app
/// secrets labelled `s-<n>`; the unit leads.
fn busy_state(count: u32, ids: impl Fn(u32) -> u32) -> State {
    State {
        leader: true,
        relations: (0..count)
            .map(|n| {
                Relation {
                    id: ids(n),
                    remote_app_name: format!("remote{n}"),
                    remote_app_data: map(&[("n", &n.to_string())]),
                    remote_units_data: [(0, map(&[])), (1, map(&[]))].into(),
                    ..Relation::new("db")
                }
                .into()
            })
            .collect(),
        secrets: (0..count)
            .map(|n| Secret {
                label: Some(format!("s-{n}")),
                owner: Some(ops::SecretOwner::App),
                ..Secret::new(map(&[("key", &format!("v{n}"))]))
            })
            .collect(),
        ..State::default()
    }
}

/// The input with what the plan below does to it: relations 3 and 17 get
/// `seen`, secret s-4 goes, a new secret comes last.
fn expected(input: &State, added: &Secret) -> State {
    let mut want = input.clone();
    for slot in [3, 17] {
        let ops_testing::AnyRelation::Regular(relation) = &mut want.relations[slot] else {
            unreachable!("busy_state makes regular relations");
        };
        relation
            .local_unit_data
            .insert("seen".into(), slot.to_string());
    }
    want.secrets.remove(4);
    want.secrets.push(added.clone());
    want
}

fn plan(state: &State) -> Plan {
    Plan {
        touch: vec![state.relations[17].id(), state.relations[3].id()],
        read_labels: vec!["s-9".into()],
        read_ids: vec![state.secrets[12].id.clone()],
        remove_labels: vec!["s-4".into()],
        add: Some("fresh".into()),
    }
}

#[test]
fn a_state_given_by_value_is_worked_on_in_place() {
    let input = busy_state(20, |n| n + 1);
    let seen = Probe::default();
    let mut ctx = context(plan(&input), &seen);
    let kept = input.clone();
    let relations_buffer = input.relations.as_ptr();
    let secrets_buffer = input.secrets.as_ptr();

    let out = ctx.run(ctx.on.update_status(), input).unwrap();

    // The output's lists are the input's own, not rebuilt copies.
    assert_eq!(out.relations.as_ptr(), relations_buffer);
    assert_eq!(out.secrets.as_ptr(), secrets_buffer);
    let added = out.secrets.last().unwrap().clone();
    assert_eq!(added.label.as_deref(), Some("fresh"));
    assert_eq!(out, expected(&kept, &added));
    assert_eq!(
        seen.take(),
        [
            "relation 18: 17",
            "relation 4: 3",
            "secret v12",
            "secret v9"
        ]
    );
}

#[test]
fn by_value_and_by_reference_give_the_same_output() {
    let input = busy_state(20, |n| n + 1);
    let seen = Probe::default();
    let mut ctx = context(plan(&input), &seen);
    let by_ref = ctx.run(ctx.on.update_status(), &input).unwrap();
    let by_value = ctx.run(ctx.on.update_status(), input.clone()).unwrap();
    // Only the added secret's id differs between the two runs.
    let (mut a, mut b) = (by_ref, by_value);
    a.secrets.pop();
    b.secrets.pop();
    assert_eq!(a, b);
    let mut want = expected(&input, &Secret::new(map(&[("key", "x")])));
    want.secrets.pop();
    assert_eq!(a, want);
}

#[test]
fn relations_out_of_id_order_are_found_and_kept_in_place() {
    // Descending ids: the relations are found through an index, not a search.
    let input = busy_state(20, |n| 100 - n);
    let seen = Probe::default();
    let mut ctx = context(plan(&input), &seen);
    let out = ctx.run(ctx.on.update_status(), input.clone()).unwrap();
    let added = out.secrets.last().unwrap().clone();
    assert_eq!(out, expected(&input, &added));
}

#[test]
fn a_label_two_secrets_share_finds_the_first_in_state_order() {
    let mut input = busy_state(3, |n| n + 1);
    input.secrets[2].label = Some("s-0".into());
    let seen = Probe::default();
    // Read the later one by id first (it moves into the model), then by
    // label: the first secret in the State with the label wins, as when
    // every secret is in the model from the start.
    let plan = Plan {
        read_ids: vec![input.secrets[2].id.clone()],
        read_labels: vec!["s-0".into()],
        ..Plan::default()
    };
    let mut ctx = context(plan, &seen);
    let out = ctx.run(ctx.on.update_status(), input.clone()).unwrap();
    assert_eq!(seen.take(), ["secret v2", "secret v0"]);
    assert_eq!(out, input);
}

#[test]
fn untouched_relations_and_secrets_come_back_equal() {
    let input = busy_state(50, |n| n + 1);
    let seen = Probe::default();
    let mut ctx = context(Plan::default(), &seen);
    let out = ctx.run(ctx.on.update_status(), input.clone()).unwrap();
    assert_eq!(out, input);
    // And through a reference, the input stays and the output equals it.
    let out = ctx.run(ctx.on.update_status(), &input).unwrap();
    assert_eq!(out, input);
}
