//! The REST API's documents (upload, versions, download), a company's contacts and the
//! clients' custom values: through the real router, with the scopes, another user's
//! records as 404, bad input refused with nothing stored, and idempotent uploads.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use shared::access::Actor;
use shared::api_token::{ApiAccess, ApiResource};
use shared::document::service::version_count;
use shared::user::Role;

use crate::api::{assert_problem, call, every_scope, scope, token_for, with_header};
use crate::conveyor::Conveyor;
use crate::documents::{PDF, PNG, multipart};
use crate::harness::t0;
use crate::http::{HOST, send};

/// A multipart POST with a token.
fn upload(
    path: &str,
    token: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Request<Body> {
    let (content_type, body) = multipart(fields, files);
    Request::post(path)
        .header(header::HOST, HOST)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap()
}

fn ids(body: &serde_json::Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn documents_are_uploaded_listed_versioned_and_downloaded_through_the_api() {
    let c = Conveyor::new().await;
    let config = server::config::Config {
        upload_limit_mb: 1,
        ..server::config::Config::default()
    };
    let app = c.t.app_with(config);
    let deal = c.deal(&c.admin).await;
    let token = token_for(&c, &c.admin, every_scope()).await;
    let list_path = format!("/api/v1/deals/{}/documents", deal.id.0);

    // Two files make two documents of the category, typed from their content.
    let made = send(
        &app,
        upload(
            &list_path,
            &token,
            &[("category", "contract")],
            &[("contract.pdf", PDF), ("scan.png", PNG)],
        ),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.location(), Some(list_path.as_str()));
    let made = made.json();
    assert_eq!(made["data"].as_array().unwrap().len(), 2, "{made}");
    let pdf = made["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "contract.pdf")
        .unwrap()
        .clone();
    assert_eq!(pdf["category"], "contract");
    assert_eq!(pdf["versions"][0]["content_type"], "application/pdf");
    assert_eq!(pdf["versions"][0]["number"], 1);
    let document = pdf["id"].as_i64().unwrap();

    // A new version of that document, with one file.
    let version = send(
        &app,
        upload(
            &list_path,
            &token,
            &[("document", &document.to_string())],
            &[("contract-signed.pdf", PDF)],
        ),
    )
    .await;
    assert_eq!(version.status, StatusCode::CREATED, "{}", version.body);
    let listed = send(&app, call(Method::GET, &list_path, Some(&token), None)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let listed = listed.json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    let versions = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == document)
        .unwrap()["versions"]
        .clone();
    assert_eq!(versions[0]["number"], 2);
    assert_eq!(versions[0]["file_name"], "contract-signed.pdf");
    assert_eq!(versions[1]["file_name"], "contract.pdf");

    // The bytes come back as an attachment, whatever they are.
    let content_url = versions[0]["content_url"].as_str().unwrap().to_owned();
    let bytes = send(&app, call(Method::GET, &content_url, Some(&token), None)).await;
    assert_eq!(bytes.status, StatusCode::OK);
    // Who took the file is in the audit log, as "API: <token> (<user>)".
    let (logged, _) = shared::audit::service::list(
        &c.t.db,
        &Actor::system(),
        &shared::audit::AuditFilter {
            action: Some(shared::audit::AuditAction::DocumentDownloaded),
            ..Default::default()
        },
        10,
        |day| day.and_hms_opt(0, 0, 0).unwrap().and_utc(),
    )
    .await
    .unwrap();
    assert_eq!(logged.len(), 1);
    assert!(logged[0].actor.starts_with("API: "), "{logged:?}");
    assert!(
        logged[0].details.starts_with("contract-signed.pdf"),
        "{logged:?}"
    );
    assert_eq!(bytes.body.as_bytes(), PDF);
    assert_eq!(
        bytes.headers[header::CONTENT_TYPE],
        "application/octet-stream"
    );
    assert!(
        bytes.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename*=UTF-8''contract-signed.pdf")
    );

    // The same upload under the same key is made once and replayed; another body is 422.
    let before = version_count(&c.t.db).await.unwrap();
    let keyed = |file: &'static [u8]| {
        with_header(
            upload(&list_path, &token, &[], &[("statement.pdf", file)]),
            "idempotency-key",
            "upload-1",
        )
    };
    let first = send(&app, keyed(PDF)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let again = send(&app, keyed(PDF)).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.json(), first.json());
    let other = send(&app, keyed(PNG)).await;
    assert_problem(
        &other,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.idempotency_key_reused",
    );
    assert_eq!(version_count(&c.t.db).await.unwrap(), before + 1);

    // A client's documents live under the client, with the clients scope.
    let client = deal.client.expect("the conveyor's deals have clients");
    let client_path = format!("/api/v1/clients/{}/documents", client.id);
    let on_client = send(
        &app,
        upload(&client_path, &token, &[], &[("passport.png", PNG)]),
    )
    .await;
    assert_eq!(on_client.status, StatusCode::CREATED, "{}", on_client.body);
    assert_eq!(on_client.json()["data"][0]["category"], "other");
    let client_docs = send(&app, call(Method::GET, &client_path, Some(&token), None)).await;
    assert_eq!(client_docs.json()["data"].as_array().unwrap().len(), 1);

    // The OpenAPI document describes the form and the download.
    let doc = send(&app, call(Method::GET, "/api/v1/openapi.json", None, None)).await;
    let doc = doc.json();
    let upload_op = &doc["paths"]["/api/v1/deals/{id}/documents"]["post"];
    assert!(
        upload_op["requestBody"]["content"]["multipart/form-data"].is_object(),
        "{upload_op}"
    );
    assert!(doc["paths"]["/api/v1/document-versions/{id}/content"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/clients/{id}/contacts"]["get"].is_object());
}

#[tokio::test]
async fn bad_uploads_and_other_peoples_documents_change_nothing() {
    let c = Conveyor::new().await;
    let config = server::config::Config {
        upload_limit_mb: 1,
        ..server::config::Config::default()
    };
    let app = c.t.app_with(config);
    let deal = c.deal(&c.admin).await;
    let other_deal = c.deal(&c.admin).await;
    let token = token_for(&c, &c.admin, every_scope()).await;
    let list_path = format!("/api/v1/deals/{}/documents", deal.id.0);
    let made = send(
        &app,
        upload(&list_path, &token, &[], &[("statement.pdf", PDF)]),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let document = made.json()["data"][0]["id"].as_i64().unwrap();
    let content_url = made.json()["data"][0]["versions"][0]["content_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = version_count(&c.t.db).await.unwrap();
    let big = vec![b'x'; 1024 * 1024 + 1];

    let refusals: Vec<(Request<Body>, StatusCode, &str, Option<&str>)> = vec![
        // Not a form at all.
        (
            call(Method::POST, &list_path, Some(&token), Some("{}")),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "request.unsupported_media_type",
            None,
        ),
        // A form without a file.
        (
            upload(&list_path, &token, &[("category", "contract")], &[]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
            Some("file"),
        ),
        // A category nobody defined.
        (
            upload(
                &list_path,
                &token,
                &[("category", "secret")],
                &[("a.pdf", PDF)],
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
            Some("category"),
        ),
        // A version for a document of another deal.
        (
            upload(
                &format!("/api/v1/deals/{}/documents", other_deal.id.0),
                &token,
                &[("document", &document.to_string())],
                &[("a.pdf", PDF)],
            ),
            StatusCode::NOT_FOUND,
            "record.not_found",
            None,
        ),
        // A version for something that is not a document's id.
        (
            upload(
                &list_path,
                &token,
                &[("document", "latest")],
                &[("a.pdf", PDF)],
            ),
            StatusCode::BAD_REQUEST,
            "request.malformed",
            None,
        ),
        // Two files for one new version.
        (
            upload(
                &list_path,
                &token,
                &[("document", &document.to_string())],
                &[("a.pdf", PDF), ("b.pdf", PDF)],
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
            Some("file"),
        ),
        // A file over the limit.
        (
            upload(&list_path, &token, &[], &[("big.bin", &big)]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "upload.too_large",
            None,
        ),
        // No such deal.
        (
            upload(
                "/api/v1/deals/999999/documents",
                &token,
                &[],
                &[("a.pdf", PDF)],
            ),
            StatusCode::NOT_FOUND,
            "record.not_found",
            None,
        ),
        (
            upload(
                "/api/v1/deals/abc/documents",
                &token,
                &[],
                &[("a.pdf", PDF)],
            ),
            StatusCode::NOT_FOUND,
            "record.not_found",
            None,
        ),
    ];
    for (request, status, code, field) in refusals {
        let reply = send(&app, request).await;
        assert_problem(&reply, status, code);
        if let Some(field) = field {
            assert_eq!(reply.json()["field"], field, "{}", reply.body);
        }
    }

    // Scopes: reading is not writing; a deal's files need the deals scope.
    let reader = token_for(
        &c,
        &c.admin,
        vec![scope(ApiResource::Deals, ApiAccess::Read)],
    )
    .await;
    let refused = send(&app, upload(&list_path, &reader, &[], &[("a.pdf", PDF)])).await;
    assert_problem(&refused, StatusCode::FORBIDDEN, "access.forbidden");
    let (denied, _) = shared::audit::service::list(
        &c.t.db,
        &Actor::system(),
        &shared::audit::AuditFilter {
            action: Some(shared::audit::AuditAction::PermissionDenied),
            ..Default::default()
        },
        10,
        |day| day.and_hms_opt(0, 0, 0).unwrap().and_utc(),
    )
    .await
    .unwrap();
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(
        denied[0].target.as_deref(),
        Some(&*format!("POST {list_path}"))
    );
    let read = send(&app, call(Method::GET, &content_url, Some(&reader), None)).await;
    assert_eq!(read.status, StatusCode::OK);
    let clients_only = token_for(
        &c,
        &c.admin,
        vec![scope(ApiResource::Clients, ApiAccess::Write)],
    )
    .await;
    let hidden = send(
        &app,
        call(Method::GET, &content_url, Some(&clients_only), None),
    )
    .await;
    assert_problem(&hidden, StatusCode::NOT_FOUND, "record.not_found");
    let tasks_only = token_for(
        &c,
        &c.admin,
        vec![scope(ApiResource::Tasks, ApiAccess::Write)],
    )
    .await;
    let none = send(
        &app,
        call(Method::GET, &content_url, Some(&tasks_only), None),
    )
    .await;
    assert_problem(&none, StatusCode::FORBIDDEN, "access.forbidden");
    let anonymous = send(&app, call(Method::GET, &content_url, None, None)).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Someone who may not see the deal finds neither it nor its files.
    let stranger = c.t.user("stranger@bank.ru", Role::Restricted, vec![]).await;
    let theirs = token_for(&c, &stranger, every_scope()).await;
    for request in [
        call(Method::GET, &list_path, Some(&theirs), None),
        call(Method::GET, &content_url, Some(&theirs), None),
        upload(&list_path, &theirs, &[], &[("a.pdf", PDF)]),
        upload(
            &list_path,
            &theirs,
            &[("document", &document.to_string())],
            &[("a.pdf", PDF)],
        ),
    ] {
        let reply = send(&app, request).await;
        assert_problem(&reply, StatusCode::NOT_FOUND, "record.not_found");
    }
    assert_eq!(version_count(&c.t.db).await.unwrap(), before);
}

#[tokio::test]
async fn a_companys_contacts_and_clients_custom_values_through_the_api() {
    use shared::custom_field::service::save_field;
    use shared::custom_field::{CustomFieldDraft, CustomFieldKind, RecordKind};
    let c = Conveyor::new().await;
    let app = c.t.app();
    let segment = save_field(
        &c.t.db,
        &Actor::system(),
        CustomFieldDraft {
            id: None,
            entity: RecordKind::Client,
            pipeline_id: None,
            label: "Segment".into(),
            kind: CustomFieldKind::Select,
            options: vec!["Retail".into(), "Corporate".into()],
            currency: None,
            group: String::new(),
            position: 0,
            required: false,
            help: String::new(),
        },
        t0(),
    )
    .await
    .unwrap();
    let token = token_for(&c, &c.admin, every_scope()).await;
    let post = |body: serde_json::Value| {
        call(
            Method::POST,
            "/api/v1/clients",
            Some(&token),
            Some(&body.to_string()),
        )
    };
    let company = send(
        &app,
        post(serde_json::json!({"kind": "company", "name": "Stroy LLC",
            "custom": [{"field_id": segment.id.0, "values": ["Corporate"]}]})),
    )
    .await;
    assert_eq!(company.status, StatusCode::CREATED, "{}", company.body);
    let company_id = company.json()["id"].as_i64().unwrap();
    let mut people = Vec::new();
    for name in ["Anna Lebedeva", "Boris Orlov"] {
        let person = send(
            &app,
            post(serde_json::json!({"name": name, "company_id": company_id})),
        )
        .await;
        assert_eq!(person.status, StatusCode::CREATED, "{}", person.body);
        people.push(person.json()["id"].as_i64().unwrap());
    }
    let loner = send(&app, post(serde_json::json!({"name": "Vera Sokolova"}))).await;
    assert_eq!(loner.status, StatusCode::CREATED);

    // The company's contacts, as their own list and as a filter of the clients list.
    let contacts_path = format!("/api/v1/clients/{company_id}/contacts");
    let contacts = send(&app, call(Method::GET, &contacts_path, Some(&token), None)).await;
    assert_eq!(contacts.status, StatusCode::OK, "{}", contacts.body);
    assert_eq!(ids(&contacts.json()), people);
    assert_eq!(contacts.json()["data"][0]["company_id"], company_id);
    let paged = send(
        &app,
        call(
            Method::GET,
            &format!("{contacts_path}?limit=1"),
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(ids(&paged.json()), people[..1]);
    assert_eq!(paged.json()["has_more"], true);
    let filtered = send(
        &app,
        call(
            Method::GET,
            &format!("/api/v1/clients?company_id={company_id}"),
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(ids(&filtered.json()), people);
    let bad_limit = send(
        &app,
        call(
            Method::GET,
            &format!("{contacts_path}?limit=500"),
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(
        bad_limit.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_limit.body
    );
    let unknown = send(
        &app,
        call(
            Method::GET,
            "/api/v1/clients/999999/contacts",
            Some(&token),
            None,
        ),
    )
    .await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, "record.not_found");

    // Custom values are read, changed and refused as on the client form.
    let values_path = format!("/api/v1/clients/{company_id}/custom-values");
    let values = send(&app, call(Method::GET, &values_path, Some(&token), None)).await;
    assert_eq!(values.status, StatusCode::OK, "{}", values.body);
    assert_eq!(values.json()["data"][0]["value"], "Corporate");
    assert_eq!(values.json()["data"][0]["label"], "Segment");
    let client_path = format!("/api/v1/clients/{company_id}");
    let patch = |value: &str| {
        call(
            Method::PATCH,
            &client_path,
            Some(&token),
            Some(
                &serde_json::json!({"custom": [{"field_id": segment.id.0, "values": [value]}]})
                    .to_string(),
            ),
        )
    };
    let refused = send(&app, patch("Wholesale")).await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation.custom_field",
    );
    assert_eq!(refused.json()["field"], format!("custom.{}", segment.id.0));
    let values = send(&app, call(Method::GET, &values_path, Some(&token), None)).await;
    assert_eq!(values.json()["data"][0]["value"], "Corporate");
    let changed = send(&app, patch("Retail")).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.headers[header::ETAG], "\"v2\"");
    let values = send(&app, call(Method::GET, &values_path, Some(&token), None)).await;
    assert_eq!(values.json()["data"][0]["value"], "Retail");
    let unknown_field = send(
        &app,
        call(
            Method::PATCH,
            &client_path,
            Some(&token),
            Some(r#"{"custom":[{"field_id":999999,"values":["x"]}]}"#),
        ),
    )
    .await;
    assert_eq!(
        unknown_field.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown_field.body
    );

    // Someone who may not see the company finds neither its contacts nor its values.
    let stranger = c.t.user("stranger@bank.ru", Role::Restricted, vec![]).await;
    let theirs = token_for(&c, &stranger, every_scope()).await;
    for path in [&contacts_path, &values_path] {
        let reply = send(&app, call(Method::GET, path, Some(&theirs), None)).await;
        assert_problem(&reply, StatusCode::NOT_FOUND, "record.not_found");
    }
    let filtered = send(
        &app,
        call(
            Method::GET,
            &format!("/api/v1/clients?company_id={company_id}"),
            Some(&theirs),
            None,
        ),
    )
    .await;
    assert_eq!(ids(&filtered.json()), Vec::<i64>::new());
}
