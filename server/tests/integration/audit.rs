//! The audit log: sign-ins (and failed ones), changes to users and tokens with who, from
//! where and what changed; administrators only; append-only in the database, pruned
//! only past its retention; the CSV export over HTTP.

use axum::http::{StatusCode, header};
use chrono::{Duration, Utc};
use rand::rngs::OsRng;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use shared::api_token::service::{create_token, revoke_token};
use shared::api_token::{ApiAccess, ApiResource, ApiScope, NewApiToken};
use shared::audit::entity::audit_log;
use shared::audit::service::{list, prune, record, set_retention};
use shared::audit::{AuditAction, AuditEntry, AuditFilter};
use shared::user::{Role, UserPatch, service as users};

use crate::harness::{TestDb, t0};
use crate::http::{ORIGIN, get, post_form, send, signed_in};

async fn entries(t: &TestDb, filter: AuditFilter) -> Vec<AuditEntry> {
    list(
        &t.db,
        &shared::access::Actor::system(),
        &filter,
        100,
        |day| day.and_hms_opt(0, 0, 0).unwrap().and_utc(),
    )
    .await
    .unwrap()
    .0
}

fn only(action: AuditAction) -> AuditFilter {
    AuditFilter {
        action: Some(action),
        ..AuditFilter::default()
    }
}

#[tokio::test]
async fn sign_ins_and_changes_are_recorded_with_who_from_where_and_what_changed() {
    let t = TestDb::new().await;
    let root = t.user("root@bank.ru", Role::Admin, vec![]).await;
    let anna = t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app();

    // A sign-in and a failed one (the e-mail tried is kept; a formula stays text in CSV).
    let cookie = signed_in(&app, "root@bank.ru").await;
    let failed = send(
        &app,
        post_form(
            "/api/sign_in",
            "email=%3Dcmd()%40evil.ru&password=wrong-password",
            None,
            Some(ORIGIN),
        ),
    )
    .await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED, "{}", failed.body);
    let sign_ins = entries(&t, only(AuditAction::SignIn)).await;
    assert_eq!(sign_ins.len(), 1);
    assert_eq!(sign_ins[0].actor_user_id, Some(root.id));
    assert_eq!(sign_ins[0].actor, "root");
    assert!(sign_ins[0].address.is_some());
    let failures = entries(&t, only(AuditAction::SignInFailed)).await;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].actor, "=cmd()@evil.ru");
    assert_eq!(failures[0].actor_user_id, None);

    // A change made from an address, with what it changed.
    let admin = t.actor(&root).await.with_address("10.1.2.3".into());
    users::update_user(
        &t.db,
        &admin,
        anna.id,
        UserPatch {
            role: Some(Role::Manager),
            ..Default::default()
        },
        t0(),
    )
    .await
    .unwrap();
    let changed = entries(&t, only(AuditAction::UserChanged)).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].details, "role: employee -> manager");
    assert_eq!(
        changed[0].target.as_deref(),
        Some(&*format!("user:{}", anna.id.0))
    );
    assert_eq!(changed[0].address.as_deref(), Some("10.1.2.3"));
    users::reset_password(
        &t.db,
        &admin,
        anna.id,
        "another-password-1",
        &mut OsRng,
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(entries(&t, only(AuditAction::PasswordReset)).await.len(), 1);

    // Tokens made and revoked.
    let made = create_token(
        &t.db,
        &admin,
        NewApiToken {
            name: "Accounting".into(),
            scopes: vec![ApiScope {
                resource: ApiResource::Deals,
                access: ApiAccess::Read,
            }],
            expires_at: None,
            user: None,
            rate_per_minute: None,
        },
        t0(),
    )
    .await
    .unwrap();
    revoke_token(&t.db, &admin, made.token.id, t0())
        .await
        .unwrap();
    let created = entries(&t, only(AuditAction::ApiTokenCreated)).await;
    assert!(
        created[0].details.starts_with("Accounting for root"),
        "{created:?}"
    );
    assert!(
        !created[0].details.contains(&made.secret),
        "never the secret"
    );
    assert_eq!(
        entries(&t, only(AuditAction::ApiTokenRevoked)).await.len(),
        1
    );

    // Filtered by person: only the administrator's rows, newest first.
    let theirs = entries(
        &t,
        AuditFilter {
            user: Some(root.id),
            ..AuditFilter::default()
        },
    )
    .await;
    assert!(theirs.iter().all(|e| e.actor_user_id == Some(root.id)));
    assert!(theirs.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(theirs.len(), 5, "{theirs:?}");

    // Only administrators read it.
    let employee = t.actor(&anna).await;
    let refused = list(&t.db, &employee, &AuditFilter::default(), 10, |day| {
        day.and_hms_opt(0, 0, 0).unwrap().and_utc()
    })
    .await;
    assert_eq!(refused.unwrap_err(), shared::AppError::Forbidden);

    // The CSV: administrators only, the filter applied, formulas neutralised.
    let csv = send(
        &app,
        get(
            "/admin/audit/export?action=auth.sign_in_failed",
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(
        csv.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.body.starts_with('\u{feff}'));
    assert!(csv.body.contains("'=cmd()@evil.ru"), "{}", csv.body);
    assert!(!csv.body.contains("auth.sign_in,"), "{}", csv.body);
    assert_eq!(entries(&t, only(AuditAction::AuditExported)).await.len(), 1);
    let bad = send(
        &app,
        get("/admin/audit/export?action=nonsense", Some(&cookie)),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let anna_cookie = {
        let anna_app = t.app();
        users::reset_password(
            &t.db,
            &shared::access::Actor::system(),
            anna.id,
            crate::harness::PASSWORD,
            &mut OsRng,
            t0(),
        )
        .await
        .unwrap();
        signed_in(&anna_app, "anna@bank.ru").await
    };
    let forbidden = send(&app, get("/admin/audit/export", Some(&anna_cookie))).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    // The refusal itself is in the log, with who and what they tried.
    let denied = entries(&t, only(AuditAction::PermissionDenied)).await;
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(denied[0].actor_user_id, Some(anna.id));
    assert_eq!(denied[0].target.as_deref(), Some("GET /admin/audit/export"));
    let anonymous = send(&app, get("/admin/audit/export", None)).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_log_cannot_be_edited_and_is_pruned_only_past_its_retention() {
    let t = TestDb::new().await;
    let root = t.user("root@bank.ru", Role::Admin, vec![]).await;
    let admin = t.actor(&root).await;
    // The database judges the retention by its own clock, so this test uses the real one.
    #[expect(
        clippy::disallowed_methods,
        reason = "the trigger compares with the real clock"
    )]
    let now = Utc::now();
    record(
        &t.db,
        &admin,
        AuditAction::SettingsChanged,
        None,
        "recent",
        now,
    )
    .await
    .unwrap();
    audit_log::ActiveModel {
        at: Set(now - Duration::days(400)),
        action: Set(AuditAction::SignIn.as_str().to_owned()),
        details: Set("old".into()),
        ..Default::default()
    }
    .insert(&t.db)
    .await
    .unwrap();
    for sql in [
        "UPDATE audit_log SET details = 'forged'",
        "DELETE FROM audit_log",
    ] {
        assert!(
            t.db.execute_unprepared(sql).await.is_err(),
            "{sql} must fail"
        );
    }
    let details =
        |rows: Vec<AuditEntry>| -> Vec<String> { rows.into_iter().map(|e| e.details).collect() };
    let before = details(entries(&t, AuditFilter::default()).await);
    assert!(before.contains(&"old".to_owned()) && before.contains(&"recent".to_owned()));
    // The pruner removes what is past the retention (365 days), nothing younger.
    assert_eq!(prune(&t.db, now).await.unwrap(), 1);
    let kept = details(entries(&t, AuditFilter::default()).await);
    assert_eq!(kept.len(), before.len() - 1);
    assert!(!kept.contains(&"old".to_owned()) && kept.contains(&"recent".to_owned()));

    // The retention has bounds, and changing it is itself recorded.
    for days in [0, 29, 3651] {
        let err = set_retention(&t.db, &admin, days, now).await.unwrap_err();
        assert!(
            matches!(err, shared::AppError::Validation { .. }),
            "{days}: {err:?}"
        );
    }
    set_retention(&t.db, &admin, 30, now).await.unwrap();
    assert_eq!(
        shared::audit::service::retention_days(&t.db).await.unwrap(),
        30
    );
    let changed = entries(&t, only(AuditAction::SettingsChanged)).await;
    assert_eq!(changed[0].details, "audit log kept: 365 -> 30 days");
    // The database holds the floor too, whatever a caller does.
    assert!(
        t.db.execute_unprepared("UPDATE audit_settings SET retention_days = 1")
            .await
            .is_err()
    );
}
