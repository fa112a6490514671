//! The shared vectors (`tests/vectors/vectors.json`) pin the construction: every case must come
//! out of the library byte for byte. Regenerate with `make vectors` only for a deliberate format
//! change (and bump the format version in docs/SPEC.md).
use pseudo_core::*;
use serde_json::Value;

fn load() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/vectors.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn engine(doc: &Value) -> Engine {
    let ring = Keyring::from_any(doc["keyring_hex"].as_str().unwrap().as_bytes()).unwrap();
    let vk = VerifyingKey::from_jwk(doc["verifying_key_jwk"].as_str().unwrap()).unwrap();
    let options = EngineOptions::new(doc["issuer"].as_str().unwrap(), doc["audience"].as_str().unwrap());
    Engine::new(ring, &[vk], options).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

#[test]
fn every_vector_case_is_reproduced() {
    let doc = load();
    let engine = engine(&doc);
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let op = match case["operation"].as_str().unwrap() {
            "pseudonymise" => Operation::Pseudonymise,
            _ => Operation::Reverse,
        };
        let inputs = strings(&case["inputs"]);
        let out = engine
            .call(op, case["token"].as_str().unwrap(), &inputs, BatchMode::Strict, Timestamp::now())
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        assert_eq!(out.into_strings().unwrap(), strings(&case["outputs"]), "{}", case["name"]);
    }
}

#[test]
fn every_rewrap_vector_is_reproduced() {
    let doc = load();
    let engine = engine(&doc);
    let cases = doc["rewrap_cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let out = engine
            .rewrap(case["token"].as_str().unwrap(), &strings(&case["inputs"]))
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        assert_eq!(out, strings(&case["outputs"]), "{}", case["name"]);
    }
}

#[test]
fn vector_tokens_carry_their_key_version() {
    let doc = load();
    for case in doc["cases"].as_array().unwrap().iter().chain(doc["rewrap_cases"].as_array().unwrap()) {
        let payload = case["token"].as_str().unwrap().split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&data_encoding::BASE64URL_NOPAD.decode(payload.as_bytes()).unwrap()).unwrap();
        let kv = claims["kv"].as_u64().unwrap();
        assert!(kv == 1 || kv == 2, "{}", case["name"]);
        if let Some(src) = claims.get("src") {
            assert_eq!(src["kv"].as_u64(), Some(2), "{}", case["name"]);
        }
    }
}

#[test]
fn vector_keys_match_their_parts() {
    let doc = load();
    let sk = SigningKey::from_pem(doc["signing_key_pem"].as_str().unwrap()).unwrap();
    let vk = VerifyingKey::from_jwk(doc["verifying_key_jwk"].as_str().unwrap()).unwrap();
    assert_eq!(sk.verifying_key(), &vk);
    let ring = Keyring::from_any(doc["keyring_hex"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(ring.primary_version(), doc["primary_key_version"].as_u64().unwrap() as u16);
    for m in doc["master_keys"].as_array().unwrap() {
        let hex = |k: &str| data_encoding::HEXLOWER.decode(m[k].as_str().unwrap().as_bytes()).unwrap();
        let chain: [u8; 32] = hex("chain_secret_hex").try_into().unwrap();
        let key = MasterKey::from_parts(
            m["version"].as_u64().unwrap() as u16,
            &hex("static_secret_hex"),
            m["chain_day"].as_i64().unwrap(),
            &chain,
        )
        .unwrap();
        let held = ring.get(key.version()).unwrap();
        assert_eq!(held.to_bytes(), key.to_bytes());
    }
}
