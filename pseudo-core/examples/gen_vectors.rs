//! Writes the shared test vectors (`pseudo-core/tests/vectors/vectors.json`) to stdout.
//!
//! Every key is fixed, so every deterministic pseudonym is reproducible; the tokens themselves
//! carry a random `jti` and are valid until 2099. `make vectors` regenerates the file;
//! `tests/vectors.rs` fails when the library's output drifts from it, and
//! `docs/reference/pseudo_ref.py` reproduces every case with pyca/cryptography.

use std::time::Duration;

use pseudo_core::*;
use serde_json::{json, Value};

/// 2026-01-01T00:00:00Z: when the vectors' tokens are issued and the key chains start.
const ISSUED: i64 = 1_767_225_600;
/// 2099-12-31T00:00:00Z: every vector project's retention end.
const RETENTION_END: i64 = 4_102_358_400;
const ISSUER: &str = "https://portal.example";
const AUDIENCE: &str = "pseudo-engine";

fn bytes(start: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| start.wrapping_add(i as u8)).collect()
}

fn master(version: u16, start: u8) -> MasterKey {
    let chain: [u8; 32] = bytes(start.wrapping_add(0x40), 32).try_into().unwrap();
    MasterKey::from_parts(version, &bytes(start, 32), Timestamp::from_unix(ISSUED).day(), &chain).unwrap()
}

fn keyring(primary: u16) -> Keyring {
    let mut ring = Keyring::new(master(1, 0x00));
    ring.add(master(2, 0x80)).unwrap();
    ring.set_primary(primary).unwrap();
    ring
}

fn signing_key() -> SigningKey {
    let mut der = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    der.extend(bytes(0xa0, 32));
    SigningKey::from_pkcs8_der(&der).unwrap()
}

fn config(method: Method, treatment: Treatment, format: OutputFormat) -> ProjectConfig {
    ProjectConfig { method, retention_end: Timestamp::from_unix(RETENTION_END), treatment, format }
}

fn org(n: u8) -> OrgId {
    OrgId::from_bytes([n; 16])
}

fn project(id: &str) -> ProjectId {
    ProjectId::new(id).unwrap()
}

fn source(p: &str, o: OrgId, cfg: &ProjectConfig) -> SourceRef {
    SourceRef {
        project: project(p),
        organisation: o,
        method: cfg.method,
        retention_end: cfg.retention_end,
        format: cfg.format,
        key_version: None,
    }
}

struct Gen {
    authority: Authority,
    cases: Vec<Value>,
    rewrap_cases: Vec<Value>,
}

impl Gen {
    /// A token of a project bound to the authority's primary version (2).
    fn token(&self, kind: TokenKind, prj: &str, o: OrgId, cfg: ProjectConfig) -> String {
        self.token_kv(kind, prj, o, cfg, None)
    }

    /// A token of a project bound to key version `kv` (`None`: the primary, 2).
    fn token_kv(&self, kind: TokenKind, prj: &str, o: OrgId, cfg: ProjectConfig, kv: Option<u16>) -> String {
        let req = TokenRequest {
            kind,
            subject: "vector-user".into(),
            organisation: o,
            project: project(prj),
            request: "req-vectors".into(),
            config: cfg,
            lifetime: Duration::from_secs((RETENTION_END - ISSUED) as u64),
            key_version: kv,
        };
        self.authority.issue_at(&req, Timestamp::from_unix(ISSUED)).unwrap().into_token()
    }

    fn case(&mut self, engine: &Engine, name: &str, op: Operation, token: String, inputs: &[String]) -> Vec<String> {
        let out = engine.call(op, &token, inputs, BatchMode::Strict, Timestamp::now()).unwrap().into_strings().unwrap();
        let op_name = op.as_str();
        self.cases
            .push(json!({ "name": name, "operation": op_name, "token": token, "inputs": inputs, "outputs": out }));
        out
    }
}

fn main() {
    let sk = signing_key();
    let vk = sk.verifying_key().clone();
    let options = EngineOptions::new(ISSUER, AUDIENCE);
    let engine = Engine::new(keyring(2), std::slice::from_ref(&vk), options.clone()).unwrap();
    let _ = options;
    let authority = Authority::new(signing_key(), ISSUER, AUDIENCE).unwrap().with_key_version(2).unwrap();
    let mut g = Gen { authority, cases: Vec::new(), rewrap_cases: Vec::new() };

    let values: Vec<String> =
        ["Example PID 1", "Example PID 2", "Ünïcödé ✓ 12345", "a"].iter().map(|s| s.to_string()).collect();
    let a = org(0x11);
    let b = org(0x22);
    let rev_same = config(Method::Reversible, Treatment::Same, OutputFormat::Base64url);
    let rev_diff = config(Method::Reversible, Treatment::Different, OutputFormat::Base64url);
    let nrev_same = config(Method::NotReversible, Treatment::Same, OutputFormat::Base64url);

    // Level 1, every deterministic mode and format.
    let l1 = g.case(
        &engine,
        "psn reversible same base64url",
        Operation::Pseudonymise,
        g.token(TokenKind::Pseudonymise, "P-REV", a, rev_same),
        &values,
    );
    let hex = config(Method::Reversible, Treatment::Same, OutputFormat::Hex);
    let l1_hex = g.case(
        &engine,
        "psn reversible same hex",
        Operation::Pseudonymise,
        g.token(TokenKind::Pseudonymise, "P-HEX", a, hex),
        &values,
    );
    let b32 = config(Method::Reversible, Treatment::Same, OutputFormat::Base32);
    g.case(
        &engine,
        "psn reversible same base32",
        Operation::Pseudonymise,
        g.token(TokenKind::Pseudonymise, "P-B32", a, b32),
        &values,
    );
    let hmac = g.case(
        &engine,
        "psn not reversible same (hmac)",
        Operation::Pseudonymise,
        g.token(TokenKind::Pseudonymise, "P-MAC", a, nrev_same),
        &values,
    );

    // Reverse level 1: deterministic, the different-treatment and key-version-1 pseudonyms too.
    let rev1 = TokenKind::Reverse(ReverseLevel::Level1);
    g.case(
        &engine,
        "rev level 1 (reversible same)",
        Operation::Reverse,
        g.token(rev1.clone(), "P-REV", a, rev_same),
        &l1,
    );
    g.case(&engine, "rev level 1 (hex)", Operation::Reverse, g.token(rev1.clone(), "P-HEX", a, hex), &l1_hex);
    let diff_tok = g.token(TokenKind::Pseudonymise, "P-DIF", a, rev_diff);
    let diff = engine.pseudonymise(&diff_tok, &values).unwrap();
    g.case(
        &engine,
        "rev level 1 (reversible different)",
        Operation::Reverse,
        g.token(rev1.clone(), "P-DIF", a, rev_diff),
        &diff,
    );
    // A project bound to key version 1 while the primary is 2: its token's `kv` picks the keys.
    let v1 = g.case(
        &engine,
        "psn reversible same, project bound to key version 1 (primary is 2)",
        Operation::Pseudonymise,
        g.token_kv(TokenKind::Pseudonymise, "P-REV", a, rev_same, Some(1)),
        &values,
    );
    g.case(
        &engine,
        "rev level 1 (key version 1 pseudonyms, token kv 2: every held version reads)",
        Operation::Reverse,
        g.token(rev1.clone(), "P-REV", a, rev_same),
        &v1,
    );
    // Rewrap: version-1 pseudonyms in, the version-2 pseudonyms of the same values out (equal to
    // the first case's outputs), with a version-2 reverse token of the project.
    let rewrap_token = g.token(rev1, "P-REV", a, rev_same);
    let out = engine.rewrap(&rewrap_token, &v1).unwrap();
    assert_eq!(out, l1);
    g.rewrap_cases.push(json!({
        "name": "rewrap level 1 (key version 1 -> 2)",
        "operation": "rewrap",
        "token": rewrap_token,
        "inputs": v1,
        "outputs": out,
    }));

    // Level 2 from a reversible source, and its reversal to level-1 pseudonyms.
    let src = source("P-REV", a, &rev_same);
    let l2 = g.case(
        &engine,
        "sec level 2 from reversible source",
        Operation::Pseudonymise,
        g.token(TokenKind::Secondary(src.clone()), "S-REV", b, rev_same),
        &l1,
    );
    g.case(
        &engine,
        "rev level 2",
        Operation::Reverse,
        g.token(TokenKind::Reverse(ReverseLevel::Level2(src)), "S-REV", b, rev_same),
        &l2,
    );
    // Level 2 from a not-reversible source into a not-reversible project.
    let src_mac = source("P-MAC", a, &nrev_same);
    g.case(
        &engine,
        "sec level 2 from not-reversible source (hmac)",
        Operation::Pseudonymise,
        g.token(TokenKind::Secondary(src_mac), "S-MAC", b, nrev_same),
        &hmac,
    );

    let master_parts = |m: u16, start: u8| {
        json!({
            "version": m,
            "static_secret_hex": data_encoding::HEXLOWER.encode(&bytes(start, 32)),
            "chain_day": Timestamp::from_unix(ISSUED).day(),
            "chain_secret_hex": data_encoding::HEXLOWER.encode(&bytes(start.wrapping_add(0x40), 32)),
        })
    };
    let doc = json!({
        "description": "pseudo test vectors: fixed keys, tokens valid until 2099-12-31, expected outputs. See docs/SPEC.md.",
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "keyring_hex": data_encoding::HEXLOWER.encode(&keyring(2).to_bytes()),
        "master_keys": [master_parts(1, 0x00), master_parts(2, 0x80)],
        "primary_key_version": 2,
        "signing_key_pem": sk.to_pem().as_str(),
        "verifying_key_jwk": vk.to_jwk(),
        "cases": g.cases,
        "rewrap_cases": g.rewrap_cases,
    });
    println!("{}", serde_json::to_string_pretty(&doc).unwrap());
}
