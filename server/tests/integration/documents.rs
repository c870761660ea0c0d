//! Documents over HTTP: uploads with the type read from the content and safe names, new
//! versions, the size limit (413, nothing stored, no orphan file), downloads only for
//! those who may see the record, served so they cannot run in our origin.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use shared::document::service::{documents_of, version_count};
use shared::timeline::Subject;
use shared::user::Role;

use crate::conveyor::Conveyor;
use crate::http::{HOST, ORIGIN, get, send, signed_in};

pub(crate) const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
];
pub(crate) const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

/// A multipart body: text fields, then files as (field, file name, bytes).
pub(crate) fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "konveyer-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (file_name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/html\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn upload(cookie: &str, fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Request<Body> {
    let (content_type, body) = multipart(fields, files);
    Request::post("/api/documents")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap()
}

/// Uploads a small PDF to the deal; returns its version's id, for `/files/{id}`.
pub(crate) async fn upload_pdf(
    app: &Router,
    db: &shared::db::Db,
    cookie: &str,
    deal: shared::deal::DealId,
) -> String {
    let subject = format!("deal:{}", deal.0);
    let reply = send(
        app,
        upload(cookie, &[("subject", &subject)], &[("statement.pdf", PDF)]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let docs = documents_of(db, Subject::Deal(deal)).await.unwrap();
    docs[0].versions[0].id.to_string()
}

fn stored_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("files"))
        .map(|entries| entries.count())
        .unwrap_or(0)
}

struct Setup {
    c: Conveyor,
    app: Router,
    dir: std::path::PathBuf,
}

async fn setup(limit_mb: u64) -> Setup {
    let c = Conveyor::new().await;
    let dir = std::env::temp_dir().join(format!(
        "konveyer_files_{}_{}",
        std::process::id(),
        rand_suffix()
    ));
    let config = server::config::Config {
        data_dir: dir.clone(),
        upload_limit_mb: limit_mb,
        ..server::config::Config::default()
    };
    let app = c.t.app_with(config);
    Setup { c, app, dir }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test]
async fn files_are_stored_with_safe_names_sniffed_types_and_versions() {
    let s = setup(25).await;
    let deal = s.c.deal(&s.c.admin).await;
    let admin = signed_in(&s.app, "admin@bank.ru").await;
    let subject = format!("deal:{}", deal.id.0);
    // A PNG called `../../x` and a PDF pretending to be a web page, in one upload.
    let reply = send(
        &s.app,
        upload(
            &admin,
            &[("subject", &subject), ("category", "passport")],
            &[("../../x", PNG), ("statement.html", PDF)],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let docs = documents_of(&s.c.t.db, Subject::Deal(deal.id))
        .await
        .unwrap();
    assert_eq!(docs.len(), 2);
    let png = docs
        .iter()
        .find(|d| d.name == "x")
        .expect("the PNG, renamed x");
    assert_eq!(png.versions[0].content_type, "image/png");
    assert_eq!(png.category, "passport");
    let pdf = docs.iter().find(|d| d.name == "statement.html").unwrap();
    assert_eq!(pdf.versions[0].content_type, "application/pdf");
    assert_eq!(stored_files(&s.dir), 2);
    // Nothing was written outside the store's folder.
    assert!(!s.dir.join("x").exists() && !s.dir.parent().unwrap().join("x").exists());

    // A second version of the PDF keeps the first.
    let document = pdf.id.0.to_string();
    let reply = send(
        &s.app,
        upload(
            &admin,
            &[("subject", &subject), ("document", &document)],
            &[("statement-v2.pdf", PDF)],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let docs = documents_of(&s.c.t.db, Subject::Deal(deal.id))
        .await
        .unwrap();
    let pdf = docs.iter().find(|d| d.id == pdf.id).unwrap();
    assert_eq!(
        pdf.versions.iter().map(|v| v.number).collect::<Vec<_>>(),
        [2, 1]
    );

    // Downloads: an attachment by default, inline only for a previewable type, each with
    // a policy of its own.
    let first = pdf.versions[1].id;
    let reply = send(&s.app, get(&format!("/files/{first}"), Some(&admin))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body.as_bytes(), PDF);
    let disposition = reply.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename*=UTF-8''statement.html"),
        "{disposition}"
    );
    assert_eq!(
        reply.headers[header::CONTENT_TYPE],
        "application/octet-stream"
    );
    let reply = send(
        &s.app,
        get(&format!("/files/{first}?inline=1"), Some(&admin)),
    )
    .await;
    assert_eq!(reply.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(
        reply.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    let image = png.versions[0].id;
    let reply = send(
        &s.app,
        get(&format!("/files/{image}?inline=1"), Some(&admin)),
    )
    .await;
    assert_eq!(reply.headers[header::CONTENT_TYPE], "image/png");
    let policy = reply.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(policy.starts_with("sandbox;"), "{policy}");
    assert_eq!(reply.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

#[tokio::test]
async fn an_oversize_file_is_413_and_nothing_is_stored() {
    let s = setup(1).await;
    let deal = s.c.deal(&s.c.admin).await;
    let admin = signed_in(&s.app, "admin@bank.ru").await;
    let subject = format!("deal:{}", deal.id.0);
    let big = vec![b'a'; 1024 * 1024 + 1];
    let reply = send(
        &s.app,
        upload(
            &admin,
            &[("subject", &subject), ("category", "other")],
            &[("small.png", PNG), ("big.bin", &big)],
        ),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.body
    );
    assert_eq!(reply.json()["code"], "upload.too_large");
    assert_eq!(version_count(&s.c.t.db).await.unwrap(), 0);
    assert_eq!(stored_files(&s.dir), 0, "no orphan file");
    // A browser's form post comes back to the record with the reason and the limit.
    let (content_type, body) = multipart(&[("subject", &subject)], &[("big.bin", &big)]);
    let request = Request::post("/api/documents")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, &admin)
        .header("sec-fetch-mode", "navigate")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let reply = send(&s.app, request).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reply.location(),
        Some(
            format!(
                "/deals/{}?upload_error=upload.too_large&upload_limit={}#documents",
                deal.id.0,
                1024 * 1024
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn only_those_who_may_see_the_record_upload_or_download() {
    let s = setup(25).await;
    s.c.t
        .user("scorer@bank.ru", Role::Employee, vec![s.c.scoring])
        .await;
    let deal = s.c.deal(&s.c.admin).await;
    let admin = signed_in(&s.app, "admin@bank.ru").await;
    let scorer = signed_in(&s.app, "scorer@bank.ru").await;
    let subject = format!("deal:{}", deal.id.0);
    let reply = send(
        &s.app,
        upload(
            &admin,
            &[("subject", &subject), ("category", "contract")],
            &[("c.pdf", PDF)],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let version = documents_of(&s.c.t.db, Subject::Deal(deal.id))
        .await
        .unwrap()[0]
        .versions[0]
        .id;
    // The scorer cannot see the deal (it waits with the client managers).
    let reply = send(&s.app, get(&format!("/files/{version}"), Some(&scorer))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(!reply.body.contains("%PDF"));
    let reply = send(
        &s.app,
        upload(
            &scorer,
            &[("subject", &subject), ("category", "other")],
            &[("x.pdf", PDF)],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(version_count(&s.c.t.db).await.unwrap(), 1);
    assert_eq!(stored_files(&s.dir), 1);
    // Signed out: a program's call is 401, a person following the link signs in first.
    let reply = send(&s.app, get(&format!("/files/{version}"), None)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(!reply.body.contains("%PDF"));
    let mut followed = get(&format!("/files/{version}"), None);
    followed
        .headers_mut()
        .insert("sec-fetch-mode", "navigate".parse().unwrap());
    let reply = send(&s.app, followed).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    // An unknown category is refused before anything is stored.
    let reply = send(
        &s.app,
        upload(
            &admin,
            &[("subject", &subject), ("category", "secret")],
            &[("x.pdf", PDF)],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored_files(&s.dir), 1);
}

#[tokio::test]
async fn admins_add_categories_uploads_use_them_and_removed_ones_keep_their_documents() {
    use shared::access::Actor;
    use shared::document::service::{add_category, custom_categories, remove_category};
    let s = setup(25).await;
    let manager = s.c.t.user("boss@bank.ru", Role::Manager, vec![]).await;
    let manager = s.c.t.actor(&manager).await;
    assert_eq!(
        add_category(&s.c.t.db, &manager, "Pay slips", crate::harness::t0()).await,
        Err(shared::AppError::Forbidden)
    );
    let system = Actor::system();
    let slips = add_category(&s.c.t.db, &system, "  Pay   slips ", crate::harness::t0())
        .await
        .unwrap();
    assert_eq!(slips.name, "Pay slips");
    assert!(matches!(
        add_category(&s.c.t.db, &system, "pay SLIPS", crate::harness::t0()).await,
        Err(shared::AppError::Duplicate { .. })
    ));
    assert!(matches!(
        add_category(&s.c.t.db, &system, " ", crate::harness::t0()).await,
        Err(shared::AppError::Validation { .. })
    ));

    let deal = s.c.deal(&s.c.admin).await;
    let admin = signed_in(&s.app, "admin@bank.ru").await;
    let subject = format!("deal:{}", deal.id.0);
    let code = slips.code();
    let reply = send(
        &s.app,
        upload(
            &admin,
            &[("subject", &subject), ("category", &code)],
            &[("march.pdf", PDF)],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let filed = documents_of(&s.c.t.db, Subject::Deal(deal.id))
        .await
        .unwrap();
    assert_eq!(filed[0].category, code);

    // Removed: no longer offered, refused for new uploads, still naming its documents.
    remove_category(&s.c.t.db, &system, slips.id).await.unwrap();
    let reply = send(
        &s.app,
        upload(
            &admin,
            &[("subject", &subject), ("category", &code)],
            &[("april.pdf", PDF)],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored_files(&s.dir), 1);
    let all = custom_categories(&s.c.t.db).await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(!all[0].active);
    assert_eq!(all[0].name, "Pay slips");
    let card = shared::page::load_deal_card(
        &s.c.t.db,
        &s.c.t.actor(&s.c.admin).await,
        deal.id,
        crate::harness::t0(),
    )
    .await
    .unwrap();
    assert_eq!(card.document_categories, all);
    // The name is free again once removed.
    add_category(&s.c.t.db, &system, "Pay slips", crate::harness::t0())
        .await
        .unwrap();
}
