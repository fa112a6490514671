//! One test per rule of the token verifier (and the attacks of RFC 8725).
mod common;

use common::*;
use data_encoding::BASE64URL_NOPAD;
use pseudo_core::*;
use serde_json::json;

#[test]
fn a_forged_token_with_valid_claims_verifies() {
    // The forger itself must produce acceptable tokens, or every attack test below proves nothing.
    let f = Fixture::new();
    let g = f.verify(&f.forge(&f.header(), &f.claims())).unwrap();
    assert_eq!(g.project().as_str(), "P1");
    assert_eq!(g.token_type(), TokenType::Psn);
    assert_eq!(g.level(), 1);
}

#[test]
fn malformed_tokens() {
    let f = Fixture::new();
    for t in ["", "abc", "a.b", "a.b.c.d", "..", "!!!.e30.sig", "e30..sig"] {
        assert_eq!(kind_of(f.verify(t)), ErrorKind::MalformedToken, "{t:?}");
    }
    // Header that is not JSON.
    let t = format!("{}.e30.AAAA", BASE64URL_NOPAD.encode(b"not json"));
    assert_eq!(kind_of(f.verify(&t)), ErrorKind::MalformedToken);
}

#[test]
fn alg_none_and_other_algorithms_are_refused() {
    let f = Fixture::new();
    for alg in ["none", "None", "HS256", "RS256", "ES256", "EdDSA ", "eddsa"] {
        let mut h = f.header();
        h["alg"] = json!(alg);
        let t = f.forge(&h, &f.claims());
        assert_eq!(kind_of(f.verify(&t)), ErrorKind::UnsupportedAlgorithm, "{alg}");
    }
    // alg none with an empty signature.
    let mut h = f.header();
    h["alg"] = json!("none");
    let t = format!(
        "{}.{}.",
        BASE64URL_NOPAD.encode(h.to_string().as_bytes()),
        BASE64URL_NOPAD.encode(f.claims().to_string().as_bytes())
    );
    assert!(matches!(kind_of(f.verify(&t)), ErrorKind::MalformedToken | ErrorKind::UnsupportedAlgorithm));
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let f = Fixture::new();
    let public = f.authority.verifying_key().as_bytes().to_vec();
    let mut h = f.header();
    h["alg"] = json!("HS256");
    let msg = format!(
        "{}.{}",
        BASE64URL_NOPAD.encode(h.to_string().as_bytes()),
        BASE64URL_NOPAD.encode(f.claims().to_string().as_bytes())
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &public);
    let sig = ring::hmac::sign(&key, msg.as_bytes());
    let t = format!("{msg}.{}", BASE64URL_NOPAD.encode(sig.as_ref()));
    assert_eq!(kind_of(f.verify(&t)), ErrorKind::UnsupportedAlgorithm);
}

#[test]
fn unknown_kid_and_kid_injection() {
    let f = Fixture::new();
    for kid in ["other", "../../etc/passwd", "' OR 1=1 --", ""] {
        let mut h = f.header();
        h["kid"] = json!(kid);
        assert_eq!(kind_of(f.verify(&f.forge(&h, &f.claims()))), ErrorKind::UnknownKey, "{kid:?}");
    }
}

#[test]
fn wrong_or_missing_typ() {
    let f = Fixture::new();
    for typ in ["JWT", "pseudo-xyz+jwt", "at+jwt"] {
        let mut h = f.header();
        h["typ"] = json!(typ);
        assert_eq!(kind_of(f.verify(&f.forge(&h, &f.claims()))), ErrorKind::WrongTokenType, "{typ}");
    }
    // typ says rev, claims say psn.
    let mut h = f.header();
    h["typ"] = json!("pseudo-rev+jwt");
    assert_eq!(
        kind_of(f.engine.verify_at(&f.forge(&h, &f.claims()), Operation::Reverse, now())),
        ErrorKind::WrongTokenType
    );
    // No typ at all.
    let h = json!({"alg": "EdDSA", "kid": f.kid});
    assert_eq!(kind_of(f.verify(&f.forge(&h, &f.claims()))), ErrorKind::MalformedToken);
}

#[test]
fn extra_header_members_crit_and_duplicates_are_refused() {
    let f = Fixture::new();
    for extra in [json!({"crit": ["exp"]}), json!({"jku": "https://evil"}), json!({"jwk": {}}), json!({"x5u": "x"})] {
        let mut h = f.header();
        for (k, v) in extra.as_object().unwrap() {
            h[k] = v.clone();
        }
        assert_eq!(kind_of(f.verify(&f.forge(&h, &f.claims()))), ErrorKind::MalformedToken, "{extra}");
    }
    let dup = format!(r#"{{"alg":"EdDSA","typ":"pseudo-psn+jwt","kid":"{}","kid":"{}"}}"#, f.kid, f.kid);
    assert_eq!(kind_of(f.verify(&f.forge_raw(&dup, &f.claims().to_string()))), ErrorKind::MalformedToken);
}

#[test]
fn duplicate_or_unknown_claims_are_refused() {
    let f = Fixture::new();
    let text = f.claims().to_string();
    let dup = text.replacen("\"sub\":\"alice\"", "\"sub\":\"alice\",\"sub\":\"mallory\"", 1);
    assert_ne!(dup, text);
    assert_eq!(kind_of(f.verify(&f.forge_raw(&f.header().to_string(), &dup))), ErrorKind::InvalidClaims);
    let mut c = f.claims();
    c["admin"] = json!(true);
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims);
}

#[test]
fn tampered_payload_or_signature() {
    let f = Fixture::new();
    let t = f.forge(&f.header(), &f.claims());
    let parts: Vec<&str> = t.split('.').collect();
    let mut c = f.claims();
    c["prj"] = json!("P2");
    let swapped = format!("{}.{}.{}", parts[0], BASE64URL_NOPAD.encode(c.to_string().as_bytes()), parts[2]);
    assert_eq!(kind_of(f.verify(&swapped)), ErrorKind::InvalidSignature);
    let mut sig = BASE64URL_NOPAD.decode(parts[2].as_bytes()).unwrap();
    sig[10] ^= 1;
    let flipped = format!("{}.{}.{}", parts[0], parts[1], BASE64URL_NOPAD.encode(&sig));
    assert_eq!(kind_of(f.verify(&flipped)), ErrorKind::InvalidSignature);
    // A token signed by another key under the same kid.
    let other = Fixture::new();
    let mut h = other.header();
    h["kid"] = json!(f.kid);
    assert_eq!(kind_of(f.verify(&other.forge(&h, &f.claims()))), ErrorKind::InvalidSignature);
}

#[test]
fn expiry_and_not_before_with_leeway() {
    let f = Fixture::new();
    let t = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let at = |s| f.engine.verify_at(&t, Operation::Pseudonymise, Timestamp::from_unix(s));
    assert!(at(now_s() + 3600 + 29).is_ok(), "within the 30 s leeway");
    assert_eq!(kind_of(at(now_s() + 3600 + 30)), ErrorKind::Expired);
    assert!(at(now_s() - 29).is_ok());
    assert_eq!(kind_of(at(now_s() - 31)), ErrorKind::NotYetValid);
}

#[test]
fn wrong_issuer_and_audience() {
    let f = Fixture::new();
    let mut c = f.claims();
    c["iss"] = json!("https://evil.example");
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::WrongIssuer);
    let mut c = f.claims();
    c["aud"] = json!("other-engine");
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::WrongAudience);
    let mut c = f.claims();
    c["aud"] = json!([AUDIENCE]);
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims);
}

#[test]
fn missing_or_mistyped_claims() {
    let f = Fixture::new();
    for field in ["iss", "aud", "sub", "jti", "iat", "nbf", "exp", "tt", "prj", "org", "req", "cfg"] {
        let mut c = f.claims();
        c.as_object_mut().unwrap().remove(field);
        assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims, "missing {field}");
    }
    let bad_values = [
        ("exp", json!("tomorrow")),
        ("iat", json!(-1.5)),
        ("iat", json!(1.5e9)),
        ("exp", json!(1e300)),
        ("org", json!("not-a-uuid")),
        ("prj", json!("")),
        ("prj", json!("has space")),
        ("jti", json!("")),
        ("cfg", json!({"rev": "yes", "ret": 1, "trt": "same", "fmt": "hex"})),
        ("cfg", json!({"rev": true, "ret": now_s() + 99, "trt": "sometimes", "fmt": "hex"})),
        ("cfg", json!({"rev": true, "ret": now_s() + 99, "trt": "same", "fmt": "base58"})),
    ];
    for (field, v) in bad_values {
        let mut c = f.claims();
        c[field] = v.clone();
        assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims, "{field}={v}");
    }
}

#[test]
fn huge_exp_and_out_of_order_times() {
    let f = Fixture::new();
    let mut c = f.claims();
    c["exp"] = json!(i64::MAX);
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims, "past retention end");
    let mut c = f.claims();
    c["exp"] = json!(now_s() - 10);
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims, "exp before iat");
    let mut c = f.claims();
    c["iat"] = json!(now_s() + 100);
    c["nbf"] = json!(now_s() + 100);
    c["exp"] = json!(now_s() + 200);
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::NotYetValid);
}

#[test]
fn negative_iat_and_nested_or_deep_json() {
    let f = Fixture::new();
    let mut c = f.claims();
    c["iat"] = json!(-5);
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims);
    let mut c = f.claims();
    c["sub"] = json!({"nested": {"deeper": ["alice"]}});
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims);
    let deep = format!("{}1{}", "[".repeat(2000), "]".repeat(2000));
    let text = f.claims().to_string().replacen("\"alice\"", &deep, 1);
    assert_eq!(kind_of(f.verify(&f.forge_raw(&f.header().to_string(), &text))), ErrorKind::InvalidClaims);
    let deep_header =
        format!(r#"{{"alg":"EdDSA","typ":"pseudo-psn+jwt","kid":{}"x"{}}}"#, "[".repeat(500), "]".repeat(500));
    assert_eq!(kind_of(f.verify(&f.forge_raw(&deep_header, &f.claims().to_string()))), ErrorKind::MalformedToken);
}

#[test]
fn retention_ends_beyond_200_years_are_refused() {
    let f = Fixture::new();
    let mut c = f.claims();
    c["cfg"]["ret"] = json!(i64::MAX);
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims);
    let mut far = rev_same();
    far.retention_end = Timestamp::from_unix(i64::MAX);
    let r = f.authority.issue_at(&request(TokenKind::Pseudonymise, "P1", far), now());
    assert_eq!(kind_of(r), ErrorKind::InvalidInput);
}

#[test]
fn unknown_token_type() {
    let f = Fixture::new();
    let mut c = f.claims();
    c["tt"] = json!("admin");
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims);
}

#[test]
fn rev_token_rules() {
    let f = Fixture::new();
    let mut h = f.header();
    h["typ"] = json!("pseudo-rev+jwt");
    let rev = |c: &serde_json::Value| f.engine.verify_at(&f.forge(&h, c), Operation::Reverse, now());
    let mut c = f.claims();
    c["tt"] = json!("rev");
    c["lvl"] = json!(1);
    assert!(rev(&c).is_ok());
    // Not reversible project.
    let mut c2 = c.clone();
    c2["cfg"]["rev"] = json!(false);
    assert_eq!(kind_of(rev(&c2)), ErrorKind::InvalidClaims);
    // Missing or bad level.
    for lvl in [json!(null), json!(0), json!(3), json!("1")] {
        let mut c3 = c.clone();
        c3["lvl"] = lvl.clone();
        if lvl.is_null() {
            c3.as_object_mut().unwrap().remove("lvl");
        }
        assert_eq!(kind_of(rev(&c3)), ErrorKind::InvalidClaims, "lvl {lvl}");
    }
    // Level 2 without a source.
    let mut c4 = c.clone();
    c4["lvl"] = json!(2);
    assert_eq!(kind_of(rev(&c4)), ErrorKind::InvalidClaims);
    // After retention: the token can still be inside its exp, retention is checked without leeway.
    let mut c5 = c.clone();
    c5["cfg"]["ret"] = json!(now_s() + 100);
    c5["exp"] = json!(now_s() + 100);
    let t = f.forge(&h, &c5);
    assert!(f.engine.verify_at(&t, Operation::Reverse, Timestamp::from_unix(now_s() + 99)).is_ok());
    assert_eq!(
        kind_of(f.engine.verify_at(&t, Operation::Reverse, Timestamp::from_unix(now_s() + 100))),
        ErrorKind::RetentionEnded
    );
}

#[test]
fn sec_token_without_source_and_psn_with_extras() {
    let f = Fixture::new();
    let mut h = f.header();
    h["typ"] = json!("pseudo-sec+jwt");
    let mut c = f.claims();
    c["tt"] = json!("sec");
    assert_eq!(kind_of(f.verify(&f.forge(&h, &c))), ErrorKind::InvalidClaims);
    let mut c = f.claims();
    c["lvl"] = json!(1);
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims);
}

#[test]
fn token_on_the_wrong_endpoint() {
    let f = Fixture::new();
    let psn = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let rev = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", rev_same());
    let sec = f.issue(TokenKind::Secondary(source("P0", org(9), &rev_same())), "P1", rev_same());
    assert_eq!(kind_of(f.engine.verify_at(&psn, Operation::Reverse, now())), ErrorKind::WrongOperation);
    assert_eq!(kind_of(f.engine.verify_at(&sec, Operation::Reverse, now())), ErrorKind::WrongOperation);
    assert_eq!(kind_of(f.engine.verify_at(&rev, Operation::Pseudonymise, now())), ErrorKind::WrongOperation);
}

#[test]
fn oversized_token() {
    let f = Fixture::new();
    let mut c = f.claims();
    c["sub"] = json!("x".repeat(10_000));
    assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::TokenTooLarge);
}

#[test]
fn error_messages_hold_no_token_text() {
    let f = Fixture::new();
    let t = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let e = f.engine.verify_at(&t, Operation::Reverse, now()).unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(&t[..20]) && !shown.contains(t.split('.').nth(2).unwrap()));
}

#[test]
fn authority_refusals() {
    let f = Fixture::new();
    let nrev = cfg(Method::NotReversible, Treatment::Same, OutputFormat::Hex);
    let r = f.authority.issue_at(&request(TokenKind::Reverse(ReverseLevel::Level1), "P1", nrev), now());
    assert_eq!(kind_of(r), ErrorKind::IssueRefused);
    let mut ended = rev_same();
    ended.retention_end = Timestamp::from_unix(now_s() - 1);
    let r = f.authority.issue_at(&request(TokenKind::Reverse(ReverseLevel::Level1), "P1", ended), now());
    assert_eq!(kind_of(r), ErrorKind::IssueRefused);
    let r = f
        .authority
        .issue_at(&request(TokenKind::Secondary(source("P1", org(1), &rev_same())), "P1", rev_same()), now());
    assert_eq!(kind_of(r), ErrorKind::IssueRefused, "source = own project");
    // exp is capped at retention end.
    let mut short = rev_same();
    short.retention_end = Timestamp::from_unix(now_s() + 60);
    let t = f.authority.issue_at(&request(TokenKind::Pseudonymise, "P1", short), now()).unwrap();
    assert_eq!(t.expires_at().unix(), now_s() + 60);
    assert!(!format!("{t:?}").contains(t.token()));
}

#[test]
fn keys_round_trip_and_hide_secrets() {
    let sk = SigningKey::generate().unwrap();
    let pem = sk.to_pem();
    let back = SigningKey::from_pem(&pem).unwrap();
    assert_eq!(back.kid(), sk.kid());
    assert!(!format!("{sk:?}").contains(&pem[30..60]));
    let vk = sk.verifying_key();
    assert_eq!(&VerifyingKey::from_pem(&vk.to_pem()).unwrap(), vk);
    assert_eq!(&VerifyingKey::from_jwk(&vk.to_jwk()).unwrap(), vk);
    assert_eq!(
        kind_of(VerifyingKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")),
        ErrorKind::InvalidKey
    );
    assert_eq!(kind_of(SigningKey::from_pem("garbage")), ErrorKind::InvalidKey);

    let mk = MasterKey::generate(3).unwrap();
    let hex = mk.to_hex();
    assert!(!format!("{mk:?}").contains(&hex[20..40]));
    let back = MasterKey::from_hex(&hex).unwrap();
    assert_eq!(back.to_bytes(), mk.to_bytes());
    assert_eq!(MasterKey::from_base64(&mk.to_base64()).unwrap().to_bytes(), mk.to_bytes());
    assert_eq!(MasterKey::from_any(hex.as_bytes()).unwrap().version(), 3);
    assert_eq!(kind_of(MasterKey::from_parts(1, &[0u8; 31], 0, &[0u8; 32])), ErrorKind::InvalidKey);
    assert_eq!(kind_of(MasterKey::from_parts(0, &[0u8; 32], 0, &[0u8; 32])), ErrorKind::InvalidKey);
    assert_eq!(kind_of(MasterKey::from_parts(1, &[0u8; 32], i64::MIN, &[0u8; 32])), ErrorKind::InvalidKey);
    let mut bytes = mk.to_bytes().to_vec();
    bytes.pop();
    assert_eq!(kind_of(MasterKey::from_bytes(&bytes)), ErrorKind::InvalidKey);

    let mut ring = Keyring::new(MasterKey::generate(1).unwrap());
    ring.add(MasterKey::generate(2).unwrap()).unwrap();
    assert_eq!(kind_of(ring.add(MasterKey::generate(2).unwrap())), ErrorKind::InvalidInput);
    ring.set_primary(2).unwrap();
    let back = Keyring::from_bytes(&ring.to_bytes()).unwrap();
    assert_eq!(back.versions(), [1, 2]);
    assert_eq!(back.primary_version(), 2);
    assert_eq!(kind_of(back_set_primary(back)), ErrorKind::InvalidKey);
}

fn back_set_primary(mut ring: Keyring) -> Result<()> {
    ring.set_primary(7)
}

// ---- issue 9: the outside security review -------------------------------------------------

fn hex32(s: &str) -> [u8; 32] {
    data_encoding::HEXLOWER.decode(s.as_bytes()).unwrap().try_into().unwrap()
}

/// The eight points of small order (with both sign bits where they differ), as an attacker would
/// publish them as "public keys".
const SMALL_ORDER: &[&str] = &[
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
];

#[test]
fn weak_verifying_keys_are_refused_at_every_import_path() {
    for hex in SMALL_ORDER {
        let raw = hex32(hex);
        assert_eq!(kind_of(VerifyingKey::from_bytes(&raw)), ErrorKind::InvalidKey, "{hex}");
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": BASE64URL_NOPAD.encode(&raw)}).to_string();
        assert_eq!(kind_of(VerifyingKey::from_jwk(&jwk)), ErrorKind::InvalidKey, "{hex}");
        // PEM: the SPKI of a real key with the weak point put in.
        let good = SigningKey::generate().unwrap().verifying_key().to_pem();
        let der = pem_der(&good);
        let mut bad = der[..der.len() - 32].to_vec();
        bad.extend_from_slice(&raw);
        let pem =
            format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", data_encoding::BASE64.encode(&bad));
        assert_eq!(kind_of(VerifyingKey::from_pem(&pem)), ErrorKind::InvalidKey, "{hex}");
    }
    // The same import paths accept a real key.
    let vk = SigningKey::generate().unwrap().verifying_key().clone();
    assert_eq!(VerifyingKey::from_bytes(vk.as_bytes()).unwrap(), vk);
    assert_eq!(VerifyingKey::from_pem(&vk.to_pem()).unwrap(), vk);
    assert_eq!(VerifyingKey::from_jwk(&vk.to_jwk()).unwrap(), vk);
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    data_encoding::BASE64.decode(body.as_bytes()).unwrap()
}

#[test]
fn non_canonical_key_encodings_are_refused() {
    // y = p + k for k in 0..19 is the non-canonical encoding of y = k. Whatever the point, the
    // non-canonical form is refused; at least one k is a real, strong point, so the canonical
    // check (not only the weak-point check) is what refuses it.
    let mut strong_points = 0;
    for k in 0u8..19 {
        let mut canonical = [0u8; 32];
        canonical[0] = k;
        let mut non_canonical = hex32("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        let (sum, _) = non_canonical[0].overflowing_add(k);
        non_canonical[0] = sum; // 0xed + k ≤ 0xff: no carry for k < 19
        if VerifyingKey::from_bytes(&canonical).is_ok() {
            strong_points += 1;
        }
        assert_eq!(kind_of(VerifyingKey::from_bytes(&non_canonical)), ErrorKind::InvalidKey, "k = {k}");
    }
    assert!(strong_points > 0, "no strong point among y = 0..18: the test proves nothing");
}

#[test]
fn jwk_use_key_ops_and_private_members() {
    let vk = SigningKey::generate().unwrap().verifying_key().clone();
    let x = BASE64URL_NOPAD.encode(vk.as_bytes());
    let jwk = |extra: serde_json::Value| {
        let mut j = json!({"kty": "OKP", "crv": "Ed25519", "x": x});
        for (k, v) in extra.as_object().unwrap() {
            j[k] = v.clone();
        }
        VerifyingKey::from_jwk(&j.to_string())
    };
    assert!(jwk(json!({"use": "sig"})).is_ok());
    assert!(jwk(json!({"key_ops": ["verify"]})).is_ok());
    assert_eq!(kind_of(jwk(json!({"use": "enc"}))), ErrorKind::InvalidKey);
    assert_eq!(kind_of(jwk(json!({"key_ops": ["sign"]}))), ErrorKind::InvalidKey);
    assert_eq!(kind_of(jwk(json!({"key_ops": []}))), ErrorKind::InvalidKey);
    assert_eq!(kind_of(jwk(json!({"use": null}))), ErrorKind::InvalidKey);
    assert_eq!(kind_of(jwk(json!({"d": "AAAA"}))), ErrorKind::InvalidKey);
}

#[test]
fn malleated_signatures_are_refused() {
    // S + L (the group order) verifies under a lax check; verify_strict semantics refuse it.
    let f = Fixture::new();
    let token = f.forge(&f.header(), &f.claims());
    f.verify(&token).unwrap();
    let (msg, sig) = token.rsplit_once('.').unwrap();
    let mut sig = BASE64URL_NOPAD.decode(sig.as_bytes()).unwrap();
    let l = hex32("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(sig[32 + i]) + u16::from(l[i]) + carry;
        sig[32 + i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    let malleated = format!("{msg}.{}", BASE64URL_NOPAD.encode(&sig));
    assert_eq!(kind_of(f.engine.verify_at(&malleated, Operation::Pseudonymise, now())), ErrorKind::InvalidSignature);
    // R replaced by the identity point with S = 0: the trivial signature of a weak key.
    let trivial = format!("{msg}.{}", BASE64URL_NOPAD.encode(&[&hex32(SMALL_ORDER[0])[..], &[0u8; 32]].concat()));
    assert_eq!(kind_of(f.engine.verify_at(&trivial, Operation::Pseudonymise, now())), ErrorKind::InvalidSignature);
}

#[test]
fn null_is_not_an_absent_claim() {
    let f = Fixture::new();
    for (claim, typ, tt) in [("lvl", "pseudo-psn+jwt", "psn"), ("src", "pseudo-psn+jwt", "psn")] {
        let mut h = f.header();
        h["typ"] = json!(typ);
        let mut c = f.claims();
        c["tt"] = json!(tt);
        c[claim] = serde_json::Value::Null;
        assert_eq!(kind_of(f.verify(&f.forge(&h, &c))), ErrorKind::InvalidClaims, "{claim}: null on {tt}");
    }
    // sec with "lvl": null, rev level 1 with "src": null.
    let src = json!({"prj": "P0", "org": org(9).to_string(), "rev": true, "ret": now_s() + 365 * DAY, "fmt": "base64url", "kv": 1});
    let mut h = f.header();
    h["typ"] = json!("pseudo-sec+jwt");
    let mut c = f.claims();
    c["tt"] = json!("sec");
    c["src"] = src.clone();
    f.verify(&f.forge(&h, &c)).unwrap();
    c["lvl"] = serde_json::Value::Null;
    assert_eq!(kind_of(f.verify(&f.forge(&h, &c))), ErrorKind::InvalidClaims);
    let mut h = f.header();
    h["typ"] = json!("pseudo-rev+jwt");
    let mut c = f.claims();
    c["tt"] = json!("rev");
    c["lvl"] = json!(1);
    let rev = |c: &serde_json::Value| f.engine.verify_at(&f.forge(&h, c), Operation::Reverse, now());
    rev(&c).unwrap();
    c["src"] = serde_json::Value::Null;
    assert_eq!(kind_of(rev(&c)), ErrorKind::InvalidClaims);
}

#[test]
fn the_key_version_claim_is_required_and_strictly_typed() {
    let f = Fixture::new();
    let detail = |r: Result<Grant>| r.map(|_| ()).map_err(|e| (e.kind(), e.detail().map(str::to_owned)));
    // Absent: a precise sub-code (a token from before key versions).
    let mut c = f.claims();
    c.as_object_mut().unwrap().remove("kv");
    assert_eq!(
        detail(f.verify(&f.forge(&f.header(), &c))),
        Err((ErrorKind::InvalidClaims, Some("no_key_version".into())))
    );
    // null, 0, a string, a fraction, a negative number, past u16: invalid claims.
    for bad in [json!(null), json!(0), json!("1"), json!(1.5), json!(-1), json!(65536)] {
        let mut c = f.claims();
        c["kv"] = bad.clone();
        assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims, "kv = {bad}");
    }
    // A sec token's source must name its version too.
    let mut h = f.header();
    h["typ"] = json!("pseudo-sec+jwt");
    let mut c = f.claims();
    c["tt"] = json!("sec");
    c["src"] =
        json!({"prj": "P0", "org": org(9).to_string(), "rev": true, "ret": now_s() + 365 * DAY, "fmt": "base64url"});
    assert_eq!(detail(f.verify(&f.forge(&h, &c))), Err((ErrorKind::InvalidClaims, Some("no_key_version".into()))));
    c["src"]["kv"] = json!(null);
    assert_eq!(kind_of(f.verify(&f.forge(&h, &c))), ErrorKind::InvalidClaims);
    c["src"]["kv"] = json!(1);
    let g = f.verify(&f.forge(&h, &c)).unwrap();
    assert_eq!((g.key_version(), g.source().unwrap().key_version), (1, Some(1)));
}

#[test]
fn uuid_claims_take_only_the_canonical_form() {
    let f = Fixture::new();
    let u = org(0xab).to_string();
    for form in [u.to_uppercase(), u.replace('-', ""), format!("{{{u}}}"), format!("urn:uuid:{u}"), format!(" {u}")] {
        let mut c = f.claims();
        c["org"] = json!(form);
        assert_eq!(kind_of(f.verify(&f.forge(&f.header(), &c))), ErrorKind::InvalidClaims, "{form}");
    }
    let mut c = f.claims();
    c["org"] = json!(u);
    assert_eq!(f.verify(&f.forge(&f.header(), &c)).unwrap().organisation(), &org(0xab));
    assert_eq!(parse_canonical_uuid(&u), Some(org(0xab)));
    assert_eq!(parse_canonical_uuid(&u.to_uppercase()), None);
}

#[test]
fn absurd_clocks_are_invalid_input_not_panics() {
    let f = Fixture::new();
    let t = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    for at in [i64::MAX, i64::MIN, -1, (MAX_CLOCK_DAY + 1) * DAY] {
        let at = Timestamp::from_unix(at);
        assert_eq!(kind_of(f.engine.verify_at(&t, Operation::Pseudonymise, at)), ErrorKind::InvalidInput);
        assert_eq!(kind_of(f.run_at(Operation::Pseudonymise, &t, &["v"], at)), ErrorKind::InvalidInput);
        assert_eq!(
            kind_of(f.authority.issue_at(&request(TokenKind::Pseudonymise, "P1", rev_same()), at)),
            ErrorKind::InvalidInput
        );
        assert_eq!(kind_of(MasterKey::generate_at(1, at)), ErrorKind::InvalidInput);
    }
    // Key generation and reading a key back agree on the last day.
    let last = MasterKey::generate_at(1, Timestamp::from_unix(MAX_CLOCK_DAY * DAY)).unwrap();
    assert_eq!(MasterKey::from_bytes(&last.to_bytes()).unwrap().chain_day(), MAX_CLOCK_DAY);
}

#[test]
fn the_leeway_is_bounded() {
    let mut o = EngineOptions::new(ISSUER, AUDIENCE);
    o.validation.leeway = MAX_LEEWAY + std::time::Duration::from_secs(1);
    let ring = Keyring::new(MasterKey::generate(1).unwrap());
    let vk = SigningKey::generate().unwrap().verifying_key().clone();
    assert_eq!(kind_of(Engine::new(ring, std::slice::from_ref(&vk), o.clone())), ErrorKind::InvalidInput);
    o.validation.leeway = MAX_LEEWAY;
    Engine::new(Keyring::new(MasterKey::generate(1).unwrap()), &[vk], o).unwrap();
}

#[test]
fn zero_limits_are_refused_in_the_core() {
    let vk = SigningKey::generate().unwrap().verifying_key().clone();
    for zero in 0..4 {
        let mut o = EngineOptions::new(ISSUER, AUDIENCE);
        match zero {
            0 => o.limits.max_items = 0,
            1 => o.limits.max_body_bytes = 0,
            2 => o.limits.max_item_bytes = 0,
            _ => o.validation.max_token_bytes = 0,
        }
        let ring = Keyring::new(MasterKey::generate(1).unwrap());
        assert_eq!(kind_of(Engine::new(ring, std::slice::from_ref(&vk), o)), ErrorKind::InvalidInput, "limit {zero}");
    }
}

#[test]
fn tokens_are_trimmed_and_a_bearer_prefix_gets_a_hint() {
    let f = Fixture::new();
    let t = f.issue(TokenKind::Pseudonymise, "P1", rev_same());
    let plain = f.psn(&t, &["v"]).unwrap();
    for padded in [format!("{t}\n"), format!("  {t}\r\n"), format!("\t{t} ")] {
        assert_eq!(f.psn(&padded, &["v"]).unwrap(), plain);
    }
    for prefixed in [format!("Bearer {t}"), format!("bearer {t}\n")] {
        let e = f.psn(&prefixed, &["v"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MalformedToken);
        assert!(e.to_string().contains("drop the 'Bearer ' prefix"), "{e}");
    }
}
