//! Demo data for the loan conveyor, loaded on the first start through the same use cases
//! an administrator would use.

use chrono::{DateTime, Utc};
use rand::{CryptoRng, RngCore};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use shared::AppError;
use shared::access::Actor;
use shared::department::{DepartmentInput, service as departments};
use shared::user::entity::users;
use shared::user::{NewUser, Role, service as user_service};

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

/// Whether the database has no users yet (a first start).
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, AppError> {
    Ok(users::Entity::find().count(db).await? == 0)
}

/// Loads the demo organisation. Does nothing and returns `false` when users exist.
pub async fn seed_demo(
    db: &DatabaseConnection,
    rng: &mut (impl RngCore + CryptoRng),
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    if !is_empty(db).await? {
        return Ok(false);
    }
    let system = Actor::system();
    user_service::create_user(
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
        )
        .await?;
    }
    Ok(true)
}

/// The lines printed at start so a newcomer knows how to sign in.
pub fn sign_in_hint(url: &str) -> String {
    format!(
        "\n  Konveyer is running at {url}\n\n  Demo sign-in (password for every demo user: {DEMO_PASSWORD})\n    admin     {DEMO_ADMIN_EMAIL}\n    manager   {DEMO_MANAGER_EMAIL}\n    employee  {DEMO_EMPLOYEE_EMAIL}\n"
    )
}
