//! The INCERT-compatible wire format: one function from an HTTP request's parts to a response.
//!
//! `POST /api/request-psn` and `POST /api/request-psn-rev` with `Authorization: Bearer <token>`,
//! a body of `application/json` (`{"data": ["v1", "v2"]}`) or `text/csv` (RFC 4180, every field
//! of every record is one value), and a response in the same order, as JSON or (when asked by
//! `Accept: text/csv`) CSV in the same record shape. Errors are `{"error": {"code", "message"}}`
//! with the fitting HTTP status; past any limit nothing is processed.

mod csv;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::config::Timestamp;
use crate::engine::{BatchMode, Engine, Operation};
use crate::error::{Error, ErrorKind, ItemFailure};
use crate::token::TokenType;

/// Path of the pseudonymisation endpoint.
pub const PATH_PSEUDONYMISE: &str = "/api/request-psn";
/// Path of the reverse endpoint.
pub const PATH_REVERSE: &str = "/api/request-psn-rev";
/// Content type of JSON bodies.
pub const CONTENT_JSON: &str = "application/json";
/// Content type of CSV bodies.
pub const CONTENT_CSV: &str = "text/csv";

/// The parts of an HTTP request the handler reads.
#[derive(Debug, Clone, Copy)]
pub struct WireRequest<'a> {
    /// The request path, e.g. `/api/request-psn`.
    pub path: &'a str,
    /// The `Authorization` header value, e.g. `Bearer eyJ…`.
    pub authorization: Option<&'a str>,
    /// The `Content-Type` header value.
    pub content_type: Option<&'a str>,
    /// The `Accept` header value.
    pub accept: Option<&'a str>,
    /// The raw body.
    pub body: &'a [u8],
}

/// The handler's answer.
#[derive(Clone, PartialEq, Eq)]
pub struct WireResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` of the body.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for WireResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The body may hold original values after a reverse: show only its size.
        f.debug_struct("WireResponse")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// `{"data": [strings]}`, read with a bound on the number of items: parsing stops at the first
/// item past the limit, so a body of a million empty strings costs nothing past it.
struct JsonIn<'a> {
    data: Vec<Cow<'a, str>>,
}

const TOO_MANY: &str = "pseudo: too many items";

struct BoundedItems(usize);

impl<'de> serde::de::DeserializeSeed<'de> for BoundedItems {
    type Value = Vec<Cow<'de, str>>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for BoundedItems {
    type Value = Vec<Cow<'de, str>>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of strings")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(self.0).min(1 << 16));
        while let Some(Item(v)) = seq.next_element()? {
            if out.len() == self.0 {
                return Err(serde::de::Error::custom(TOO_MANY));
            }
            out.push(v);
        }
        Ok(out)
    }
}

struct JsonInSeed(usize);

impl<'de> serde::de::DeserializeSeed<'de> for JsonInSeed {
    type Value = JsonIn<'de>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for JsonInSeed {
    type Value = JsonIn<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(r#"{"data": [strings]}"#)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut data = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key != "data" {
                return Err(serde::de::Error::unknown_field(&key, &["data"]));
            }
            if data.is_some() {
                return Err(serde::de::Error::duplicate_field("data"));
            }
            data = Some(map.next_value_seed(BoundedItems(self.0))?);
        }
        Ok(JsonIn { data: data.ok_or_else(|| serde::de::Error::missing_field("data"))? })
    }
}

fn parse_json(text: &str, max_items: usize) -> Result<JsonIn<'_>, Error> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = JsonInSeed(max_items).deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    parsed.map_err(|e| {
        if e.to_string().starts_with(TOO_MANY) {
            bad(ErrorKind::LimitExceeded, format!("the body has more than {max_items} items"))
        } else {
            bad(
                ErrorKind::BadRequest,
                format!("the body must be {{\"data\": [strings]}} (line {}, column {})", e.line(), e.column()),
            )
        }
    })
}

/// One value, borrowed from the body unless it has escapes (serde only borrows a `Cow` that is a
/// field of its own, hence the newtype).
#[derive(Deserialize)]
struct Item<'a>(#[serde(borrow)] Cow<'a, str>);

#[derive(Serialize)]
struct JsonOut<'a> {
    data: Vec<&'a str>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorInner<'a>,
}

#[derive(Serialize)]
struct ErrorInner<'a> {
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    message: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    items: Vec<ItemOut>,
}

#[derive(Serialize)]
struct ItemOut {
    index: usize,
    code: &'static str,
}

/// The HTTP status of an error kind on the wire ([`ErrorKind::http_status`], from the core's one
/// table of kinds).
pub fn http_status(kind: ErrorKind) -> u16 {
    kind.http_status()
}

/// Code of the HTTP layer's 405 (a method the path does not take).
pub const CODE_METHOD_NOT_ALLOWED: &str = "method_not_allowed";
/// Code of a 503 answered because the server is at its concurrency limit (with `Retry-After`).
pub const CODE_OVERLOADED: &str = "overloaded";
/// Code of a 503 answered because a request ran past the server's time limit.
pub const CODE_TIMEOUT: &str = "timeout";

/// An error body in the wire's shape, `{"error": {"code", "message"}}`, for errors an HTTP layer
/// answers itself (unknown path, wrong method, overload). `message` must hold no secret or value.
pub fn http_error(status: u16, code: &str, message: &str) -> WireResponse {
    error_response(status, code, None, message, &[])
}

/// The response for `e`, as [`handle`] answers it: status from [`http_status`], the kind's code,
/// and the message (withheld for internal and storage errors).
pub fn error_for(e: &Error) -> WireResponse {
    from_error(e)
}

fn error_response(status: u16, code: &str, detail: Option<&str>, message: &str, items: &[ItemFailure]) -> WireResponse {
    let body = ErrorBody {
        error: ErrorInner {
            code,
            detail,
            message,
            items: items.iter().map(|f| ItemOut { index: f.index, code: f.code.code() }).collect(),
        },
    };
    WireResponse {
        status,
        content_type: CONTENT_JSON,
        body: serde_json::to_vec(&body)
            .unwrap_or_else(|_| br#"{"error":{"code":"internal_error","message":"serialisation failed"}}"#.to_vec()),
    }
}

fn from_error(e: &Error) -> WireResponse {
    // Internal errors keep their detail out of the response.
    let (message, detail) = match http_status(e.kind()) {
        500 => ("internal error", None),
        503 => ("the token registry is unavailable; try again later", e.detail()),
        _ => (e.message(), e.detail()),
    };
    error_response(http_status(e.kind()), e.kind().code(), detail, message, e.item_failures())
}

fn bad(kind: ErrorKind, msg: impl Into<String>) -> Error {
    Error::new(kind, msg)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

/// The media type before any parameter, lower-cased; `charset`, if given, must be UTF-8.
fn media_type(v: &str) -> Result<(String, bool), Error> {
    let mut parts = v.split(';');
    let mt = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let mut charset_ok = true;
    for p in parts {
        if let Some((k, val)) = p.split_once('=') {
            if k.trim().eq_ignore_ascii_case("charset") {
                let val = val.trim().trim_matches('"');
                charset_ok = val.eq_ignore_ascii_case("utf-8") || val.eq_ignore_ascii_case("utf8");
            }
        }
    }
    Ok((mt, charset_ok))
}

fn request_format(ct: Option<&str>) -> Result<Format, Error> {
    let ct = ct.ok_or_else(|| {
        bad(ErrorKind::UnsupportedMediaType, "a Content-Type of application/json or text/csv is required")
    })?;
    let (mt, charset_ok) = media_type(ct)?;
    if !charset_ok {
        return Err(bad(ErrorKind::UnsupportedMediaType, "only the UTF-8 charset is supported"));
    }
    match mt.as_str() {
        CONTENT_JSON => Ok(Format::Json),
        CONTENT_CSV => Ok(Format::Csv),
        _ => Err(bad(ErrorKind::UnsupportedMediaType, "the Content-Type must be application/json or text/csv")),
    }
}

/// The first acceptable of JSON or CSV in the `Accept` list; JSON when absent or `*/*`.
fn response_format(accept: Option<&str>) -> Option<Format> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else { return Some(Format::Json) };
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let mt = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        // `q=0` means "not acceptable".
        let refused = parts.any(|p| {
            p.split_once('=')
                .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case("q") && v.trim().parse::<f32>() == Ok(0.0))
        });
        if refused {
            continue;
        }
        match mt.as_str() {
            CONTENT_JSON | "application/*" | "*/*" => return Some(Format::Json),
            CONTENT_CSV | "text/*" => return Some(Format::Csv),
            _ => {}
        }
    }
    None
}

fn bearer(authorization: Option<&str>) -> Result<&str, Error> {
    let missing = || bad(ErrorKind::MalformedToken, "an Authorization: Bearer <token> header is required");
    let a = authorization.ok_or_else(missing)?.trim();
    let (scheme, token) = a.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    Ok(token.trim())
}

/// Handles one request now: path, `Authorization`, `Content-Type`, `Accept` and body in, status,
/// content type and body out. It never fails: every problem is a JSON error body with its status.
///
/// ```
/// use std::time::Duration;
/// use pseudo_core::{wire, *};
///
/// # fn main() -> Result<()> {
/// # let authority = Authority::new(SigningKey::generate()?, "https://portal.example", "pseudo-engine")?;
/// # let token = authority.issue(&TokenRequest {
/// #     kind: TokenKind::Pseudonymise, subject: "alice".into(), organisation: OrgId::nil(),
/// #     project: ProjectId::new("cohort-2026")?, request: "req-1".into(),
/// #     config: ProjectConfig {
/// #         method: Method::NotReversible,
/// #         retention_end: Timestamp::now().saturating_add(Duration::from_secs(86_400)),
/// #         treatment: Treatment::Same, format: OutputFormat::Base64url,
/// #     },
/// #     lifetime: Duration::from_secs(3600),
/// #     key_version: None,
/// # })?;
/// # let engine = Engine::new(Keyring::new(MasterKey::generate(1)?), &[authority.verifying_key().clone()],
/// #     EngineOptions::new("https://portal.example", "pseudo-engine"))?;
/// let authorization = format!("Bearer {}", token.token());
/// let response = wire::handle(&engine, &wire::WireRequest {
///     path: wire::PATH_PSEUDONYMISE,
///     authorization: Some(&authorization),
///     content_type: Some("application/json"),
///     accept: None,
///     body: br#"{"data": ["Example PID 1", "Example PID 2"]}"#,
/// });
/// assert_eq!((response.status, response.content_type), (200, "application/json"));
///
/// let data: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
/// assert_eq!(data["data"].as_array().unwrap().len(), 2);
///
/// let no_token = wire::WireRequest {
///     path: wire::PATH_PSEUDONYMISE,
///     authorization: None,
///     content_type: Some("text/csv"),
///     accept: None,
///     body: b"Example PID 1,Example PID 2",
/// };
/// assert_eq!(wire::handle(&engine, &no_token).status, 401); // {"error": {"code": ..., "message": ...}}
/// # Ok(()) }
/// ```
///
/// # Serving it from an async server
///
/// The call is CPU-bound and synchronous (token verification, then the batch on rayon's pool), so
/// an async server must not run it on its executor's worker threads: a million-value body would
/// stall every other connection on that worker. Move it to the blocking pool with owned data,
/// and share the engine in an `Arc`. With axum and tokio (the shape `pseudo-server` takes):
///
/// ```ignore
/// use std::sync::Arc;
/// use axum::{body::Bytes, extract::State, http::{header, HeaderMap, StatusCode, Uri}, response::IntoResponse};
///
/// async fn incert(State(engine): State<Arc<pseudo_core::Engine>>, uri: Uri, headers: HeaderMap, body: Bytes)
///     -> impl IntoResponse
/// {
///     let h = |name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
///     let (auth, ctype, accept) = (h(header::AUTHORIZATION), h(header::CONTENT_TYPE), h(header::ACCEPT));
///     let path = uri.path().to_owned();
///     let response = tokio::task::spawn_blocking(move || {
///         pseudo_core::wire::handle(&engine, &pseudo_core::wire::WireRequest {
///             path: &path,
///             authorization: auth.as_deref(),
///             content_type: ctype.as_deref(),
///             accept: accept.as_deref(),
///             body: &body,
///         })
///     })
///     .await
///     .expect("the wire handler does not panic");
///     (StatusCode::from_u16(response.status).unwrap(), [(header::CONTENT_TYPE, response.content_type)], response.body)
/// }
/// // Router::new().route("/api/request-psn", post(incert)).route("/api/request-psn-rev", post(incert))
/// //     .layer(DefaultBodyLimit::max(engine.options().limits.max_body_bytes)).with_state(engine)
/// ```
///
/// Cap the body size in the HTTP layer too (the engine's [`Limits`](crate::Limits) refuse a
/// larger body, but only once it is in memory), and bound how many batches run at once (a
/// concurrency limit or a semaphore): each one already uses every core.
pub fn handle(engine: &Engine, req: &WireRequest<'_>) -> WireResponse {
    handle_at(engine, req, Timestamp::now())
}

/// Handles one request as of `now`: [`authenticate`], then [`handle_authenticated`].
pub fn handle_at(engine: &Engine, req: &WireRequest<'_>, now: Timestamp) -> WireResponse {
    match authenticate(engine, req.path, req.authorization, now) {
        Ok(auth) => handle_authenticated(engine, &auth, req, now),
        Err(refusal) => refusal,
    }
}

/// A request whose path and bearer token passed [`authenticate`]: the only way into
/// [`handle_authenticated`].
#[derive(Debug, Clone)]
pub struct Authenticated {
    op: Operation,
    grant: crate::token::Grant,
}

impl Authenticated {
    /// The endpoint's operation.
    pub fn operation(&self) -> Operation {
        self.op
    }
    /// What the token allows (its `jti`, project, type; no secret).
    pub fn grant(&self) -> &crate::token::Grant {
        &self.grant
    }
}

/// The first step of a request, from its path and `Authorization` header alone: 404 for another
/// path, then the bearer token's verification for the endpoint (401/403, audited when refused).
/// An HTTP server calls it before it reads the body, so an unauthenticated caller can make it
/// read nothing (SPEC §6); [`handle_at`] does both steps for a request already in memory.
pub fn authenticate(
    engine: &Engine,
    path: &str,
    authorization: Option<&str>,
    now: Timestamp,
) -> Result<Authenticated, WireResponse> {
    let op = match path {
        PATH_PSEUDONYMISE => Operation::Pseudonymise,
        PATH_REVERSE => Operation::Reverse,
        _ => {
            return Err(error_response(
                404,
                "not_found",
                None,
                "the path must be /api/request-psn or /api/request-psn-rev",
                &[],
            ))
        }
    };
    let token = bearer(authorization).map_err(|e| from_error(&e))?;
    let grant = engine.check_token(op, token, now).map_err(|e| from_error(&e))?;
    Ok(Authenticated { op, grant })
}

/// The second step: content type, `Accept`, body size, parsing, the batch and the response, for
/// a request that passed [`authenticate`] (its path and `Authorization` are not read again).
pub fn handle_authenticated(
    engine: &Engine,
    auth: &Authenticated,
    req: &WireRequest<'_>,
    now: Timestamp,
) -> WireResponse {
    match handle_op(engine, auth, req, now) {
        Ok(r) => r,
        Err(e) => from_error(&e),
    }
}

fn handle_op(
    engine: &Engine,
    auth: &Authenticated,
    req: &WireRequest<'_>,
    now: Timestamp,
) -> Result<WireResponse, Error> {
    let limits = engine.options().limits;
    let (op, grant) = (auth.op, &auth.grant);
    let in_format = request_format(req.content_type)?;
    let Some(out_format) = response_format(req.accept) else {
        return Ok(error_response(
            406,
            "not_acceptable",
            None,
            "the response can be application/json or text/csv",
            &[],
        ));
    };
    if req.body.len() > limits.max_body_bytes {
        return Err(bad(
            ErrorKind::LimitExceeded,
            format!("the body has {} bytes; the limit is {}", req.body.len(), limits.max_body_bytes),
        ));
    }
    let text = std::str::from_utf8(req.body).map_err(|e| {
        bad(ErrorKind::BadRequest, format!("the body is not valid UTF-8 (at byte {})", e.valid_up_to()))
    })?;
    // A byte-order mark (as spreadsheet exports write) is not part of the first value.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (values, widths) = match in_format {
        Format::Json => {
            let v = parse_json(text, limits.max_items)?;
            let n = v.data.len();
            (v.data, vec![n])
        }
        Format::Csv => {
            let r = csv::parse(text, limits.max_items).map_err(|e| match e {
                csv::CsvError::UnclosedQuote { line } => {
                    bad(ErrorKind::BadRequest, format!("CSV: a quoted field opened on line {line} is never closed"))
                }
                csv::CsvError::StrayQuote { line } => {
                    bad(ErrorKind::BadRequest, format!("CSV: a stray quote on line {line}"))
                }
                csv::CsvError::TooManyItems => {
                    bad(ErrorKind::LimitExceeded, format!("the body has more than {} items", limits.max_items))
                }
            })?;
            (r.values, r.widths)
        }
    };
    if values.len() > limits.max_items {
        return Err(bad(
            ErrorKind::LimitExceeded,
            format!("the body has {} items; the limit is {}", values.len(), limits.max_items),
        ));
    }
    // Original values (psn) have the value limit; pseudonyms (sec, rev) the pseudonym limit.
    let max_len = match grant.token_type() {
        TokenType::Psn => limits.max_item_bytes,
        TokenType::Sec | TokenType::Rev => limits.max_pseudonym_bytes(),
    };
    if let Some(i) = values.iter().position(|v| v.len() > max_len) {
        return Err(bad(ErrorKind::LimitExceeded, format!("item {i} is longer than {max_len} bytes")));
    }
    if values.is_empty() {
        return Err(bad(ErrorKind::BadRequest, "the batch is empty"));
    }
    let out = engine.call_checked(op, grant, &values, BatchMode::Strict, now)?;
    drop(values);
    let (data, ends) = out.as_parts();
    let items = ends.iter().scan(0usize, |start, &end| {
        let s = &data[*start..end];
        *start = end;
        Some(s)
    });
    let mut body = Vec::with_capacity(data.len() + 4 * ends.len() + 16);
    let content_type = match out_format {
        Format::Json => {
            serde_json::to_writer(&mut body, &JsonOut { data: items.collect() })
                .map_err(|_| bad(ErrorKind::Internal, "serialising the response failed"))?;
            CONTENT_JSON
        }
        Format::Csv => {
            csv::write(items, &widths, &mut body);
            CONTENT_CSV
        }
    };
    Ok(WireResponse { status: 200, content_type, body })
}
