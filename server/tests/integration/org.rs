//! Users and departments: who may change them, validation, uniqueness.

use rand::rngs::OsRng;
use sea_orm::{EntityTrait, PaginatorTrait};
use shared::AppError;
use shared::access::Actor;
use shared::auth::SignIn;
use shared::department::{DepartmentId, DepartmentInput, service as departments};
use shared::error::{Entity, Field, Rule};
use shared::locale::Locale;
use shared::user::entity::users as users_table;
use shared::user::{NewUser, Role, UserId, UserPatch, service as users};

use crate::harness::{PASSWORD, TestDb, t0};

fn new_user(email: &str) -> NewUser {
    NewUser {
        name: "Irina Belova".into(),
        email: email.into(),
        role: Role::Employee,
        department_ids: vec![],
        password: PASSWORD.into(),
    }
}

async fn user_count(t: &TestDb) -> u64 {
    users_table::Entity::find().count(&t.db).await.unwrap()
}

#[tokio::test]
async fn admin_creates_a_user_in_departments() {
    let t = TestDb::new().await;
    let scoring = t.department("Scoring").await;
    let risk = t.department("Risk").await;
    let admin = t.user("admin@bank.ru", Role::Admin, vec![]).await;
    let actor = t.actor(&admin).await;
    let mut cmd = new_user("Irina@Bank.ru");
    cmd.department_ids = vec![risk, scoring, risk];
    let created = users::create_user(&t.db, &actor, cmd, &mut OsRng, t0())
        .await
        .unwrap();
    assert_eq!(created.email, "irina@bank.ru");
    let mut expected = vec![scoring, risk];
    expected.sort();
    assert_eq!(created.department_ids, expected);
    assert_eq!(users::get_user(&t.db, created.id).await.unwrap(), created);
}

#[tokio::test]
async fn only_admins_manage_users_and_departments() {
    let t = TestDb::new().await;
    for role in [Role::Manager, Role::Employee, Role::Restricted] {
        let person = t
            .user(&format!("{}@bank.ru", role.as_str()), role, vec![])
            .await;
        let actor = t.actor(&person).await;
        let before = user_count(&t).await;
        assert_eq!(
            users::create_user(&t.db, &actor, new_user("x@bank.ru"), &mut OsRng, t0()).await,
            Err(AppError::Forbidden)
        );
        assert_eq!(user_count(&t).await, before);
        assert_eq!(
            users::list_users(&t.db, &actor).await,
            Err(AppError::Forbidden)
        );
        assert_eq!(
            departments::create_department(
                &t.db,
                &actor,
                DepartmentInput {
                    name: "Shadow".into(),
                    head: None
                },
                t0()
            )
            .await,
            Err(AppError::Forbidden)
        );
        assert_eq!(
            users::update_user(
                &t.db,
                &actor,
                person.id,
                UserPatch {
                    role: Some(Role::Admin),
                    ..Default::default()
                },
                t0()
            )
            .await,
            Err(AppError::Forbidden)
        );
    }
    assert!(
        departments::list_departments(&t.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let t = TestDb::new().await;
    let system = Actor::system();
    let cases = [
        (
            NewUser {
                name: "  ".into(),
                ..new_user("a@bank.ru")
            },
            Field::Name,
            Rule::Required,
        ),
        (new_user("not-an-email"), Field::Email, Rule::InvalidEmail),
        (
            NewUser {
                password: "short".into(),
                ..new_user("b@bank.ru")
            },
            Field::Password,
            Rule::TooShort { min: 8 },
        ),
        (
            NewUser {
                name: "я".repeat(201),
                ..new_user("c@bank.ru")
            },
            Field::Name,
            Rule::TooLong { max: 200 },
        ),
    ];
    for (cmd, field, rule) in cases {
        assert_eq!(
            users::create_user(&t.db, &system, cmd, &mut OsRng, t0()).await,
            Err(AppError::Validation { field, rule })
        );
    }
    let unknown_department = NewUser {
        department_ids: vec![DepartmentId(999)],
        ..new_user("d@bank.ru")
    };
    assert_eq!(
        users::create_user(&t.db, &system, unknown_department, &mut OsRng, t0()).await,
        Err(AppError::NotFound {
            entity: Entity::Department
        })
    );
    assert_eq!(user_count(&t).await, 0);
}

#[tokio::test]
async fn email_is_unique_whatever_its_case() {
    let t = TestDb::new().await;
    let first = t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let other = t.user("boris@bank.ru", Role::Employee, vec![]).await;
    assert_eq!(
        users::create_user(
            &t.db,
            &Actor::system(),
            new_user("ANNA@bank.ru"),
            &mut OsRng,
            t0()
        )
        .await,
        Err(AppError::Duplicate {
            entity: Entity::User,
            field: Field::Email
        })
    );
    assert_eq!(
        users::update_user(
            &t.db,
            &Actor::system(),
            other.id,
            UserPatch {
                email: Some("Anna@bank.ru".into()),
                ..Default::default()
            },
            t0()
        )
        .await,
        Err(AppError::Duplicate {
            entity: Entity::User,
            field: Field::Email
        })
    );
    // Keeping one's own address is not a clash.
    assert!(
        users::update_user(
            &t.db,
            &Actor::system(),
            first.id,
            UserPatch {
                email: Some("anna@bank.ru".into()),
                name: Some("Anna S".into()),
                ..Default::default()
            },
            t0()
        )
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn an_admin_cannot_lock_themselves_out() {
    let t = TestDb::new().await;
    let admin = t.user("admin@bank.ru", Role::Admin, vec![]).await;
    let actor = t.actor(&admin).await;
    assert_eq!(
        users::update_user(
            &t.db,
            &actor,
            admin.id,
            UserPatch {
                active: Some(false),
                ..Default::default()
            },
            t0()
        )
        .await,
        Err(AppError::Validation {
            field: Field::Active,
            rule: Rule::NotOnYourself
        })
    );
    assert_eq!(
        users::update_user(
            &t.db,
            &actor,
            admin.id,
            UserPatch {
                role: Some(Role::Manager),
                ..Default::default()
            },
            t0()
        )
        .await,
        Err(AppError::Validation {
            field: Field::Role,
            rule: Rule::NotOnYourself
        })
    );
    let unchanged = users::get_user(&t.db, admin.id).await.unwrap();
    assert!(unchanged.active);
    assert_eq!(unchanged.role, Role::Admin);
}

#[tokio::test]
async fn updating_an_unknown_user_is_not_found() {
    let t = TestDb::new().await;
    assert_eq!(
        users::update_user(
            &t.db,
            &Actor::system(),
            UserId(4242),
            UserPatch::default(),
            t0()
        )
        .await,
        Err(AppError::NotFound {
            entity: Entity::User
        })
    );
}

#[tokio::test]
async fn reset_password_replaces_the_old_one() {
    let t = TestDb::new().await;
    let anna = t.user("anna@bank.ru", Role::Employee, vec![]).await;
    users::reset_password(
        &t.db,
        &Actor::system(),
        anna.id,
        "brand-new-secret",
        &mut OsRng,
        t0(),
    )
    .await
    .unwrap();
    let sign = |password: &str| SignIn {
        email: "anna@bank.ru".into(),
        password: password.into(),
    };
    assert_eq!(
        shared::auth::service::sign_in(&t.db, sign(PASSWORD), "10.0.0.1", t0()).await,
        Err(AppError::InvalidCredentials)
    );
    assert!(
        shared::auth::service::sign_in(&t.db, sign("brand-new-secret"), "10.0.0.1", t0())
            .await
            .is_ok()
    );
    assert_eq!(
        users::reset_password(&t.db, &Actor::system(), anna.id, "short", &mut OsRng, t0()).await,
        Err(AppError::Validation {
            field: Field::Password,
            rule: Rule::TooShort { min: 8 }
        })
    );
}

#[tokio::test]
async fn language_choice_is_stored_per_user() {
    let t = TestDb::new().await;
    let anna = t.user("anna@bank.ru", Role::Employee, vec![]).await;
    assert_eq!(anna.locale, Locale::En);
    users::set_locale(&t.db, &t.actor(&anna).await, Locale::Ru, t0())
        .await
        .unwrap();
    assert_eq!(
        users::get_user(&t.db, anna.id).await.unwrap().locale,
        Locale::Ru
    );
}

#[tokio::test]
async fn departments_have_unique_names_and_an_existing_head() {
    let t = TestDb::new().await;
    let system = Actor::system();
    let risk = t.department("Risk").await;
    let head = t.user("head@bank.ru", Role::Manager, vec![risk]).await;
    assert_eq!(
        departments::create_department(
            &t.db,
            &system,
            DepartmentInput {
                name: " Risk ".into(),
                head: None
            },
            t0()
        )
        .await,
        Err(AppError::Duplicate {
            entity: Entity::Department,
            field: Field::Name
        })
    );
    assert_eq!(
        departments::create_department(
            &t.db,
            &system,
            DepartmentInput {
                name: "Scoring".into(),
                head: Some(UserId(999))
            },
            t0()
        )
        .await,
        Err(AppError::NotFound {
            entity: Entity::User
        })
    );
    assert_eq!(
        departments::create_department(
            &t.db,
            &system,
            DepartmentInput {
                name: "".into(),
                head: None
            },
            t0()
        )
        .await,
        Err(AppError::Validation {
            field: Field::Name,
            rule: Rule::Required
        })
    );
    departments::update_department(
        &t.db,
        &system,
        risk,
        DepartmentInput {
            name: "Risk management".into(),
            head: Some(head.id),
        },
        t0(),
    )
    .await
    .unwrap();
    let listed = departments::list_departments(&t.db).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "Risk management");
    assert_eq!(listed[0].head, Some(head.id));
    assert_eq!(listed[0].head_name.as_deref(), Some("head"));
    assert_eq!(listed[0].member_count, 1);
}

#[tokio::test]
async fn demo_data_loads_once() {
    let t = TestDb::new().await;
    // The start-up hint names the demo's accounts only once they exist.
    assert!(!server::demo::is_loaded(&t.db).await.unwrap());
    assert!(
        server::demo::seed_demo(&t.db, &mut OsRng, t0())
            .await
            .unwrap()
    );
    assert!(
        !server::demo::seed_demo(&t.db, &mut OsRng, t0())
            .await
            .unwrap()
    );
    assert!(server::demo::is_loaded(&t.db).await.unwrap());
    let listed = departments::list_departments(&t.db).await.unwrap();
    let names: Vec<_> = listed.iter().map(|d| d.name.as_str()).collect();
    for expected in [
        "Client managers",
        "Scoring",
        "Risk",
        "Credit committee",
        "Servicing",
        "Accounting",
    ] {
        assert!(names.contains(&expected), "{expected} missing");
    }
    assert!(
        listed
            .iter()
            .all(|d| d.head.is_some() && (2..=3).contains(&d.member_count))
    );
    let admin = shared::auth::service::sign_in(
        &t.db,
        SignIn {
            email: server::demo::DEMO_ADMIN_EMAIL.into(),
            password: server::demo::DEMO_PASSWORD.into(),
        },
        "127.0.0.1",
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(admin.role, Role::Admin);
}
