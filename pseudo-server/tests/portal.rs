//! The portal's security properties, in process (no browser): security headers, cookie
//! attributes, CSRF refusals, roles, session end, and secrets shown once only. The browser suite
//! (tests/portal/test_portal.py) drives the flows in a real Chromium.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use pseudo_core::registry::{AccessKind, Principal, Role};
use pseudo_core::Timestamp;
use pseudo_server::portal::{CSP, CSRF_FIELD, ONCE_FIELD, SESSION_COOKIE, SIGNIN_COOKIE};
use pseudo_server::{data, router, ServerConfig, Services};
use tower::ServiceExt;

struct Fixture {
    _dir: tempfile::TempDir,
    app: Router,
    admin: String,
    user: String,
}

const OTHER_ORG: &str = "00000000-0000-4000-8000-000000000002";

fn fixture(config: ServerConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let made = data::init(&dir.path().join("d")).unwrap();
    let opened = data::open(&dir.path().join("d")).unwrap();
    let bob = Principal { id: "bob".into(), organisation: OTHER_ORG.parse().unwrap(), role: Role::User };
    let user = opened
        .registry
        .create_access_token(&bob, AccessKind::Personal, None, "bob", Duration::from_secs(3600), Timestamp::now())
        .unwrap();
    let app = router(Services::from_data(&opened), config);
    Fixture {
        app,
        admin: made.admin_token.secret.as_str().to_owned(),
        user: user.secret.as_str().to_owned(),
        _dir: dir,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn send(app: &Router, method: Method, path: &str, cookie: &str, form: Option<&[(&str, &str)]>) -> Answer {
    let mut b = Request::builder().method(method).uri(path).header(header::HOST, "127.0.0.1:8080");
    if !cookie.is_empty() {
        b = b.header(header::COOKIE, cookie);
    }
    let req = match form {
        Some(f) => b
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(serde_urlencoded::to_string(f).unwrap()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    Answer { status, headers, body }
}

fn set_cookies(h: &HeaderMap) -> Vec<String> {
    h.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

/// The value of the hidden CSRF field on a page.
fn csrf_on(page: &str) -> String {
    let at = page.find(&format!("name=\"{CSRF_FIELD}\" value=\"")).expect("a CSRF field") + 19;
    page[at..].split('"').next().unwrap().to_owned()
}

/// The one-time value of the page's secret-making forms, if it has one.
fn once_on(page: &str) -> Option<String> {
    let mark = format!("name=\"{ONCE_FIELD}\" value=\"");
    let at = page.find(&mark)? + mark.len();
    Some(page[at..].split('"').next().unwrap().to_owned())
}

/// Signs in through the form; returns the session cookie (`name=value`).
async fn sign_in(app: &Router, token: &str) -> String {
    let form = send(app, Method::GET, "/signin", "", None).await;
    assert_eq!(form.status, StatusCode::OK);
    let pre = set_cookies(&form.headers).into_iter().find(|c| c.starts_with(SIGNIN_COOKIE)).unwrap();
    let pre = pre.split(';').next().unwrap().to_owned();
    let csrf = csrf_on(&form.body);
    let done = send(app, Method::POST, "/signin", &pre, Some(&[("token", token), (CSRF_FIELD, &csrf)])).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let c = set_cookies(&done.headers).into_iter().find(|c| c.starts_with(&format!("{SESSION_COOKIE}="))).unwrap();
    c.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn every_page_has_the_security_headers_and_the_cookies_their_attributes() {
    let f = fixture(ServerConfig::default());
    let page = send(&f.app, Method::GET, "/signin", "", None).await;
    let h = &page.headers;
    assert_eq!(h[header::CONTENT_SECURITY_POLICY], CSP);
    assert!(CSP.contains("script-src 'self'") && !CSP.contains("unsafe-inline"));
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(h[header::REFERRER_POLICY], "same-origin");
    // No inline script or style on any page: the one script is a file.
    assert!(page.body.contains("<script src=\"/static/portal.js\" defer></script>"));
    assert!(!page.body.contains("<script>") && !page.body.contains("style="));
    let pre = set_cookies(h).concat();
    assert!(pre.contains("HttpOnly") && pre.contains("SameSite=Strict") && !pre.contains("Secure"));

    let cookie = sign_in(&f.app, &f.admin).await;
    assert!(!cookie.contains(&f.admin));
    let js = send(&f.app, Method::GET, "/static/portal.js", "", None).await;
    assert_eq!(
        (js.status, js.headers[header::CONTENT_TYPE].to_str().unwrap()),
        (StatusCode::OK, "text/javascript; charset=utf-8")
    );

    // Under TLS the cookies are Secure too.
    let tls = fixture(ServerConfig { secure_cookies: true, ..ServerConfig::default() });
    let form = send(&tls.app, Method::GET, "/signin", "", None).await;
    let pre_cookie = set_cookies(&form.headers).concat();
    assert!(pre_cookie.contains("; Secure"));
    let pre = pre_cookie.split(';').next().unwrap().to_owned();
    let csrf = csrf_on(&form.body);
    let done = send(&tls.app, Method::POST, "/signin", &pre, Some(&[("token", &tls.admin), (CSRF_FIELD, &csrf)])).await;
    let session = set_cookies(&done.headers).into_iter().find(|c| c.starts_with(SESSION_COOKIE)).unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/", "Max-Age=28800"] {
        assert!(session.contains(attr), "{session} lacks {attr}");
    }
}

#[tokio::test]
async fn posts_without_the_right_csrf_token_change_nothing() {
    let f = fixture(ServerConfig::default());
    let cookie = sign_in(&f.app, &f.admin).await;
    let create =
        [("id", "forged"), ("method", "reversible"), ("years", "1"), ("treatment", "same"), ("action", "create")];
    let r = send(&f.app, Method::POST, "/projects", &cookie, Some(&create)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("CSRF"));
    let mut wrong = create.to_vec();
    wrong.push((CSRF_FIELD, "00"));
    assert_eq!(send(&f.app, Method::POST, "/projects", &cookie, Some(&wrong)).await.status, StatusCode::FORBIDDEN);

    // The page's own token, from another site (Origin), is refused too.
    let page = send(&f.app, Method::GET, "/projects", &cookie, None).await;
    let csrf = csrf_on(&page.body);
    let mut right = create.to_vec();
    right.push((CSRF_FIELD, &csrf));
    let req = Request::builder()
        .method(Method::POST)
        .uri("/projects")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://evil.example")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(serde_urlencoded::to_string(&right).unwrap()))
        .unwrap();
    assert_eq!(f.app.clone().oneshot(req).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert!(!send(&f.app, Method::GET, "/projects", &cookie, None).await.body.contains("/projects/forged"));

    // With it, from this site, the project is made.
    let r = send(&f.app, Method::POST, "/projects", &cookie, Some(&right)).await;
    assert_eq!((r.status, r.headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/projects/forged"));

    // Sign-in: a form token that is not the one bound to this browser's cookie is refused.
    let r = send(&f.app, Method::POST, "/signin", "pseudo_signin=aa", Some(&[("token", &f.admin), (CSRF_FIELD, "bb")]))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(set_cookies(&r.headers).is_empty());
}

#[tokio::test]
async fn roles_are_the_registrys() {
    let f = fixture(ServerConfig::default());
    let admin = sign_in(&f.app, &f.admin).await;
    let page = send(&f.app, Method::GET, "/projects", &admin, None).await;
    let csrf = csrf_on(&page.body);
    let create = [
        ("id", "cohort"),
        ("method", "reversible"),
        ("years", "2"),
        ("treatment", "same"),
        ("action", "create"),
        (CSRF_FIELD, &csrf),
    ];
    assert_eq!(send(&f.app, Method::POST, "/projects", &admin, Some(&create)).await.status, StatusCode::SEE_OTHER);
    let access = send(&f.app, Method::GET, "/access-tokens", &admin, None).await;
    assert!(access.body.contains("id=\"new-service\""));
    assert!(send(&f.app, Method::GET, "/audit", &admin, None).await.status.is_success());

    let user = sign_in(&f.app, &f.user).await;
    // Another organisation's project is invisible to the user.
    let list = send(&f.app, Method::GET, "/projects", &user, None).await;
    assert!(!list.body.contains("/projects/cohort"));
    let hidden = send(&f.app, Method::GET, "/projects/cohort", &user, None).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    // No service-token form, and a posted one is refused with the registry's reason.
    let access = send(&f.app, Method::GET, "/access-tokens", &user, None).await;
    assert!(!access.body.contains("id=\"new-service\""));
    let (csrf, once) = (csrf_on(&access.body), once_on(&access.body).expect("a one-time value"));
    let svc = [("kind", "service"), ("name", "etl"), ("account", "etl"), (CSRF_FIELD, &csrf), (ONCE_FIELD, &once)];
    let r = send(&f.app, Method::POST, "/access-tokens", &user, Some(&svc)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("only an administrator can make service tokens"));
    let r = send(&f.app, Method::GET, "/audit", &user, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_secret_is_shown_once_and_never_again() {
    let f = fixture(ServerConfig::default());
    let user = sign_in(&f.app, &f.user).await;
    let page = send(&f.app, Method::GET, "/access-tokens", &user, None).await;
    let (csrf, one_time) = (csrf_on(&page.body), once_on(&page.body).expect("a one-time value"));
    let made =
        [("kind", "personal"), ("name", "laptop"), ("expires", "1d"), (CSRF_FIELD, &csrf), (ONCE_FIELD, &one_time)];
    // A refused attempt (a bad expiry) does not use the page's one-time value up.
    let mut bad = made.to_vec();
    bad[2] = ("expires", "soon");
    assert_eq!(send(&f.app, Method::POST, "/access-tokens", &user, Some(&bad)).await.status, StatusCode::BAD_REQUEST);
    let once = send(&f.app, Method::POST, "/access-tokens", &user, Some(&made)).await;
    assert_eq!(once.status, StatusCode::CREATED);
    assert_eq!(once.headers[header::CACHE_CONTROL], "no-store");
    let at = once.body.find("id=\"token\"").unwrap();
    let secret = once.body[at..].split('>').nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(secret.len() > 20);
    for path in ["/access-tokens", "/tokens", "/projects"] {
        let later = send(&f.app, Method::GET, path, &user, None).await;
        assert!(!later.body.contains(&secret), "{path} shows the secret");
    }
    // Sending the same form again (a reload of the answer) makes nothing and shows no secret;
    // without its one-time value the form is refused.
    let again = send(&f.app, Method::POST, "/access-tokens", &user, Some(&made)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("already sent") && !again.body.contains(&secret));
    let bare = send(&f.app, Method::POST, "/access-tokens", &user, Some(&made[..4])).await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);
    for other in ["not-one-the-portal-made".to_owned(), one_time.to_uppercase()] {
        let mut forged = made[..4].to_vec();
        forged.push((ONCE_FIELD, &other));
        let forged = send(&f.app, Method::POST, "/access-tokens", &user, Some(&forged)).await;
        assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{other}");
    }
    let list = send(&f.app, Method::GET, "/access-tokens", &user, None).await.body;
    assert_eq!(list.matches("laptop").count(), 1, "one access token for one form");
    // The new secret signs in too.
    sign_in(&f.app, &secret).await;
}

#[tokio::test]
async fn a_session_ends_on_sign_out_on_expiry_and_when_its_token_is_revoked() {
    let f = fixture(ServerConfig::default());
    let cookie = sign_in(&f.app, &f.user).await;
    let page = send(&f.app, Method::GET, "/tokens", &cookie, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let out = send(&f.app, Method::POST, "/signout", &cookie, Some(&[(CSRF_FIELD, &csrf_on(&page.body))])).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(set_cookies(&out.headers).concat().contains("Max-Age=0"));
    let after = send(&f.app, Method::GET, "/tokens", &cookie, None).await;
    assert_eq!((after.status, after.headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/signin"));

    // A session lifetime of zero: every session has ended by the next request.
    let short = fixture(ServerConfig { session_lifetime: Duration::ZERO, ..ServerConfig::default() });
    let cookie = sign_in(&short.app, &short.user).await;
    assert_eq!(send(&short.app, Method::GET, "/tokens", &cookie, None).await.status, StatusCode::SEE_OTHER);

    // Revoking the access token behind a session ends it.
    let cookie = sign_in(&f.app, &f.user).await;
    let page = send(&f.app, Method::GET, "/access-tokens", &cookie, None).await;
    let at = page.body.find("action=\"/access-tokens/").unwrap() + "action=\"/access-tokens/".len();
    let id = page.body[at..].split('/').next().unwrap().to_owned();
    let csrf = csrf_on(&page.body);
    let r =
        send(&f.app, Method::POST, &format!("/access-tokens/{id}/revoke"), &cookie, Some(&[(CSRF_FIELD, &csrf)])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = send(&f.app, Method::GET, "/projects", &cookie, None).await;
    assert_eq!((after.status, after.headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/signin"));
    // A wrong token is refused on the sign-in page with the registry's reason (and no session).
    let form = send(&f.app, Method::GET, "/signin", "", None).await;
    let pre = set_cookies(&form.headers)[0].split(';').next().unwrap().to_owned();
    let r =
        send(&f.app, Method::POST, "/signin", &pre, Some(&[("token", &f.user), (CSRF_FIELD, &csrf_on(&form.body))]))
            .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("revoked"));
    assert!(!set_cookies(&r.headers).concat().contains(SESSION_COOKIE));
}

/// POSTs a form with the CSRF token of the page at `page`; returns the answer.
async fn submit(app: &Router, cookie: &str, page: &str, action: &str, fields: &[(&str, &str)]) -> Answer {
    let body = send(app, Method::GET, page, cookie, None).await.body;
    let (csrf, once) = (csrf_on(&body), once_on(&body));
    let mut all = fields.to_vec();
    all.push((CSRF_FIELD, &csrf));
    if let Some(once) = &once {
        all.push((ONCE_FIELD, once));
    }
    send(app, Method::POST, action, cookie, Some(&all)).await
}

/// Creates a project, requests a token for it and approves the request; returns the request's page.
async fn approved_request(app: &Router, admin: &str, id: &str, method: &str) -> String {
    let create = [("id", id), ("method", method), ("days", "30"), ("treatment", "same"), ("action", "create")];
    assert_eq!(submit(app, admin, "/projects", "/projects", &create).await.status, StatusCode::SEE_OTHER);
    let project = format!("/projects/{id}");
    let r = submit(app, admin, &project, &format!("{project}/requests"), &[("dataset", "d")]).await;
    let request = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    let r = submit(app, admin, &request, &format!("{request}/decision"), &[("decision", "approve")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    request
}

#[tokio::test]
async fn reverse_and_secondary_tokens_follow_the_registrys_rules() {
    let f = fixture(ServerConfig::default());
    let admin = sign_in(&f.app, &f.admin).await;

    // Reversible, and the owner organisation may reverse: a rev token, with the reverse endpoint.
    let request = approved_request(&f.app, &admin, "source", "reversible").await;
    let page = send(&f.app, Method::GET, &request, &admin, None).await;
    assert!(!page.body.contains("id=\"no-reverse\""));
    let fields = [("name", "undo"), ("type", "rev"), ("expires", "1d")];
    let once = submit(&f.app, &admin, &request, &format!("{request}/tokens"), &fields).await;
    assert_eq!(once.status, StatusCode::CREATED, "{}", once.body);
    assert!(once.body.contains("/api/request-psn-rev -H"));

    // A secondary project re-pseudonymising the source's level-1 pseudonyms.
    let study = approved_request(&f.app, &admin, "study", "not_reversible").await;
    let fields = [("name", "level2"), ("type", "sec"), ("source_project", "source")];
    let once = submit(&f.app, &admin, &study, &format!("{study}/tokens"), &fields).await;
    assert_eq!(once.status, StatusCode::CREATED, "{}", once.body);
    assert!(once.body.contains("<dd id=\"token-type\">sec</dd>"));
    let fields = [("name", "bad"), ("type", "sec"), ("source_project", "nowhere")];
    let refused = submit(&f.app, &admin, &study, &format!("{study}/tokens"), &fields).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("no source project nowhere"));

    // Not reversible: the page says why there is no reverse token, and a posted one is refused.
    let page = send(&f.app, Method::GET, &study, &admin, None).await;
    assert!(page.body.contains("reverse tokens exist only for reversible projects"));
    let fields = [("name", "undo"), ("type", "rev")];
    let refused = submit(&f.app, &admin, &study, &format!("{study}/tokens"), &fields).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("reverse tokens exist only for reversible projects"));
}

#[tokio::test]
async fn text_people_type_is_escaped_on_every_page() {
    let f = fixture(ServerConfig::default());
    let admin = sign_in(&f.app, &f.admin).await;
    let markup = "<script>alert(1)</script>\"'&";
    let made = [("kind", "personal"), ("name", markup), ("expires", "1d")];
    let once = submit(&f.app, &admin, "/access-tokens", "/access-tokens", &made).await;
    assert_eq!(once.status, StatusCode::CREATED, "{}", once.body);
    let request = approved_request(&f.app, &admin, "escaped", "reversible").await;
    let dataset = [("dataset", "<img src=x onerror=alert(2)>")];
    let r = submit(&f.app, &admin, "/projects/escaped", "/projects/escaped/requests", &dataset).await;
    let second = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    for path in ["/access-tokens", "/projects/escaped", second.as_str(), request.as_str()] {
        let page = send(&f.app, Method::GET, path, &admin, None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains("<script>alert") && !page.body.contains("<img src=x"), "{path} echoes markup");
    }
    let tokens = send(&f.app, Method::GET, "/access-tokens", &admin, None).await.body;
    assert!(tokens.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the name is shown, escaped");
    let page = send(&f.app, Method::GET, &second, &admin, None).await.body;
    assert!(page.contains("&lt;img src=x onerror=alert(2)&gt;"), "the dataset is shown, escaped");
}
