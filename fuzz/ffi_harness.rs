//! The C ABI fuzz harness, shared by the cargo-fuzz target `fuzz/fuzz_targets/ffi_batch.rs` and by
//! the corpus replay test that runs on stable Rust in `cargo test` (`pseudo-ffi/tests/ffi_corpus.rs`).
//!
//! It drives `pseudo_engine_call` exactly as a C caller would: an array of `pseudo_str {ptr, len}`
//! cut from the input (any bytes, invalid UTF-8 and NUL included; optionally a `{NULL, 0}` and a
//! `{NULL, 1}` element), an operation, a batch mode and a token picked by the first byte. The
//! properties: no crash, and statuses consistent with the documented checks (argument errors in
//! their order, token errors for foreign tokens, `PSEUDO_BATCH_FAILED` exactly when an item fails,
//! per-item statuses matching `pseudo_batch_get`, outputs untouched on failure, and every
//! pseudonym reversing to its original).
//!
//! Input layout: byte 0 = control bits, the rest split on `|` into values (none when empty).
//! * bits 0-1: operation: 0 pseudonymise, 1 reverse, 2 pseudonymise, 3 an invalid value;
//! * bits 2-3: mode: 0 strict, 1 and 2 per item, 3 an invalid value;
//! * bits 4-5: token: 0 `psn`, 1 `rev`, 2 the first value's bytes (which are then not a value),
//!   3 the `psn` token with one signature character changed;
//! * bit 6: a `{NULL, 0}` element first (an empty value);
//! * bit 7: a `{NULL, 1}` element last (`PSEUDO_NULL_ARGUMENT` unless something fails before it).
#![allow(dead_code)]

use std::ffi::{c_char, CString};
use std::ptr;
use std::sync::OnceLock;

use pseudo::*;

const ISSUER: &str = "https://portal.example\0";
const AUDIENCE: &str = "pseudo-engine\0";
/// Small, so the fuzzer reaches the item limit.
pub const MAX_ITEMS: usize = 64;
/// The engine's default.
pub const MAX_ITEM_BYTES: usize = 1024;

struct Fixture {
    engine: *mut pseudo_engine,
    psn: CString,
    rev: CString,
    tampered: CString,
    now: i64,
}

// SAFETY: `pseudo_engine` is documented thread-safe for `pseudo_engine_call`; the engine is never
// freed (it lives for the whole process) and the strings are immutable.
unsafe impl Send for Fixture {}
// SAFETY: as above.
unsafe impl Sync for Fixture {}

fn ok(s: pseudo_status) {
    assert_eq!(s, pseudo_status::PSEUDO_OK, "fixture setup failed");
}

fn token_text(t: *const pseudo_token) -> CString {
    let mut p: *const c_char = ptr::null();
    let mut n = 0usize;
    // SAFETY: `t` is a live token; the outputs are valid locals.
    ok(unsafe { pseudo_token_text(t, &mut p, &mut n) });
    // SAFETY: on success `p` points to `n` bytes of NUL-terminated text owned by `t`.
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n) };
    CString::new(bytes).expect("a JWT has no NUL")
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(1_700_000_000);
        let mut sk: *mut pseudo_signing_key = ptr::null_mut();
        let mut vk: *mut pseudo_verifying_key = ptr::null_mut();
        let mut auth: *mut pseudo_authority = ptr::null_mut();
        let mut ring: *mut pseudo_keyring = ptr::null_mut();
        let mut engine: *mut pseudo_engine = ptr::null_mut();
        let mut opts = std::mem::MaybeUninit::<pseudo_engine_options>::uninit();
        // SAFETY: every pointer is a valid local or a handle made just before; strings are
        // NUL-terminated constants.
        let (psn, rev) = unsafe {
            ok(pseudo_signing_key_generate(&mut sk));
            ok(pseudo_signing_key_verifying_key(sk, &mut vk));
            ok(pseudo_authority_new(sk, ISSUER.as_ptr().cast(), AUDIENCE.as_ptr().cast(), &mut auth));
            ok(pseudo_keyring_generate(1, now, &mut ring));
            ok(pseudo_engine_options_init(opts.as_mut_ptr()));
            let mut opts = opts.assume_init();
            opts.issuer = ISSUER.as_ptr().cast();
            opts.audience = AUDIENCE.as_ptr().cast();
            opts.max_items = MAX_ITEMS;
            opts.parallel = false;
            let keys = [vk.cast_const()];
            ok(pseudo_engine_new(ring, keys.as_ptr(), 1, &opts, &mut engine));
            let issue = |kind: pseudo_token_kind| {
                let req = pseudo_token_request {
                    kind,
                    subject: c"fuzz".as_ptr(),
                    organisation: c"00000000-0000-0000-0000-000000000000".as_ptr(),
                    project: c"P1".as_ptr(),
                    request: c"r".as_ptr(),
                    config: pseudo_project_config {
                        method: PSEUDO_METHOD_REVERSIBLE,
                        retention_end: now + 10 * 365 * 86_400,
                        treatment: PSEUDO_TREATMENT_SAME,
                        format: PSEUDO_FORMAT_BASE64URL,
                    },
                    lifetime_seconds: 10 * 365 * 86_400,
                    source: ptr::null(),
                };
                let mut t: *mut pseudo_token = ptr::null_mut();
                ok(pseudo_authority_issue(auth, &req, now, &mut t));
                let text = token_text(t);
                pseudo_token_free(t);
                text
            };
            let psn = issue(PSEUDO_TOKEN_PSEUDONYMISE);
            let rev = issue(PSEUDO_TOKEN_REVERSE_LEVEL1);
            pseudo_authority_free(auth);
            pseudo_keyring_free(ring);
            pseudo_verifying_key_free(vk);
            pseudo_signing_key_free(sk);
            (psn, rev)
        };
        let mut t = psn.as_bytes().to_vec();
        let last = t.len() - 1;
        t[last] = if t[last] == b'A' { b'B' } else { b'A' };
        let tampered = CString::new(t).expect("no NUL");
        Fixture { engine, psn, rev, tampered, now }
    })
}

/// One call as C makes it. Returns the status and the batch (NULL on failure).
fn call(
    op: pseudo_operation,
    token: &CString,
    values: &[pseudo_str],
    mode: pseudo_batch_mode,
) -> (pseudo_status, *mut pseudo_batch) {
    let f = fixture();
    let mut out: *mut pseudo_batch = ptr::null_mut();
    // SAFETY: the engine is live; `token` is NUL-terminated; every element's `ptr` is NULL with
    // `len` 0 or 1 (which the library must check, never read), or points into the caller's input.
    let s = unsafe {
        pseudo_engine_call(f.engine, op, token.as_ptr(), values.as_ptr(), values.len(), mode, f.now, &mut out)
    };
    if s != pseudo_status::PSEUDO_OK {
        assert!(out.is_null(), "an output was written on failure ({s:?})");
        let mut n = 0usize;
        let mut buf = [0u8; 512];
        // SAFETY: `buf` is writable for its length; `n` is a valid local.
        let m = unsafe { pseudo_last_error_message(buf.as_mut_ptr().cast(), buf.len(), &mut n) };
        assert!(m == pseudo_status::PSEUDO_OK && n > 0, "a failure without a message ({s:?})");
    } else {
        assert!(!out.is_null());
    }
    (s, out)
}

/// The items of a batch: `Ok(text)` or `Err(item status)`, checked against each other.
fn items(b: *const pseudo_batch, n: usize) -> Vec<Result<Vec<u8>, pseudo_item_status>> {
    // SAFETY: `b` is a live batch.
    assert_eq!(unsafe { pseudo_batch_len(b) }, n, "one result per input");
    let mut failed = 0;
    let out: Vec<_> = (0..n)
        .map(|i| {
            let mut p: *const c_char = ptr::null();
            let mut len = 0usize;
            let mut code: pseudo_item_status = 99;
            // SAFETY: `b` is live; the outputs are valid locals.
            let (g, st) =
                unsafe { (pseudo_batch_get(b, i, &mut p, &mut len), pseudo_batch_item_status(b, i, &mut code)) };
            assert_eq!(st, pseudo_status::PSEUDO_OK);
            if g == pseudo_status::PSEUDO_OK {
                assert_eq!(code, PSEUDO_ITEM_OK);
                // SAFETY: on success `p` points to `len` bytes owned by the batch.
                Ok(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) }.to_vec())
            } else {
                assert_eq!(g, pseudo_status::PSEUDO_ITEM_FAILED);
                assert!(p.is_null() && len == 0, "outputs written for a failed item");
                assert!(matches!(code, PSEUDO_ITEM_EMPTY_VALUE | PSEUDO_ITEM_TOO_LONG | PSEUDO_ITEM_INVALID_PSEUDONYM));
                failed += 1;
                Err(code)
            }
        })
        .collect();
    // SAFETY: `b` is live.
    assert_eq!(unsafe { pseudo_batch_failed_count(b) }, failed);
    let mut p: *const c_char = ptr::null();
    let mut len = 0usize;
    // SAFETY: as above; index `n` is past the end.
    assert_eq!(unsafe { pseudo_batch_get(b, n, &mut p, &mut len) }, pseudo_status::PSEUDO_INDEX_OUT_OF_RANGE);
    out
}

fn free(b: *mut pseudo_batch) {
    // SAFETY: `b` is NULL or a batch of this harness not freed yet.
    unsafe { pseudo_batch_free(b) }
}

/// The fuzz entry: see the module documentation for the input layout.
pub fn ffi_batch(data: &[u8]) {
    let Some((&control, rest)) = data.split_first() else { return };
    let f = fixture();
    let op = match control & 3 {
        0 | 2 => PSEUDO_OPERATION_PSEUDONYMISE,
        1 => PSEUDO_OPERATION_REVERSE,
        _ => 7,
    };
    let mode = match (control >> 2) & 3 {
        0 => PSEUDO_BATCH_STRICT,
        1 | 2 => PSEUDO_BATCH_PER_ITEM,
        _ => 9,
    };
    let mut segments: Vec<&[u8]> = if rest.is_empty() { Vec::new() } else { rest.split(|&b| b == b'|').collect() };
    let foreign;
    let (token, token_kind) = match (control >> 4) & 3 {
        0 => (&f.psn, Some(PSEUDO_OPERATION_PSEUDONYMISE)),
        1 => (&f.rev, Some(PSEUDO_OPERATION_REVERSE)),
        2 => {
            let first = if segments.is_empty() { &[][..] } else { segments.remove(0) };
            let upto = first.iter().position(|&b| b == 0).unwrap_or(first.len());
            foreign = CString::new(&first[..upto]).expect("cut at the first NUL");
            let known = [&f.psn, &f.rev].into_iter().find(|t| **t == foreign);
            (
                &foreign,
                known.map(|t| if *t == f.psn { PSEUDO_OPERATION_PSEUDONYMISE } else { PSEUDO_OPERATION_REVERSE }),
            )
        }
        _ => (&f.tampered, None),
    };
    let mut values: Vec<pseudo_str> = Vec::new();
    if control & 0x40 != 0 {
        values.push(pseudo_str { ptr: ptr::null(), len: 0 });
    }
    values.extend(segments.iter().map(|s| pseudo_str { ptr: s.as_ptr().cast(), len: s.len() }));
    if control & 0x80 != 0 {
        values.push(pseudo_str { ptr: ptr::null(), len: 1 });
    }
    // What each value is, as the library must see it.
    let texts: Vec<Option<&[u8]>> = values
        .iter()
        .map(|v| {
            if v.len == 0 {
                Some(&[][..])
            } else if v.ptr.is_null() {
                None
            } else {
                // SAFETY: non-NULL elements point into `segments`, which borrow `data`.
                Some(unsafe { std::slice::from_raw_parts(v.ptr.cast::<u8>(), v.len) })
            }
        })
        .collect();

    let (s, out) = call(op, token, &values, mode);
    // The documented order of the argument checks: the token text first, then `op` and `mode`,
    // the item limit, and each value in turn.
    let argument_error = if std::str::from_utf8(token.as_bytes()).is_err() {
        Some(pseudo_status::PSEUDO_INVALID_UTF8)
    } else if op > 1 || mode > 1 {
        Some(pseudo_status::PSEUDO_INVALID_ARGUMENT)
    } else if values.len() > MAX_ITEMS {
        Some(pseudo_status::PSEUDO_LIMIT_EXCEEDED)
    } else {
        texts.iter().find_map(|t| match t {
            None => Some(pseudo_status::PSEUDO_NULL_ARGUMENT),
            Some(b) if std::str::from_utf8(b).is_err() => Some(pseudo_status::PSEUDO_INVALID_UTF8),
            _ => None,
        })
    };
    if let Some(want) = argument_error {
        assert_eq!(s, want);
        return;
    }
    let texts: Vec<&[u8]> = texts.into_iter().map(|t| t.unwrap_or_default()).collect();
    let bad_item = |t: &[u8]| t.is_empty() || t.len() > MAX_ITEM_BYTES;
    match token_kind {
        None => {
            // A foreign or tampered token: a token error, or the empty batch refused first.
            let code = s as u32;
            assert!(
                (100..=112).contains(&code) || (texts.is_empty() && s == pseudo_status::PSEUDO_INVALID_INPUT),
                "a foreign token got {s:?}"
            );
        }
        Some(kind) if kind != op => {
            assert!(
                s == pseudo_status::PSEUDO_WRONG_OPERATION
                    || (texts.is_empty() && s == pseudo_status::PSEUDO_INVALID_INPUT),
                "a token for the other operation got {s:?}"
            );
        }
        Some(_) if texts.is_empty() => assert_eq!(s, pseudo_status::PSEUDO_INVALID_INPUT),
        Some(kind) => {
            let pseudonymise = kind == PSEUDO_OPERATION_PSEUDONYMISE;
            if mode == PSEUDO_BATCH_STRICT {
                if pseudonymise {
                    let want_fail = texts.iter().any(|t| bad_item(t));
                    let want = if want_fail { pseudo_status::PSEUDO_BATCH_FAILED } else { pseudo_status::PSEUDO_OK };
                    assert_eq!(s, want);
                } else {
                    assert!(matches!(s, pseudo_status::PSEUDO_OK | pseudo_status::PSEUDO_BATCH_FAILED), "{s:?}");
                }
                if s == pseudo_status::PSEUDO_OK {
                    let got = items(out, texts.len());
                    assert!(got.iter().all(Result::is_ok));
                }
            } else {
                assert_eq!(s, pseudo_status::PSEUDO_OK);
                let got = items(out, texts.len());
                if pseudonymise {
                    for (t, r) in texts.iter().zip(&got) {
                        match r {
                            Ok(_) => assert!(!bad_item(t)),
                            Err(c) => assert_eq!(
                                *c,
                                if t.is_empty() { PSEUDO_ITEM_EMPTY_VALUE } else { PSEUDO_ITEM_TOO_LONG }
                            ),
                        }
                    }
                    round_trip(&texts, &got);
                }
            }
        }
    }
    free(out);
}

/// Every pseudonym reverses to its original through the C API.
fn round_trip(texts: &[&[u8]], got: &[Result<Vec<u8>, pseudo_item_status>]) {
    let f = fixture();
    let pairs: Vec<(&[u8], &Vec<u8>)> =
        texts.iter().zip(got).filter_map(|(t, r)| r.as_ref().ok().map(|p| (*t, p))).collect();
    if pairs.is_empty() {
        return;
    }
    let values: Vec<pseudo_str> =
        pairs.iter().map(|(_, p)| pseudo_str { ptr: p.as_ptr().cast(), len: p.len() }).collect();
    let (s, out) = call(PSEUDO_OPERATION_REVERSE, &f.rev, &values, PSEUDO_BATCH_STRICT);
    assert_eq!(s, pseudo_status::PSEUDO_OK, "a pseudonym did not reverse");
    let back = items(out, values.len());
    for ((orig, _), b) in pairs.iter().zip(&back) {
        assert_eq!(b.as_deref().ok(), Some(*orig), "a pseudonym reversed to something else");
    }
    free(out);
}
