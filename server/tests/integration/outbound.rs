//! The checked client for typed URLs against real sockets: a small server on loopback is
//! reached only when the configuration allows it; private addresses, names resolving to
//! loopback and redirects are refused; long and endless answers stop at the cap; a slow
//! one times out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{any, post};
use server::outbound::{Limits, Outbound, OutboundError};
use shared::outbound::AllowedHosts;
use tokio::net::TcpListener;

/// Serves `app` on a free loopback port.
async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn client(allowed: &[&str]) -> Outbound {
    Outbound::new(AllowedHosts::new(allowed)).unwrap()
}

fn payload() -> serde_json::Value {
    serde_json::json!({ "text": "hello" })
}

/// A webhook answering "ok" and counting its calls.
async fn counting_hook() -> (SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = Router::new().route(
        "/hook",
        post(move || async move {
            counted.fetch_add(1, Ordering::SeqCst);
            "ok"
        }),
    );
    (serve(app).await, hits)
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let (addr, hits) = counting_hook().await;
    let port = addr.port();
    let none = client(&[]);
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://[::1]:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        // A name resolving to loopback is refused by the resolver.
        format!("http://localhost:{port}/hook"),
        "http://10.0.0.1/hook".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
    ] {
        assert_eq!(
            none.post_json(&url, &payload()).await.err(),
            Some(OutboundError::RefusedAddress),
            "{url}"
        );
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing got through");
    assert_eq!(
        OutboundError::RefusedAddress.to_string(),
        "refused: private address"
    );

    // Allowed by the configuration, as an address or as a name.
    for (allowed, url) in [
        ("127.0.0.1", format!("http://127.0.0.1:{port}/hook")),
        ("localhost", format!("http://localhost:{port}/hook")),
    ] {
        let answer = client(&[allowed])
            .post_json(&url, &payload())
            .await
            .unwrap();
        assert_eq!(
            (answer.status, answer.body.as_slice()),
            (StatusCode::OK, &b"ok"[..])
        );
    }
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_redirect_is_refused_not_followed() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let target = Arc::new(std::sync::OnceLock::<String>::new());
    let location = target.clone();
    let app = Router::new()
        .route(
            "/hook",
            post(move || async move {
                let to = location.get().cloned().unwrap_or_default();
                (StatusCode::FOUND, [(header::LOCATION, to)])
            }),
        )
        .route(
            "/inside",
            any(move || async move {
                counted.fetch_add(1, Ordering::SeqCst);
                "secret"
            }),
        );
    let addr = serve(app).await;
    target
        .set(format!("http://127.0.0.1:{}/inside", addr.port()))
        .unwrap();
    let error = client(&["127.0.0.1"])
        .post_json(&format!("http://{addr}/hook"), &payload())
        .await
        .unwrap_err();
    assert_eq!(error, OutboundError::Redirect(StatusCode::FOUND));
    assert_eq!(error.to_string(), "redirect refused (302 Found)");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn answers_past_the_cap_are_not_read() {
    let app = Router::new()
        .route("/big", post(|| async { vec![b'x'; 100 * 1024] }))
        // No length announced and no end: only the cap stops the reading.
        .route(
            "/endless",
            post(|| async {
                let chunks =
                    futures::stream::repeat_with(|| Ok::<_, std::io::Error>(vec![b'x'; 8192]));
                Body::from_stream(chunks).into_response()
            }),
        )
        .route("/small", post(|| async { vec![b'x'; 1000] }));
    let addr = serve(app).await;
    let outbound = client(&["127.0.0.1"]);
    for path in ["big", "endless"] {
        assert_eq!(
            outbound
                .post_json(&format!("http://{addr}/{path}"), &payload())
                .await
                .err(),
            Some(OutboundError::TooLarge(64 * 1024)),
            "{path}"
        );
    }
    let answer = outbound
        .post_json(&format!("http://{addr}/small"), &payload())
        .await
        .unwrap();
    assert_eq!(answer.body.len(), 1000);
}

#[tokio::test]
async fn a_slow_target_times_out() {
    let app = Router::new().route(
        "/slow",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    );
    let addr = serve(app).await;
    let outbound = Outbound::with_limits(
        AllowedHosts::new(["127.0.0.1"]),
        Limits {
            timeout: Duration::from_millis(300),
            ..Limits::default()
        },
    )
    .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(
        outbound
            .post_json(&format!("http://{addr}/slow"), &payload())
            .await
            .err(),
        Some(OutboundError::Timeout)
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}
