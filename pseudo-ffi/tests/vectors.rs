//! The shared test vectors (`pseudo-core/tests/vectors/vectors.json`) through the C ABI: the
//! keyring from hex, the verifying key from JWK, then every case as one `pseudo_engine_call`
//! whose every output must equal the vector's.

use std::ffi::{c_char, CString};
use std::ptr;

use pseudo::*;

fn ok(s: pseudo_status, what: &str) {
    if s != pseudo_status::PSEUDO_OK {
        let mut buf = vec![0u8; 512];
        let mut n = 0usize;
        // SAFETY: buf is writable for its length; n is writable.
        let _ = unsafe { pseudo_last_error_message(buf.as_mut_ptr().cast(), buf.len(), &mut n) };
        panic!("{what}: {s:?}: {}", String::from_utf8_lossy(&buf[..n]));
    }
}

#[test]
fn every_vector_case_matches_through_the_c_abi() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../pseudo-core/tests/vectors/vectors.json");
    let text = std::fs::read_to_string(path).expect("the shared vectors file exists");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("vectors.json: {k}")).to_owned();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;

    let hex = s("keyring_hex");
    let jwk = CString::new(s("verifying_key_jwk")).unwrap();
    let issuer = CString::new(s("issuer")).unwrap();
    let audience = CString::new(s("audience")).unwrap();
    let mut ring = ptr::null_mut();
    let mut vk = ptr::null_mut();
    let mut engine = ptr::null_mut();
    let mut opts = std::mem::MaybeUninit::<pseudo_engine_options>::uninit();
    // SAFETY: every pointer is valid for the call; handles are freed once below.
    unsafe {
        ok(pseudo_keyring_from_bytes(hex.as_ptr(), hex.len(), &mut ring), "keyring");
        ok(pseudo_verifying_key_from_jwk(jwk.as_ptr(), &mut vk), "verifying key");
        ok(pseudo_engine_options_init(opts.as_mut_ptr()), "options");
    }
    // SAFETY: initialised by pseudo_engine_options_init above.
    let mut opts = unsafe { opts.assume_init() };
    opts.issuer = issuer.as_ptr();
    opts.audience = audience.as_ptr();
    let keys = [vk.cast_const()];
    // SAFETY: as above.
    unsafe { ok(pseudo_engine_new(ring, keys.as_ptr(), 1, &opts, &mut engine), "engine") };

    let cases = v["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    let mut checked = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let op = match case["operation"].as_str().unwrap() {
            "pseudonymise" => PSEUDO_OPERATION_PSEUDONYMISE,
            "reverse" => PSEUDO_OPERATION_REVERSE,
            other => panic!("{name}: unknown operation {other}"),
        };
        let token = CString::new(case["token"].as_str().unwrap()).unwrap();
        let inputs: Vec<&str> = case["inputs"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
        let outputs: Vec<&str> = case["outputs"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
        assert_eq!(inputs.len(), outputs.len(), "{name}");
        let values: Vec<pseudo_str> =
            inputs.iter().map(|s| pseudo_str { ptr: s.as_ptr().cast::<c_char>(), len: s.len() }).collect();
        let mut batch = ptr::null_mut();
        // SAFETY: values point into `inputs`, alive for the call.
        unsafe {
            ok(
                pseudo_engine_call(
                    engine,
                    op,
                    token.as_ptr(),
                    values.as_ptr(),
                    values.len(),
                    PSEUDO_BATCH_STRICT,
                    now,
                    &mut batch,
                ),
                name,
            )
        };
        // SAFETY: batch is a live handle.
        assert_eq!(unsafe { pseudo_batch_len(batch) }, outputs.len(), "{name}");
        for (i, want) in outputs.iter().enumerate() {
            let mut p: *const c_char = ptr::null();
            let mut n = 0usize;
            // SAFETY: batch is live; p and n are writable; the text is read before the free.
            let got = unsafe {
                ok(pseudo_batch_get(batch, i, &mut p, &mut n), name);
                std::str::from_utf8(std::slice::from_raw_parts(p.cast::<u8>(), n)).unwrap().to_owned()
            };
            assert_eq!(&got, want, "{name}: item {i}");
            checked += 1;
        }
        // SAFETY: freed once.
        unsafe { pseudo_batch_free(batch) };
    }
    assert!(checked >= cases.len());
    // SAFETY: each handle freed once.
    unsafe {
        pseudo_engine_free(engine);
        pseudo_verifying_key_free(vk);
        pseudo_keyring_free(ring);
    }
}
