//! Shared fixture: a fixed clock, fresh keys, an authority and an engine, and a token forger for
//! the attack tests.
#![allow(dead_code)]

#[cfg(feature = "postgres")]
pub mod pg;

use std::time::Duration;

use data_encoding::BASE64URL_NOPAD;
use pseudo_core::*;
use ring::signature::Ed25519KeyPair;
use serde_json::{json, Value};

pub const ISSUER: &str = "https://portal.example";
pub const AUDIENCE: &str = "pseudo-engine";
/// The start of today (UTC): the engine advances its key chain to the real day when it starts,
/// so the tests' clock is today, at a fixed time of day.
pub fn now_s() -> i64 {
    Timestamp::now().day() * DAY
}
pub const DAY: i64 = 86_400;

pub fn now() -> Timestamp {
    Timestamp::from_unix(now_s())
}

pub struct Fixture {
    pub authority: Authority,
    pub engine: Engine,
    pub signing_pkcs8: Vec<u8>,
    pub kid: String,
}

pub fn cfg(method: Method, treatment: Treatment, format: OutputFormat) -> ProjectConfig {
    ProjectConfig { method, retention_end: Timestamp::from_unix(now_s() + 365 * DAY), treatment, format }
}

pub fn rev_same() -> ProjectConfig {
    cfg(Method::Reversible, Treatment::Same, OutputFormat::Base64url)
}

pub fn org(n: u8) -> OrgId {
    OrgId::from_bytes([n; 16])
}

pub fn project(id: &str) -> ProjectId {
    ProjectId::new(id).unwrap()
}

pub fn source(p: &str, o: OrgId, c: &ProjectConfig) -> SourceRef {
    SourceRef {
        project: project(p),
        organisation: o,
        method: c.method,
        retention_end: c.retention_end,
        format: c.format,
        key_version: None,
    }
}

pub fn request(kind: TokenKind, prj: &str, c: ProjectConfig) -> TokenRequest {
    TokenRequest {
        kind,
        subject: "alice".into(),
        organisation: org(1),
        project: project(prj),
        request: "req-1".into(),
        config: c,
        lifetime: Duration::from_secs(3600),
        key_version: None,
    }
}

impl Fixture {
    pub fn new() -> Self {
        Self::with_options(EngineOptions::new(ISSUER, AUDIENCE))
    }

    pub fn with_options(mut options: EngineOptions) -> Self {
        options.parallel = true;
        let sk = SigningKey::generate().unwrap();
        let signing_pkcs8 = sk.to_pkcs8_der().to_vec();
        let kid = sk.kid().to_owned();
        let ring = Keyring::new(MasterKey::generate_at(1, now()).unwrap());
        let engine = Engine::new(ring, &[sk.verifying_key().clone()], options).unwrap();
        let authority = Authority::new(sk, ISSUER, AUDIENCE).unwrap();
        Fixture { authority, engine, signing_pkcs8, kid }
    }

    pub fn issue(&self, kind: TokenKind, prj: &str, c: ProjectConfig) -> String {
        self.authority.issue_at(&request(kind, prj, c), now()).unwrap().into_token()
    }

    pub fn run(&self, op: Operation, token: &str, values: &[&str]) -> Result<Vec<String>> {
        self.run_at(op, token, values, now())
    }

    pub fn run_at(&self, op: Operation, token: &str, values: &[&str], at: Timestamp) -> Result<Vec<String>> {
        self.engine.call(op, token, values, BatchMode::Strict, at).map(|o| o.into_strings().unwrap())
    }

    pub fn psn(&self, token: &str, values: &[&str]) -> Result<Vec<String>> {
        self.run(Operation::Pseudonymise, token, values)
    }

    pub fn rev(&self, token: &str, values: &[String]) -> Result<Vec<String>> {
        let v: Vec<&str> = values.iter().map(String::as_str).collect();
        self.run(Operation::Reverse, token, &v)
    }

    /// Valid claims of a psn token, to be altered by attack tests.
    pub fn claims(&self) -> Value {
        json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "jti": "jti-1",
            "iat": now_s(), "nbf": now_s(), "exp": now_s() + 3600,
            "tt": "psn", "prj": "P1", "org": org(1).to_string(), "req": "req-1",
            "cfg": {"rev": true, "ret": now_s() + 365 * DAY, "trt": "same", "fmt": "base64url"},
            "kv": 1
        })
    }

    pub fn header(&self) -> Value {
        json!({"alg": "EdDSA", "typ": "pseudo-psn+jwt", "kid": self.kid})
    }

    /// Signs raw header and payload JSON text with the authority's real key.
    pub fn forge_raw(&self, header: &str, payload: &str) -> String {
        let msg =
            format!("{}.{}", BASE64URL_NOPAD.encode(header.as_bytes()), BASE64URL_NOPAD.encode(payload.as_bytes()));
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&self.signing_pkcs8).unwrap();
        let sig = pair.sign(msg.as_bytes());
        format!("{msg}.{}", BASE64URL_NOPAD.encode(sig.as_ref()))
    }

    pub fn forge(&self, header: &Value, claims: &Value) -> String {
        self.forge_raw(&header.to_string(), &claims.to_string())
    }

    pub fn verify(&self, token: &str) -> Result<Grant> {
        self.engine.verify_at(token, Operation::Pseudonymise, now())
    }
}

pub fn kind_of<T: std::fmt::Debug>(r: Result<T>) -> ErrorKind {
    r.expect_err("expected an error").kind()
}
