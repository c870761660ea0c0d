//! Demo data for the loan conveyor, loaded on the first start through the same use cases
//! an administrator would use.

use chrono::{DateTime, Utc};
use rand::{CryptoRng, RngCore};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use shared::AppError;
use shared::access::Actor;
use shared::custom_field::service as custom_fields;
use shared::custom_field::{
    CustomFieldDraft, CustomFieldId, CustomFieldKind, CustomInput, RecordKind,
};
use shared::db::Db;
use shared::department::{DepartmentInput, service as departments};
use shared::user::entity::users;
use shared::user::{NewUser, Role, UserView, service as user_service};

/// Every demo user signs in with this password.
pub const DEMO_PASSWORD: &str = "konveyer-demo";
pub const DEMO_ADMIN_EMAIL: &str = "admin@konveyer.demo";
pub const DEMO_MANAGER_EMAIL: &str = "dmitry.volkov@konveyer.demo";
pub const DEMO_EMPLOYEE_EMAIL: &str = "anna.smirnova@konveyer.demo";

/// A demo person: name, e-mail local part, role.
type DemoPerson = (&'static str, &'static str, Role);

/// Each department with its people; the first person heads the department.
const DEPARTMENTS: &[(&str, &[DemoPerson])] = &[
    (
        "Client managers",
        &[
            ("Anna Smirnova", "anna.smirnova", Role::Employee),
            ("Pavel Orlov", "pavel.orlov", Role::Employee),
            ("Elena Kuznetsova", "elena.kuznetsova", Role::Employee),
        ],
    ),
    (
        "Scoring",
        &[
            ("Igor Sokolov", "igor.sokolov", Role::Employee),
            ("Maria Lebedeva", "maria.lebedeva", Role::Employee),
        ],
    ),
    (
        "Risk",
        &[
            ("Sergey Morozov", "sergey.morozov", Role::Employee),
            ("Natalia Popova", "natalia.popova", Role::Employee),
            ("Artem Novikov", "artem.novikov", Role::Employee),
        ],
    ),
    (
        "Credit committee",
        &[
            ("Dmitry Volkov", "dmitry.volkov", Role::Manager),
            ("Tatiana Fedorova", "tatiana.fedorova", Role::Employee),
        ],
    ),
    (
        "Servicing",
        &[
            ("Alexey Pavlov", "alexey.pavlov", Role::Employee),
            ("Yulia Semenova", "yulia.semenova", Role::Employee),
        ],
    ),
    (
        "Accounting",
        &[
            ("Olga Vasilieva", "olga.vasilieva", Role::Restricted),
            ("Nikolai Egorov", "nikolai.egorov", Role::Restricted),
        ],
    ),
];

const CLIENT_NAMES: &[&str] = &[
    "Ivan Petrov",
    "Maria Ivanova",
    "Alexei Sidorov",
    "Olga Kuznetsova",
    "Dmitry Smirnov",
    "Ekaterina Popova",
    "Sergei Vasiliev",
    "Anna Sokolova",
    "Mikhail Mikhailov",
    "Natalia Novikova",
    "Andrei Fedorov",
    "Irina Morozova",
    "Pavel Volkov",
    "Tatiana Alekseeva",
    "Nikolai Lebedev",
    "Svetlana Semenova",
    "Viktor Egorov",
    "Yulia Pavlova",
    "Roman Kozlov",
    "Elena Stepanova",
];
/// Loan products with their amount range in roubles (the bench reuses them).
pub(crate) const PRODUCTS: &[(&str, i64, i64)] = &[
    ("Mortgage", 3_000_000, 12_000_000),
    ("Car loan", 600_000, 3_500_000),
    ("Consumer loan", 100_000, 900_000),
    ("Business credit line", 2_000_000, 30_000_000),
    ("Refinancing", 500_000, 5_000_000),
];
pub(crate) const RETURN_REASONS: &[&str] = &[
    "No income statement attached",
    "Passport scan is unreadable",
    "Collateral valuation is missing",
    "Debt-to-income ratio needs a co-borrower",
    "Employer details do not match",
    "Committee asked for a larger down payment",
];

/// Loads the loan conveyor with about 300 deals and 90 days of realistic history
/// (returns for rework, SLA breaches), each move made through `move_deal`.
pub async fn seed_conveyor(db: &Db, now: DateTime<Utc>) -> Result<(), AppError> {
    use rand::{Rng, SeedableRng};
    use shared::deal::service::{create_deal, move_deal};
    use shared::deal::{Money, MoveDeal, NewDeal};
    use shared::pipeline::StageKind;
    use shared::pipeline::service::{Template, create_from_template, load_pipeline};

    let system = Actor::system();
    let all_departments: Vec<_> = departments::list_departments(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let pipeline_id = create_from_template(
        db,
        &system,
        "Loan conveyor",
        Template::LoanConveyor,
        &all_departments,
        now,
    )
    .await?;
    let pipeline = load_pipeline(db, pipeline_id).await?;
    let scoring_fields = seed_custom_fields(db, now).await?;
    let people = user_service::list_users(db, &system).await?;
    let members =
        |department: Option<shared::department::DepartmentId>| -> Vec<shared::user::UserView> {
            people
                .iter()
                .filter(|u| department.is_some_and(|d| u.department_ids.contains(&d)))
                .cloned()
                .collect()
        };
    let open: Vec<_> = pipeline
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Open)
        .cloned()
        .collect();
    let closed = |kind: StageKind| {
        pipeline
            .stages
            .iter()
            .find(|s| s.kind == kind)
            .map(|s| s.id)
    };
    let managers = members(open.first().and_then(|s| s.department_id));
    // A fixed seed: every first start shows the same demo.
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261123);
    for n in 0..300 {
        let (product, low, high) = PRODUCTS[rng.gen_range(0..PRODUCTS.len())];
        let client = CLIENT_NAMES[rng.gen_range(0..CLIENT_NAMES.len())];
        let created = now - chrono::Duration::minutes(rng.gen_range(30..90 * 24 * 60));
        let manager = &managers[n % managers.len().max(1)];
        let amount = rng.gen_range(low / 10_000..=high / 10_000) * 10_000;
        let mut deal = create_deal(
            db,
            &(),
            &system,
            NewDeal {
                pipeline_id,
                title: format!("{product} #{}", 1001 + n),
                client_name: Some(client.to_owned()),
                client_phone: Some(format!(
                    "+7 9{:02} {:03}-{:02}-{:02}",
                    rng.gen_range(0..100),
                    rng.gen_range(0..1000),
                    rng.gen_range(0..100),
                    rng.gen_range(0..100)
                )),
                // A namesake is another person: their own address.
                client_email: Some(format!(
                    "{}.{}@mail.example",
                    client.to_lowercase().replace(' ', "."),
                    1001 + n
                )),
                amount: Some(Money {
                    amount: rust_decimal::Decimal::new(amount * 100, 2),
                    currency: "RUB".into(),
                }),
                responsible: Some(manager.id),
                client: None,
                custom: scoring_fields.values(n),
            },
            created,
        )
        .await?;
        let mut at = created;
        let mut position = 0_usize;
        loop {
            // Most desks answer within their SLA; some hold an application far longer.
            let hours = if rng.gen_bool(0.15) {
                rng.gen_range(48..200)
            } else {
                rng.gen_range(1..30)
            };
            let next_at = at
                + chrono::Duration::hours(hours)
                + chrono::Duration::minutes(rng.gen_range(0..60));
            if next_at >= now {
                break;
            }
            let roll: f64 = rng.r#gen();
            let (to, comment) = if position > 0 && roll < 0.15 {
                let back = rng.gen_range(0..position);
                (
                    open[back].id,
                    RETURN_REASONS[rng.gen_range(0..RETURN_REASONS.len())].to_owned(),
                )
            } else if roll < 0.22 {
                (
                    closed(StageKind::Lost).unwrap_or(open[0].id),
                    "Declined: risk too high".to_owned(),
                )
            } else if roll < 0.24 {
                (
                    closed(StageKind::Archive).unwrap_or(open[0].id),
                    "Client stopped answering".to_owned(),
                )
            } else if position + 1 < open.len() {
                (open[position + 1].id, String::new())
            } else {
                (
                    closed(StageKind::Won).unwrap_or(open[0].id),
                    "Loan issued".to_owned(),
                )
            };
            let from_department = open.get(position).and_then(|s| s.department_id);
            let movers = members(from_department);
            let actor = match movers.get(rng.gen_range(0..movers.len().max(1))) {
                Some(person) => user_service::load_actor(db, person.id)
                    .await?
                    .map(|(a, _)| a)
                    .unwrap_or(system.clone()),
                None => system.clone(),
            };
            deal = move_deal(
                db,
                &(),
                &actor,
                MoveDeal {
                    deal_id: deal.id,
                    to_stage: to,
                    version: deal.version,
                    comment,
                },
                next_at,
            )
            .await?;
            at = next_at;
            match open.iter().position(|s| s.id == to) {
                Some(p) => position = p,
                None => break,
            }
        }
    }
    seed_clients(db, now).await
}

/// The scoring desk's custom fields on the conveyor's deals.
struct ScoringFields {
    score: CustomFieldId,
    risk_class: CustomFieldId,
    income: CustomFieldId,
}

impl ScoringFields {
    /// Values for the `n`th demo deal, from a generator of its own (so the rest of the demo
    /// stays as it was); about a third of the deals are not scored yet.
    fn values(&self, n: usize) -> Vec<CustomInput> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7_000 + n as u64);
        if rng.gen_bool(0.35) {
            return Vec::new();
        }
        let score: u32 = rng.gen_range(420..850);
        let class = match score {
            750.. => "A",
            650..750 => "B",
            550..650 => "C",
            _ => "D",
        };
        vec![
            CustomInput::one(self.score, score.to_string()),
            CustomInput::one(self.risk_class, class),
            CustomInput::one(self.income, (rng.gen_range(40..400) * 1_000).to_string()),
        ]
    }
}

/// Custom fields an administrator might define: the scoring desk's figures and checks on
/// deals, and a segment on clients.
async fn seed_custom_fields(db: &Db, now: DateTime<Utc>) -> Result<ScoringFields, AppError> {
    let system = Actor::system();
    let define =
        |entity, label: &str, kind, options: &[&str], group: &str, position, help: &str| {
            CustomFieldDraft {
                id: None,
                entity,
                pipeline_id: None,
                label: label.to_owned(),
                kind,
                options: options.iter().map(|o| (*o).to_owned()).collect(),
                currency: Some("RUB".to_owned()),
                group: group.to_owned(),
                position,
                required: false,
                help: help.to_owned(),
            }
        };
    let mut ids = Vec::new();
    for draft in [
        define(
            RecordKind::Deal,
            "Credit score",
            CustomFieldKind::Number,
            &[],
            "Scoring",
            10,
            "From the credit bureau, 300-850.",
        ),
        define(
            RecordKind::Deal,
            "Risk class",
            CustomFieldKind::Select,
            &["A", "B", "C", "D"],
            "Scoring",
            20,
            "",
        ),
        define(
            RecordKind::Deal,
            "Monthly income",
            CustomFieldKind::Money,
            &[],
            "Scoring",
            30,
            "Confirmed by a statement.",
        ),
        define(
            RecordKind::Deal,
            "Credit report",
            CustomFieldKind::Link,
            &[],
            "Scoring",
            40,
            "",
        ),
        define(
            RecordKind::Deal,
            "Documents checked",
            CustomFieldKind::Checkbox,
            &[],
            "Risk",
            50,
            "Passport and income statement verified.",
        ),
        define(
            RecordKind::Deal,
            "Collateral",
            CustomFieldKind::MultiSelect,
            &["Flat", "House", "Car", "Guarantor"],
            "Risk",
            60,
            "",
        ),
        define(
            RecordKind::Deal,
            "Committee date",
            CustomFieldKind::Date,
            &[],
            "Credit committee",
            70,
            "",
        ),
        define(
            RecordKind::Client,
            "Segment",
            CustomFieldKind::Select,
            &["Retail", "Premium", "SME", "Corporate"],
            "",
            10,
            "",
        ),
    ] {
        ids.push(custom_fields::save_field(db, &system, draft, now).await?.id);
    }
    Ok(ScoringFields {
        score: ids[0],
        risk_class: ids[1],
        income: ids[2],
    })
}

/// Companies, and for the persons the deals created: time zones across Russia's regions,
/// a few tags, and some of them working for the companies. A separate seed, so the deals
/// above stay as they were.
async fn seed_clients(db: &Db, now: DateTime<Utc>) -> Result<(), AppError> {
    use rand::{Rng, SeedableRng};
    use shared::client::service::{create_client, list_clients, update_client};
    use shared::client::{ClientDraft, ClientKind, ClientListFilter, NewClient, UpdateClient};

    const COMPANIES: &[(&str, &str, &str, &str, &str)] = &[
        (
            "Sibirskie Seti LLC",
            "5406123456",
            "+7 383 200-10-00",
            "Novosibirsk, Krasny prospekt 1",
            "Asia/Novosibirsk",
        ),
        (
            "Volga Logistics JSC",
            "6315123457",
            "+7 846 300-20-00",
            "Samara, Moskovskoe shosse 4",
            "Europe/Samara",
        ),
        (
            "Ural Steel Trading",
            "6658123458",
            "+7 343 400-30-00",
            "Yekaterinburg, Lenina 50",
            "Asia/Yekaterinburg",
        ),
        (
            "Baltic Foods",
            "3906123459",
            "+7 401 250-40-00",
            "Kaliningrad, Mira 12",
            "Europe/Kaliningrad",
        ),
    ];
    const ZONES: &[&str] = &[
        "Europe/Moscow",
        "Europe/Moscow",
        "Europe/Moscow",
        "Europe/Samara",
        "Asia/Yekaterinburg",
        "Asia/Novosibirsk",
        "Asia/Krasnoyarsk",
        "Asia/Vladivostok",
        "Europe/Kaliningrad",
    ];
    const TAGS: &[&str] = &["vip", "repeat client", "salary project"];
    let system = Actor::system();
    let segment = custom_fields::fields_for(db, RecordKind::Client, None)
        .await?
        .into_iter()
        .find(|field| field.label == "Segment")
        .map(|field| field.id);
    let mut companies = Vec::new();
    for (name, tax_id, phone, address, zone) in COMPANIES {
        let company = create_client(
            db,
            &system,
            NewClient {
                client: ClientDraft {
                    kind: ClientKind::Company,
                    name: (*name).to_owned(),
                    tax_id: Some((*tax_id).to_owned()),
                    phones: vec![(*phone).to_owned()],
                    address: Some((*address).to_owned()),
                    time_zone: Some((*zone).to_owned()),
                    tags: vec!["b2b".to_owned()],
                    ..ClientDraft::default()
                },
                allow_duplicate: true,
                custom: match segment {
                    Some(segment) => vec![CustomInput::one(segment, "Corporate")],
                    None => Vec::new(),
                },
            },
            now,
        )
        .await?;
        companies.push(company.id);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261124);
    let mut page = 0;
    loop {
        let list = list_clients(
            db,
            &system,
            &ClientListFilter {
                kind: Some(ClientKind::Person),
                page,
                ..ClientListFilter::default()
            },
            now,
        )
        .await?;
        for row in &list.rows {
            let client = shared::client::service::get_client(db, &system, row.id).await?;
            let mut draft = client.draft();
            draft.time_zone = Some(ZONES[rng.gen_range(0..ZONES.len())].to_owned());
            if rng.gen_bool(0.2) {
                draft.tags = vec![TAGS[rng.gen_range(0..TAGS.len())].to_owned()];
            }
            if rng.gen_bool(0.1) {
                draft.company = Some(companies[rng.gen_range(0..companies.len())]);
            }
            update_client(
                db,
                &system,
                UpdateClient {
                    id: client.id,
                    version: client.version,
                    client: draft,
                    allow_duplicate: true,
                    custom: Vec::new(),
                },
                now,
            )
            .await?;
        }
        if (page + 1) * shared::client::PAGE_SIZE >= list.total {
            return Ok(());
        }
        page += 1;
    }
}

/// Whether the database has no users yet (a first start).
pub async fn is_empty(db: &Db) -> Result<bool, AppError> {
    Ok(users::Entity::find().count(db).await? == 0)
}

/// The demo bank works on Moscow time; each person can pick their own zone.
const DEMO_TIME_ZONE: &str = "Europe/Moscow";

async fn on_demo_time(db: &Db, user: &UserView, now: DateTime<Utc>) -> Result<(), AppError> {
    let actor = Actor::user(user.id, user.role, user.department_ids.clone());
    user_service::set_time_zone(db, &actor, DEMO_TIME_ZONE, now).await?;
    Ok(())
}

/// Loads the demo organisation. Does nothing and returns `false` when users exist.
pub async fn seed_demo(
    db: &Db,
    rng: &mut (impl RngCore + CryptoRng),
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    if !is_empty(db).await? {
        return Ok(false);
    }
    let system = Actor::system();
    // The dashboards' stored days are Moscow's, as everyone's but a few visitors' are.
    shared::analytics::service::set_organisation_zone(db, &system, DEMO_TIME_ZONE, now).await?;
    let admin = user_service::create_user(
        db,
        &system,
        NewUser {
            name: "Olga Petrova".into(),
            email: DEMO_ADMIN_EMAIL.into(),
            role: Role::Admin,
            department_ids: vec![],
            password: DEMO_PASSWORD.into(),
        },
        rng,
        now,
    )
    .await?;
    on_demo_time(db, &admin, now).await?;
    for (department, people) in DEPARTMENTS {
        let id = departments::create_department(
            db,
            &system,
            DepartmentInput {
                name: (*department).into(),
                head: None,
            },
            now,
        )
        .await?;
        let mut head = None;
        for (name, login, role) in *people {
            let user = user_service::create_user(
                db,
                &system,
                NewUser {
                    name: (*name).into(),
                    email: format!("{login}@konveyer.demo"),
                    role: *role,
                    department_ids: vec![id],
                    password: DEMO_PASSWORD.into(),
                },
                rng,
                now,
            )
            .await?;
            on_demo_time(db, &user, now).await?;
            head.get_or_insert(user.id);
        }
        departments::update_department(
            db,
            &system,
            id,
            DepartmentInput {
                name: (*department).into(),
                head,
            },
            now,
        )
        .await?;
    }
    seed_conveyor(db, now).await?;
    seed_automation(db, now).await?;
    Ok(true)
}

/// Two example rules on the loan conveyor, switched off so that the demo's people see what
/// a rule looks like before they let one act: scoring takes new applications in turn with
/// a task, and the responsible hears when scoring runs over its SLA.
async fn seed_automation(db: &Db, now: DateTime<Utc>) -> Result<(), AppError> {
    use shared::automation::{
        Action, AssignStrategy, RuleDefinition, RuleInput, TaskAssignee, Trigger,
    };
    let system = Actor::system();
    let Some((pipeline_id, _)) = shared::pipeline::service::list_pipelines(db)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let pipeline = shared::pipeline::service::load_pipeline(db, pipeline_id).await?;
    let Some(scoring) = pipeline.stages.iter().find(|s| s.name == "Scoring") else {
        return Ok(());
    };
    let Some(department_id) = scoring.department_id else {
        return Ok(());
    };
    let rules = [
        RuleInput {
            name: "Scoring takes new applications in turn".into(),
            pipeline_id,
            enabled: false,
            retrigger_self: false,
            definition: RuleDefinition {
                trigger: Trigger::StageEntered {
                    stage_id: Some(scoring.id),
                },
                conditions: Vec::new(),
                actions: vec![
                    Action::Assign {
                        department_id,
                        strategy: AssignStrategy::RoundRobin,
                        cap: Some(40),
                    },
                    Action::CreateTask {
                        title: "Score the application".into(),
                        due_minutes: 240,
                        assignee: TaskAssignee::Responsible,
                        on_main_deal: false,
                    },
                ],
            },
        },
        RuleInput {
            name: "Scoring over its SLA".into(),
            pipeline_id,
            enabled: false,
            retrigger_self: false,
            definition: RuleDefinition {
                trigger: Trigger::TimeInStage {
                    stage_id: scoring.id,
                    minutes: None,
                },
                conditions: Vec::new(),
                actions: vec![Action::Notify {
                    to: TaskAssignee::Responsible,
                    text: "The application is past the scoring SLA".into(),
                }],
            },
        },
    ];
    for rule in rules {
        shared::automation::service::create_rule(db, &system, rule, now).await?;
    }
    seed_visit_reports(db, pipeline_id, now).await
}

/// The visit report scenario, built from rules alone: a representative ticks the service
/// lines a client needs and writes a comment; when the visit's report is written, a random
/// manager of each ticked line's department is picked, one of them at random is the main
/// manager, each gets a deal on the loan conveyor that lists everyone and the comment, and
/// the main manager gets a task to close or control them.
async fn seed_visit_reports(
    db: &Db,
    conveyor: shared::pipeline::PipelineId,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    use shared::automation::{
        Action, AssignStrategy, Condition, RuleDefinition, RuleInput, TaskAssignee, TextOp,
        Trigger, ValueDepartment,
    };
    use shared::pipeline::service::{Template, create_from_template, load_pipeline};
    let system = Actor::system();
    let visits =
        create_from_template(db, &system, "Field visits", Template::FieldVisits, &[], now).await?;
    let services = custom_fields::save_field(
        db,
        &system,
        CustomFieldDraft {
            id: None,
            entity: RecordKind::Deal,
            pipeline_id: Some(visits),
            label: "Service lines".to_owned(),
            kind: CustomFieldKind::MultiSelect,
            options: ["Loans", "Cards", "Leasing"].map(str::to_owned).to_vec(),
            currency: None,
            group: "Visit report".to_owned(),
            position: 10,
            required: false,
            help: "What the client needs; each line goes to its department.".to_owned(),
        },
        now,
    )
    .await?;
    let departments = departments::list_departments(db).await?;
    let department = |name: &str| departments.iter().find(|d| d.name == name).map(|d| d.id);
    let mapping: Vec<ValueDepartment> = [
        ("Loans", "Client managers"),
        ("Cards", "Servicing"),
        ("Leasing", "Risk"),
    ]
    .into_iter()
    .filter_map(|(value, name)| {
        Some(ValueDepartment {
            value: value.to_owned(),
            department_id: department(name)?,
        })
    })
    .collect();
    let pipeline = load_pipeline(db, visits).await?;
    let Some(written) = pipeline.stages.iter().find(|s| s.name == "Report written") else {
        return Ok(());
    };
    let rule = RuleInput {
        name: "Visit report: a deal for each service line".into(),
        pipeline_id: visits,
        enabled: true,
        retrigger_self: false,
        definition: RuleDefinition {
            trigger: Trigger::StageEntered {
                stage_id: Some(written.id),
            },
            conditions: vec![Condition::Custom {
                field_id: services.id,
                op: TextOp::IsSet,
                value: String::new(),
            }],
            actions: vec![
                Action::PickPerValue {
                    field_id: services.id,
                    departments: mapping,
                    strategy: AssignStrategy::Random,
                },
                Action::PickMain,
                Action::CreateDeals {
                    pipeline_id: conveyor,
                    title: "{client}: after the visit".into(),
                    note: "Managers: {managers}. Main manager: {main}. Client: {client}. \
                           Visit report ({deal}): {comment}"
                        .into(),
                },
                Action::CreateTask {
                    title: "Close or control the deals after the visit to {client}".into(),
                    due_minutes: 24 * 60,
                    assignee: TaskAssignee::Main,
                    on_main_deal: true,
                },
            ],
        },
    };
    shared::automation::service::create_rule(db, &system, rule, now).await?;
    Ok(())
}

/// Whether the demo organisation is in the database (its administrator exists).
pub async fn is_loaded(db: &Db) -> Result<bool, AppError> {
    Ok(users::Entity::find()
        .filter(users::Column::Email.eq(DEMO_ADMIN_EMAIL))
        .count(db)
        .await?
        > 0)
}

/// The lines printed at start so a newcomer knows how to sign in: the demo's accounts
/// when the demo organisation is there, else how to add the first user.
pub fn sign_in_hint(url: &str, demo: bool) -> String {
    if demo {
        format!(
            "\n  Konveyer is running at {url}\n\n  Demo sign-in (password for every demo user: {DEMO_PASSWORD})\n    admin     {DEMO_ADMIN_EMAIL}\n    manager   {DEMO_MANAGER_EMAIL}\n    employee  {DEMO_EMPLOYEE_EMAIL}\n"
        )
    } else {
        format!(
            "\n  Konveyer is running at {url}\n\n  Add a user to sign in with:\n    konveyer create-user --name \"Your Name\" --email you@example.com --role admin\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_names_the_demo_accounts_only_when_the_demo_is_there() {
        assert!(sign_in_hint("http://127.0.0.1:3000", true).contains(DEMO_ADMIN_EMAIL));
        let bare = sign_in_hint("http://127.0.0.1:3000", false);
        assert!(!bare.contains(DEMO_ADMIN_EMAIL), "{bare}");
        assert!(bare.contains("konveyer create-user"), "{bare}");
    }
}
