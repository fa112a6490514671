//! The authority's REST API under `/api/v1/`: projects, collaborators, requests (approve, reject,
//! history), operation tokens and access tokens (issue, list, revoke, restore, delete, last used)
//! and the audit log. Every call but the OpenAPI document takes an access token as the bearer;
//! personal tokens of the configured administrators carry the administrator role, other personal
//! tokens the user role, service tokens the service-account role. Every refusal is a JSON error
//! whose status comes from the core ([`pseudo_core::wire::http_status`]).
//!
//! The document `openapi.json` beside this crate's `Cargo.toml` describes every route; it is
//! served at [`OPENAPI_PATH`].

use std::time::Duration;

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use pseudo_core::registry::{
    AccessKind, AccessTokenRecord, Collaborator, IssueKind, NewProject, Principal, Project, ProjectUpdate,
    Request as PortalRequest, Role, TokenRecord,
};
use pseudo_core::wire::{error_for, CONTENT_JSON};
use pseudo_core::{
    AuditEvent, Detail, Error, ErrorKind, Method, OrgId, OutputFormat, ProjectId, Result, Timestamp, TokenType,
    Treatment,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::incert::{content_length, read_body, ReadError};
use crate::ops::{admin_only, hidden, sees_project};
use crate::{http_error, ops, parse, to_response, AppState, Services};

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// The OpenAPI 3.1 document of every route.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Largest JSON body the REST API reads.
pub const MAX_API_BODY: usize = 64 * 1024;

/// Default lifetime of tokens made through the API when the caller names none.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(30 * 86_400);

fn fail(e: &Error) -> Response {
    to_response(error_for(e))
}

/// The bearer access token of a request.
fn bearer(h: &HeaderMap) -> Result<String> {
    let missing =
        || Error::new(ErrorKind::AuthenticationFailed, "an Authorization: Bearer <access token> header is required");
    let v = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(missing)?.trim();
    let (scheme, token) = v.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    Ok(token.trim().to_owned())
}

fn principal_of(s: &AppState, rec: &AccessTokenRecord) -> Principal {
    ops::principal_of(&s.0.services.admins, rec)
}

/// Authenticates the caller and runs `f` on a blocking thread (the registry is synchronous).
async fn act<F>(s: AppState, headers: &HeaderMap, f: F) -> Response
where
    F: FnOnce(&AppState, &Principal, Timestamp) -> Result<(StatusCode, Value)> + Send + 'static,
{
    let secret = match bearer(headers) {
        Ok(t) => zeroize::Zeroizing::new(t),
        Err(e) => return fail(&e),
    };
    let answer = tokio::task::spawn_blocking(move || {
        let now = Timestamp::now();
        let rec = s.registry().authenticate(&secret, now)?;
        let actor = principal_of(&s, &rec);
        f(&s, &actor, now)
    })
    .await;
    match answer {
        Ok(Ok((status, _))) if status == StatusCode::NO_CONTENT => status.into_response(),
        Ok(Ok((status, body))) => (status, [(header::CONTENT_TYPE, CONTENT_JSON)], body.to_string()).into_response(),
        Ok(Err(e)) => fail(&e),
        Err(_) => http_error(500, ErrorKind::Internal.code(), "internal error"),
    }
}

/// Reads a JSON body of at most [`MAX_API_BODY`] bytes.
async fn body<T: DeserializeOwned>(req: Request) -> std::result::Result<(HeaderMap, T), Response> {
    let (parts, b) = req.into_parts();
    let ct = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mt = ct.split(';').next().unwrap_or("").trim();
    if !mt.eq_ignore_ascii_case(CONTENT_JSON) {
        return Err(http_error(
            415,
            ErrorKind::UnsupportedMediaType.code(),
            "the REST API takes Content-Type: application/json",
        ));
    }
    let too_large =
        || http_error(413, ErrorKind::LimitExceeded.code(), &format!("the body is larger than {MAX_API_BODY} bytes"));
    let expected = content_length(&parts.headers);
    if expected.is_some_and(|n| n > MAX_API_BODY) {
        return Err(too_large());
    }
    let bytes = match read_body(b, expected, MAX_API_BODY).await {
        Ok(b) => b,
        Err(ReadError::TooLarge) => return Err(too_large()),
        Err(ReadError::Broken) => {
            return Err(http_error(400, ErrorKind::BadRequest.code(), "the request body could not be read"))
        }
    };
    let value = serde_json::from_slice(&bytes).map_err(|e| {
        http_error(400, ErrorKind::BadRequest.code(), &format!("the body is not the expected JSON: {e}"))
    })?;
    Ok((parts.headers, value))
}

// ---- views ---------------------------------------------------------------------------------

/// The JSON form of a record (as the API and `pseudo … list` print it).
pub fn project_view(p: &Project) -> Value {
    json!({
        "id": p.id.as_str(),
        "name": p.name,
        "owner": p.owner,
        "reversible": p.config.method.is_reversible(),
        "retention_end": p.config.retention_end.unix(),
        "treatment": match p.config.treatment { Treatment::Same => "same", Treatment::Different => "different" },
        "format": p.config.format.as_str(),
        "created": p.created.unix(),
        "key_version": p.key_version,
        "key_versions": p.key_versions,
        "collaborators": p.collaborators.iter()
            .map(|c| json!({"organisation": c.organisation, "can_reverse": c.can_reverse}))
            .collect::<Vec<_>>(),
    })
}

/// The JSON form of a record (as the API and `pseudo … list` print it).
pub fn request_view(r: &PortalRequest) -> Value {
    json!({
        "id": r.id,
        "project": r.project.as_str(),
        "organisation": r.organisation,
        "requester": r.requester,
        "dataset": r.dataset,
        "token_type": r.token_type.map(|t| t.as_str()),
        "status": r.status.as_str(),
        "history": r.history.iter().map(|e| json!({
            "time": e.time.unix(), "actor": e.actor, "status": e.status.as_str(), "comment": e.comment,
        })).collect::<Vec<_>>(),
    })
}

/// The JSON form of a record (as the API and `pseudo … list` print it).
pub fn token_view(t: &TokenRecord) -> Value {
    json!({
        "jti": t.jti,
        "type": t.token_type.as_str(),
        "name": t.name,
        "project": t.project.as_str(),
        "request": t.request,
        "holder": t.holder,
        "organisation": t.organisation,
        "created": t.created.unix(),
        "expires": t.expires.unix(),
        "status": t.status.as_str(),
        "last_used": t.last_used.map(Timestamp::unix),
    })
}

/// The JSON form of a record (as the API and `pseudo … list` print it).
pub fn access_view(a: &AccessTokenRecord) -> Value {
    json!({
        "id": a.id,
        "kind": a.kind.as_str(),
        "name": a.name,
        "principal": a.principal,
        "organisation": a.organisation,
        "created_by": a.created_by,
        "created": a.created.unix(),
        "expires": a.expires.unix(),
        "status": a.status.as_str(),
        "last_used": a.last_used.map(Timestamp::unix),
    })
}

/// The JSON form of a record (as the API and `pseudo … list` print it).
pub fn audit_view(e: &AuditEvent) -> Value {
    json!({
        "time": e.time.unix(),
        "jti": e.jti,
        "subject": e.subject,
        "project": e.project,
        "operation": e.operation.as_str(),
        "items": e.items,
        "failed_items": e.failed_items,
        "outcome": e.error.map_or("ok", |k| k.code()),
        "key_version": e.key_version,
    })
}

fn ok(v: Value) -> Result<(StatusCode, Value)> {
    Ok((StatusCode::OK, v))
}

fn created(v: Value) -> Result<(StatusCode, Value)> {
    Ok((StatusCode::CREATED, v))
}

fn project_id(id: &str) -> Result<ProjectId> {
    ProjectId::new(id)
}

// ---- handlers ------------------------------------------------------------------------------

async fn me(State(s): State<AppState>, h: HeaderMap) -> Response {
    act(s, &h, |_, a, _| ok(json!({"id": a.id, "organisation": a.organisation, "role": ops::role_name(a.role)}))).await
}

async fn list_projects(State(s): State<AppState>, h: HeaderMap) -> Response {
    act(s, &h, |s, a, _| {
        let list: Vec<Value> =
            s.registry().projects()?.iter().filter(|p| sees_project(a, p)).map(project_view).collect();
        ok(json!({ "projects": list }))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewProjectBody {
    id: String,
    name: Option<String>,
    reversible: bool,
    retention: String,
    treatment: Treatment,
    #[serde(default)]
    format: OutputFormat,
}

async fn create_project(State(s): State<AppState>, req: Request) -> Response {
    let (h, b): (_, NewProjectBody) = match body(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    act(s, &h, move |s, a, now| {
        let id = project_id(&b.id)?;
        let p = NewProject {
            name: b.name.unwrap_or_else(|| b.id.clone()),
            id,
            method: if b.reversible { Method::Reversible } else { Method::NotReversible },
            retention: parse::retention(&b.retention)?,
            treatment: b.treatment,
            format: b.format,
        };
        created(project_view(&ops::create_project(s.registry(), a, p, now)?))
    })
    .await
}

async fn show_project(State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    act(s, &h, move |s, a, _| {
        let p = s.registry().project(&project_id(&id)?)?;
        if !sees_project(a, &p) {
            return Err(hidden(Detail::UnknownProject));
        }
        ok(project_view(&p))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenameBody {
    name: Option<String>,
    retention: Option<Value>,
    reversible: Option<Value>,
    treatment: Option<Value>,
    format: Option<Value>,
}

async fn update_project(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (h, b): (_, RenameBody) = match body(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    act(s, &h, move |s, a, _| {
        // Everything but the name is fixed at creation: the registry refuses each with its reason.
        let update = ProjectUpdate {
            name: b.name,
            retention: b.retention.map(|_| Default::default()),
            method: b.reversible.map(|_| Method::Reversible),
            treatment: b.treatment.map(|_| Treatment::Same),
            format: b.format.map(|_| OutputFormat::Base64url),
        };
        ok(project_view(&s.registry().update_project(a, &project_id(&id)?, update)?))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CollaboratorBody {
    organisation: OrgId,
    #[serde(default)]
    can_reverse: bool,
}

async fn add_collaborator(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (h, b): (_, CollaboratorBody) = match body(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    act(s, &h, move |s, a, _| {
        let c = Collaborator { organisation: b.organisation, can_reverse: b.can_reverse };
        ok(project_view(&s.registry().add_collaborator(a, &project_id(&id)?, c)?))
    })
    .await
}

async fn list_requests(State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    act(s, &h, move |s, a, _| {
        let p = s.registry().project(&project_id(&id)?)?;
        if !sees_project(a, &p) {
            return Err(hidden(Detail::UnknownProject));
        }
        let list: Vec<Value> =
            s.registry().requests(&p.id)?.iter().filter(|r| ops::sees_request(a, r)).map(request_view).collect();
        ok(json!({ "requests": list }))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    dataset: String,
    /// The token type wanted (`psn`, `sec`, `rev`); absent or null: not said.
    #[serde(default)]
    token_type: Option<String>,
}

async fn submit_request(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (h, b): (_, SubmitBody) = match body(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    act(s, &h, move |s, a, now| {
        let wanted = b.token_type.as_deref().map(str::parse::<TokenType>).transpose()?;
        created(request_view(&s.registry().submit_request_for(a, &project_id(&id)?, &b.dataset, wanted, now)?))
    })
    .await
}

fn visible_request(s: &AppState, a: &Principal, id: &str) -> Result<PortalRequest> {
    ops::visible_request(s.registry(), a, id)
}

async fn show_request(State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    act(s, &h, move |s, a, _| ok(request_view(&visible_request(s, a, &id)?))).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    comment: Option<String>,
}

async fn decide(s: AppState, id: String, req: Request, approve: bool) -> Response {
    // The comment is optional, and so is the body: `curl -X POST …/approve` is enough.
    let bodiless = !req.headers().contains_key(header::CONTENT_TYPE) && content_length(req.headers()).unwrap_or(0) == 0;
    let (h, b): (_, DecisionBody) = if bodiless {
        (req.headers().clone(), DecisionBody::default())
    } else {
        match body(req).await {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
    act(s, &h, move |s, a, now| {
        ok(request_view(&s.registry().decide_request(a, &id, approve, b.comment.as_deref(), now)?))
    })
    .await
}

async fn approve(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    decide(s, id, req, true).await
}

async fn reject(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    decide(s, id, req, false).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueBody {
    #[serde(rename = "type")]
    token_type: String,
    name: String,
    expires: Option<String>,
    source_project: Option<String>,
    source_org: Option<OrgId>,
}

/// The registry's [`IssueKind`] for a token type and optional source (the core's one rule,
/// [`IssueKind::new`]).
pub fn issue_kind(token_type: &str, source: Option<(ProjectId, OrgId)>) -> Result<IssueKind> {
    IssueKind::new(token_type.parse()?, source)
}

async fn issue_token(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (h, b): (_, IssueBody) = match body(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    act(s, &h, move |s, a, now| {
        let source = ops::issue_source(b.source_project.as_deref(), b.source_org, a.organisation)?;
        let kind = issue_kind(&b.token_type, source)?;
        let lifetime = b.expires.as_deref().map(parse::lifetime).transpose()?.unwrap_or(DEFAULT_LIFETIME);
        let issued = s.registry().issue_token(&s.0.services.authority, a, &id, kind, &b.name, lifetime, now)?;
        let record = s.registry().token(issued.jti())?;
        created(json!({ "token": issued.token(), "record": token_view(&record) }))
    })
    .await
}

fn visible_token(s: &AppState, a: &Principal, jti: &str) -> Result<TokenRecord> {
    ops::visible_token(s.registry(), a, jti)
}

async fn list_tokens(State(s): State<AppState>, h: HeaderMap) -> Response {
    act(s, &h, |s, a, _| {
        let list: Vec<Value> =
            s.registry().tokens()?.iter().filter(|t| ops::sees_token(a, t)).map(token_view).collect();
        ok(json!({ "tokens": list }))
    })
    .await
}

async fn show_token(State(s): State<AppState>, Path(jti): Path<String>, h: HeaderMap) -> Response {
    act(s, &h, move |s, a, _| ok(token_view(&visible_token(s, a, &jti)?))).await
}

async fn revoke_token(State(s): State<AppState>, Path(jti): Path<String>, h: HeaderMap) -> Response {
    act(s, &h, move |s, a, _| {
        visible_token(s, a, &jti)?;
        ok(token_view(&s.registry().revoke_token(a, &jti)?))
    })
    .await
}

async fn restore_token(State(s): State<AppState>, Path(jti): Path<String>, h: HeaderMap) -> Response {
    act(s, &h, move |s, a, now| {
        visible_token(s, a, &jti)?;
        ok(token_view(&s.registry().restore_token(a, &jti, now)?))
    })
    .await
}

async fn delete_token(State(s): State<AppState>, Path(jti): Path<String>, h: HeaderMap) -> Response {
    act(s, &h, move |s, a, _| {
        visible_token(s, a, &jti)?;
        s.registry().delete_token(a, &jti)?;
        Ok((StatusCode::NO_CONTENT, Value::Null))
    })
    .await
}

fn visible_access(s: &AppState, a: &Principal, id: &str) -> Result<AccessTokenRecord> {
    ops::visible_access(s.registry(), a, id)
}

async fn list_access(State(s): State<AppState>, h: HeaderMap) -> Response {
    act(s, &h, |s, a, _| {
        let list: Vec<Value> =
            s.registry().access_tokens()?.iter().filter(|t| ops::sees_access(a, t)).map(access_view).collect();
        ok(json!({ "access_tokens": list }))
    })
    .await
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ServiceAccountBody {
    id: String,
    organisation: Option<OrgId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessBody {
    name: String,
    #[serde(default)]
    service_account: Option<ServiceAccountBody>,
    expires: Option<String>,
}

async fn create_access(State(s): State<AppState>, req: Request) -> Response {
    let (h, b): (_, AccessBody) = match body(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    act(s, &h, move |s, a, now| {
        let lifetime = b.expires.as_deref().map(parse::lifetime).transpose()?.unwrap_or(DEFAULT_LIFETIME);
        let account = b.service_account.map(|sa| Principal {
            id: sa.id,
            organisation: sa.organisation.unwrap_or(a.organisation),
            role: Role::ServiceAccount,
        });
        let kind = if account.is_some() { AccessKind::Service } else { AccessKind::Personal };
        let made = s.registry().create_access_token(a, kind, account.as_ref(), &b.name, lifetime, now)?;
        created(json!({ "secret": made.secret.as_str(), "record": access_view(&made.record) }))
    })
    .await
}

async fn show_access(State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    act(s, &h, move |s, a, _| ok(access_view(&visible_access(s, a, &id)?))).await
}

async fn revoke_access(State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    act(s, &h, move |s, a, _| {
        visible_access(s, a, &id)?;
        ok(access_view(&s.registry().revoke_access_token(a, &id)?))
    })
    .await
}

async fn restore_access(State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    act(s, &h, move |s, a, now| {
        visible_access(s, a, &id)?;
        ok(access_view(&s.registry().restore_access_token(a, &id, now)?))
    })
    .await
}

async fn delete_access(State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    act(s, &h, move |s, a, _| {
        visible_access(s, a, &id)?;
        s.registry().delete_access_token(a, &id)?;
        Ok((StatusCode::NO_CONTENT, Value::Null))
    })
    .await
}

async fn audit(State(s): State<AppState>, RawQuery(q): RawQuery, h: HeaderMap) -> Response {
    let mut limit = 100;
    for (k, v) in q.as_deref().unwrap_or("").split('&').filter_map(|kv| kv.split_once('=')) {
        if k == "limit" {
            match v.parse::<usize>() {
                Ok(n) => limit = n.clamp(1, 10_000),
                Err(_) => return http_error(400, ErrorKind::BadRequest.code(), "limit is a whole number"),
            }
        }
    }
    act(s, &h, move |s, a, _| {
        admin_only(a)?;
        let list: Vec<Value> = s.registry().audit_events(limit)?.iter().map(audit_view).collect();
        ok(json!({ "events": list }))
    })
    .await
}

// ---- key versions (administrators only) ----------------------------------------------------

/// The key versions the engine holds, its primary, the authority's version and how many live
/// projects are bound to each.
pub fn keys_view(s: &Services, projects: &[Project], now: Timestamp) -> Value {
    let versions: Vec<Value> = s
        .engine
        .key_versions()
        .into_iter()
        .map(|v| {
            let bound = projects.iter().filter(|p| p.key_version == v && now < p.config.retention_end).count();
            json!({ "version": v, "projects": bound })
        })
        .collect();
    json!({
        "primary": s.engine.primary_key_version(),
        "authority_key_version": s.authority.key_version(),
        "versions": versions,
    })
}

fn held(s: &AppState, version: u16) -> Result<()> {
    if !s.engine().key_versions().contains(&version) {
        return Err(Error::with_detail(
            ErrorKind::NotFound,
            Detail::UnknownKeyVersion,
            format!("the engine holds no key version {version}"),
        ));
    }
    Ok(())
}

async fn list_keys(State(s): State<AppState>, h: HeaderMap) -> Response {
    act(s, &h, |s, a, now| {
        admin_only(a)?;
        ok(keys_view(s.services(), &s.registry().projects()?, now))
    })
    .await
}

async fn retire_key(State(s): State<AppState>, Path(version): Path<String>, h: HeaderMap) -> Response {
    act(s, &h, move |s, a, now| {
        admin_only(a)?;
        let version: u16 = version
            .parse()
            .map_err(|_| Error::new(ErrorKind::InvalidInput, "a key version is a whole number from 1 to 65535"))?;
        held(s, version)?;
        if version == s.services().authority.key_version() {
            return Err(Error::with_detail(
                ErrorKind::InvalidState,
                Detail::KeyVersionInUse,
                format!("key version {version} is the authority's primary: rotate first"),
            ));
        }
        // The registry refuses while a project is bound to it, and audits the retirement.
        s.registry().retire_key_version(a, version, now)?;
        s.engine().retire_key_version(version)?;
        if let Some(k) = &s.services().keyring {
            k.write_now(s.engine())?;
        }
        ok(keys_view(s.services(), &s.registry().projects()?, now))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RekeyBody {
    key_version: u16,
}

async fn rekey_project(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (h, b): (_, RekeyBody) = match body(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    act(s, &h, move |s, a, now| {
        admin_only(a)?;
        held(s, b.key_version)?;
        let (p, revoked) = s.registry().rekey_project(a, &project_id(&id)?, b.key_version, now)?;
        ok(json!({ "project": project_view(&p), "revoked": revoked }))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RewrapBody {
    data: Vec<String>,
}

/// Rewraps a batch of a reversible project's pseudonyms to its current key version. The engine
/// needs a reverse token of the project: one is issued to the administrator for this call alone
/// (its request and record stay in the registry and audit log) and revoked at the end, so the
/// administrator's organisation must hold the reverse right on the project.
async fn rewrap_project(State(s): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (h, b): (_, RewrapBody) = match body(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    act(s, &h, move |s, a, now| {
        admin_only(a)?;
        let p = s.registry().project(&project_id(&id)?)?;
        if !p.config.method.is_reversible() {
            return Err(Error::with_detail(
                ErrorKind::WrongOperation,
                Detail::NotRewrappable,
                "a not-reversible project cannot be rewrapped: pseudonymise its originals again",
            ));
        }
        let issue = ops::LocalIssue {
            project: p.id.clone(),
            kind: IssueKind::Reverse,
            name: "rewrap (REST API)".to_owned(),
            lifetime: Duration::from_secs(600),
        };
        let issued = ops::issue_as_local_admin(s.registry(), &s.services().authority, a, &issue, now)?;
        let out = s.engine().call(
            pseudo_core::Operation::Rewrap,
            issued.token(),
            &b.data,
            pseudo_core::BatchMode::Strict,
            now,
        );
        s.registry().revoke_token(a, issued.jti())?;
        let data = out?.into_strings().map_err(Error::batch)?;
        ok(json!({ "data": data, "key_version": p.key_version }))
    })
    .await
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, CONTENT_JSON)], OPENAPI).into_response()
}

/// The REST API's routes (paths include `/api/v1`).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(OPENAPI_PATH, get(openapi))
        .route("/api/v1/me", get(me))
        .route("/api/v1/projects", get(list_projects).post(create_project))
        .route("/api/v1/projects/{id}", get(show_project).patch(update_project))
        .route("/api/v1/projects/{id}/collaborators", post(add_collaborator))
        .route("/api/v1/projects/{id}/requests", get(list_requests).post(submit_request))
        .route("/api/v1/requests/{id}", get(show_request))
        .route("/api/v1/requests/{id}/approve", post(approve))
        .route("/api/v1/requests/{id}/reject", post(reject))
        .route("/api/v1/requests/{id}/tokens", post(issue_token))
        .route("/api/v1/tokens", get(list_tokens))
        .route("/api/v1/tokens/{jti}", get(show_token).delete(delete_token))
        .route("/api/v1/tokens/{jti}/revoke", post(revoke_token))
        .route("/api/v1/tokens/{jti}/restore", post(restore_token))
        .route("/api/v1/access-tokens", get(list_access).post(create_access))
        .route("/api/v1/access-tokens/{id}", get(show_access).delete(delete_access))
        .route("/api/v1/access-tokens/{id}/revoke", post(revoke_access))
        .route("/api/v1/access-tokens/{id}/restore", post(restore_access))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/keys", get(list_keys))
        .route("/api/v1/keys/{version}/retire", post(retire_key))
        .route("/api/v1/projects/{id}/rekey", post(rekey_project))
        .route("/api/v1/projects/{id}/rewrap", post(rewrap_project))
}
