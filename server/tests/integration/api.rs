//! The REST API (`/api/v1`) through the real router: tokens (missing, unknown, revoked,
//! expired, unscoped, a deactivated user's), deals (list by cursor, read with ETag, create,
//! change and move with If-Match and Idempotency-Key), the event feed, problem documents for
//! bad input with nothing changed, another user's records as 404, the rate limit, and the
//! OpenAPI document.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Duration;
use sea_orm::{EntityTrait, PaginatorTrait};
use shared::access::Actor;
use shared::api_token::service::{create_token, revoke_token};
use shared::api_token::{ApiAccess, ApiResource, ApiScope, NewApiToken};
use shared::deal::entity::deals;
use shared::user::{Role, UserPatch, UserView, service as users};

use crate::conveyor::Conveyor;
use crate::harness::t0;
use crate::http::{HOST, Reply, send};

pub(crate) fn scope(resource: ApiResource, access: ApiAccess) -> ApiScope {
    ApiScope { resource, access }
}

pub(crate) fn every_scope() -> Vec<ApiScope> {
    ApiResource::ALL
        .into_iter()
        .map(|resource| scope(resource, ApiAccess::Write))
        .collect()
}

pub(crate) async fn token_for(c: &Conveyor, user: &UserView, scopes: Vec<ApiScope>) -> String {
    token_with(c, user, scopes, None).await
}

async fn token_with(
    c: &Conveyor,
    user: &UserView,
    scopes: Vec<ApiScope>,
    rate: Option<u32>,
) -> String {
    let actor = c.t.actor(user).await;
    create_token(
        &c.t.db,
        &actor,
        NewApiToken {
            name: "Accounting sync".into(),
            scopes,
            expires_at: None,
            user: None,
            rate_per_minute: rate,
        },
        t0(),
    )
    .await
    .unwrap()
    .secret
}

pub(crate) fn call(
    method: Method,
    path: &str,
    token: Option<&str>,
    json: Option<&str>,
) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    match json {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap(),
        None => request.body(Body::empty()).unwrap(),
    }
}

pub(crate) fn with_header(mut request: Request<Body>, name: &str, value: &str) -> Request<Body> {
    request.headers_mut().insert(
        header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
        value.parse().unwrap(),
    );
    request
}

async fn deal_count(c: &Conveyor) -> u64 {
    deals::Entity::find().count(&c.t.db).await.unwrap()
}

pub(crate) fn assert_problem(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        reply.headers[header::CONTENT_TYPE],
        "application/problem+json",
        "{}",
        reply.body
    );
    let json = reply.json();
    assert_eq!(json["code"], code, "{}", reply.body);
    assert_eq!(json["status"], status.as_u16());
}

fn new_deal_json(c: &Conveyor, title: &str) -> String {
    serde_json::json!({
        "pipeline_id": c.pipeline.id.0,
        "title": title,
        "client_name": "Olga Ivanova",
        "client_phone": "+7 900 111-22-33",
        "amount": {"amount": "1500000.00", "currency": "RUB"},
    })
    .to_string()
}

#[tokio::test]
async fn a_call_needs_a_live_token_with_the_right_scope() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let deals_path = "/api/v1/deals";

    let none = send(&app, call(Method::GET, deals_path, None, None)).await;
    assert_problem(&none, StatusCode::UNAUTHORIZED, "auth.unauthenticated");
    assert_eq!(none.headers[header::WWW_AUTHENTICATE], "Bearer");
    for bad in ["kvt_nonsense", "not-even-ours", &"kvt_x".repeat(100)] {
        let reply = send(&app, call(Method::GET, deals_path, Some(bad), None)).await;
        assert_problem(&reply, StatusCode::UNAUTHORIZED, "auth.unauthenticated");
    }

    // A token that may read pipelines only: deals are 403, pipelines 200.
    let narrow = token_for(
        &c,
        &c.admin,
        vec![scope(ApiResource::Pipelines, ApiAccess::Read)],
    )
    .await;
    let reply = send(&app, call(Method::GET, deals_path, Some(&narrow), None)).await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "access.forbidden");
    let reply = send(
        &app,
        call(Method::GET, "/api/v1/pipelines", Some(&narrow), None),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.json()["data"][0]["stages"][0]["name"],
        "Client manager"
    );
    // Reading does not let it write.
    let reader = token_for(
        &c,
        &c.admin,
        vec![scope(ApiResource::Deals, ApiAccess::Read)],
    )
    .await;
    let before = deal_count(&c).await;
    let reply = send(
        &app,
        call(
            Method::POST,
            deals_path,
            Some(&reader),
            Some(&new_deal_json(&c, "No")),
        ),
    )
    .await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "access.forbidden");
    assert_eq!(deal_count(&c).await, before);

    // Revoked: the next call is 401.
    let revoked = token_for(&c, &c.admin, every_scope()).await;
    let ok = send(&app, call(Method::GET, deals_path, Some(&revoked), None)).await;
    assert_eq!(ok.status, StatusCode::OK);
    let admin = c.t.actor(&c.admin).await;
    let id = shared::api_token::service::list_tokens(&c.t.db, &admin)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.last_used_at.is_some())
        .unwrap()
        .id;
    revoke_token(&c.t.db, &admin, id, t0()).await.unwrap();
    let reply = send(&app, call(Method::GET, deals_path, Some(&revoked), None)).await;
    assert_problem(&reply, StatusCode::UNAUTHORIZED, "auth.unauthenticated");

    // Expired.
    let expired = create_token(
        &c.t.db,
        &admin,
        NewApiToken {
            name: "Short-lived".into(),
            scopes: every_scope(),
            expires_at: Some(t0() + Duration::minutes(1)),
            user: None,
            rate_per_minute: None,
        },
        t0(),
    )
    .await
    .unwrap()
    .secret;
    let reply = send(&app, call(Method::GET, deals_path, Some(&expired), None)).await;
    assert_problem(&reply, StatusCode::UNAUTHORIZED, "auth.unauthenticated");

    // A deactivated user's token stops working.
    let clerk = c.t.user("clerk@bank.ru", Role::Manager, vec![]).await;
    let clerks = token_for(&c, &clerk, every_scope()).await;
    let ok = send(&app, call(Method::GET, deals_path, Some(&clerks), None)).await;
    assert_eq!(ok.status, StatusCode::OK);
    users::update_user(
        &c.t.db,
        &admin,
        clerk.id,
        UserPatch {
            active: Some(false),
            ..Default::default()
        },
        t0(),
    )
    .await
    .unwrap();
    let reply = send(&app, call(Method::GET, deals_path, Some(&clerks), None)).await;
    assert_problem(&reply, StatusCode::UNAUTHORIZED, "auth.unauthenticated");

    // The document and its page need no token.
    let doc = send(&app, call(Method::GET, "/api/v1/openapi.json", None, None)).await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/deals/{id}/move"]["post"].is_object());
    let page = send(&app, call(Method::GET, "/api/v1/docs", None, None)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("/api/v1/deals/{id}/move"));
}

#[tokio::test]
async fn tokens_are_made_by_people_for_themselves_or_by_admins_for_others() {
    let c = Conveyor::new().await;
    let clerk = c.t.user("clerk@bank.ru", Role::Employee, vec![]).await;
    let clerk_actor = c.t.actor(&clerk).await;
    let admin = c.t.actor(&c.admin).await;
    let for_admin = NewApiToken {
        name: "Mine".into(),
        scopes: every_scope(),
        expires_at: None,
        user: Some(c.admin.id),
        rate_per_minute: None,
    };
    // An employee cannot make a token for someone else; an admin can.
    let refused = create_token(&c.t.db, &clerk_actor, for_admin.clone(), t0()).await;
    assert_eq!(refused.unwrap_err(), shared::AppError::Forbidden);
    let for_clerk = NewApiToken {
        user: Some(clerk.id),
        ..for_admin.clone()
    };
    let made = create_token(&c.t.db, &admin, for_clerk, t0())
        .await
        .unwrap();
    assert_eq!(made.token.user_id, clerk.id);
    assert!(made.secret.starts_with("kvt_"));
    assert!(made.secret.starts_with(&made.token.hint));
    // Neither the system nor a rule mints tokens.
    let refused = create_token(&c.t.db, &Actor::system(), for_admin, t0()).await;
    assert_eq!(refused.unwrap_err(), shared::AppError::Forbidden);
    // The clerk lists their own; revoking someone else's looks missing.
    let own = shared::api_token::service::list_tokens(&c.t.db, &clerk_actor)
        .await
        .unwrap();
    assert_eq!(own.len(), 1);
    let admins = token_for(&c, &c.admin, every_scope()).await;
    assert!(!admins.is_empty());
    let all = shared::api_token::service::list_tokens(&c.t.db, &admin)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let not_theirs = all.iter().find(|t| t.user_id == c.admin.id).unwrap().id;
    let refused = revoke_token(&c.t.db, &clerk_actor, not_theirs, t0()).await;
    assert!(matches!(refused, Err(shared::AppError::NotFound { .. })));
    // Nothing of the secret is stored but its hash and hint.
    let rows = shared::api_token::entity::api_tokens::Entity::find()
        .all(&c.t.db)
        .await
        .unwrap();
    assert!(
        rows.iter()
            .all(|row| !row.token_hash.contains(&made.secret[4..]))
    );
}

#[tokio::test]
async fn deals_move_through_the_api_by_the_boards_rules_with_versions() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let token = token_for(&c, &c.admin, every_scope()).await;

    let created = send(
        &app,
        call(
            Method::POST,
            "/api/v1/deals",
            Some(&token),
            Some(&new_deal_json(&c, "Car loan")),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let deal = created.json();
    let id = deal["id"].as_i64().unwrap();
    assert_eq!(
        created.location(),
        Some(format!("/api/v1/deals/{id}").as_str())
    );
    assert_eq!(created.headers[header::ETAG], "\"v1\"");
    assert_eq!(deal["amount"]["amount"], "1500000.00");
    assert_eq!(deal["stage_id"], c.stage("Client manager").0);
    assert_eq!(deal["responsible_id"], c.admin.id.0);

    let read = send(
        &app,
        call(
            Method::GET,
            &format!("/api/v1/deals/{id}"),
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.headers[header::ETAG], "\"v1\"");
    assert_eq!(read.json()["title"], "Car loan");

    // A change from a stale version: 412 with the current deal, nothing written.
    let patch = |version: &str, body: &str| {
        with_header(
            call(
                Method::PATCH,
                &format!("/api/v1/deals/{id}"),
                Some(&token),
                Some(body),
            ),
            "if-match",
            version,
        )
    };
    let stale = send(&app, patch("\"v7\"", r#"{"title":"Stale"}"#)).await;
    assert_problem(
        &stale,
        StatusCode::PRECONDITION_FAILED,
        "record.precondition_failed",
    );
    assert_eq!(stale.json()["current"]["version"], 1);
    assert_eq!(stale.json()["current"]["title"], "Car loan");
    let changed = send(
        &app,
        patch("\"v1\"", r#"{"title":"Car loan, Kia","amount":null}"#),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.headers[header::ETAG], "\"v2\"");
    assert_eq!(changed.json()["title"], "Car loan, Kia");
    assert!(changed.json()["amount"].is_null());
    // Scoring requires the amount: the move is refused with the field, nothing moves.
    let to_scoring = format!(r#"{{"stage_id":{}}}"#, c.stage("Scoring").0);
    let move_path = format!("/api/v1/deals/{id}/move");
    let refused = send(
        &app,
        with_header(
            call(Method::POST, &move_path, Some(&token), Some(&to_scoring)),
            "if-match",
            "\"v2\"",
        ),
    )
    .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deal.required_field",
    );
    assert_eq!(refused.json()["field"], "amount");
    let changed = send(
        &app,
        patch(
            "\"v2\"",
            r#"{"amount":{"amount":"990000","currency":"RUB"}}"#,
        ),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.json()["title"], "Car loan, Kia");
    let moved = send(
        &app,
        with_header(
            call(Method::POST, &move_path, Some(&token), Some(&to_scoring)),
            "if-match",
            "\"v3\"",
        ),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.json()["stage_id"], c.stage("Scoring").0);
    assert_eq!(moved.headers[header::ETAG], "\"v4\"");
    // A return needs a reason, as on the board.
    let back = format!(r#"{{"stage_id":{}}}"#, c.stage("Client manager").0);
    let refused = send(
        &app,
        call(Method::POST, &move_path, Some(&token), Some(&back)),
    )
    .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation.failed",
    );
    assert_eq!(refused.json()["field"], "comment");

    // History names the token and its user.
    let history = send(
        &app,
        call(
            Method::GET,
            &format!("/api/v1/deals/{id}/transitions"),
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(history.status, StatusCode::OK);
    let latest = &history.json()["data"][0];
    assert_eq!(latest["to_stage_name"], "Scoring");
    assert_eq!(latest["actor_name"], "API: Accounting sync (admin)");

    // The event feed has the creation, the changes and the move, by cursor.
    let mut kinds = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/api/v1/events?limit=2{cursor}");
        let page = send(&app, call(Method::GET, &path, Some(&token), None)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let page = page.json();
        for event in page["data"].as_array().unwrap() {
            if event["data"]["deal"]["id"] == id {
                kinds.push(event["type"].as_str().unwrap().to_owned());
                assert_eq!(event["actor"]["label"], "API: Accounting sync (admin)");
            }
        }
        cursor = format!("&cursor={}", page["next_cursor"].as_str().unwrap());
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(
        kinds,
        ["deal.created", "deal.updated", "deal.updated", "deal.moved"]
    );
}

#[tokio::test]
async fn bad_input_gets_a_problem_and_changes_nothing() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let token = token_for(&c, &c.admin, every_scope()).await;
    let existing = c.deal(&c.admin).await;
    let before = deal_count(&c).await;
    let post = |body: &str| call(Method::POST, "/api/v1/deals", Some(&token), Some(body));

    let reply = send(&app, post("{\"title\": ")).await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "request.malformed");
    let reply = send(
        &app,
        post(r#"{"pipeline_id":1,"title":"x","colour":"red"}"#),
    )
    .await;
    assert_problem(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid_body",
    );
    assert!(reply.json()["detail"].as_str().unwrap().contains("colour"));
    let reply = send(&app, post(r#"{"pipeline_id":"one","title":"x"}"#)).await;
    assert_problem(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid_body",
    );
    let reply = send(&app, post(r#"{"pipeline_id":999999,"title":"x"}"#)).await;
    assert_problem(&reply, StatusCode::NOT_FOUND, "record.not_found");
    let long_title =
        serde_json::json!({"pipeline_id": c.pipeline.id.0, "title": "x".repeat(10_000)});
    let reply = send(&app, post(&long_title.to_string())).await;
    assert_problem(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation.failed",
    );
    assert_eq!(reply.json()["field"], "title");
    let negative = serde_json::json!({"pipeline_id": c.pipeline.id.0, "title": "x",
        "amount": {"amount": "-5", "currency": "RUB"}});
    let reply = send(&app, post(&negative.to_string())).await;
    assert_problem(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation.failed",
    );
    assert_eq!(reply.json()["field"], "amount");
    // Not JSON at all, and a body over the limit.
    let mut as_form = post(&new_deal_json(&c, "Form"));
    as_form
        .headers_mut()
        .insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
    let reply = send(&app, as_form).await;
    assert_problem(
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "request.unsupported_media_type",
    );
    let huge = format!(
        r#"{{"pipeline_id":1,"title":"{}"}}"#,
        "x".repeat(300 * 1024)
    );
    let reply = send(&app, post(&huge)).await;
    assert_problem(&reply, StatusCode::PAYLOAD_TOO_LARGE, "upload.too_large");
    assert_eq!(deal_count(&c).await, before);

    // Ids, queries and cursors.
    for path in [
        "/api/v1/deals/999999",
        "/api/v1/deals/abc",
        "/api/v1/deals/-1",
        "/api/v1/nothing",
    ] {
        let reply = send(&app, call(Method::GET, path, Some(&token), None)).await;
        assert_problem(&reply, StatusCode::NOT_FOUND, "record.not_found");
    }
    for (query, status, code) in [
        (
            "limit=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
        ),
        (
            "limit=101",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
        ),
        ("limit=abc", StatusCode::BAD_REQUEST, "request.malformed"),
        (
            "cursor=forged",
            StatusCode::BAD_REQUEST,
            "request.malformed",
        ),
        ("colour=red", StatusCode::BAD_REQUEST, "request.malformed"),
        ("search=", StatusCode::OK, ""),
    ] {
        let path = format!("/api/v1/deals?{query}");
        let reply = send(&app, call(Method::GET, &path, Some(&token), None)).await;
        if status == StatusCode::OK {
            assert_eq!(reply.status, status, "{query}: {}", reply.body);
        } else {
            assert_problem(&reply, status, code);
        }
    }
    let long_search = format!("/api/v1/deals?search={}", "a".repeat(500));
    let reply = send(&app, call(Method::GET, &long_search, Some(&token), None)).await;
    assert_problem(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation.failed",
    );
    let reply = send(
        &app,
        call(Method::DELETE, "/api/v1/deals", Some(&token), None),
    )
    .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let reply = send(
        &app,
        with_header(
            call(
                Method::PATCH,
                &format!("/api/v1/deals/{}", existing.id.0),
                Some(&token),
                Some("{}"),
            ),
            "if-match",
            "yesterday",
        ),
    )
    .await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, "request.malformed");
    let unchanged = shared::deal::service::get_deal(&c.t.db, &Actor::system(), existing.id)
        .await
        .unwrap();
    assert_eq!(unchanged, existing);
}

#[tokio::test]
async fn another_users_deals_are_missing_for_their_token() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let own_user = c.t.user("own@bank.ru", Role::Restricted, vec![]).await;
    let other = c.t.user("other@bank.ru", Role::Restricted, vec![]).await;
    let own = c.deal(&own_user).await;
    let theirs = c.deal(&other).await;
    let token = token_for(&c, &own_user, every_scope()).await;

    let list = send(&app, call(Method::GET, "/api/v1/deals", Some(&token), None)).await;
    let ids: Vec<i64> = list.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [i64::from(own.id.0)]);
    let path = format!("/api/v1/deals/{}", theirs.id.0);
    for request in [
        call(Method::GET, &path, Some(&token), None),
        call(
            Method::PATCH,
            &path,
            Some(&token),
            Some(r#"{"title":"Mine now"}"#),
        ),
        call(
            Method::POST,
            &format!("{path}/move"),
            Some(&token),
            Some(&format!(r#"{{"stage_id":{}}}"#, c.stage("Scoring").0)),
        ),
        call(
            Method::GET,
            &format!("{path}/transitions"),
            Some(&token),
            None,
        ),
    ] {
        let reply = send(&app, request).await;
        assert_problem(&reply, StatusCode::NOT_FOUND, "record.not_found");
    }
    let unchanged = shared::deal::service::get_deal(&c.t.db, &Actor::system(), theirs.id)
        .await
        .unwrap();
    assert_eq!(unchanged, theirs);
    // The feed carries only what their live stream would.
    let feed = send(
        &app,
        call(Method::GET, "/api/v1/events?limit=100", Some(&token), None),
    )
    .await;
    let seen: Vec<i64> = feed.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["data"]["deal"]["id"].as_i64())
        .collect();
    assert_eq!(seen, [i64::from(own.id.0)]);
}

#[tokio::test]
async fn lists_page_by_cursor_with_the_boards_filters() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let token = token_for(&c, &c.admin, every_scope()).await;
    let mut made = Vec::new();
    for _ in 0..5 {
        made.push(i64::from(c.deal(&c.admin).await.id.0));
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/deals?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let page = send(&app, call(Method::GET, &path, Some(&token), None)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let page = page.json();
        pages += 1;
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_i64().unwrap()),
        );
        if page["has_more"] == false {
            assert!(page["next_cursor"].is_null());
            break;
        }
        path = format!(
            "/api/v1/deals?limit=2&cursor={}",
            page["next_cursor"].as_str().unwrap()
        );
    }
    assert_eq!(seen, made);
    assert_eq!(pages, 3);
    let filtered = format!(
        "/api/v1/deals?pipeline_id={}&stage_id={}&amount_min=4000000&search=petrov",
        c.pipeline.id.0,
        c.stage("Client manager").0
    );
    let page = send(&app, call(Method::GET, &filtered, Some(&token), None)).await;
    assert_eq!(
        page.json()["data"].as_array().unwrap().len(),
        5,
        "{}",
        page.body
    );
    let none = format!(
        "/api/v1/deals?amount_min=5000000&pipeline_id={}",
        c.pipeline.id.0
    );
    let page = send(&app, call(Method::GET, &none, Some(&token), None)).await;
    assert_eq!(page.json()["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let token = token_for(&c, &c.admin, every_scope()).await;
    let before = deal_count(&c).await;
    let post = |body: String, key: &str| {
        with_header(
            call(Method::POST, "/api/v1/deals", Some(&token), Some(&body)),
            "idempotency-key",
            key,
        )
    };
    let first = send(&app, post(new_deal_json(&c, "Once"), "order-1")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let again = send(&app, post(new_deal_json(&c, "Once"), "order-1")).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.json(), first.json());
    assert_eq!(again.headers[header::ETAG], first.headers[header::ETAG]);
    assert_eq!(again.location(), first.location());
    assert_eq!(deal_count(&c).await, before + 1);
    let other = send(&app, post(new_deal_json(&c, "Twice"), "order-1")).await;
    assert_problem(
        &other,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.idempotency_key_reused",
    );
    // A refusal is kept too: the same bad request gets the same answer.
    let bad = r#"{"pipeline_id":999999,"title":"x"}"#.to_owned();
    let refused = send(&app, post(bad.clone(), "order-2")).await;
    assert_problem(&refused, StatusCode::NOT_FOUND, "record.not_found");
    let replayed = send(&app, post(bad, "order-2")).await;
    assert_problem(&replayed, StatusCode::NOT_FOUND, "record.not_found");
    assert_eq!(replayed.headers["idempotent-replayed"], "true");
    // Parallel retries with one key make one deal.
    let requests = (0..6).map(|_| send(&app, post(new_deal_json(&c, "Parallel"), "order-3")));
    let replies = futures::future::join_all(requests).await;
    let created: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .map(|r| r.json()["id"].clone())
        .collect();
    assert!(!created.is_empty());
    assert!(created.iter().all(|id| *id == created[0]));
    for reply in &replies {
        assert!(
            reply.status == StatusCode::CREATED || reply.status == StatusCode::CONFLICT,
            "{}",
            reply.body
        );
    }
    assert_eq!(deal_count(&c).await, before + 2);
    // A bad key is refused before any work.
    let reply = send(&app, post(new_deal_json(&c, "Key"), &"k".repeat(300))).await;
    assert_problem(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation.failed",
    );
    assert_eq!(deal_count(&c).await, before + 2);
}

#[tokio::test]
async fn a_token_past_its_rate_gets_429_with_retry_after() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let token = token_with(&c, &c.admin, every_scope(), Some(3)).await;
    for left in (0..3).rev() {
        let reply = send(
            &app,
            call(Method::GET, "/api/v1/pipelines", Some(&token), None),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
        let state = reply.headers["ratelimit"].to_str().unwrap();
        assert!(
            state.starts_with(&format!("\"token\";r={left};t=")),
            "{state}"
        );
        assert_eq!(reply.headers["ratelimit-policy"], "\"token\";q=3;w=60");
    }
    let refused = send(
        &app,
        call(Method::GET, "/api/v1/pipelines", Some(&token), None),
    )
    .await;
    assert_problem(&refused, StatusCode::TOO_MANY_REQUESTS, "api.rate_limited");
    let retry: u64 = refused.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    // Another token of the same user has its own count.
    let other = token_for(&c, &c.admin, every_scope()).await;
    let reply = send(
        &app,
        call(Method::GET, "/api/v1/pipelines", Some(&other), None),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn clients_through_the_api_with_the_duplicate_check_and_versions() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let token = token_for(&c, &c.admin, every_scope()).await;
    let post = |body: serde_json::Value| {
        call(
            Method::POST,
            "/api/v1/clients",
            Some(&token),
            Some(&body.to_string()),
        )
    };
    let made = send(
        &app,
        post(
            serde_json::json!({"kind": "company", "name": "Stroy LLC", "tax_id": "7707083893",
            "phones": ["+7 495 111-22-33"], "tags": ["vip"]}),
        ),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = made.json()["id"].as_i64().unwrap();
    assert_eq!(made.headers[header::ETAG], "\"v1\"");
    assert_eq!(made.json()["kind"], "company");
    // The same phone again: 409 with the match, nothing made; confirmed, it is made.
    let twin = serde_json::json!({"name": "Stroy twin", "phones": ["8 495 111 22 33"]});
    let refused = send(&app, post(twin.clone())).await;
    assert_problem(&refused, StatusCode::CONFLICT, "client.possible_duplicate");
    assert_eq!(refused.json()["current"][0]["id"], id);
    let mut confirmed = twin;
    confirmed["allow_duplicate"] = true.into();
    assert_eq!(
        send(&app, post(confirmed)).await.status,
        StatusCode::CREATED
    );

    let path = format!("/api/v1/clients/{id}");
    let patch = |version: &str, body: &str| {
        with_header(
            call(Method::PATCH, &path, Some(&token), Some(body)),
            "if-match",
            version,
        )
    };
    let stale = send(&app, patch("\"v9\"", r#"{"name":"Late"}"#)).await;
    assert_problem(
        &stale,
        StatusCode::PRECONDITION_FAILED,
        "record.precondition_failed",
    );
    assert_eq!(stale.json()["current"]["name"], "Stroy LLC");
    // The twin shares the phone: an edit is refused until confirmed, as in the client form.
    let twin_refused = send(&app, patch("\"v1\"", r#"{"tags":["vip","builder"]}"#)).await;
    assert_problem(
        &twin_refused,
        StatusCode::CONFLICT,
        "client.possible_duplicate",
    );
    let changed = send(
        &app,
        patch(
            "\"v1\"",
            r#"{"tags":["vip","builder"],"address":null,"allow_duplicate":true}"#,
        ),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        changed.json()["tags"],
        serde_json::json!(["builder", "vip"])
    );
    assert_eq!(changed.json()["name"], "Stroy LLC");
    assert_eq!(changed.headers[header::ETAG], "\"v2\"");
    let bad = send(&app, patch("\"v2\"", r#"{"kind":"person"}"#)).await;
    assert_problem(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid_body",
    );

    let found = send(
        &app,
        call(
            Method::GET,
            "/api/v1/clients?search=7707083893",
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let ids: Vec<i64> = found.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [id]);

    // A restricted user's token sees only their own clients.
    let restricted = c.t.user("own@bank.ru", Role::Restricted, vec![]).await;
    let theirs = token_for(&c, &restricted, every_scope()).await;
    let hidden = send(&app, call(Method::GET, &path, Some(&theirs), None)).await;
    assert_problem(&hidden, StatusCode::NOT_FOUND, "record.not_found");
    let list = send(
        &app,
        call(Method::GET, "/api/v1/clients", Some(&theirs), None),
    )
    .await;
    assert!(!list.body.contains("Stroy"), "{}", list.body);
    let notes = format!("{path}/comments");
    let hidden = send(&app, call(Method::GET, &notes, Some(&theirs), None)).await;
    assert_problem(&hidden, StatusCode::NOT_FOUND, "record.not_found");
    let mine = send(&app, call(Method::GET, &notes, Some(&token), None)).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert_eq!(mine.json()["data"], serde_json::json!([]));
}

#[tokio::test]
async fn users_and_departments_show_emails_and_roles_to_administrators_only() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let employee =
        c.t.user("emp@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let admins = token_for(&c, &c.admin, every_scope()).await;
    let theirs = token_for(
        &c,
        &employee,
        vec![scope(ApiResource::Users, ApiAccess::Read)],
    )
    .await;
    let seen = send(
        &app,
        call(Method::GET, "/api/v1/users", Some(&admins), None),
    )
    .await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.body.contains("emp@bank.ru") && seen.body.contains("\"employee\""));
    let seen = send(
        &app,
        call(Method::GET, "/api/v1/users", Some(&theirs), None),
    )
    .await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.body.contains("@bank.ru"), "{}", seen.body);
    let me = seen.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == employee.id.0)
        .cloned()
        .unwrap();
    assert_eq!(me["department_ids"], serde_json::json!([c.scoring.0]));
    let departments = send(
        &app,
        call(Method::GET, "/api/v1/departments", Some(&theirs), None),
    )
    .await;
    assert!(departments.body.contains("Scoring"));
    let no_deals = send(
        &app,
        call(Method::GET, "/api/v1/deals", Some(&theirs), None),
    )
    .await;
    assert_problem(&no_deals, StatusCode::FORBIDDEN, "access.forbidden");
}

#[tokio::test]
async fn departments_add_conclusions_and_comments_through_the_api() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let deal = c.deal(&scorer).await;
    let token = token_for(&c, &scorer, every_scope()).await;
    let path = format!("/api/v1/deals/{}/conclusions", deal.id.0);
    let body = |department: i32| {
        serde_json::json!({"department_id": department, "verdict": "approve", "text": "Income confirmed"})
            .to_string()
    };
    // Only for one's own department.
    let refused = send(
        &app,
        call(Method::POST, &path, Some(&token), Some(&body(c.risk.0))),
    )
    .await;
    assert_eq!(refused.status.as_u16() / 100, 4, "{}", refused.body);
    let added = send(
        &app,
        call(Method::POST, &path, Some(&token), Some(&body(c.scoring.0))),
    )
    .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.json()["verdict"], "approve");
    let bad_verdict = r#"{"department_id":1,"verdict":"maybe","text":"x"}"#;
    let reply = send(
        &app,
        call(Method::POST, &path, Some(&token), Some(bad_verdict)),
    )
    .await;
    assert_problem(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid_body",
    );
    let listed = send(&app, call(Method::GET, &path, Some(&token), None)).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json()["data"][0]["text"], "Income confirmed");
    assert_eq!(listed.json()["data"].as_array().unwrap().len(), 1);

    let comments = format!("/api/v1/deals/{}/comments", deal.id.0);
    let said = send(
        &app,
        call(
            Method::POST,
            &comments,
            Some(&token),
            Some(r#"{"text":"Checked, @admin please sign"}"#),
        ),
    )
    .await;
    assert_eq!(said.status, StatusCode::CREATED, "{}", said.body);
    assert_eq!(
        said.json()["notified_user_ids"],
        serde_json::json!([c.admin.id.0])
    );
    let blank = send(
        &app,
        call(
            Method::POST,
            &comments,
            Some(&token),
            Some(r#"{"text":"  "}"#),
        ),
    )
    .await;
    assert_problem(
        &blank,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation.failed",
    );
    // Read back by cursor, oldest first, one a page.
    let second = send(
        &app,
        call(
            Method::POST,
            &comments,
            Some(&token),
            Some(r#"{"text":"Second"}"#),
        ),
    )
    .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    let first_page = send(
        &app,
        call(
            Method::GET,
            &format!("{comments}?limit=1"),
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(first_page.status, StatusCode::OK, "{}", first_page.body);
    let page = first_page.json();
    assert_eq!(page["data"][0]["text"], "Checked, @admin please sign");
    assert_eq!(page["has_more"], true);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let next = send(
        &app,
        call(
            Method::GET,
            &format!("{comments}?limit=1&cursor={cursor}"),
            Some(&token),
            None,
        ),
    )
    .await
    .json();
    assert_eq!(next["data"][0]["text"], "Second");
    assert_eq!(
        next["data"][0]["author_name"],
        page["data"][0]["author_name"]
    );
    assert_eq!(next["has_more"], false);
    for (query, status) in [
        ("?limit=0", StatusCode::UNPROCESSABLE_ENTITY),
        ("?limit=101", StatusCode::UNPROCESSABLE_ENTITY),
        ("?cursor=zzz", StatusCode::BAD_REQUEST),
        ("?sort=up", StatusCode::BAD_REQUEST),
    ] {
        let bad = send(
            &app,
            call(
                Method::GET,
                &format!("{comments}{query}"),
                Some(&token),
                None,
            ),
        )
        .await;
        assert_eq!(bad.status, status, "{query}: {}", bad.body);
    }

    // Another restricted user's token: the deal's notes are missing.
    let stranger = c.t.user("stranger@bank.ru", Role::Restricted, vec![]).await;
    let theirs = token_for(&c, &stranger, every_scope()).await;
    let hidden = send(&app, call(Method::GET, &path, Some(&theirs), None)).await;
    assert_problem(&hidden, StatusCode::NOT_FOUND, "record.not_found");
    let hidden = send(
        &app,
        call(
            Method::POST,
            &comments,
            Some(&theirs),
            Some(r#"{"text":"hi"}"#),
        ),
    )
    .await;
    assert_problem(&hidden, StatusCode::NOT_FOUND, "record.not_found");
    let hidden = send(&app, call(Method::GET, &comments, Some(&theirs), None)).await;
    assert_problem(&hidden, StatusCode::NOT_FOUND, "record.not_found");
}

#[tokio::test]
async fn custom_fields_are_read_and_written_through_the_api() {
    use shared::custom_field::service::save_field;
    use shared::custom_field::{CustomFieldDraft, CustomFieldKind, RecordKind};
    let c = Conveyor::new().await;
    let app = c.t.app();
    let risk = save_field(
        &c.t.db,
        &Actor::system(),
        CustomFieldDraft {
            id: None,
            entity: RecordKind::Deal,
            pipeline_id: None,
            label: "Risk class".into(),
            kind: CustomFieldKind::Select,
            options: vec!["A".into(), "B".into(), "C".into()],
            currency: None,
            group: "Scoring".into(),
            position: 0,
            required: false,
            help: String::new(),
        },
        t0(),
    )
    .await
    .unwrap();
    let token = token_for(&c, &c.admin, every_scope()).await;
    let fields = send(
        &app,
        call(Method::GET, "/api/v1/custom-fields", Some(&token), None),
    )
    .await;
    assert_eq!(fields.status, StatusCode::OK, "{}", fields.body);
    assert_eq!(fields.json()["data"][0]["kind"], "select");
    assert_eq!(
        fields.json()["data"][0]["options"],
        serde_json::json!(["A", "B", "C"])
    );

    let mut body: serde_json::Value =
        serde_json::from_str(&new_deal_json(&c, "With class")).unwrap();
    body["custom"] = serde_json::json!([{"field_id": risk.id.0, "values": ["B"]}]);
    let made = send(
        &app,
        call(
            Method::POST,
            "/api/v1/deals",
            Some(&token),
            Some(&body.to_string()),
        ),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = made.json()["id"].as_i64().unwrap();
    let values_path = format!("/api/v1/deals/{id}/custom-values");
    let values = send(&app, call(Method::GET, &values_path, Some(&token), None)).await;
    assert_eq!(values.json()["data"][0]["value"], "B", "{}", values.body);
    // A value outside the options is refused with the field, and nothing changes.
    let patch = format!(
        r#"{{"custom":[{{"field_id":{},"values":["Z"]}}]}}"#,
        risk.id.0
    );
    let refused = send(
        &app,
        call(
            Method::PATCH,
            &format!("/api/v1/deals/{id}"),
            Some(&token),
            Some(&patch),
        ),
    )
    .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation.custom_field",
    );
    assert_eq!(refused.json()["field"], format!("custom.{}", risk.id.0));
    let values = send(&app, call(Method::GET, &values_path, Some(&token), None)).await;
    assert_eq!(values.json()["data"][0]["value"], "B");

    // The deals list filters on custom fields as the board does (`cf.<id>`).
    let other = send(
        &app,
        call(
            Method::POST,
            "/api/v1/deals",
            Some(&token),
            Some(&new_deal_json(&c, "Without class")),
        ),
    )
    .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
    let ids_for = |body: &serde_json::Value| -> Vec<i64> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect()
    };
    let by_class = send(
        &app,
        call(
            Method::GET,
            &format!(
                "/api/v1/deals?pipeline_id={}&cf.{}=B&limit=100",
                c.pipeline.id.0, risk.id.0
            ),
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(by_class.status, StatusCode::OK, "{}", by_class.body);
    assert_eq!(ids_for(&by_class.json()), [id]);
    let none = send(
        &app,
        call(
            Method::GET,
            &format!(
                "/api/v1/deals?pipeline_id={}&cf.{}=C",
                c.pipeline.id.0, risk.id.0
            ),
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(ids_for(&none.json()), Vec::<i64>::new());
    // Other unknown keys are still refused, and too many conditions too.
    let unknown = send(
        &app,
        call(Method::GET, "/api/v1/deals?colour=red", Some(&token), None),
    )
    .await;
    assert_problem(&unknown, StatusCode::BAD_REQUEST, "request.malformed");
    let many: String = (0..300).map(|n| format!("cf.{n}=x&")).collect();
    let flood = send(
        &app,
        call(
            Method::GET,
            &format!("/api/v1/deals?{many}"),
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(
        flood.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        flood.body
    );
}

#[tokio::test]
async fn tasks_through_the_api_follow_the_records_visibility() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let owner = c.t.user("owner@bank.ru", Role::Restricted, vec![]).await;
    let stranger = c.t.user("stranger@bank.ru", Role::Restricted, vec![]).await;
    let deal = c.deal(&owner).await;
    let token = token_for(&c, &owner, every_scope()).await;
    let create = |token: &str, body: serde_json::Value| {
        call(
            Method::POST,
            "/api/v1/tasks",
            Some(token),
            Some(&body.to_string()),
        )
    };
    let due = (t0() + Duration::days(400)).to_rfc3339();
    let made = send(
        &app,
        create(
            &token,
            serde_json::json!({"title": "Call the client", "due_at": due, "deal_id": deal.id.0}),
        ),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let task = made.json();
    assert_eq!(task["deal_id"], deal.id.0);
    assert_eq!(task["assignee_id"], owner.id.0);
    // The stranger can neither see the deal's tasks nor give them one to see it.
    let hidden = send(
        &app,
        call(
            Method::GET,
            &format!("/api/v1/deals/{}/tasks", deal.id.0),
            Some(&token_for(&c, &stranger, every_scope()).await),
            None,
        ),
    )
    .await;
    assert_problem(&hidden, StatusCode::NOT_FOUND, "record.not_found");
    let refused = send(
        &app,
        create(&token, serde_json::json!({"title": "x", "due_at": due, "deal_id": deal.id.0, "assignee_id": stranger.id.0})),
    )
    .await;
    assert_eq!(refused.status.as_u16() / 100, 4, "{}", refused.body);
    let both = send(
        &app,
        create(
            &token,
            serde_json::json!({"title": "x", "due_at": due, "deal_id": 1, "client_id": 1}),
        ),
    )
    .await;
    assert_problem(&both, StatusCode::UNPROCESSABLE_ENTITY, "validation.failed");
    let not_a_time = send(
        &app,
        create(
            &token,
            serde_json::json!({"title": "x", "due_at": "tomorrow"}),
        ),
    )
    .await;
    assert_problem(
        &not_a_time,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.invalid_body",
    );

    let mine = send(&app, call(Method::GET, "/api/v1/tasks", Some(&token), None)).await;
    assert_eq!(
        mine.json()["data"].as_array().unwrap().len(),
        1,
        "{}",
        mine.body
    );
    let done_path = format!("/api/v1/tasks/{}/done", task["id"]);
    let ticked = send(
        &app,
        call(
            Method::POST,
            &done_path,
            Some(&token),
            Some(r#"{"done":true}"#),
        ),
    )
    .await;
    assert_eq!(ticked.status, StatusCode::OK, "{}", ticked.body);
    assert!(ticked.json()["done_at"].is_string());
}
