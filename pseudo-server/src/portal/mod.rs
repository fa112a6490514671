//! The portal: server-rendered pages at `/` where people sign in with an access token, create
//! projects, add collaborators, request, approve and generate tokens, and manage their tokens.
//!
//! Every page goes through the same registry calls and visibility rules as the REST API
//! ([`crate::ops`]); a refusal shows the registry's own reason. Security:
//!
//! * sign in with an access token (personal or service); the portal keeps an in-memory session
//!   (a random 256-bit id in an `HttpOnly; SameSite=Strict` cookie, `Secure` under TLS) that ends
//!   on sign-out, after [`crate::ServerConfig::session_lifetime`], or as soon as the access token
//!   is revoked, deleted or expires;
//! * every form carries the session's CSRF token, checked (in constant time) on every POST; the
//!   sign-in form carries a pre-session token bound to a short-lived cookie; a POST whose `Origin`
//!   is not this server is refused too;
//! * every response has a strict [`CSP`], `no-store` caching, `nosniff`, `DENY` framing and no
//!   referrer to other sites; the only script is [`SCRIPT_PATH`] (the copy button);
//! * a secret (an operation token or an access token's secret) is rendered once, on the page
//!   answering the POST that made it, and never again. The forms that make one carry a one-time
//!   value ([`ONCE_FIELD`]): sending the same form again (a reload of that page, or Back and
//!   resend) is refused with 409 and makes nothing, so a reload never issues a second token.

mod pages;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::Markup;
use pseudo_core::registry::{AccessKind, Collaborator, NewProject, Principal, Retention, Role, TokenStatusKind};
use pseudo_core::{Error, ErrorKind, Method, OrgId, ProjectId, Result, Timestamp, TokenType};
use zeroize::{Zeroize, Zeroizing};

use crate::{api, ops, parse, AppState};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "pseudo_session";
/// The sign-in form's pre-session cookie (binds the form's CSRF token before a session exists).
pub const SIGNIN_COOKIE: &str = "pseudo_signin";
/// The hidden form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// The hidden field of the forms that make a secret: a fresh random value per page, accepted once
/// per session (a failed attempt does not use it up).
pub const ONCE_FIELD: &str = "once";
/// How many sent one-time values a session remembers (the oldest are forgotten first).
pub const MAX_SENT_FORMS: usize = 32;
/// Largest form body the portal reads.
pub const MAX_FORM: usize = 16 * 1024;
/// How long the sign-in form stays valid.
pub const SIGNIN_FORM_LIFETIME: Duration = Duration::from_secs(600);
/// Most sessions kept at once; past it, the oldest-expiring ones are dropped.
pub const MAX_SESSIONS: usize = 10_000;
/// The Content-Security-Policy of every portal response: nothing inline, nothing from elsewhere.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// The copy button's script.
pub const SCRIPT_PATH: &str = "/static/portal.js";
/// The style sheet.
pub const STYLE_PATH: &str = "/static/portal.css";

const SCRIPT: &str = include_str!("static/portal.js");
const STYLE: &str = include_str!("static/portal.css");

/// Every route of the portal, as `(method, path pattern)`.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/signin"),
    ("POST", "/signin"),
    ("POST", "/signout"),
    ("GET", "/projects"),
    ("POST", "/projects"),
    ("GET", "/projects/{id}"),
    ("POST", "/projects/{id}/collaborators"),
    ("POST", "/projects/{id}/requests"),
    ("GET", "/requests/{id}"),
    ("POST", "/requests/{id}/decision"),
    ("POST", "/requests/{id}/tokens"),
    ("GET", "/tokens"),
    ("POST", "/tokens/{jti}/revoke"),
    ("POST", "/tokens/{jti}/restore"),
    ("GET", "/tokens/{jti}/delete"),
    ("POST", "/tokens/{jti}/delete"),
    ("GET", "/access-tokens"),
    ("POST", "/access-tokens"),
    ("POST", "/access-tokens/{id}/revoke"),
    ("POST", "/access-tokens/{id}/restore"),
    ("GET", "/access-tokens/{id}/delete"),
    ("POST", "/access-tokens/{id}/delete"),
    ("GET", "/audit"),
    ("GET", SCRIPT_PATH),
    ("GET", STYLE_PATH),
];

// ---- sessions ------------------------------------------------------------------------------

struct Session {
    access_id: String,
    principal: Principal,
    csrf: String,
    until: Instant,
    /// One-time values of the forms this session has sent (oldest first).
    sent: VecDeque<[u8; 32]>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.csrf.zeroize();
    }
}

/// The portal's sessions (in memory: a restart signs everyone out) and cookie settings.
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    lifetime: Duration,
    secure: bool,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.map.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("Sessions").field("open", &n).field("lifetime", &self.lifetime).finish()
    }
}

/// A signed-in person as a page sees them (no secret but the CSRF token the forms carry).
pub(crate) struct Ctx {
    pub(crate) me: Principal,
    pub(crate) csrf: String,
    /// A fresh one-time value for the page's secret-making forms ([`ONCE_FIELD`]).
    pub(crate) once: String,
    /// `http://host:port` as the browser reached the server, for the `curl` examples.
    pub(crate) base: String,
}

fn random_hex() -> Result<String> {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| Error::new(ErrorKind::Internal, "no randomness for a session"))?;
    let text = b.iter().map(|x| format!("{x:02x}")).collect();
    b.zeroize();
    Ok(text)
}

fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Sessions {
    pub(crate) fn new(lifetime: Duration, secure: bool) -> Self {
        Sessions { map: Mutex::new(HashMap::new()), lifetime, secure }
    }

    fn open(&self, access_id: String, principal: Principal) -> Result<String> {
        let id = random_hex()?;
        let csrf = random_hex()?;
        let now = Instant::now();
        let mut map = self.map.lock().map_err(|_| Error::new(ErrorKind::Internal, "session lock poisoned"))?;
        map.retain(|_, s| s.until > now);
        if map.len() >= MAX_SESSIONS {
            if let Some(k) = map.iter().min_by_key(|(_, s)| s.until).map(|(k, _)| k.clone()) {
                map.remove(&k);
            }
        }
        map.insert(
            id.clone(),
            Session { access_id, principal, csrf, until: now + self.lifetime, sent: VecDeque::new() },
        );
        Ok(id)
    }

    /// The session named by the cookie, if it is open: (access token id, principal, CSRF token).
    fn find(&self, headers: &HeaderMap) -> Option<(String, Principal, String)> {
        let id = cookie(headers, SESSION_COOKIE)?;
        let mut map = self.map.lock().ok()?;
        let s = map.get(id)?;
        if s.until <= Instant::now() {
            map.remove(id);
            return None;
        }
        Some((s.access_id.clone(), s.principal.clone(), s.csrf.clone()))
    }

    /// Records that this session sent the form carrying `once`: `Some(false)` when it already
    /// had, `None` when there is no open session.
    fn send_once(&self, headers: &HeaderMap, once: [u8; 32]) -> Option<bool> {
        let id = cookie(headers, SESSION_COOKIE)?;
        let mut map = self.map.lock().ok()?;
        let s = map.get_mut(id)?;
        if s.sent.contains(&once) {
            return Some(false);
        }
        if s.sent.len() >= MAX_SENT_FORMS {
            s.sent.pop_front();
        }
        s.sent.push_back(once);
        Some(true)
    }

    /// Forgets a one-time value whose form was refused, so that it can be corrected and sent again.
    fn unsend_once(&self, headers: &HeaderMap, once: [u8; 32]) {
        if let (Some(id), Ok(mut map)) = (cookie(headers, SESSION_COOKIE), self.map.lock()) {
            if let Some(s) = map.get_mut(id) {
                s.sent.retain(|v| *v != once);
            }
        }
    }

    fn close(&self, headers: &HeaderMap) {
        if let (Some(id), Ok(mut map)) = (cookie(headers, SESSION_COOKIE), self.map.lock()) {
            map.remove(id);
        }
    }

    fn cookie_attrs(&self) -> &'static str {
        if self.secure {
            "HttpOnly; SameSite=Strict; Secure"
        } else {
            "HttpOnly; SameSite=Strict"
        }
    }

    fn session_cookie(&self, id: &str) -> String {
        format!("{SESSION_COOKIE}={id}; Path=/; Max-Age={}; {}", self.lifetime.as_secs(), self.cookie_attrs())
    }

    fn clear_session_cookie(&self) -> String {
        format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; {}", self.cookie_attrs())
    }

    fn signin_cookie(&self, value: &str) -> String {
        format!(
            "{SIGNIN_COOKIE}={value}; Path=/signin; Max-Age={}; {}",
            SIGNIN_FORM_LIFETIME.as_secs(),
            self.cookie_attrs()
        )
    }

    fn clear_signin_cookie(&self) -> String {
        format!("{SIGNIN_COOKIE}=; Path=/signin; Max-Age=0; {}", self.cookie_attrs())
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

// ---- forms ---------------------------------------------------------------------------------

/// A submitted form. Values are wiped when it is dropped (the sign-in form carries a secret);
/// `Debug` names the fields only.
#[derive(Default)]
pub(crate) struct Form(Vec<(String, String)>);

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter().map(|(k, _)| k)).finish()
    }
}

impl Drop for Form {
    fn drop(&mut self) {
        for (_, v) in &mut self.0 {
            v.zeroize();
        }
    }
}

impl Form {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The field's text, trimmed; empty when absent.
    pub(crate) fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("").trim()
    }

    /// The field's text, or `None` when absent or blank.
    fn opt(&self, name: &str) -> Option<&str> {
        Some(self.text(name)).filter(|t| !t.is_empty())
    }
}

async fn read_form(req: Request) -> std::result::Result<(HeaderMap, Form), Response> {
    let (parts, body) = req.into_parts();
    let ct = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mt = ct.split(';').next().unwrap_or("").trim();
    if !mt.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "The portal takes HTML form posts only."));
    }
    let bytes = axum::body::to_bytes(body, MAX_FORM)
        .await
        .map_err(|_| problem(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large or could not be read."))?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| problem(StatusCode::BAD_REQUEST, "The form could not be read."))?;
    Ok((parts.headers, Form(fields)))
}

// ---- answers -------------------------------------------------------------------------------

/// What a page handler answers.
pub(crate) enum Out {
    /// A page (200).
    Page(Markup),
    /// A page showing a secret once (201).
    ShowOnce(Markup),
    /// 303 See Other, after a form that changed something.
    Redirect(String),
}

fn html(status: StatusCode, m: Markup) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], m.into_string()).into_response()
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn problem(status: StatusCode, message: &str) -> Response {
    html(status, pages::problem(None, message))
}

fn refused(cx: Option<&Ctx>, e: &Error) -> Response {
    let status = StatusCode::from_u16(e.kind().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    html(status, pages::problem(cx, e.message()))
}

fn with_cookies(mut r: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// The security headers of every portal response.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    r
}

fn host(headers: &HeaderMap) -> &str {
    headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1")
}

/// A browser's POST from another site names that site in `Origin`: refused whatever it carries.
fn foreign_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin.split_once("://").map(|(_, h)| h) != Some(host(headers))
}

const CSRF_REFUSED: &str =
    "This form was not sent by this portal's page (the CSRF check failed). Reload the page and try again.";

/// Runs `f` for the signed-in person on a blocking thread (the registry is synchronous). With a
/// form, checks its CSRF token first. Without a session, or when the session's access token is
/// no longer active, sends the person to the sign-in page.
async fn signed_in<F>(s: AppState, headers: HeaderMap, form: Option<Form>, f: F) -> Response
where
    F: FnOnce(&AppState, &Ctx, &Form, Timestamp) -> Result<Out> + Send + 'static,
{
    signed_in_as(s, headers, form, false, f).await
}

/// [`signed_in`]; with `one_time`, the form must also carry a one-time value this session has
/// not sent yet ([`ONCE_FIELD`]): a second send of the same page's form makes nothing (409).
async fn signed_in_as<F>(s: AppState, headers: HeaderMap, form: Option<Form>, one_time: bool, f: F) -> Response
where
    F: FnOnce(&AppState, &Ctx, &Form, Timestamp) -> Result<Out> + Send + 'static,
{
    let sessions = &s.0.portal;
    let Some((access_id, me, csrf)) = sessions.find(&headers) else {
        return redirect("/signin");
    };
    if let Some(form) = &form {
        if foreign_origin(&headers) || !same_secret(form.text(CSRF_FIELD), &csrf) {
            return problem(StatusCode::FORBIDDEN, CSRF_REFUSED);
        }
    }
    let scheme = if sessions.secure { "https" } else { "http" };
    let Ok(fresh) = random_hex() else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal error.");
    };
    let cx = Ctx { me, csrf, once: fresh, base: format!("{scheme}://{}", host(&headers)) };
    let form = form.unwrap_or_default();
    let once = if one_time {
        let Some(v) = form.opt(ONCE_FIELD).and_then(parse_once) else {
            return refused(Some(&cx), &invalid(NO_ONCE));
        };
        match sessions.send_once(&headers, v) {
            None => return redirect("/signin"),
            Some(false) => return html(StatusCode::CONFLICT, pages::already_sent(&cx)),
            Some(true) => Some(v),
        }
    } else {
        None
    };
    let answer = tokio::task::spawn_blocking(move || {
        let now = Timestamp::now();
        // The session lives only as long as its access token stays active and unexpired.
        let live = s.registry().access_token(&access_id);
        if !matches!(&live, Ok(a) if a.status == TokenStatusKind::Active && now < a.expires) {
            s.0.portal.close(&headers);
            return with_cookies(redirect("/signin"), &[s.0.portal.clear_session_cookie()]);
        }
        match f(&s, &cx, &form, now) {
            Ok(Out::Page(m)) => html(StatusCode::OK, m),
            Ok(Out::ShowOnce(m)) => html(StatusCode::CREATED, m),
            Ok(Out::Redirect(to)) => redirect(&to),
            Err(e) => {
                if let Some(v) = once {
                    s.0.portal.unsend_once(&headers, v);
                }
                refused(Some(&cx), &e)
            }
        }
    })
    .await;
    answer.unwrap_or_else(|_| problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal error."))
}

/// [`signed_in`] for a POSTed form.
async fn posted<F>(s: AppState, req: Request, f: F) -> Response
where
    F: FnOnce(&AppState, &Ctx, &Form, Timestamp) -> Result<Out> + Send + 'static,
{
    match read_form(req).await {
        Ok((headers, form)) => signed_in(s, headers, Some(form), f).await,
        Err(r) => r,
    }
}

/// [`posted`] for a form that makes a secret: accepted once per page ([`ONCE_FIELD`]).
async fn posted_once<F>(s: AppState, req: Request, f: F) -> Response
where
    F: FnOnce(&AppState, &Ctx, &Form, Timestamp) -> Result<Out> + Send + 'static,
{
    match read_form(req).await {
        Ok((headers, form)) => signed_in_as(s, headers, Some(form), true, f).await,
        Err(r) => r,
    }
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidInput, msg)
}

const NO_ONCE: &str = "This form has no one-time value: open its page again and send it from there.";

/// A one-time value as the portal makes them (64 lowercase hex digits), as its 32 bytes. It guards
/// against sending one page's form twice, not against a client that makes up its own values.
fn parse_once(v: &str) -> Option<[u8; 32]> {
    let b = v.as_bytes();
    if b.len() != 64 || !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        *o = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

fn whole(form: &Form, name: &str, what: &str) -> Result<u32> {
    match form.opt(name) {
        None => Ok(0),
        Some(t) => t.parse().map_err(|_| invalid(format!("{what} is a whole number"))),
    }
}

fn lifetime(form: &Form) -> Result<Duration> {
    form.opt("expires").map(parse::lifetime).transpose().map(|l| l.unwrap_or(api::DEFAULT_LIFETIME))
}

fn org(text: Option<&str>) -> Result<Option<OrgId>> {
    text.map(|t| {
        pseudo_core::parse_canonical_uuid(t)
            .ok_or_else(|| invalid("an organisation key is a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e"))
    })
    .transpose()
}

/// A path segment, percent-encoded (project ids may hold `/`, `?`, `#`…).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---- sign in and out -----------------------------------------------------------------------

async fn home(State(s): State<AppState>, h: HeaderMap) -> Response {
    if s.0.portal.find(&h).is_some() {
        redirect("/projects")
    } else {
        redirect("/signin")
    }
}

fn signin_page(s: &AppState, status: StatusCode, error: Option<&str>) -> Response {
    match random_hex() {
        Ok(token) => with_cookies(html(status, pages::signin(&token, error)), &[s.0.portal.signin_cookie(&token)]),
        Err(e) => refused(None, &e),
    }
}

async fn signin_form(State(s): State<AppState>, h: HeaderMap) -> Response {
    if s.0.portal.find(&h).is_some() {
        return redirect("/projects");
    }
    signin_page(&s, StatusCode::OK, None)
}

async fn signin(State(s): State<AppState>, req: Request) -> Response {
    let (headers, form) = match read_form(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let bound = cookie(&headers, SIGNIN_COOKIE).unwrap_or("");
    if foreign_origin(&headers) || !same_secret(form.text(CSRF_FIELD), bound) {
        return problem(StatusCode::FORBIDDEN, CSRF_REFUSED);
    }
    let secret = Zeroizing::new(form.text("token").to_owned());
    drop(form);
    let s2 = s.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let rec = s2.registry().authenticate(&secret, Timestamp::now())?;
        let me = ops::principal_of(&s2.0.services.admins, &rec);
        s2.0.portal.open(rec.id, me)
    })
    .await;
    match answer {
        Ok(Ok(id)) => {
            with_cookies(redirect("/projects"), &[s.0.portal.session_cookie(&id), s.0.portal.clear_signin_cookie()])
        }
        Ok(Err(e)) => {
            let status = StatusCode::from_u16(e.kind().http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
            signin_page(&s, status, Some(e.message()))
        }
        Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal error."),
    }
}

async fn signout(State(s): State<AppState>, req: Request) -> Response {
    let (headers, form) = match read_form(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some((_, _, csrf)) = s.0.portal.find(&headers) else {
        return redirect("/signin");
    };
    if foreign_origin(&headers) || !same_secret(form.text(CSRF_FIELD), &csrf) {
        return problem(StatusCode::FORBIDDEN, CSRF_REFUSED);
    }
    s.0.portal.close(&headers);
    with_cookies(redirect("/signin"), &[s.0.portal.clear_session_cookie()])
}

// ---- projects ------------------------------------------------------------------------------

/// The project form as typed (kept to fill the form again after a preview or a refusal).
#[derive(Debug, Clone, Default)]
pub(crate) struct Draft {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) reversible: bool,
    pub(crate) years: String,
    pub(crate) months: String,
    pub(crate) days: String,
    pub(crate) treatment: String,
    pub(crate) format: String,
}

impl Draft {
    fn from_form(f: &Form) -> Self {
        Draft {
            id: f.text("id").to_owned(),
            name: f.text("name").to_owned(),
            reversible: f.text("method") == "reversible",
            years: f.text("years").to_owned(),
            months: f.text("months").to_owned(),
            days: f.text("days").to_owned(),
            treatment: f.text("treatment").to_owned(),
            format: f.text("format").to_owned(),
        }
    }

    fn retention(f: &Form) -> Result<Retention> {
        Ok(Retention {
            years: whole(f, "years", "years")?,
            months: whole(f, "months", "months")?,
            days: whole(f, "days", "days")?,
        })
    }
}

fn projects_page(s: &AppState, cx: &Ctx, draft: &Draft, note: pages::Note) -> Result<Out> {
    let list: Vec<_> = s.registry().projects()?.into_iter().filter(|p| ops::sees_project(&cx.me, p)).collect();
    Ok(Out::Page(pages::projects(cx, &list, draft, note)))
}

async fn projects(State(s): State<AppState>, h: HeaderMap) -> Response {
    signed_in(s, h, None, |s, cx, _, _| projects_page(s, cx, &Draft::default(), pages::Note::None)).await
}

async fn create_project(State(s): State<AppState>, req: Request) -> Response {
    posted(s, req, |s, cx, f, now| {
        let draft = Draft::from_form(f);
        let retention = match Draft::retention(f).and_then(|r| r.end_from(now).map(|end| (r, end))) {
            Ok(v) => v,
            Err(e) => return projects_page(s, cx, &draft, pages::Note::Error(e.message().to_owned())),
        };
        if f.text("action") != "create" {
            return projects_page(s, cx, &draft, pages::Note::RetentionEnd(retention.1));
        }
        let made = (|| -> Result<_> {
            let id = ProjectId::new(&draft.id)?;
            let method = match f.text("method") {
                "reversible" => Method::Reversible,
                "not_reversible" => Method::NotReversible,
                _ => return Err(invalid("choose a method: reversible or not reversible")),
            };
            let p = NewProject {
                name: if draft.name.is_empty() { draft.id.clone() } else { draft.name.clone() },
                id,
                method,
                retention: retention.0,
                treatment: f.text("treatment").parse()?,
                format: f.opt("format").unwrap_or("base64url").parse()?,
            };
            ops::create_project(s.registry(), &cx.me, p, now)
        })();
        match made {
            Ok(p) => Ok(Out::Redirect(format!("/projects/{}", seg(p.id.as_str())))),
            Err(e) => projects_page(s, cx, &draft, pages::Note::Error(e.message().to_owned())),
        }
    })
    .await
}

async fn project(State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    signed_in(s, h, None, move |s, cx, _, _| {
        let p = ops::visible_project(s.registry(), &cx.me, &ProjectId::new(&id)?)?;
        let requests: Vec<_> =
            s.registry().requests(&p.id)?.into_iter().filter(|r| ops::sees_request(&cx.me, r)).collect();
        Ok(Out::Page(pages::project(cx, &p, &requests)))
    })
    .await
}

async fn add_collaborator(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    posted(s, req, move |s, cx, f, _| {
        let pid = ProjectId::new(&id)?;
        ops::visible_project(s.registry(), &cx.me, &pid)?;
        let organisation = org(f.opt("organisation"))?.ok_or_else(|| invalid("name the organisation's key"))?;
        let c = Collaborator { organisation, can_reverse: f.get("can_reverse").is_some() };
        s.registry().add_collaborator(&cx.me, &pid, c)?;
        Ok(Out::Redirect(format!("/projects/{}", seg(&id))))
    })
    .await
}

async fn submit_request(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    posted(s, req, move |s, cx, f, now| {
        let pid = ProjectId::new(&id)?;
        ops::visible_project(s.registry(), &cx.me, &pid)?;
        let wanted = f.opt("token_type").map(str::parse::<TokenType>).transpose()?;
        let r = s.registry().submit_request_for(&cx.me, &pid, f.text("dataset"), wanted, now)?;
        Ok(Out::Redirect(format!("/requests/{}", seg(&r.id))))
    })
    .await
}

// ---- requests and issuing ------------------------------------------------------------------

async fn request(State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    signed_in(s, h, None, move |s, cx, _, now| {
        let r = ops::visible_request(s.registry(), &cx.me, &id)?;
        let p = s.registry().project(&r.project)?;
        // Asked of the registry itself: whether a reverse token could be issued, and why not.
        let reverse = ops::check_issue(
            s.registry(),
            &cx.me,
            &r,
            &p,
            pseudo_core::TokenKind::Reverse(pseudo_core::ReverseLevel::Level1),
            now,
        );
        Ok(Out::Page(pages::request(cx, &r, &p, reverse.err().map(|e| e.message().to_owned()))))
    })
    .await
}

async fn decide(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    posted(s, req, move |s, cx, f, now| {
        ops::visible_request(s.registry(), &cx.me, &id)?;
        let approve = match f.text("decision") {
            "approve" => true,
            "reject" => false,
            _ => return Err(invalid("choose approve or reject")),
        };
        s.registry().decide_request(&cx.me, &id, approve, f.opt("comment"), now)?;
        Ok(Out::Redirect(format!("/requests/{}", seg(&id))))
    })
    .await
}

async fn issue(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    posted_once(s, req, move |s, cx, f, now| {
        ops::visible_request(s.registry(), &cx.me, &id)?;
        let source = ops::issue_source(f.opt("source_project"), org(f.opt("source_org"))?, cx.me.organisation)?;
        let kind = api::issue_kind(f.text("type"), source)?;
        let name = f.text("name");
        let issued = s.registry().issue_token(&s.0.services.authority, &cx.me, &id, kind, name, lifetime(f)?, now)?;
        let record = s.registry().token(issued.jti())?;
        Ok(Out::ShowOnce(pages::token_once(cx, &record, issued.token())))
    })
    .await
}

// ---- operation tokens ----------------------------------------------------------------------

/// The tokens page's filter.
#[derive(Debug, serde::Deserialize, Default)]
pub(crate) struct Filter {
    #[serde(default)]
    pub(crate) status: String,
}

/// `active`, `revoked` or `expired`, as a person reads a record's state now.
pub(crate) fn shown_status(status: TokenStatusKind, expires: Timestamp, now: Timestamp) -> &'static str {
    match status {
        TokenStatusKind::Active if now >= expires => "expired",
        s => s.as_str(),
    }
}

async fn tokens(State(s): State<AppState>, Query(q): Query<Filter>, h: HeaderMap) -> Response {
    signed_in(s, h, None, move |s, cx, _, now| {
        let list: Vec<_> = s
            .registry()
            .tokens()?
            .into_iter()
            .filter(|t| ops::sees_token(&cx.me, t))
            .filter(|t| q.status.is_empty() || q.status == "all" || shown_status(t.status, t.expires, now) == q.status)
            .collect();
        Ok(Out::Page(pages::tokens(cx, &list, &q.status, now)))
    })
    .await
}

#[derive(Clone, Copy)]
enum Change {
    Revoke,
    Restore,
    Delete,
}

async fn change_token(s: AppState, jti: String, req: Request, change: Change) -> Response {
    posted(s, req, move |s, cx, _, now| {
        let r = s.registry();
        ops::visible_token(r, &cx.me, &jti)?;
        match change {
            Change::Revoke => {
                r.revoke_token(&cx.me, &jti)?;
            }
            Change::Restore => {
                r.restore_token(&cx.me, &jti, now)?;
            }
            Change::Delete => {
                r.delete_token(&cx.me, &jti)?;
            }
        }
        Ok(Out::Redirect("/tokens".to_owned()))
    })
    .await
}

async fn revoke_token(State(s): State<AppState>, Path(jti): Path<String>, req: Request) -> Response {
    change_token(s, jti, req, Change::Revoke).await
}

async fn restore_token(State(s): State<AppState>, Path(jti): Path<String>, req: Request) -> Response {
    change_token(s, jti, req, Change::Restore).await
}

async fn delete_token(State(s): State<AppState>, Path(jti): Path<String>, req: Request) -> Response {
    change_token(s, jti, req, Change::Delete).await
}

async fn confirm_delete_token(State(s): State<AppState>, Path(jti): Path<String>, h: HeaderMap) -> Response {
    signed_in(s, h, None, move |s, cx, _, _| {
        let t = ops::visible_token(s.registry(), &cx.me, &jti)?;
        let what = format!("the {} token “{}” of project {}", t.token_type.as_str(), t.name, t.project.as_str());
        Ok(Out::Page(pages::confirm_delete(cx, &what, &format!("/tokens/{}/delete", seg(&jti)), "/tokens")))
    })
    .await
}

// ---- access tokens -------------------------------------------------------------------------

fn access_page(s: &AppState, cx: &Ctx, now: Timestamp) -> Result<Out> {
    let list: Vec<_> = s.registry().access_tokens()?.into_iter().filter(|t| ops::sees_access(&cx.me, t)).collect();
    Ok(Out::Page(pages::access_tokens(cx, &list, now)))
}

async fn access_tokens(State(s): State<AppState>, h: HeaderMap) -> Response {
    signed_in(s, h, None, |s, cx, _, now| access_page(s, cx, now)).await
}

async fn create_access(State(s): State<AppState>, req: Request) -> Response {
    posted_once(s, req, |s, cx, f, now| {
        let lifetime = lifetime(f)?;
        let made = match f.text("kind") {
            "service" => {
                let account = Principal {
                    id: f.text("account").to_owned(),
                    organisation: org(f.opt("organisation"))?.unwrap_or(cx.me.organisation),
                    role: Role::ServiceAccount,
                };
                s.registry().create_access_token(
                    &cx.me,
                    AccessKind::Service,
                    Some(&account),
                    f.text("name"),
                    lifetime,
                    now,
                )?
            }
            _ => s.registry().create_access_token(&cx.me, AccessKind::Personal, None, f.text("name"), lifetime, now)?,
        };
        Ok(Out::ShowOnce(pages::access_once(cx, &made.record, made.secret.as_str())))
    })
    .await
}

async fn change_access(s: AppState, id: String, req: Request, change: Change) -> Response {
    posted(s, req, move |s, cx, _, now| {
        let r = s.registry();
        ops::visible_access(r, &cx.me, &id)?;
        match change {
            Change::Revoke => {
                r.revoke_access_token(&cx.me, &id)?;
            }
            Change::Restore => {
                r.restore_access_token(&cx.me, &id, now)?;
            }
            Change::Delete => {
                r.delete_access_token(&cx.me, &id)?;
            }
        }
        Ok(Out::Redirect("/access-tokens".to_owned()))
    })
    .await
}

async fn revoke_access(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    change_access(s, id, req, Change::Revoke).await
}

async fn restore_access(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    change_access(s, id, req, Change::Restore).await
}

async fn delete_access(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    change_access(s, id, req, Change::Delete).await
}

async fn confirm_delete_access(State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    signed_in(s, h, None, move |s, cx, _, _| {
        let t = ops::visible_access(s.registry(), &cx.me, &id)?;
        let what = format!("the {} access token “{}” of {}", t.kind.as_str(), t.name, t.principal);
        Ok(Out::Page(pages::confirm_delete(
            cx,
            &what,
            &format!("/access-tokens/{}/delete", seg(&id)),
            "/access-tokens",
        )))
    })
    .await
}

// ---- audit ---------------------------------------------------------------------------------

/// Audit events the audit page shows.
pub const AUDIT_PAGE_EVENTS: usize = 200;

async fn audit(State(s): State<AppState>, h: HeaderMap) -> Response {
    signed_in(s, h, None, |s, cx, _, _| {
        ops::admin_only(&cx.me)?;
        Ok(Out::Page(pages::audit(cx, &s.registry().audit_events(AUDIT_PAGE_EVENTS)?)))
    })
    .await
}

// ---- static files --------------------------------------------------------------------------

async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT).into_response()
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

/// The portal's routes, with its security headers.
pub(crate) fn routes() -> Router<AppState> {
    use axum::routing::post;
    Router::new()
        .route("/", get(home))
        .route("/signin", get(signin_form).post(signin))
        .route("/signout", post(signout))
        .route("/projects", get(projects).post(create_project))
        .route("/projects/{id}", get(project))
        .route("/projects/{id}/collaborators", post(add_collaborator))
        .route("/projects/{id}/requests", post(submit_request))
        .route("/requests/{id}", get(request))
        .route("/requests/{id}/decision", post(decide))
        .route("/requests/{id}/tokens", post(issue))
        .route("/tokens", get(tokens))
        .route("/tokens/{jti}/revoke", post(revoke_token))
        .route("/tokens/{jti}/restore", post(restore_token))
        .route("/tokens/{jti}/delete", get(confirm_delete_token).post(delete_token))
        .route("/access-tokens", get(access_tokens).post(create_access))
        .route("/access-tokens/{id}/revoke", post(revoke_access))
        .route("/access-tokens/{id}/restore", post(restore_access))
        .route("/access-tokens/{id}/delete", get(confirm_delete_access).post(delete_access))
        .route("/audit", get(audit))
        .route(SCRIPT_PATH, get(script))
        .route(STYLE_PATH, get(style))
        .layer(middleware::from_fn(security_headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_wipes_and_never_prints_its_values() {
        let form = Form(vec![("token".into(), "pseudo_pat_secret".into()), (CSRF_FIELD.into(), "abc".into())]);
        let shown = format!("{form:?}");
        assert!(shown.contains("token") && !shown.contains("pseudo_pat_secret") && !shown.contains("abc"));
        assert_eq!(form.text("token"), "pseudo_pat_secret");
        assert_eq!(form.opt("missing"), None);
    }

    #[test]
    fn sessions_print_no_id_and_cookies_are_read_by_exact_name() {
        let sessions = Sessions::new(Duration::from_secs(60), false);
        let me = Principal { id: "bob".into(), organisation: OrgId::nil(), role: Role::User };
        let id = sessions.open("at_1".into(), me).unwrap();
        assert_eq!(id.len(), 64);
        assert!(!format!("{sessions:?}").contains(&id));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("x{SESSION_COOKIE}=no; {SESSION_COOKIE}={id}")).unwrap(),
        );
        let (access, who, csrf) = sessions.find(&h).unwrap();
        assert_eq!((access.as_str(), who.id.as_str(), csrf.len()), ("at_1", "bob", 64));
        assert_ne!(csrf, id);
        sessions.close(&h);
        assert!(sessions.find(&h).is_none());
    }

    #[test]
    fn a_one_time_form_value_is_taken_once_per_session_and_can_be_given_back() {
        let sessions = Sessions::new(Duration::from_secs(60), false);
        let me = Principal { id: "bob".into(), organisation: OrgId::nil(), role: Role::User };
        let a = [0xaa_u8; 32];
        let mut h = HeaderMap::new();
        assert_eq!(sessions.send_once(&h, a), None, "no session, nothing is accepted");
        let id = sessions.open("at_1".into(), me.clone()).unwrap();
        h.insert(header::COOKIE, HeaderValue::from_str(&format!("{SESSION_COOKIE}={id}")).unwrap());
        assert_eq!(sessions.send_once(&h, a), Some(true));
        assert_eq!(sessions.send_once(&h, a), Some(false), "the same form sent again");
        sessions.unsend_once(&h, a);
        assert_eq!(sessions.send_once(&h, a), Some(true), "a refused form can be sent again");
        // Another session has its own values.
        let other = sessions.open("at_2".into(), me).unwrap();
        let mut h2 = HeaderMap::new();
        h2.insert(header::COOKIE, HeaderValue::from_str(&format!("{SESSION_COOKIE}={other}")).unwrap());
        assert_eq!(sessions.send_once(&h2, a), Some(true));
        // The memory is bounded: the oldest value is forgotten first.
        for i in 0..MAX_SENT_FORMS {
            assert_eq!(sessions.send_once(&h, [i as u8; 32]), Some(true));
        }
        assert_eq!(sessions.send_once(&h, a), Some(true), "forgotten after MAX_SENT_FORMS newer ones");
        assert_eq!(sessions.send_once(&h, [(MAX_SENT_FORMS - 1) as u8; 32]), Some(false));
    }

    #[test]
    fn one_time_values_are_what_the_portal_makes() {
        let made = random_hex().unwrap();
        assert_eq!(parse_once(&made).map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>()), Some(made));
        assert!(parse_once(&"AB".repeat(32)).is_none(), "uppercase is another value");
        assert!(parse_once(&"a".repeat(63)).is_none() && parse_once(&"g".repeat(64)).is_none());
        assert!(parse_once("").is_none());
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(seg("cohort-2026_a.b~c"), "cohort-2026_a.b~c");
        assert_eq!(seg("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
    }

    #[test]
    fn csrf_tokens_compare_whole_and_never_empty() {
        assert!(same_secret("abcd", "abcd"));
        assert!(!same_secret("abcd", "abce") && !same_secret("abc", "abcd") && !same_secret("", ""));
    }
}
