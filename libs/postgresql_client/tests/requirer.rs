//! The library's behaviour, through a tiny charm that records which of the
//! library's events it saw (in its unit status) and what the provider
//! answered.

use ops::{ActiveStatus, Charm, Framework, HandlerResult, Model};
use ops_testing::{self as testing, Context, EmitKind, Relation, State};
use postgresql_client::{DatabaseEvent, DatabaseRequires, REQUESTED_SECRETS_KEY, SECRET_FIELDS};
use pretty_assertions::assert_eq;
use rstest::rstest;
use serde_json::json;
use std::collections::BTreeMap;

const META: &str = "
name: client
requires:
  database:
    interface: postgresql_client
    limit: 1
";

/// The library's handle path in this charm.
const PATH: &str = "ClientCharm/DatabaseRequires[database]";

struct ClientCharm {
    model: Model,
    database: DatabaseRequires,
}

impl Charm for ClientCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        let database = DatabaseRequires::new(
            framework.object("database", |c: &mut Self| &mut c.database),
            "database",
            "names_db",
        )
        .with_extra_user_roles("CREATEDB");
        framework.observe(database.database_created.on(), |c: &mut Self, e| {
            c.record("created", e)
        });
        framework.observe(database.endpoints_changed.on(), |c: &mut Self, e| {
            c.record("endpoints", e)
        });
        framework.observe(
            database.read_only_endpoints_changed.on(),
            |c: &mut Self, e| c.record("read-only", e),
        );
        ClientCharm {
            model: framework.model().clone(),
            database,
        }
    }
}

impl ClientCharm {
    fn record(&mut self, what: &str, event: &DatabaseEvent) -> HandlerResult {
        let who = match self.database.database(event.relation_id)? {
            Some(db) => format!("{}@{}", db.username, db.endpoints.join(",")),
            None => "-".to_owned(),
        };
        self.model
            .unit()
            .set_status(ActiveStatus::new(format!("{what} {who}")))?;
        Ok(())
    }
}

fn context() -> Context<ClientCharm> {
    Context::from_yaml(META).expect("the metadata loads")
}

fn relation(data: &[(&str, &str)]) -> Relation {
    Relation {
        interface: Some("postgresql_client".into()),
        remote_app_name: "postgresql-k8s".into(),
        remote_app_data: data.iter().copied().collect(),
        ..Relation::new("database")
    }
}

/// The library's stored state, having seen `data` on `relation`.
fn seen(relation: &Relation, data: &[(&str, &str)]) -> testing::StoredState {
    let data: BTreeMap<&str, &str> = data.iter().copied().collect();
    testing::StoredState {
        owner_path: Some(PATH.to_owned()),
        ..testing::StoredState::new(
            "_stored",
            [(
                "relations".to_owned(),
                json!({ relation.id.to_string(): data }),
            )]
            .into(),
        )
    }
}

/// The library's events that the last run emitted, by name.
fn custom_events(ctx: &Context<ClientCharm>) -> Vec<String> {
    ctx.emitted_events
        .iter()
        .filter(|e| e.kind == EmitKind::Custom)
        .map(|e| {
            assert!(e.path.starts_with(PATH), "{}", e.path);
            e.name.clone()
        })
        .collect()
}

const NO_ANSWER: &[(&str, &str)] = &[];

const ANSWER: &[(&str, &str)] = &[
    ("endpoints", "pg.local:5432"),
    ("username", "alice"),
    ("password", "s3cret"),
];

#[rstest]
fn the_leader_asks_for_the_database(#[values(true, false)] leader: bool) {
    let mut ctx = context();
    let rel = relation(&[]);
    let state = State {
        leader,
        relations: vec![rel.clone().into()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_created(&rel), &state).unwrap();
    let Some(testing::AnyRelation::Regular(out)) = out.get_relation(rel.id) else {
        panic!("the relation is in the output state");
    };
    if leader {
        let requested: Vec<String> =
            serde_json::from_str(&out.local_app_data[REQUESTED_SECRETS_KEY]).unwrap();
        assert_eq!(requested, SECRET_FIELDS);
        assert_eq!(out.local_app_data["database"], "names_db");
        assert_eq!(out.local_app_data["extra-user-roles"], "CREATEDB");
    } else {
        assert!(out.local_app_data.is_empty(), "{:?}", out.local_app_data);
    }
}

#[test]
fn without_secrets_in_juju_the_leader_requests_none() {
    let mut ctx = context().juju_version("2.9.44");
    let rel = relation(&[]);
    let state = State {
        leader: true,
        relations: vec![rel.clone().into()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_created(&rel), &state).unwrap();
    let Some(testing::AnyRelation::Regular(out)) = out.get_relation(rel.id) else {
        panic!("the relation is in the output state");
    };
    assert!(!out.local_app_data.contains_key(REQUESTED_SECRETS_KEY));
    assert_eq!(out.local_app_data["database"], "names_db");
}

#[rstest]
fn credentials_arriving_emit_database_created_only(#[values(true, false)] leader: bool) {
    let mut ctx = context();
    let rel = relation(ANSWER);
    let state = State {
        leader,
        relations: vec![rel.clone().into()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    // Endpoints arrived too, but only database_created is emitted.
    assert_eq!(custom_events(&ctx), ["database_created"]);
    assert_eq!(
        out.unit_status,
        ActiveStatus::new("created alice@pg.local:5432")
    );
    // The library remembers what it saw, in its own stored state.
    let stored = out.get_stored_state("_stored", Some(PATH)).unwrap();
    assert_eq!(
        stored.content["relations"][rel.id.to_string()]["username"],
        "alice"
    );
}

#[test]
fn new_endpoints_emit_endpoints_changed() {
    let mut ctx = context();
    let rel = relation(&[
        ("endpoints", "pg2.local:5432"),
        ("username", "alice"),
        ("password", "s3cret"),
    ]);
    let state = State {
        relations: vec![rel.clone().into()],
        stored_states: vec![seen(&rel, ANSWER)],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(custom_events(&ctx), ["endpoints_changed"]);
    assert_eq!(
        out.unit_status,
        ActiveStatus::new("endpoints alice@pg2.local:5432")
    );
}

#[test]
fn new_read_only_endpoints_emit_read_only_endpoints_changed() {
    let mut ctx = context();
    let mut data = ANSWER.to_vec();
    data.push(("read-only-endpoints", "replica.local:5432"));
    let rel = relation(&data);
    let state = State {
        relations: vec![rel.clone().into()],
        stored_states: vec![seen(&rel, ANSWER)],
        ..State::default()
    };
    ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(custom_events(&ctx), ["read_only_endpoints_changed"]);
}

#[rstest]
#[case::nothing_changed(ANSWER)]
#[case::only_the_provider_s_diff_key(&[
    ("endpoints", "pg.local:5432"),
    ("username", "alice"),
    ("password", "s3cret"),
    ("data", "{\"database\": \"names_db\"}"),
])]
#[case::a_new_version(&[
    ("endpoints", "pg.local:5432"),
    ("username", "alice"),
    ("password", "s3cret"),
    ("version", "16.2"),
])]
fn other_changes_emit_nothing(#[case] data: &[(&str, &str)]) {
    let mut ctx = context();
    let rel = relation(data);
    let state = State {
        relations: vec![rel.clone().into()],
        stored_states: vec![seen(&rel, ANSWER)],
        ..State::default()
    };
    ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(custom_events(&ctx), Vec::<String>::new());
}

#[test]
fn only_a_password_arriving_is_not_a_created_database() {
    let mut ctx = context();
    let rel = relation(&[("username", "alice"), ("password", "s3cret")]);
    let state = State {
        relations: vec![rel.clone().into()],
        stored_states: vec![seen(&rel, &[("username", "alice")])],
        ..State::default()
    };
    ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(custom_events(&ctx), Vec::<String>::new());
}

#[test]
fn credentials_in_a_secret_are_read_from_it() {
    let mut ctx = context();
    let secret = testing::Secret::new([("username", "bob"), ("password", "hidden")].into());
    let rel = relation(&[("endpoints", "pg.local:5432"), ("secret-user", &secret.id)]);
    let state = State {
        relations: vec![rel.clone().into()],
        secrets: vec![secret.clone()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_changed(&rel), &state).unwrap();
    assert_eq!(custom_events(&ctx), ["database_created"]);
    assert_eq!(
        out.unit_status,
        ActiveStatus::new("created bob@pg.local:5432")
    );
    // The library labels the provider's secret as upstream does.
    let label = format!("database.{}.user.secret", rel.id);
    assert_eq!(out.get_secret(&secret.id).unwrap().label, Some(label));
}

#[test]
fn a_secret_not_granted_is_an_error_naming_it() {
    let mut ctx = context();
    let rel = relation(&[
        ("endpoints", "pg.local:5432"),
        ("secret-user", "secret:cqsmmd2ngomatdm7f4kg"),
    ]);
    let state = State {
        relations: vec![rel.clone().into()],
        ..State::default()
    };
    let err = ctx
        .run(ctx.on.relation_changed(&rel), &state)
        .unwrap_err()
        .to_string();
    assert!(err.contains("secret:cqsmmd2ngomatdm7f4kg"), "{err}");
    assert!(err.contains("secret-user"), "{err}");
}

#[test]
fn the_library_forgets_a_broken_relation() {
    let mut ctx = context();
    let rel = relation(ANSWER);
    let other = Relation {
        id: rel.id + 1,
        ..relation(&[])
    };
    let mut stored = seen(&rel, ANSWER);
    stored.content.get_mut("relations").unwrap()[other.id.to_string()] =
        json!({"endpoints": "x:1"});
    let state = State {
        relations: vec![rel.clone().into(), other.clone().into()],
        stored_states: vec![stored],
        ..State::default()
    };
    let out = ctx.run(ctx.on.relation_broken(&rel), &state).unwrap();
    let stored = out.get_stored_state("_stored", Some(PATH)).unwrap();
    assert_eq!(
        stored.content["relations"],
        json!({ other.id.to_string(): {"endpoints": "x:1"} })
    );
}

/// A charm that checks the library's reads during `update-status`.
struct ReaderCharm {
    model: Model,
    database: DatabaseRequires,
}

impl Charm for ReaderCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        let database = DatabaseRequires::new(
            framework.object("database", |c: &mut Self| &mut c.database),
            "database",
            "names_db",
        );
        framework.observe(ops::on::update_status(), |c: &mut Self, _| {
            let data = c.database.fetch_relation_data()?;
            let created = c.database.is_resource_created(None)?;
            let fields: Vec<String> = data
                .iter()
                .map(|(id, d)| format!("{id}:{}", d.keys().cloned().collect::<Vec<_>>().join("+")))
                .collect();
            let host = match data.keys().next() {
                Some(id) => c.database.fetch_relation_field(*id, "endpoints")?,
                None => None,
            };
            c.model.unit().set_status(ActiveStatus::new(format!(
                "{} created={created} endpoints={}",
                fields.join(" "),
                host.unwrap_or_default()
            )))?;
            Ok(())
        });
        ReaderCharm {
            model: framework.model().clone(),
            database,
        }
    }
}

#[rstest]
#[case::no_relation(vec![], "", "created=false endpoints=")]
#[case::not_answered(vec![NO_ANSWER], "1:", "created=false endpoints=")]
#[case::answered(vec![ANSWER], "1:endpoints+password+username", "created=true endpoints=pg.local:5432")]
fn fetch_relation_data_reads_each_relation(
    #[case] answers: Vec<&[(&str, &str)]>,
    #[case] fields: &str,
    #[case] rest: &str,
) {
    let mut ctx = Context::<ReaderCharm>::from_yaml(
        "name: reader\nrequires:\n  database: {interface: postgresql_client}\n",
    )
    .unwrap();
    let relations = answers
        .iter()
        .enumerate()
        .map(|(i, data)| {
            Relation {
                id: 1 + i as u32,
                ..relation(data)
            }
            .into()
        })
        .collect();
    let state = State {
        relations,
        ..State::default()
    };
    let out = ctx.run(ctx.on.update_status(), &state).unwrap();
    assert_eq!(
        out.unit_status,
        ActiveStatus::new(format!("{fields} {rest}"))
    );
}
