//! Transforms: round trips, separation, secondary rules, retention and crypto-shredding, bad items.
mod common;

use common::*;
use data_encoding::BASE64URL_NOPAD;
use pseudo_core::*;

const VALUES: [&str; 4] = ["Example PID 1", "Example PID 2", "Ünïcödé ✓", "Example PID 1"];

fn all_configs() -> Vec<ProjectConfig> {
    let mut v = Vec::new();
    for method in [Method::Reversible, Method::NotReversible] {
        for treatment in [Treatment::Same, Treatment::Different] {
            for format in [OutputFormat::Base64url, OutputFormat::Hex, OutputFormat::Base32] {
                v.push(cfg(method, treatment, format));
            }
        }
    }
    v
}

fn is_canonical(p: &str, format: OutputFormat) -> bool {
    match format {
        OutputFormat::Base64url => p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        OutputFormat::Hex => p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        OutputFormat::Base32 => p.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)),
    }
}

#[test]
fn level1_every_mode_and_format() {
    let f = Fixture::new();
    for c in all_configs() {
        let t = f.issue(TokenKind::Pseudonymise, "P1", c);
        let out = f.psn(&t, &VALUES).unwrap();
        assert_eq!(out.len(), VALUES.len());
        assert!(out.iter().all(|p| is_canonical(p, c.format)), "{c:?}: {out:?}");
        // Same value (items 0 and 3): same pseudonym only under `same`.
        assert_eq!(out[0] == out[3], c.treatment == Treatment::Same, "{c:?}");
        assert_ne!(out[0], out[1]);
        // Deterministic across calls only under `same`.
        let again = f.psn(&t, &VALUES).unwrap();
        assert_eq!(out == again, c.treatment == Treatment::Same, "{c:?}");
        if c.method == Method::Reversible {
            let r = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", c);
            assert_eq!(f.rev(&r, &out).unwrap(), VALUES, "{c:?}");
        }
    }
}

#[test]
fn separation_between_projects_levels_and_keys() {
    let f = Fixture::new();
    let c = rev_same();
    let p1 = f.psn(&f.issue(TokenKind::Pseudonymise, "P1", c), &VALUES).unwrap();
    let p2 = f.psn(&f.issue(TokenKind::Pseudonymise, "P2", c), &VALUES).unwrap();
    assert_ne!(p1[0], p2[0], "projects never share pseudonyms");
    let rev_p2 = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P2", c);
    let e = f.rev(&rev_p2, &p1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BatchFailed);
    assert!(e.item_failures().iter().all(|i| i.code == ItemCode::InvalidPseudonym));
    assert_eq!(e.item_failures().len(), VALUES.len());
    // A different retention end is a different key.
    let mut c2 = c;
    c2.retention_end = Timestamp::from_unix(c.retention_end.unix() + DAY);
    let rev_other_day = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", c2);
    assert_eq!(f.rev(&rev_other_day, &p1).unwrap_err().kind(), ErrorKind::BatchFailed);
    // Another engine (other master key) cannot read them.
    let g = Fixture::new();
    let rev_g = g.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", c);
    assert_eq!(g.rev(&rev_g, &p1).unwrap_err().kind(), ErrorKind::BatchFailed);
}

#[test]
fn bad_pseudonyms_fail_opaquely_per_item() {
    let f = Fixture::new();
    let c = rev_same();
    let good = f.psn(&f.issue(TokenKind::Pseudonymise, "P1", c), &["value"]).unwrap().remove(0);
    let mut raw = BASE64URL_NOPAD.decode(good.as_bytes()).unwrap();
    let flip = |i: usize| {
        let mut r = raw.clone();
        r[i] ^= 0x01;
        BASE64URL_NOPAD.encode(&r)
    };
    let mut unknown_version = raw.clone();
    unknown_version[4] = 9;
    let mut level2 = raw.clone();
    level2[1] = 2;
    let last = raw.len() - 1;
    let bad = vec![
        good.clone(),
        "not base64!".to_owned(),
        format!("{good}A"),
        flip(last),
        flip(7),
        flip(0),
        BASE64URL_NOPAD.encode(&unknown_version),
        BASE64URL_NOPAD.encode(&level2),
        BASE64URL_NOPAD.encode(&raw[..10]),
        "".to_owned(),
    ];
    raw.clear();
    let rev = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", c);
    let items: Vec<&str> = bad.iter().map(String::as_str).collect();
    let out = f.engine.call(Operation::Reverse, &rev, &items, BatchMode::PerItem, now()).unwrap();
    assert_eq!(out.get(0), Some(Ok("value")));
    for i in 1..9 {
        assert_eq!(out.get(i), Some(Err(ItemCode::InvalidPseudonym)), "item {i}");
    }
    assert_eq!(out.get(9), Some(Err(ItemCode::EmptyValue)));
    assert_eq!(out.to_options()[0].as_deref(), Some("value"));
    assert!(out.to_options()[1..].iter().all(Option::is_none));
    // Strict mode returns nothing but the failures.
    let e = f.engine.call(Operation::Reverse, &rev, &items, BatchMode::Strict, now()).unwrap_err();
    assert_eq!(e.item_failures().len(), 9);
    assert!(!e.to_string().contains("value"));
}

#[test]
fn level2_round_trip_never_yields_originals() {
    let f = Fixture::new();
    for src_cfg in [rev_same(), cfg(Method::Reversible, Treatment::Different, OutputFormat::Hex)] {
        for sec_cfg in all_configs() {
            let l1 = f.psn(&f.issue(TokenKind::Pseudonymise, "SRC", src_cfg), &VALUES).unwrap();
            let src = source("SRC", org(1), &src_cfg);
            let sec = f.issue(TokenKind::Secondary(src.clone()), "SEC", sec_cfg);
            let refs: Vec<&str> = l1.iter().map(String::as_str).collect();
            let l2 = f.psn(&sec, &refs).unwrap();
            assert!(l2.iter().all(|p| is_canonical(p, sec_cfg.format)));
            assert!(l2.iter().zip(&l1).all(|(a, b)| a != b));
            if sec_cfg.method == Method::Reversible {
                let rev2 = f.issue(TokenKind::Reverse(ReverseLevel::Level2(src.clone())), "SEC", sec_cfg);
                let back = f.rev(&rev2, &l2).unwrap();
                assert_eq!(back, l1, "level-2 reversal gives the level-1 pseudonyms");
                assert!(back.iter().all(|b| !VALUES.contains(&b.as_str())));
                // A level-1 reverse token of the secondary project cannot read level-2 pseudonyms.
                let rev1 = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "SEC", sec_cfg);
                assert_eq!(f.rev(&rev1, &l2).unwrap_err().kind(), ErrorKind::BatchFailed);
            }
        }
    }
}

#[test]
fn secondary_rejects_what_is_not_a_level1_pseudonym_of_the_source() {
    let f = Fixture::new();
    let c = rev_same();
    let from_src = f.psn(&f.issue(TokenKind::Pseudonymise, "SRC", c), &["v"]).unwrap().remove(0);
    let from_other = f.psn(&f.issue(TokenKind::Pseudonymise, "OTHER", c), &["v"]).unwrap().remove(0);
    let sec = f.issue(TokenKind::Secondary(source("SRC", org(1), &c)), "SEC", c);
    let l2 = f.psn(&sec, &[from_src.as_str()]).unwrap().remove(0);
    let items = [from_src.as_str(), from_other.as_str(), "Example PID 1", l2.as_str()];
    let out = f.engine.call(Operation::Pseudonymise, &sec, &items, BatchMode::PerItem, now()).unwrap();
    assert!(out.get(0).unwrap().is_ok());
    for i in 1..4 {
        assert_eq!(out.get(i), Some(Err(ItemCode::InvalidPseudonym)), "item {i}");
    }
    // A not-reversible source: only the envelope is checked.
    let n = cfg(Method::NotReversible, Treatment::Same, OutputFormat::Base64url);
    let mac = f.psn(&f.issue(TokenKind::Pseudonymise, "MSRC", n), &["v"]).unwrap().remove(0);
    let sec_n = f.issue(TokenKind::Secondary(source("MSRC", org(1), &n)), "SEC", c);
    let items = [mac.as_str(), from_src.as_str(), "plain text"];
    let out = f.engine.call(Operation::Pseudonymise, &sec_n, &items, BatchMode::PerItem, now()).unwrap();
    assert!(out.get(0).unwrap().is_ok());
    assert_eq!(out.get(1), Some(Err(ItemCode::InvalidPseudonym)), "a reversible pseudonym is not an HMAC one");
    assert_eq!(out.get(2), Some(Err(ItemCode::InvalidPseudonym)));
}

#[test]
fn retention_end_shreds_the_keys() {
    let f = Fixture::new();
    let mut c = rev_same();
    c.retention_end = Timestamp::from_unix(now_s() + 2 * DAY + 3600);
    let p = f.psn(&f.issue(TokenKind::Pseudonymise, "P1", c), &VALUES).unwrap();
    let rev = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", c);
    assert_eq!(f.rev(&rev, &p).unwrap(), VALUES);
    let before = f.engine.export_keyring().unwrap();
    // After retention: refused by the token rules…
    let after = Timestamp::from_unix(now_s() + 3 * DAY);
    let v: Vec<&str> = p.iter().map(String::as_str).collect();
    assert_eq!(kind_of(f.run_at(Operation::Reverse, &rev, &v, after)), ErrorKind::RetentionEnded);
    // …and the engine's chain has moved past the retention day: the key cannot be computed any
    // more, even with a fresh, valid-looking reverse token for the old retention end.
    // Calls never move the chain past the system clock; the host (here the test) does it.
    assert!(f.engine.advance_keys(after), "the chain moves to the day of `after`");
    assert_ne!(f.engine.export_keyring().unwrap(), before);
    let restored = Keyring::from_bytes(&f.engine.export_keyring().unwrap()).unwrap();
    assert_eq!(restored.chain_day(), after.day());
    let verifying = f.authority.verifying_key().clone();
    let engine2 = Engine::new(restored, &[verifying], EngineOptions::new(ISSUER, AUDIENCE)).unwrap();
    let g = f.engine.verify_at(&rev, Operation::Reverse, now()).unwrap();
    let e = engine2.transform_at(&g, &v, BatchMode::Strict, now()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RetentionEnded);
    // The backup taken before the advance still reverses: documented in SPEC §8.
    let old = Keyring::from_bytes(&before).unwrap();
    let engine3 =
        Engine::new(old, &[f.authority.verifying_key().clone()], EngineOptions::new(ISSUER, AUDIENCE)).unwrap();
    assert!(engine3.transform_at(&g, &v, BatchMode::Strict, now()).is_ok());
}

#[test]
fn not_reversible_projects_survive_chain_advance() {
    let f = Fixture::new();
    let c = cfg(Method::NotReversible, Treatment::Same, OutputFormat::Hex);
    let t = f.issue(TokenKind::Pseudonymise, "P1", c);
    let a = f.psn(&t, &VALUES).unwrap();
    f.engine.advance_keys(Timestamp::from_unix(now_s() + 10 * DAY));
    assert_eq!(f.psn(&t, &VALUES).unwrap(), a, "HMAC keys come from the static secret");
}

#[test]
fn key_rotation_reverses_old_versions() {
    let f = Fixture::new();
    let c = rev_same();
    let t = f.issue(TokenKind::Pseudonymise, "P1", c);
    let old = f.psn(&t, &["v"]).unwrap();
    let mut ring = Keyring::from_bytes(&f.engine.export_keyring().unwrap()).unwrap();
    ring.add(MasterKey::generate_at(2, now()).unwrap()).unwrap();
    ring.set_primary(2).unwrap();
    let e2 = Engine::new(ring, &[f.authority.verifying_key().clone()], EngineOptions::new(ISSUER, AUDIENCE)).unwrap();
    // The project stays bound to version 1: rotation changes none of its pseudonyms.
    let same = e2.call(Operation::Pseudonymise, &t, &["v"], BatchMode::Strict, now()).unwrap().into_strings().unwrap();
    assert_eq!(same, old);
    // A project bound to version 2 (its token's kv) gets version-2 pseudonyms.
    let t2 = f
        .authority
        .issue_at(&TokenRequest { key_version: Some(2), ..request(TokenKind::Pseudonymise, "P1", c) }, now());
    let t2 = t2.unwrap().into_token();
    let new = e2.call(Operation::Pseudonymise, &t2, &["v"], BatchMode::Strict, now()).unwrap().into_strings().unwrap();
    assert_ne!(new, old);
    let rev = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", c);
    let both = [old[0].as_str(), new[0].as_str()];
    let back = e2.call(Operation::Reverse, &rev, &both, BatchMode::Strict, now()).unwrap().into_strings().unwrap();
    assert_eq!(back, ["v", "v"]);
    // The old engine does not know version 2: its pseudonyms do not read, its tokens are refused.
    assert_eq!(f.rev(&rev, &new).unwrap_err().item_failures()[0].code, ItemCode::InvalidPseudonym);
    let e = f.psn(&t2, &["v"]).unwrap_err();
    assert_eq!((e.kind(), e.detail()), (ErrorKind::InvalidClaims, Some("unknown_key_version")));
}

#[test]
fn limits_and_empty_batches() {
    let mut o = EngineOptions::new(ISSUER, AUDIENCE);
    o.limits.max_items = 10;
    o.limits.max_item_bytes = 16;
    let f = Fixture::with_options(o);
    let t = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    assert_eq!(kind_of(f.psn(&t, &[])), ErrorKind::InvalidInput);
    assert_eq!(kind_of(f.psn(&t, &["x"; 11])), ErrorKind::LimitExceeded);
    let e = f.psn(&t, &["ok", "this value is too long", ""]).unwrap_err();
    assert_eq!(
        e.item_failures(),
        [ItemFailure { index: 1, code: ItemCode::TooLong }, ItemFailure { index: 2, code: ItemCode::EmptyValue }]
    );
}

#[test]
fn large_parallel_batch_keeps_order() {
    let f = Fixture::new();
    let values: Vec<String> = (0..20_000).map(|i| format!("PID-{i:08}")).collect();
    let t = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let out = f.engine.call(Operation::Pseudonymise, &t, &values, BatchMode::Strict, now()).unwrap();
    let small = f.engine.call(Operation::Pseudonymise, &t, &values[19_990..], BatchMode::Strict, now()).unwrap();
    for i in 0..10 {
        assert_eq!(out.get(19_990 + i).unwrap(), small.get(i).unwrap());
    }
    let p = out.into_strings().unwrap();
    let rev = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", rev_same());
    assert_eq!(f.rev(&rev, &p).unwrap(), values);
}

#[test]
fn revocation_hook_and_audit_events() {
    use std::sync::{Arc, Mutex};
    struct Revoked(Mutex<Vec<String>>, Mutex<usize>);
    impl TokenStatus for Revoked {
        fn check(&self, grant: &Grant, _now: Timestamp) -> Result<()> {
            if self.0.lock().unwrap().iter().any(|j| j == grant.jti()) {
                return Err(pseudo_core_revoked());
            }
            Ok(())
        }
        fn record_use(&self, _grant: &Grant, _now: Timestamp) {
            *self.1.lock().unwrap() += 1;
        }
    }
    fn pseudo_core_revoked() -> Error {
        Error::new(ErrorKind::Revoked, "revoked by the test")
    }
    struct Sink(Mutex<Vec<AuditEvent>>);
    impl AuditSink for Sink {
        fn record(&self, e: &AuditEvent) {
            self.0.lock().unwrap().push(e.clone());
        }
    }
    let status = Arc::new(Revoked(Mutex::new(Vec::new()), Mutex::new(0)));
    let sink = Arc::new(Sink(Mutex::new(Vec::new())));
    let base = Fixture::new();
    let sk_pem = SigningKey::from_pkcs8_der(&base.signing_pkcs8).unwrap();
    let engine = Engine::new(
        Keyring::new(MasterKey::generate_at(1, now()).unwrap()),
        &[sk_pem.verifying_key().clone()],
        EngineOptions::new(ISSUER, AUDIENCE),
    )
    .unwrap()
    .with_token_status(status.clone())
    .with_audit(sink.clone());
    let issued = base.authority.issue_at(&request(TokenKind::Pseudonymise, "P1", rev_same()), now()).unwrap();
    assert!(engine.call(Operation::Pseudonymise, issued.token(), &["a", "b"], BatchMode::Strict, now()).is_ok());
    assert_eq!(*status.1.lock().unwrap(), 1, "one use noted per call");
    status.0.lock().unwrap().push(issued.jti().to_owned());
    assert!(engine.call(Operation::Pseudonymise, issued.token(), &["a"], BatchMode::Strict, now()).is_err());
    let events = sink.0.lock().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].jti.as_deref(), Some(issued.jti()));
    assert_eq!(events[0].items, 2);
    assert_eq!(events[0].error, None);
    assert!(events[1].error.is_some());
    assert!(!format!("{events:?}").contains("\"a\""));
}

#[test]
fn large_batches_with_bad_items_in_every_mode() {
    let f = Fixture::new();
    let mut values: Vec<String> = (0..5000).map(|i| format!("v{i}")).collect();
    values[0] = String::new();
    values[2500] = "x".repeat(2000);
    values[4999] = String::new();
    for c in all_configs() {
        let t = f.issue(TokenKind::Pseudonymise, "P1", c);
        let out = f.engine.call(Operation::Pseudonymise, &t, &values, BatchMode::PerItem, now()).unwrap();
        assert_eq!(out.len(), 5000);
        let codes: Vec<_> = out.failures().iter().map(|x| (x.index, x.code)).collect();
        assert_eq!(
            codes,
            [(0, ItemCode::EmptyValue), (2500, ItemCode::TooLong), (4999, ItemCode::EmptyValue)],
            "{c:?}"
        );
        assert_eq!(out.get(0), Some(Err(ItemCode::EmptyValue)));
        let small = f.engine.call(Operation::Pseudonymise, &t, &values[1..3], BatchMode::PerItem, now()).unwrap();
        let p1 = out.get(1).unwrap().unwrap();
        assert!(is_canonical(p1, c.format));
        if c.treatment == Treatment::Same {
            assert_eq!(Some(Ok(p1)), small.get(0), "{c:?}: the in-place path matches the sequential one");
        } else {
            assert_eq!(p1.len(), small.get(0).unwrap().unwrap().len());
        }
        if c.method == Method::Reversible {
            let r = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", c);
            let ok: Vec<String> = out.to_options().into_iter().flatten().collect();
            let back = f.rev(&r, &ok).unwrap();
            let expected: Vec<&String> =
                values.iter().enumerate().filter(|(i, _)| ![0, 2500, 4999].contains(i)).map(|(_, v)| v).collect();
            assert_eq!(back.iter().collect::<Vec<_>>(), expected);
        }
    }
}

#[test]
fn every_token_stops_at_retention_end_without_leeway() {
    let f = Fixture::new();
    let mut c = rev_same();
    c.retention_end = Timestamp::from_unix(now_s() + 100);
    let psn = f.issue(TokenKind::Pseudonymise, "P1", c);
    assert!(f.run_at(Operation::Pseudonymise, &psn, &["v"], Timestamp::from_unix(now_s() + 99)).is_ok());
    let at_end = Timestamp::from_unix(now_s() + 100);
    assert_eq!(kind_of(f.run_at(Operation::Pseudonymise, &psn, &["v"], at_end)), ErrorKind::RetentionEnded);
    // A secondary token stops at its source's retention end.
    let src = source("P1", org(1), &c);
    let l1 = f.psn(&psn, &["v"]).unwrap();
    let sec = f.issue(TokenKind::Secondary(src), "P2", rev_same());
    assert!(f.run_at(Operation::Pseudonymise, &sec, &[l1[0].as_str()], Timestamp::from_unix(now_s() + 99)).is_ok());
    assert_eq!(kind_of(f.run_at(Operation::Pseudonymise, &sec, &[l1[0].as_str()], at_end)), ErrorKind::RetentionEnded);
}

#[test]
fn a_wrong_clock_cannot_shred_the_keys() {
    let f = Fixture::new();
    let c = rev_same();
    let psn = f.issue(TokenKind::Pseudonymise, "P1", c);
    let before = f.engine.export_keyring().unwrap();
    // Milliseconds passed as seconds: the call is refused (the token has expired) and the chain
    // does not move past the system clock.
    let millis = Timestamp::from_unix(now_s() * 1000);
    assert!(f.run_at(Operation::Pseudonymise, &psn, &["v"], millis).is_err());
    assert_eq!(f.engine.export_keyring().unwrap(), before);
    // An explicit advance moves at most MAX_ADVANCE_AHEAD_DAYS past today.
    assert!(f.engine.advance_keys(millis));
    let ring = Keyring::from_bytes(&f.engine.export_keyring().unwrap()).unwrap();
    assert_eq!(ring.chain_day(), Timestamp::now().day() + MAX_ADVANCE_AHEAD_DAYS);
    assert!(f.psn(&psn, &["v"]).is_ok(), "a project a year from its retention end keeps its keys");
}

#[test]
fn transform_at_rechecks_the_clock() {
    let f = Fixture::new();
    let psn = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let g = f.engine.verify_at(&psn, Operation::Pseudonymise, now()).unwrap();
    assert!(f.engine.transform_at(&g, &["v"], BatchMode::Strict, now()).is_ok());
    let later = Timestamp::from_unix(now_s() + 7200);
    assert_eq!(kind_of(f.engine.transform_at(&g, &["v"], BatchMode::Strict, later)), ErrorKind::Expired);
}
