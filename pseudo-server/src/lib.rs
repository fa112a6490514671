//! # pseudo-server
//!
//! The INCERT API (`POST /api/request-psn`, `POST /api/request-psn-rev`) and the authority's REST
//! API (`/api/v1/…`) as an axum [`Router`] over `pseudo-core`, for a Rust service to mount or for
//! `pseudo serve` to run.
//!
//! * [`router`] builds the `Router` from the engine, registry and authority ([`Services`]) and the
//!   server's own limits ([`ServerConfig`]). Request bodies and error bodies are exactly
//!   [`pseudo_core::wire`]'s; the HTTP layer's own refusals (404, 405, 413, 503) answer in the
//!   same `{"error": {"code", "message"}}` shape, with statuses and codes from the core.
//! * [`data`] is the one-machine data folder (`pseudo init`): keyring, signing key, SQLite
//!   registry, settings; [`serve`] runs a `Router` on a socket, with TLS, a daily key-chain timer
//!   and graceful shutdown.
//!
//! ```no_run
//! # async fn run() -> pseudo_core::Result<()> {
//! let opened = pseudo_server::data::open(std::path::Path::new("/var/lib/pseudo"))?;
//! let app = pseudo_server::router(
//!     pseudo_server::Services::from_data(&opened),
//!     pseudo_server::ServerConfig::default(),
//! );
//! let listener = std::net::TcpListener::bind("127.0.0.1:8080")?;
//! pseudo_server::serve::run(app, listener, None, &opened, pseudo_server::serve::shutdown_signal()).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod data;
mod incert;
pub mod metrics;
pub mod ops;
pub mod parse;
pub mod portal;
pub mod serve;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use pseudo_core::registry::Registry;
use pseudo_core::wire::{self, WireResponse, PATH_PSEUDONYMISE, PATH_REVERSE};
use pseudo_core::{Authority, Engine, ErrorKind};
use tokio::sync::Semaphore;

pub use metrics::Metrics;

/// The server's own limits and defaults. (Body, item and per-item limits are the engine's,
/// [`pseudo_core::Limits`].)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Most API requests handled at once; past it, 503 with `Retry-After` at once (no queue).
    /// Default 64. `/healthz`, `/readyz` and `/metrics` are outside the limit.
    pub max_in_flight: usize,
    /// Longest time a request may take before it is answered 503 `timeout`. Default 60 s (a
    /// 1 M-value request takes about a second). A batch already running finishes in the
    /// background; its result is dropped.
    pub request_timeout: Duration,
    /// `Retry-After` of an `overloaded` 503, in seconds. Default 1.
    pub retry_after_secs: u32,
    /// How long a portal session lasts after sign-in (it ends sooner when its access token is
    /// revoked or expires, or on sign-out). Default 8 hours.
    pub session_lifetime: Duration,
    /// Marks the portal's cookies `Secure` (set when serving over TLS). Default false.
    pub secure_cookies: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_in_flight: 64,
            request_timeout: Duration::from_secs(60),
            retry_after_secs: 1,
            session_lifetime: Duration::from_secs(8 * 3600),
            secure_cookies: false,
        }
    }
}

/// What the server works on.
#[derive(Debug, Clone)]
pub struct Services {
    /// The engine (its limits bound every INCERT request).
    pub engine: Arc<Engine>,
    /// The registry (projects, requests, token records, access tokens, audit).
    pub registry: Arc<Registry>,
    /// The authority that signs operation tokens issued through the REST API.
    pub authority: Arc<Authority>,
    /// Principal ids whose personal access tokens carry the administrator role.
    pub admins: HashSet<String>,
    /// Where the engine's audit events are counted (see [`metrics::AuditTee`]).
    pub metrics: Arc<Metrics>,
    /// The keyring file, rewritten when the REST API retires a key version (`None`: the host
    /// persists [`Engine::export_keyring`] itself).
    pub keyring: Option<Arc<data::KeyringFile>>,
}

impl Services {
    /// The services of an opened data folder.
    pub fn from_data(d: &data::Opened) -> Self {
        Services {
            engine: d.engine.clone(),
            registry: d.registry.clone(),
            authority: d.authority.clone(),
            admins: d.settings.admins.iter().cloned().collect(),
            metrics: d.metrics.clone(),
            keyring: Some(d.keyring.clone()),
        }
    }
}

#[derive(Debug)]
struct Shared {
    services: Services,
    config: ServerConfig,
    slots: Arc<Semaphore>,
    portal: portal::Sessions,
}

/// The router's state.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    fn engine(&self) -> &Arc<Engine> {
        &self.0.services.engine
    }
    fn registry(&self) -> &Arc<Registry> {
        &self.0.services.registry
    }
    fn services(&self) -> &Services {
        &self.0.services
    }
    fn metrics(&self) -> &Arc<Metrics> {
        &self.0.services.metrics
    }
}

/// The token id and item count of an INCERT request, for the request log (never a value).
#[derive(Debug, Clone, Default)]
pub(crate) struct CallInfo {
    jti: Option<String>,
    items: usize,
}

/// Every route the router answers, as `(method, path pattern)`. The OpenAPI document lists the
/// same (a test checks it).
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", PATH_PSEUDONYMISE),
    ("POST", PATH_REVERSE),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", api::OPENAPI_PATH),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/projects"),
    ("POST", "/api/v1/projects"),
    ("GET", "/api/v1/projects/{id}"),
    ("PATCH", "/api/v1/projects/{id}"),
    ("POST", "/api/v1/projects/{id}/collaborators"),
    ("GET", "/api/v1/projects/{id}/requests"),
    ("POST", "/api/v1/projects/{id}/requests"),
    ("GET", "/api/v1/requests/{id}"),
    ("POST", "/api/v1/requests/{id}/approve"),
    ("POST", "/api/v1/requests/{id}/reject"),
    ("POST", "/api/v1/requests/{id}/tokens"),
    ("GET", "/api/v1/tokens"),
    ("GET", "/api/v1/tokens/{jti}"),
    ("DELETE", "/api/v1/tokens/{jti}"),
    ("POST", "/api/v1/tokens/{jti}/revoke"),
    ("POST", "/api/v1/tokens/{jti}/restore"),
    ("GET", "/api/v1/access-tokens"),
    ("POST", "/api/v1/access-tokens"),
    ("GET", "/api/v1/access-tokens/{id}"),
    ("DELETE", "/api/v1/access-tokens/{id}"),
    ("POST", "/api/v1/access-tokens/{id}/revoke"),
    ("POST", "/api/v1/access-tokens/{id}/restore"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/keys"),
    ("POST", "/api/v1/keys/{version}/retire"),
    ("POST", "/api/v1/projects/{id}/rekey"),
    ("POST", "/api/v1/projects/{id}/rewrap"),
];

/// The route pattern as a `'static` label for metrics (`other` for unknown paths).
fn route_label(path: Option<&MatchedPath>) -> &'static str {
    path.and_then(|p| ROUTES.iter().chain(portal::ROUTES).find(|(_, r)| *r == p.as_str()).map(|(_, r)| *r))
        .unwrap_or("other")
}

/// A [`WireResponse`] as an axum response.
pub(crate) fn to_response(r: WireResponse) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(r.content_type))], r.body).into_response()
}

/// An error in the wire's shape, for the HTTP layer's own refusals.
pub(crate) fn http_error(status: u16, code: &str, message: &str) -> Response {
    to_response(wire::http_error(status, code, message))
}

async fn not_found() -> Response {
    http_error(404, ErrorKind::NotFound.code(), "no such path")
}

async fn method_not_allowed() -> Response {
    http_error(405, wire::CODE_METHOD_NOT_ALLOWED, "this path does not take that method")
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready when the registry answers and the engine's keys can be read.
async fn readyz(State(s): State<AppState>) -> Response {
    let (engine, registry) = (s.engine().clone(), s.registry().clone());
    let ready = tokio::task::spawn_blocking(move || {
        let keys = engine.export_keyring().is_ok();
        let store = registry.store().token("readyz-probe").is_ok();
        (keys, store)
    })
    .await;
    match ready {
        Ok((true, true)) => (StatusCode::OK, "ready\n").into_response(),
        Ok((keys, _)) => {
            let what = if keys { "the registry is unreachable" } else { "the keys cannot be read" };
            http_error(503, ErrorKind::Storage.code(), what)
        }
        Err(_) => http_error(503, ErrorKind::Internal.code(), "the readiness check failed"),
    }
}

async fn metrics_text(State(s): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics().render_with(s.engine().token_cache_counts()))
        .into_response()
}

/// The concurrency limit (503 `overloaded` with `Retry-After`, at once) and the request timeout.
async fn limit(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let Ok(_slot) = s.0.slots.clone().try_acquire_owned() else {
        s.metrics().observe_shed("overloaded");
        let mut r = http_error(503, wire::CODE_OVERLOADED, "the server is busy; retry after the Retry-After delay");
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s.0.config.retry_after_secs));
        return r;
    };
    match tokio::time::timeout(s.0.config.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            s.metrics().observe_shed("timeout");
            http_error(503, wire::CODE_TIMEOUT, "the request took longer than the server's time limit")
        }
    }
}

/// Logs and counts every request: method, route, status, item count, duration, `jti` — never a
/// value, a token or a query string.
async fn observe(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = route_label(req.extensions().get::<MatchedPath>());
    let method = req.method().clone();
    let response = next.run(req).await;
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    s.metrics().observe_request(route, status, elapsed);
    let info = response.extensions().get::<CallInfo>().cloned().unwrap_or_default();
    tracing::info!(
        %method,
        route,
        status,
        items = info.items,
        jti = info.jti.as_deref().unwrap_or("-"),
        micros = elapsed.as_micros() as u64,
        "request"
    );
    response
}

/// The server's `Router`: the INCERT endpoints, the REST API, the portal ([`portal`]), health,
/// readiness and metrics.
pub fn router(services: Services, config: ServerConfig) -> Router {
    let slots = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
    let portal = portal::Sessions::new(config.session_lifetime, config.secure_cookies);
    let state = AppState(Arc::new(Shared { services, config, slots, portal }));
    let limited = Router::new()
        .route(PATH_PSEUDONYMISE, post(incert::pseudonymise))
        .route(PATH_REVERSE, post(incert::reverse))
        .merge(api::routes())
        .merge(portal::routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), limit));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .merge(limited)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}
