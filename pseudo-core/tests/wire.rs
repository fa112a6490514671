//! The wire handler: INCERT bodies in and out, every error with its HTTP status.
mod common;

use common::*;
use pseudo_core::wire::{handle_at, WireRequest, WireResponse, PATH_PSEUDONYMISE, PATH_REVERSE};
use pseudo_core::*;
use serde_json::Value;

fn call(f: &Fixture, path: &str, token: &str, ct: &str, accept: Option<&str>, body: &[u8]) -> WireResponse {
    let auth = format!("Bearer {token}");
    let req = WireRequest { path, authorization: Some(&auth), content_type: Some(ct), accept, body };
    handle_at(&f.engine, &req, now())
}

fn json(r: &WireResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn error_code(r: &WireResponse) -> String {
    json(r)["error"]["code"].as_str().unwrap().to_owned()
}

#[test]
fn json_round_trip_like_the_incert_api() {
    let f = Fixture::new();
    let psn = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let r =
        call(&f, PATH_PSEUDONYMISE, &psn, "application/json", None, br#"{"data": ["Example PID 1", "Example PID 2"]}"#);
    assert_eq!((r.status, r.content_type), (200, "application/json"));
    let out = json(&r);
    let data = out["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    let rev = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", rev_same());
    let body = serde_json::to_vec(&out).unwrap();
    let r = call(&f, PATH_REVERSE, &rev, "application/json; charset=utf-8", Some("application/json"), &body);
    assert_eq!(r.status, 200);
    assert_eq!(json(&r)["data"], serde_json::json!(["Example PID 1", "Example PID 2"]));
}

#[test]
fn csv_in_csv_out_keeps_the_record_shape() {
    let f = Fixture::new();
    let psn = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let body = b"Example PID 1,Example PID 2\r\n\"PID, with comma\",\"PID \"\"quoted\"\"\"\r\nlast\r\n";
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "text/csv", Some("text/csv"), body);
    assert_eq!((r.status, r.content_type), (200, "text/csv"));
    let text = String::from_utf8(r.body.clone()).unwrap();
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].split(',').count(), 2);
    let rev = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", rev_same());
    let back = call(&f, PATH_REVERSE, &rev, "text/csv", Some("text/csv"), &r.body);
    assert_eq!(back.status, 200);
    assert_eq!(back.body, body.to_vec());
    // CSV in, JSON out (the default).
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "text/csv", None, b"a,b");
    assert_eq!(json(&r)["data"].as_array().unwrap().len(), 2);
}

#[test]
fn token_errors_are_401_and_wrong_endpoint_403() {
    let f = Fixture::new();
    let psn = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let body = br#"{"data": ["x"]}"#;
    let r = call(&f, PATH_REVERSE, &psn, "application/json", None, body);
    assert_eq!((r.status, error_code(&r).as_str()), (403, "wrong_operation"));
    let rev = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", rev_same());
    let r = call(&f, PATH_PSEUDONYMISE, &rev, "application/json", None, body);
    assert_eq!(r.status, 403);
    let r = call(&f, PATH_PSEUDONYMISE, "garbage", "application/json", None, body);
    assert_eq!((r.status, error_code(&r).as_str()), (401, "malformed_token"));
    let mut tampered = psn.clone();
    tampered.pop();
    tampered.push(if psn.ends_with('A') { 'B' } else { 'A' });
    let r = call(&f, PATH_PSEUDONYMISE, &tampered, "application/json", None, body);
    assert_eq!(r.status, 401);
    for auth in [None, Some("Basic abc"), Some("Bearer "), Some(psn.as_str())] {
        let req = WireRequest {
            path: PATH_PSEUDONYMISE,
            authorization: auth,
            content_type: Some("application/json"),
            accept: None,
            body,
        };
        assert_eq!(handle_at(&f.engine, &req, now()).status, 401, "{auth:?}");
    }
    let expired = Timestamp::from_unix(now_s() + 7200);
    let auth = format!("Bearer {psn}");
    let req = WireRequest {
        path: PATH_PSEUDONYMISE,
        authorization: Some(&auth),
        content_type: Some("application/json"),
        accept: None,
        body,
    };
    let r = handle_at(&f.engine, &req, expired);
    assert_eq!((r.status, error_code(&r).as_str()), (401, "token_expired"));
}

#[test]
fn bad_bodies_are_400_and_nothing_is_processed() {
    let f = Fixture::new();
    let psn = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let bad_json: [&[u8]; 8] = [
        b"",
        b"[]",
        b"{\"data\": \"x\"}",
        b"{\"data\": [1, 2]}",
        b"{\"data\": [\"a\", null]}",
        b"{\"data\": [\"a\"], \"extra\": 1}",
        b"{\"data\": [\"a\"]",
        b"{\"values\": [\"a\"]}",
    ];
    for body in bad_json {
        let r = call(&f, PATH_PSEUDONYMISE, &psn, "application/json", None, body);
        assert_eq!((r.status, error_code(&r).as_str()), (400, "bad_request"), "{}", String::from_utf8_lossy(body));
    }
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "application/json", None, br#"{"data": []}"#);
    assert_eq!(r.status, 400, "empty batch");
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "application/json", None, b"{\"data\": [\"\xff\xfe\"]}");
    assert_eq!(r.status, 400, "invalid UTF-8");
    assert!(json(&r)["error"]["message"].as_str().unwrap().contains("UTF-8"));
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "text/csv", None, b"a,\"broken");
    assert_eq!(r.status, 400);
    assert!(json(&r)["error"]["message"].as_str().unwrap().contains("never closed"));
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "text/plain", None, b"a");
    assert_eq!((r.status, error_code(&r).as_str()), (415, "unsupported_media_type"));
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "application/json; charset=latin1", None, br#"{"data":["a"]}"#);
    assert_eq!(r.status, 415);
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "application/json", Some("application/xml"), br#"{"data":["a"]}"#);
    assert_eq!(r.status, 406);
    let r = call(&f, "/api/other", &psn, "application/json", None, br#"{"data":["a"]}"#);
    assert_eq!(r.status, 404);
}

#[test]
fn limits_are_413_and_bad_items_422() {
    let mut o = EngineOptions::new(ISSUER, AUDIENCE);
    o.limits.max_body_bytes = 200;
    o.limits.max_items = 3;
    o.limits.max_item_bytes = 8;
    let f = Fixture::with_options(o);
    let psn = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let big = format!(r#"{{"data": ["{}"]}}"#, "x".repeat(300));
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "application/json", None, big.as_bytes());
    assert_eq!((r.status, error_code(&r).as_str()), (413, "limit_exceeded"));
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "application/json", None, br#"{"data": ["a","b","c","d"]}"#);
    assert_eq!(r.status, 413);
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "text/csv", None, b"a,b\nc,d");
    assert_eq!(r.status, 413);
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "application/json", None, br#"{"data": ["too long value"]}"#);
    assert_eq!((r.status, error_code(&r).as_str()), (413, "limit_exceeded"), "an original past max_item_bytes");
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "application/json", None, br#"{"data": ["ok", "", "x"]}"#);
    assert_eq!((r.status, error_code(&r).as_str()), (422, "invalid_items"));
    let items = &json(&r)["error"]["items"];
    assert_eq!(items[0]["index"], 1);
    assert_eq!(items[0]["code"], "empty_value");
    assert!(json(&r).get("data").is_none(), "nothing is returned");
    let rev = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", rev_same());
    let r = call(&f, PATH_REVERSE, &rev, "application/json", None, br#"{"data": ["AQEBAAF0ampered"]}"#);
    assert_eq!(r.status, 422);
    assert_eq!(json(&r)["error"]["items"][0]["code"], "invalid_pseudonym");
    assert!(!format!("{r:?}").contains("AQEB"));
}

#[test]
fn nested_json_and_an_unavailable_registry() {
    use std::sync::Arc;
    struct Down;
    impl TokenStatus for Down {
        fn check(&self, _: &Grant, _: Timestamp) -> Result<()> {
            Err(Error::new(ErrorKind::Storage, "database locked: /var/lib/secret/path"))
        }
    }
    let f = Fixture::new();
    let psn = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let deep = format!(r#"{{"data": {}"a"{}}}"#, "[".repeat(5000), "]".repeat(5000));
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "application/json", None, deep.as_bytes());
    assert_eq!(r.status, 400);
    let engine = Engine::new(
        Keyring::new(MasterKey::generate_at(1, now()).unwrap()),
        &[f.authority.verifying_key().clone()],
        EngineOptions::new(ISSUER, AUDIENCE),
    )
    .unwrap()
    .with_token_status(Arc::new(Down));
    let auth = format!("Bearer {psn}");
    let req = WireRequest {
        path: PATH_PSEUDONYMISE,
        authorization: Some(&auth),
        content_type: Some("application/json"),
        accept: None,
        body: br#"{"data":["a"]}"#,
    };
    let r = handle_at(&engine, &req, now());
    assert_eq!((r.status, error_code(&r).as_str()), (503, "storage_error"));
    assert!(!String::from_utf8_lossy(&r.body).contains("/var/lib"), "storage detail stays out of the response");
}

#[test]
fn token_before_body_bom_and_accept_q0() {
    let f = Fixture::new();
    // A bad token is refused before the (also bad) body is read.
    let r = call(&f, PATH_PSEUDONYMISE, "a.b.c", "application/json", None, b"not json at all");
    assert_eq!(r.status, 401);
    let psn = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    // A leading byte-order mark is not part of the first value.
    let plain = call(&f, PATH_PSEUDONYMISE, &psn, "text/csv", None, b"abc,def");
    let bom = call(&f, PATH_PSEUDONYMISE, &psn, "text/csv", None, b"\xef\xbb\xbfabc,def");
    assert_eq!((plain.status, bom.status), (200, 200));
    assert_eq!(json(&plain), json(&bom));
    let bom_json = call(&f, PATH_PSEUDONYMISE, &psn, "application/json", None, b"\xef\xbb\xbf{\"data\":[\"abc\"]}");
    assert_eq!(json(&bom_json)["data"][0], json(&plain)["data"][0]);
    // q=0 refuses a media type.
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "text/csv", Some("application/json;q=0, text/csv"), b"abc");
    assert_eq!((r.status, r.content_type), (200, "text/csv"));
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "text/csv", Some("application/json;q=0"), b"abc");
    assert_eq!(r.status, 406);
    // Duplicate "data" and a count past the limit stop the parse.
    let r = call(&f, PATH_PSEUDONYMISE, &psn, "application/json", None, br#"{"data":["a"],"data":["b"]}"#);
    assert_eq!(r.status, 400);
}

#[test]
fn authentication_comes_before_content_type_and_size() {
    // A caller without a valid token learns nothing about the limits or accepted content types.
    let mut o = EngineOptions::new(ISSUER, AUDIENCE);
    o.limits.max_body_bytes = 64;
    let f = Fixture::with_options(o);
    let big = vec![b'x'; 1000];
    for (ct, body) in [("text/plain", &b"x"[..]), ("application/json", &big[..]), ("text/plain", &big[..])] {
        let r = call(&f, PATH_PSEUDONYMISE, "not-a-token", ct, None, body);
        assert_eq!((r.status, error_code(&r).as_str()), (401, "malformed_token"), "{ct}");
    }
    // A rev token on the psn endpoint: 403 before anything about the body.
    let rev = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", rev_same());
    let r = call(&f, PATH_PSEUDONYMISE, &rev, "text/plain", None, &big);
    assert_eq!(r.status, 403);
    // With a valid token the body's problems are reported.
    let psn = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    assert_eq!(call(&f, PATH_PSEUDONYMISE, &psn, "text/plain", None, b"x").status, 415);
    assert_eq!(call(&f, PATH_PSEUDONYMISE, &psn, "application/json", None, &big).status, 413);
}

#[test]
fn a_server_authenticates_from_the_headers_before_reading_the_body() {
    use pseudo_core::wire::{authenticate, handle_authenticated};
    let f = Fixture::new();
    let refused = authenticate(&f.engine, PATH_PSEUDONYMISE, Some("Bearer nope"), now()).unwrap_err();
    assert_eq!((refused.status, error_code(&refused).as_str()), (401, "malformed_token"));
    let missing = authenticate(&f.engine, PATH_PSEUDONYMISE, None, now()).unwrap_err();
    assert_eq!(missing.status, 401);
    assert_eq!(authenticate(&f.engine, "/elsewhere", None, now()).unwrap_err().status, 404);
    let psn = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let auth = authenticate(&f.engine, PATH_PSEUDONYMISE, Some(&format!("Bearer {psn}")), now()).unwrap();
    assert_eq!(auth.grant().project().as_str(), "P1");
    assert_eq!(auth.operation(), Operation::Pseudonymise);
    // The body read afterwards is handled under that grant.
    let req = WireRequest {
        path: PATH_PSEUDONYMISE,
        authorization: None,
        content_type: Some("application/json"),
        accept: None,
        body: br#"{"data": ["a", "b"]}"#,
    };
    let r = handle_authenticated(&f.engine, &auth, &req, now());
    assert_eq!(r.status, 200);
    assert_eq!(json(&r)["data"].as_array().unwrap().len(), 2);
}
