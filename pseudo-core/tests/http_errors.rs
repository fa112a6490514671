//! The HTTP statuses and error bodies the faces (server, REST API) read from the core.

use pseudo_core::wire::{error_for, http_error, http_status, CODE_METHOD_NOT_ALLOWED};
use pseudo_core::{Detail, Error, ErrorKind};
use serde_json::Value;

#[test]
fn registry_kinds_have_their_own_statuses() {
    assert_eq!(http_status(ErrorKind::AuthenticationFailed), 401);
    assert_eq!(http_status(ErrorKind::InvalidSecret), 401);
    assert_eq!(http_status(ErrorKind::PermissionDenied), 403);
    assert_eq!(http_status(ErrorKind::IssueRefused), 403);
    assert_eq!(http_status(ErrorKind::NotFound), 404);
    assert_eq!(http_status(ErrorKind::InvalidState), 409);
    // The engine's kinds keep theirs.
    assert_eq!(http_status(ErrorKind::Expired), 401);
    assert_eq!(http_status(ErrorKind::BatchFailed), 422);
    assert_eq!(http_status(ErrorKind::Internal), 500);
}

#[test]
fn error_bodies_have_the_wire_shape_and_hide_internal_detail() {
    let r = error_for(&Error::new(ErrorKind::NotFound, "no project p"));
    assert_eq!(r.status, 404);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["error"]["code"], "not_found");
    assert_eq!(v["error"]["message"], "no project p");
    assert!(v["error"].get("detail").is_none(), "no detail field without a sub-code");

    // A sub-code travels as `detail` (SPEC §8), so a client can tell causes of one code apart.
    let r = error_for(&Error::with_detail(ErrorKind::InvalidClaims, Detail::UnknownKeyVersion, "kv 9 is not held"));
    assert_eq!(r.status, 401);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (v["error"]["code"].as_str(), v["error"]["detail"].as_str()),
        (Some("invalid_claims"), Some("unknown_key_version"))
    );
    // An internal error keeps its detail out, as its message.
    let r = error_for(&Error::with_detail(ErrorKind::Internal, Detail::Corrupt, "row 7 of t is bad"));
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(v["error"].get("detail").is_none());

    let r = error_for(&Error::new(ErrorKind::Internal, "lock poisoned at x.rs:12"));
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["error"]["message"], "internal error");

    let r = http_error(405, CODE_METHOD_NOT_ALLOWED, "use POST");
    assert_eq!((r.status, r.content_type), (405, "application/json"));
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["error"]["code"], "method_not_allowed");
}
