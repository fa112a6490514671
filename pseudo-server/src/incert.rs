//! `POST /api/request-psn` and `POST /api/request-psn-rev`: the bearer token is verified from the
//! headers ([`pseudo_core::wire::authenticate`]) before the body is read; the body is then read up
//! to the engine's limit (refused from `Content-Length` before a byte is read), and
//! [`pseudo_core::wire::handle_authenticated`] runs on a blocking thread; its answer is sent as is.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use http_body_util::BodyExt;
use pseudo_core::wire::{self, WireRequest, PATH_PSEUDONYMISE, PATH_REVERSE};
use pseudo_core::{ErrorKind, Timestamp};

use crate::{http_error, metrics, to_response, AppState, CallInfo};

pub(crate) async fn pseudonymise(State(s): State<AppState>, req: Request) -> Response {
    handle(s, PATH_PSEUDONYMISE, req).await
}

pub(crate) async fn reverse(State(s): State<AppState>, req: Request) -> Response {
    handle(s, PATH_REVERSE, req).await
}

fn too_large(limit: usize) -> Response {
    http_error(413, ErrorKind::LimitExceeded.code(), &format!("the body is larger than {limit} bytes"))
}

pub(crate) enum ReadError {
    TooLarge,
    Broken,
}

/// Reads the body, stopping as soon as it passes `limit` bytes.
pub(crate) async fn read_body(body: Body, expected: Option<usize>, limit: usize) -> Result<Vec<u8>, ReadError> {
    let mut body = body;
    let mut out = Vec::with_capacity(expected.unwrap_or(0).min(limit));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ReadError::Broken)?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(ReadError::TooLarge);
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

fn header_text(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

pub(crate) fn content_length(h: &HeaderMap) -> Option<usize> {
    h.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

async fn handle(s: AppState, path: &'static str, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let authorization = header_text(&parts.headers, header::AUTHORIZATION);
    let content_type = header_text(&parts.headers, header::CONTENT_TYPE);
    let accept = header_text(&parts.headers, header::ACCEPT);
    let engine = s.engine().clone();
    // The token first, from the headers alone (SPEC §6): a caller without a valid token gets its
    // 401/403 before a byte of the body is read, and learns nothing about the limits.
    let auth = {
        let engine = engine.clone();
        tokio::task::spawn_blocking(move || {
            wire::authenticate(&engine, path, authorization.as_deref(), Timestamp::now())
        })
        .await
    };
    let auth = match auth {
        Ok(Ok(a)) => a,
        Ok(Err(refusal)) => return to_response(refusal),
        Err(_) => return http_error(500, ErrorKind::Internal.code(), "internal error"),
    };
    let limit = engine.options().limits.max_body_bytes;
    let expected = content_length(&parts.headers);
    if expected.is_some_and(|n| n > limit) {
        return too_large(limit);
    }
    let body = match read_body(body, expected, limit).await {
        Ok(b) => b,
        Err(ReadError::TooLarge) => return too_large(limit),
        Err(ReadError::Broken) => {
            return http_error(400, ErrorKind::BadRequest.code(), "the request body could not be read")
        }
    };
    // The batch is CPU work: off the async workers.
    let answer = tokio::task::spawn_blocking(move || {
        let _ = metrics::take_last_call();
        let request = WireRequest {
            path,
            authorization: None,
            content_type: content_type.as_deref(),
            accept: accept.as_deref(),
            body: &body,
        };
        let response = wire::handle_authenticated(&engine, &auth, &request, Timestamp::now());
        (response, metrics::take_last_call())
    })
    .await;
    match answer {
        Ok((response, call)) => {
            let mut r = to_response(response);
            if let Some((jti, items)) = call {
                r.extensions_mut().insert(CallInfo { jti, items });
            }
            r
        }
        Err(_) => http_error(500, ErrorKind::Internal.code(), "internal error"),
    }
}
