//! The INCERT-compatible wire handler: an HTTP request's parts in, status + content type + body out.

use std::ffi::{c_char, CString};
use std::fmt;

use pseudo_core::wire::{handle_at, WireRequest};
use zeroize::Zeroizing;

use crate::engine::pseudo_engine;
use crate::keys::{boxed, free_box};
use crate::status::{bytes, guard, guard_value, opt_text, out_check, pseudo_status, put, text, timestamp};

/// The parts of an HTTP request the handler reads. Strings are NUL-terminated UTF-8, borrowed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_wire_request {
    /// The request path: `/api/request-psn` or `/api/request-psn-rev`. Required.
    pub path: *const c_char,
    /// The `Authorization` header value (`Bearer <token>`), or NULL when absent.
    pub authorization: *const c_char,
    /// The `Content-Type` header value (`application/json` or `text/csv`), or NULL when absent.
    pub content_type: *const c_char,
    /// The `Accept` header value, or NULL when absent (JSON is answered).
    pub accept: *const c_char,
    /// The raw body (`body_len` bytes; NULL allowed when `body_len` is 0).
    pub body: *const u8,
    /// The body's length in bytes.
    pub body_len: usize,
}

/// The handler's answer: HTTP status, content type and body. The body may hold original values
/// (after a reverse): wiped when freed. Immutable: readable from several threads at once.
pub struct pseudo_wire_response {
    status: u16,
    content_type: CString,
    body: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for pseudo_wire_response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("pseudo_wire_response")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Handles one HTTP request as of `now` (Unix seconds). Every problem with the request itself
/// (bad token, bad body, unknown path, limits) is an HTTP answer in the response, not a failed
/// call. Thread-safe.
///
/// On success `*out` receives a response the caller frees with `pseudo_wire_response_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT` (`engine`, `request`, `request->path`, `out`, or
/// `request->body` with `body_len > 0`), `PSEUDO_INVALID_UTF8` (a header or the path; a body
/// that is not UTF-8 is a 400 response), `PSEUDO_INVALID_ARGUMENT`.
///
/// # Safety
/// `engine` is NULL or a live handle; `request` is NULL or a valid struct whose strings are NULL
/// or NUL-terminated and whose `body` is readable for `body_len` bytes; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_wire_handle(
    engine: *const pseudo_engine,
    request: *const pseudo_wire_request,
    now: i64,
    out: *mut *mut pseudo_wire_response,
) -> pseudo_status {
    guard(|| {
        let engine = arg!(handle engine);
        let r = arg!(handle request);
        out_check(out, "out")?;
        let req = WireRequest {
            // SAFETY: forwarded contract.
            path: unsafe { text(r.path, "request->path") }?,
            // SAFETY: forwarded contract.
            authorization: unsafe { opt_text(r.authorization, "request->authorization") }?,
            // SAFETY: forwarded contract.
            content_type: unsafe { opt_text(r.content_type, "request->content_type") }?,
            // SAFETY: forwarded contract.
            accept: unsafe { opt_text(r.accept, "request->accept") }?,
            // SAFETY: forwarded contract.
            body: unsafe { bytes(r.body, r.body_len, "request->body") }?,
        };
        let mut resp = handle_at(&engine.inner, &req, timestamp(now));
        let body = Zeroizing::new(std::mem::take(&mut resp.body));
        // Content types are the core's constants: never an inner NUL.
        let content_type = CString::new(resp.content_type).unwrap_or_default();
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_wire_response { status: resp.status, content_type, body })) };
        Ok(())
    })
}

/// The HTTP status of the response (200, 400, 401, 403, 404, 406, 413, 415, 422, 500). 0 for NULL.
///
/// # Safety
/// `response` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn pseudo_wire_response_status(response: *const pseudo_wire_response) -> u16 {
    guard_value(0, || {
        // SAFETY: forwarded contract.
        unsafe { response.as_ref() }.map_or(0, |r| r.status)
    })
}

/// The response's `Content-Type` (`application/json` or `text/csv`), NUL-terminated, owned by
/// `response` (valid until `pseudo_wire_response_free`). NULL for NULL.
///
/// # Safety
/// `response` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn pseudo_wire_response_content_type(response: *const pseudo_wire_response) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: forwarded contract.
        unsafe { response.as_ref() }.map_or(std::ptr::null(), |r| r.content_type.as_ptr())
    })
}

/// Borrows the response body: `*out_body` points to `*out_len` bytes owned by `response` (NOT
/// NUL-terminated), valid until `pseudo_wire_response_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `response` is NULL or a live handle; `out_body` and `out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_wire_response_body(
    response: *const pseudo_wire_response,
    out_body: *mut *const u8,
    out_len: *mut usize,
) -> pseudo_status {
    guard(|| {
        let r = arg!(handle response);
        out_check(out_body, "out_body")?;
        out_check(out_len, "out_len")?;
        // SAFETY: both checked non-NULL; writable by contract.
        unsafe {
            put(out_body, r.body.as_ptr());
            put(out_len, r.body.len());
        }
        Ok(())
    })
}

/// Frees a response, wiping its body. NULL is a no-op; freeing twice is undefined behaviour.
///
/// # Safety
/// `response` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_wire_response_free(response: *mut pseudo_wire_response) {
    // SAFETY: forwarded contract.
    unsafe { free_box(response) }
}
