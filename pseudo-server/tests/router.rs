//! The router in process: the REST API through its whole lifecycle, the OpenAPI document against
//! the routes, and the server's own refusals (overload, timeout, body limits).

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use pseudo_server::{data, router, ServerConfig, Services, ROUTES};
use serde_json::{json, Value};
use tower::ServiceExt;

struct Fixture {
    _dir: tempfile::TempDir,
    app: Router,
    admin: String,
    org: String,
}

fn fixture(config: ServerConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let made = data::init(&dir.path().join("d")).unwrap();
    let opened = data::open(&dir.path().join("d")).unwrap();
    let app = router(Services::from_data(&opened), config);
    Fixture {
        app,
        admin: made.admin_token.secret.as_str().to_owned(),
        org: made.settings.organisation.to_string(),
        _dir: dir,
    }
}

async fn call(
    app: &Router,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())).unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    (status, v)
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn rest_api_lifecycle_with_roles() {
    let f = fixture(ServerConfig::default());
    let (app, admin) = (&f.app, f.admin.as_str());
    let org2 = "00000000-0000-4000-8000-000000000002";

    // Authentication and roles.
    let (s, v) = call(app, Method::GET, "/api/v1/me", None, None).await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "authentication_failed"));
    let (s, v) = call(app, Method::GET, "/api/v1/me", Some("pseudo_pat_notarealtoken"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, v) = call(app, Method::GET, "/api/v1/me", Some(admin), None).await;
    assert_eq!((s, v["role"].as_str()), (StatusCode::OK, Some("admin")));

    // A project: its organisation is the first collaborator, with the reverse right.
    let body = json!({"id": "cohort", "reversible": true, "retention": "5y", "treatment": "same"});
    let (s, p) = call(app, Method::POST, "/api/v1/projects", Some(admin), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["collaborators"], json!([{"organisation": f.org, "can_reverse": true}]));
    let (s, v) =
        call(app, Method::PATCH, "/api/v1/projects/cohort", Some(admin), Some(json!({"retention": "10y"}))).await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "invalid_state"));
    let collab = json!({"organisation": org2, "can_reverse": false});
    let (s, _) = call(app, Method::POST, "/api/v1/projects/cohort/collaborators", Some(admin), Some(collab)).await;
    assert_eq!(s, StatusCode::OK);

    // A service token for the collaborator's ETL account (administrators only).
    let sa = json!({"name": "etl", "service_account": {"id": "etl", "organisation": org2}, "expires": "30d"});
    let (s, made) = call(app, Method::POST, "/api/v1/access-tokens", Some(admin), Some(sa)).await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let etl = made["secret"].as_str().unwrap().to_owned();
    assert!(etl.starts_with("pseudo_sat_"));
    let etl_id = made["record"]["id"].as_str().unwrap().to_owned();
    let (_, me) = call(app, Method::GET, "/api/v1/me", Some(&etl), None).await;
    assert_eq!(me["role"], "service");
    let (s, v) = call(
        app,
        Method::POST,
        "/api/v1/access-tokens",
        Some(&etl),
        Some(json!({"name": "x", "service_account": {"id": "y"}})),
    )
    .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "permission_denied"));
    assert_eq!(v["error"]["detail"], "not_admin", "the sub-code travels with the code: {v}");
    let body = json!({"id": "p2", "reversible": false, "retention": "1y", "treatment": "same"});
    let (s, _) = call(app, Method::POST, "/api/v1/projects", Some(&etl), Some(body)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Request → refused before approval → approved by the administrator → tokens.
    let bad = json!({"dataset": "admissions", "token_type": "reverse"});
    let (s, v) = call(app, Method::POST, "/api/v1/projects/cohort/requests", Some(&etl), Some(bad)).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "invalid_input"), "{v}");
    let wants = json!({"dataset": "admissions", "token_type": "psn"});
    let (s, r) = call(app, Method::POST, "/api/v1/projects/cohort/requests", Some(&etl), Some(wants)).await;
    assert_eq!(
        (s, r["status"].as_str(), r["token_type"].as_str()),
        (StatusCode::CREATED, Some("pending"), Some("psn"))
    );
    let rid = r["id"].as_str().unwrap().to_owned();
    let issue = |t: &str| json!({"type": t, "name": format!("etl {t}"), "expires": "1d"});
    let (s, v) =
        call(app, Method::POST, &format!("/api/v1/requests/{rid}/tokens"), Some(&etl), Some(issue("psn"))).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "issue_refused"));
    let (s, _) = call(app, Method::POST, &format!("/api/v1/requests/{rid}/approve"), Some(&etl), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, r) = call(
        app,
        Method::POST,
        &format!("/api/v1/requests/{rid}/approve"),
        Some(admin),
        Some(json!({"comment": "ethics ok"})),
    )
    .await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")));
    assert_eq!(r["history"].as_array().unwrap().len(), 2);
    assert_eq!(r["history"][1]["comment"], "ethics ok");
    let (s, v) = call(app, Method::POST, &format!("/api/v1/requests/{rid}/approve"), Some(admin), None).await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "invalid_state"));
    let (s, v) =
        call(app, Method::POST, &format!("/api/v1/requests/{rid}/tokens"), Some(&etl), Some(issue("rev"))).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "issue_refused"), "no reverse right: {v}");
    assert_eq!(v["error"]["detail"], "cannot_reverse", "{v}");
    let (s, t) =
        call(app, Method::POST, &format!("/api/v1/requests/{rid}/tokens"), Some(&etl), Some(issue("psn"))).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let psn = t["token"].as_str().unwrap().to_owned();
    let jti = t["record"]["jti"].as_str().unwrap().to_owned();
    assert!(t["record"]["last_used"].is_null());

    // Use it on the INCERT endpoint; last use is recorded.
    let use_it = |tok: String| {
        let app = app.clone();
        async move {
            let req = Request::post("/api/request-psn")
                .header(header::AUTHORIZATION, format!("Bearer {tok}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"data": ["Example PID 1"]}"#))
                .unwrap();
            app.oneshot(req).await.unwrap().status()
        }
    };
    assert_eq!(use_it(psn.clone()).await, StatusCode::OK);
    let (_, rec) = call(app, Method::GET, &format!("/api/v1/tokens/{jti}"), Some(&etl), None).await;
    assert!(rec["last_used"].is_i64(), "{rec}");

    // Revoke → refused; restore → accepted; delete only once revoked.
    let (s, _) = call(app, Method::POST, &format!("/api/v1/tokens/{jti}/revoke"), Some(&etl), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(use_it(psn.clone()).await, StatusCode::UNAUTHORIZED);
    let (s, _) = call(app, Method::POST, &format!("/api/v1/tokens/{jti}/restore"), Some(&etl), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(use_it(psn.clone()).await, StatusCode::OK);
    let (s, v) = call(app, Method::DELETE, &format!("/api/v1/tokens/{jti}"), Some(&etl), None).await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "invalid_state"));
    call(app, Method::POST, &format!("/api/v1/tokens/{jti}/revoke"), Some(admin), None).await;
    let (s, _) = call(app, Method::DELETE, &format!("/api/v1/tokens/{jti}"), Some(admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(app, Method::GET, &format!("/api/v1/tokens/{jti}"), Some(admin), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(use_it(psn).await, StatusCode::UNAUTHORIZED, "a deleted token stays refused");

    // Audit: administrators only; it names the calls, never a value.
    let (s, _) = call(app, Method::GET, "/api/v1/audit", Some(&etl), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, a) = call(app, Method::GET, "/api/v1/audit?limit=50", Some(admin), None).await;
    assert_eq!(s, StatusCode::OK);
    let events = a["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["outcome"] == "ok") && events.iter().any(|e| e["outcome"] == "token_revoked"));
    // The token's story in order: the registry's changes between the engine's calls.
    let story: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["jti"] == json!(jti))
        .map(|e| (e["operation"].as_str().unwrap(), e["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        story,
        [
            ("issue_token", "ok"),
            ("pseudonymise", "ok"),
            ("revoke_token", "ok"),
            ("pseudonymise", "token_revoked"),
            ("restore_token", "ok"),
            ("pseudonymise", "ok"),
            ("revoke_token", "ok"),
            ("delete_token", "ok"),
            ("pseudonymise", "token_revoked"),
        ],
        "{a}"
    );
    assert!(!a.to_string().contains("Example PID"));

    // The access token's own lifecycle.
    let (s, list) = call(app, Method::GET, "/api/v1/access-tokens", Some(&etl), None).await;
    assert_eq!((s, list["access_tokens"].as_array().unwrap().len()), (StatusCode::OK, 1), "only its own");
    call(app, Method::POST, &format!("/api/v1/access-tokens/{etl_id}/revoke"), Some(admin), None).await;
    let (s, _) = call(app, Method::GET, "/api/v1/me", Some(&etl), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = call(app, Method::POST, &format!("/api/v1/access-tokens/{etl_id}/restore"), Some(admin), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(app, Method::GET, "/api/v1/me", Some(&etl), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(app, Method::DELETE, &format!("/api/v1/access-tokens/{etl_id}"), Some(admin), None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    call(app, Method::POST, &format!("/api/v1/access-tokens/{etl_id}/revoke"), Some(admin), None).await;
    let (s, _) = call(app, Method::DELETE, &format!("/api/v1/access-tokens/{etl_id}"), Some(admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn rest_api_bodies_are_checked() {
    let f = fixture(ServerConfig::default());
    let req = Request::post("/api/v1/projects")
        .header(header::AUTHORIZATION, format!("Bearer {}", f.admin))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("x"))
        .unwrap();
    assert_eq!(f.app.clone().oneshot(req).await.unwrap().status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (s, v) =
        call(&f.app, Method::POST, "/api/v1/projects", Some(&f.admin), Some(json!({"id": "x", "color": 1}))).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "bad_request"));
    let big = json!({"dataset": "x".repeat(pseudo_server::api::MAX_API_BODY)});
    let (s, v) = call(&f.app, Method::POST, "/api/v1/projects/x/requests", Some(&f.admin), Some(big)).await;
    assert_eq!((s, code(&v)), (StatusCode::PAYLOAD_TOO_LARGE, "limit_exceeded"));
    let (s, v) = call(&f.app, Method::GET, "/api/v1/projects/nope", Some(&f.admin), None).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
}

/// Every route of the OpenAPI document exists with its method, and every route is documented.
#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let f = fixture(ServerConfig::default());
    let doc: Value = serde_json::from_str(pseudo_server::api::OPENAPI).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "patch", "delete", "put"] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let routed: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, routed);
    for (method, path) in &documented {
        let uri = path.replace("{id}", "x").replace("{jti}", "x").replace("{version}", "1");
        let req = Request::builder().method(method.as_str()).uri(&uri).body(Body::empty()).unwrap();
        let resp = f.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&body);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(!text.contains("no such path"), "{method} {path} is not routed");
    }
    // The audit event's operations are the core's, in its order.
    let ops: Vec<&str> = doc["components"]["schemas"]["AuditEvent"]["properties"]["operation"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let core: Vec<&str> = pseudo_core::Operation::ALL.iter().map(|o| o.as_str()).collect();
    assert_eq!(ops, core);
}

/// A body that never ends: holds its request in flight.
struct Endless;

impl http_body::Body for Endless {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        Poll::Pending
    }
}

/// An authenticated request whose body never ends. (The INCERT endpoints refuse a request
/// without a valid token before reading its body, so the REST API's project creation, with the
/// administrator's access token, holds the request in flight instead.)
fn endless_request(admin: &str) -> Request<Body> {
    Request::post("/api/v1/projects")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::new(Endless))
        .unwrap()
}

#[tokio::test]
async fn saturated_server_answers_503_with_retry_after() {
    let f = fixture(ServerConfig { max_in_flight: 1, ..ServerConfig::default() });
    let first = tokio::spawn(f.app.clone().oneshot(endless_request(&f.admin)));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let resp = f.app.clone().oneshot(endless_request(&f.admin)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["error"]["code"], "overloaded");
    // Health and metrics stay outside the limit.
    let health = f.app.clone().oneshot(Request::get("/healthz").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    first.abort();
}

#[tokio::test]
async fn slow_requests_time_out_with_503() {
    let f = fixture(ServerConfig { request_timeout: Duration::from_millis(100), ..ServerConfig::default() });
    let resp = f.app.clone().oneshot(endless_request(&f.admin)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["error"]["code"], "timeout");
    let metrics = f.app.clone().oneshot(Request::get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
    let text = metrics.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&text).contains("pseudo_requests_shed_total{reason=\"timeout\"} 1"));
}

#[tokio::test]
async fn the_token_is_checked_before_the_body_is_read() {
    // No token and a body that never ends: 401 at once, nothing read, nothing about the limits.
    let f = fixture(ServerConfig::default());
    let req = Request::post("/api/request-psn")
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::CONTENT_LENGTH, "999999999999")
        .body(Body::new(Endless))
        .unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(5), f.app.clone().oneshot(req)).await.unwrap().unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["error"]["code"], "malformed_token");
}

/// Key versions through the REST API (administrators only): list, move a project, rewrap a batch
/// of its pseudonyms, retire the old version.
#[tokio::test]
async fn key_versions_through_the_rest_api() {
    let dir = tempfile::tempdir().unwrap();
    let made = data::init(&dir.path().join("d")).unwrap();
    // A project made while version 1 was primary (an earlier run of the server) ...
    let path = dir.path().join("d");
    let admin_p = pseudo_core::registry::Principal {
        id: data::LOCAL_ADMIN.into(),
        organisation: made.settings.organisation,
        role: pseudo_core::registry::Role::Admin,
    };
    {
        let first = data::open(&path).unwrap();
        let new = pseudo_core::registry::NewProject {
            id: pseudo_core::ProjectId::new("cohort").unwrap(),
            name: "cohort".into(),
            method: pseudo_core::Method::Reversible,
            retention: pseudo_core::registry::Retention { years: 5, ..Default::default() },
            treatment: pseudo_core::Treatment::Same,
            format: pseudo_core::OutputFormat::Base64url,
        };
        pseudo_server::ops::create_project(&first.registry, &admin_p, new, pseudo_core::Timestamp::now()).unwrap();
        first.registry.flush().unwrap();
    }
    // ... then a rotation (what `pseudo keys rotate` does to the files): version 2 is primary.
    let mut ring = pseudo_core::Keyring::from_file(path.join(data::KEYRING_FILE)).unwrap();
    ring.add(pseudo_core::MasterKey::generate(2).unwrap()).unwrap();
    ring.set_primary(2).unwrap();
    data::write_private_file(&path.join(data::KEYRING_FILE), &ring.to_bytes()).unwrap();
    data::write_settings(&path, &data::Settings { key_version: 2, ..made.settings.clone() }).unwrap();
    let opened = data::open(&path).unwrap();
    let app = &router(Services::from_data(&opened), ServerConfig::default());
    let admin = made.admin_token.secret.as_str();
    let (s, p) = call(app, Method::GET, "/api/v1/projects/cohort", Some(admin), None).await;
    assert_eq!((s, p["key_version"].as_u64()), (StatusCode::OK, Some(1)), "{p}");
    let body = json!({"id": "later", "reversible": true, "retention": "5y", "treatment": "same"});
    let (s, p) = call(app, Method::POST, "/api/v1/projects", Some(admin), Some(body)).await;
    assert_eq!((s, p["key_version"].as_u64()), (StatusCode::CREATED, Some(2)), "{p}");
    let (s, k) = call(app, Method::GET, "/api/v1/keys", Some(admin), None).await;
    assert_eq!((s, k["primary"].as_u64(), k["authority_key_version"].as_u64()), (StatusCode::OK, Some(2), Some(2)));
    assert_eq!(k["versions"], json!([{"version": 1, "projects": 1}, {"version": 2, "projects": 1}]));

    // A psn token of the project (version 1) and its pseudonyms through the INCERT endpoint.
    let (_, r) =
        call(app, Method::POST, "/api/v1/projects/cohort/requests", Some(admin), Some(json!({"dataset": "d"}))).await;
    let rid = r["id"].as_str().unwrap().to_owned();
    call(app, Method::POST, &format!("/api/v1/requests/{rid}/approve"), Some(admin), None).await;
    let issue = json!({"type": "psn", "name": "p", "expires": "1d"});
    let (_, t) =
        call(app, Method::POST, &format!("/api/v1/requests/{rid}/tokens"), Some(admin), Some(issue.clone())).await;
    let psn = |tok: String, values: Value| {
        let app = app.clone();
        async move {
            let req = Request::post("/api/request-psn")
                .header(header::AUTHORIZATION, format!("Bearer {tok}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({ "data": values }).to_string()))
                .unwrap();
            let resp = app.oneshot(req).await.unwrap();
            let status = resp.status();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null))
        }
    };
    let values = json!(["Example PID 1", "Example PID 2"]);
    let (s, old) = psn(t["token"].as_str().unwrap().to_owned(), values.clone()).await;
    assert_eq!(s, StatusCode::OK);

    // Retiring version 1 is refused while the project is bound to it.
    let (s, v) = call(app, Method::POST, "/api/v1/keys/1/retire", Some(admin), None).await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "invalid_state"), "{v}");
    // Move the project to version 2: its token is revoked.
    let (s, v) =
        call(app, Method::POST, "/api/v1/projects/cohort/rekey", Some(admin), Some(json!({"key_version": 9}))).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"), "{v}");
    let (s, v) =
        call(app, Method::POST, "/api/v1/projects/cohort/rekey", Some(admin), Some(json!({"key_version": 2}))).await;
    assert_eq!(
        (s, v["project"]["key_version"].as_u64(), v["revoked"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(2), Some(1)),
        "{v}"
    );
    assert_eq!(psn(t["token"].as_str().unwrap().to_owned(), values.clone()).await.0, StatusCode::UNAUTHORIZED);
    // Rewrap the old pseudonyms: they equal a fresh token's pseudonyms of the same values.
    let (s, w) =
        call(app, Method::POST, "/api/v1/projects/cohort/rewrap", Some(admin), Some(json!({"data": old["data"]})))
            .await;
    assert_eq!((s, w["key_version"].as_u64()), (StatusCode::OK, Some(2)), "{w}");
    let (_, t2) = call(app, Method::POST, &format!("/api/v1/requests/{rid}/tokens"), Some(admin), Some(issue)).await;
    let (_, fresh) = psn(t2["token"].as_str().unwrap().to_owned(), values).await;
    assert_eq!(w["data"], fresh["data"]);
    assert_ne!(w["data"], old["data"]);
    // Now version 1 goes.
    let (s, k) = call(app, Method::POST, "/api/v1/keys/1/retire", Some(admin), None).await;
    assert_eq!((s, k["versions"].clone()), (StatusCode::OK, json!([{"version": 2, "projects": 2}])), "{k}");
    let ring = pseudo_core::Keyring::from_file(dir.path().join("d").join(data::KEYRING_FILE)).unwrap();
    assert_eq!(ring.versions(), [2], "the keyring file no longer holds version 1");
    let (_, a) = call(app, Method::GET, "/api/v1/audit", Some(admin), None).await;
    let ops: Vec<&str> = a["events"].as_array().unwrap().iter().filter_map(|e| e["operation"].as_str()).collect();
    assert!(ops.contains(&"rekey") && ops.contains(&"rewrap") && ops.contains(&"retire_key"), "{ops:?}");
}
