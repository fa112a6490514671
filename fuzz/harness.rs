//! The fuzz harness, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`) and by the corpus
//! replay test that runs on stable Rust in `make test` (`pseudo-core/tests/fuzz_corpus.rs`).
//! Each function must never panic, whatever the bytes; the checks inside are the properties.
#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::Duration;

use pseudo_core::wire::{handle, WireRequest};
use pseudo_core::*;

pub struct Harness {
    pub engine: Engine,
    pub psn: String,
    pub sec: String,
    pub rev: String,
    pub rev2: String,
}

const ISSUER: &str = "https://portal.example";
const AUDIENCE: &str = "pseudo-engine";

pub fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let mut der =
            vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
        der.extend((0..32u8).map(|i| 0xc0 ^ i));
        let sk = SigningKey::from_pkcs8_der(&der).expect("fixed key");
        let chain = [0x42u8; 32];
        let key = MasterKey::from_parts(1, &[0x17u8; 32], Timestamp::now().day(), &chain).expect("fixed key");
        let mut options = EngineOptions::new(ISSUER, AUDIENCE);
        options.limits.max_items = 10_000;
        options.parallel = false;
        let engine = Engine::new(Keyring::new(key), &[sk.verifying_key().clone()], options).expect("engine");
        let authority = Authority::new(sk, ISSUER, AUDIENCE).expect("authority");
        let config = ProjectConfig {
            method: Method::Reversible,
            retention_end: Timestamp::from_unix(4_102_358_400),
            treatment: Treatment::Same,
            format: OutputFormat::Base64url,
        };
        let source = SourceRef {
            project: ProjectId::new("P1").expect("id"),
            organisation: OrgId::nil(),
            method: config.method,
            retention_end: config.retention_end,
            format: config.format,
            key_version: None,
        };
        let issue = |kind, project: &str| {
            authority
                .issue(&TokenRequest {
                    kind,
                    subject: "fuzz".into(),
                    organisation: OrgId::nil(),
                    project: ProjectId::new(project).expect("id"),
                    request: "r".into(),
                    config,
                    lifetime: Duration::from_secs(10 * 365 * 86_400),
                    key_version: None,
                })
                .expect("token")
                .into_token()
        };
        Harness {
            psn: issue(TokenKind::Pseudonymise, "P1"),
            sec: issue(TokenKind::Secondary(source.clone()), "P2"),
            rev: issue(TokenKind::Reverse(ReverseLevel::Level1), "P1"),
            rev2: issue(TokenKind::Reverse(ReverseLevel::Level2(source)), "P2"),
            engine,
        }
    })
}

/// Token verification: arbitrary text never verifies unless it is one of the harness's tokens.
pub fn token(data: &[u8]) {
    let h = harness();
    let text = String::from_utf8_lossy(data);
    for op in [Operation::Pseudonymise, Operation::Reverse] {
        if let Ok(g) = h.engine.verify(&text, op) {
            assert!([&h.psn, &h.sec, &h.rev, &h.rev2].iter().any(|t| t.as_str() == text), "a forged token verified");
            assert!(!g.jti().is_empty());
        }
    }
}

fn post(
    path: &str,
    token: &str,
    content_type: &str,
    accept: Option<&str>,
    body: &[u8],
) -> pseudo_core::wire::WireResponse {
    let auth = format!("Bearer {token}");
    let h = harness();
    let r = handle(
        &h.engine,
        &WireRequest { path, authorization: Some(&auth), content_type: Some(content_type), accept, body },
    );
    assert!([200, 400, 401, 403, 404, 406, 413, 415, 422].contains(&r.status), "unexpected status {}", r.status);
    r
}

/// The JSON request parser, then a round trip of whatever pseudonymised.
pub fn wire_json(data: &[u8]) {
    let h = harness();
    let r = post("/api/request-psn", &h.psn, "application/json", None, data);
    if r.status == 200 {
        let back = post("/api/request-psn-rev", &h.rev, "application/json", None, &r.body);
        assert_eq!(back.status, 200, "pseudonyms made here must reverse");
    }
}

/// The CSV request parser, CSV out, and the round trip back to the same CSV values.
pub fn wire_csv(data: &[u8]) {
    let h = harness();
    let r = post("/api/request-psn", &h.psn, "text/csv", Some("text/csv"), data);
    if r.status == 200 {
        let back = post("/api/request-psn-rev", &h.rev, "text/csv", Some("text/csv"), &r.body);
        assert_eq!(back.status, 200, "pseudonyms made here must reverse");
    }
}

/// Pseudonym decoding and reverse, and secondary input authentication, per item: arbitrary items
/// never reverse (the chance of forging an AES-SIV tag is 2^-128) and never panic.
pub fn reverse(data: &[u8]) {
    let h = harness();
    let text = String::from_utf8_lossy(data);
    let items: Vec<&str> = text.split('\n').take(64).collect();
    for (op, token) in [(Operation::Reverse, &h.rev), (Operation::Reverse, &h.rev2), (Operation::Pseudonymise, &h.sec)]
    {
        let _ = h.engine.call(op, token, &items, BatchMode::PerItem, Timestamp::now());
    }
}

/// The wire handler end to end: the first byte picks path, token, content type and accept.
pub fn wire(data: &[u8]) {
    let h = harness();
    let Some((&sel, body)) = data.split_first() else { return };
    let path = ["/api/request-psn", "/api/request-psn-rev", "/api/x"][usize::from(sel & 3) % 3];
    let token = [&h.psn, &h.sec, &h.rev, &h.rev2][usize::from((sel >> 2) & 3)];
    let ct =
        ["application/json", "text/csv", "text/csv; charset=utf-8", "application/xml"][usize::from((sel >> 4) & 3)];
    let accept =
        [None, Some("text/csv"), Some("application/json, text/csv;q=0.5"), Some("image/png")][usize::from(sel >> 6)];
    post(path, token, ct, accept, body);
}
