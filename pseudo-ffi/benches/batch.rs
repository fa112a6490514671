//! The batch call through the C ABI against the same batch through the Rust API, in one run.
//!
//! Both engines hold the same keyring and verifying key and run sequentially (parallel = false,
//! so the two cores' noise does not dominate); the FFI side includes the UTF-8 checks of every
//! value, the result object and its free. After criterion's report, an interleaved measurement
//! prints the ratio FFI / Rust (target ≤ 1.15).

use std::ffi::{c_char, CString};
use std::hint::black_box;
use std::ptr;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use pseudo::*;
use pseudo_core::{
    Authority, BatchMode, Engine, EngineOptions, Keyring, MasterKey, Method, OrgId, OutputFormat, ProjectConfig,
    ProjectId, SigningKey, Timestamp, TokenKind, TokenRequest, Treatment,
};

const ISS: &str = "https://portal.example";
const AUD: &str = "pseudo-engine";

struct Setup {
    rust: Engine,
    ffi: *mut pseudo_engine,
    token: String,
    token_c: CString,
}

fn setup() -> Setup {
    let signing = SigningKey::generate().unwrap();
    let ring = Keyring::new(MasterKey::generate(1).unwrap());
    let ring_bytes = ring.to_bytes();
    let mut opts = EngineOptions::new(ISS, AUD);
    opts.parallel = false;
    let rust = Engine::new(ring, &[signing.verifying_key().clone()], opts).unwrap();
    let authority = Authority::new(SigningKey::from_pkcs8_der(&signing.to_pkcs8_der()).unwrap(), ISS, AUD).unwrap();
    let token = authority
        .issue(&TokenRequest {
            kind: TokenKind::Pseudonymise,
            subject: "bench".into(),
            organisation: OrgId::nil(),
            project: ProjectId::new("bench").unwrap(),
            request: "r".into(),
            config: ProjectConfig {
                method: Method::Reversible,
                retention_end: Timestamp::now().saturating_add(Duration::from_secs(86_400 * 365)),
                treatment: Treatment::Same,
                format: OutputFormat::Base64url,
            },
            lifetime: Duration::from_secs(86_400),
            key_version: None,
        })
        .unwrap()
        .into_token();
    let pem = CString::new(signing.verifying_key().to_pem()).unwrap();
    let (iss, aud) = (CString::new(ISS).unwrap(), CString::new(AUD).unwrap());
    let mut kr = ptr::null_mut();
    let mut vk = ptr::null_mut();
    let mut engine = ptr::null_mut();
    let mut o = std::mem::MaybeUninit::<pseudo_engine_options>::uninit();
    // SAFETY: valid pointers for every call; the key handles are freed once below.
    unsafe {
        assert_eq!(pseudo_keyring_from_bytes(ring_bytes.as_ptr(), ring_bytes.len(), &mut kr), pseudo_status::PSEUDO_OK);
        assert_eq!(pseudo_verifying_key_from_pem(pem.as_ptr(), &mut vk), pseudo_status::PSEUDO_OK);
        assert_eq!(pseudo_engine_options_init(o.as_mut_ptr()), pseudo_status::PSEUDO_OK);
        let mut o = o.assume_init();
        o.issuer = iss.as_ptr();
        o.audience = aud.as_ptr();
        o.parallel = false;
        let keys = [vk.cast_const()];
        assert_eq!(pseudo_engine_new(kr, keys.as_ptr(), 1, &o, &mut engine), pseudo_status::PSEUDO_OK);
        pseudo_verifying_key_free(vk);
        pseudo_keyring_free(kr);
    }
    let token_c = CString::new(token.clone()).unwrap();
    Setup { rust, ffi: engine, token, token_c }
}

fn rust_call(s: &Setup, values: &[&str], now: Timestamp) -> usize {
    let out = s.rust.call(pseudo_core::Operation::Pseudonymise, &s.token, values, BatchMode::Strict, now).unwrap();
    out.len()
}

fn ffi_call(s: &Setup, values: &[pseudo_str], now: i64) -> usize {
    let mut batch = ptr::null_mut();
    // SAFETY: values point into live strings; batch is freed once.
    unsafe {
        let st = pseudo_engine_call(
            s.ffi,
            PSEUDO_OPERATION_PSEUDONYMISE,
            s.token_c.as_ptr(),
            values.as_ptr(),
            values.len(),
            PSEUDO_BATCH_STRICT,
            now,
            &mut batch,
        );
        assert_eq!(st, pseudo_status::PSEUDO_OK);
        let n = pseudo_batch_len(batch);
        pseudo_batch_free(batch);
        n
    }
}

fn main() {
    let s = setup();
    let now = Timestamp::now();
    let mut c = Criterion::default().configure_from_args().measurement_time(Duration::from_secs(3));
    let mut ratios = Vec::new();
    for n in [100usize, 10_000] {
        let owned: Vec<String> = (0..n).map(|i| format!("Example PID {i:08}")).collect();
        let strs: Vec<&str> = owned.iter().map(String::as_str).collect();
        let cstrs: Vec<pseudo_str> =
            owned.iter().map(|v| pseudo_str { ptr: v.as_ptr().cast::<c_char>(), len: v.len() }).collect();
        let mut g = c.benchmark_group("batch_pseudonymise");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("rust", n), &n, |b, _| b.iter(|| black_box(rust_call(&s, &strs, now))));
        g.bench_with_input(BenchmarkId::new("ffi", n), &n, |b, _| {
            b.iter(|| black_box(ffi_call(&s, &cstrs, now.unix())))
        });
        g.finish();

        // Interleaved rounds: each round times both sides back to back; medians are compared.
        let rounds = 30;
        let reps = (200_000 / n).max(1);
        let (mut tr, mut tf) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let t = Instant::now();
            for _ in 0..reps {
                black_box(rust_call(&s, &strs, now));
            }
            tr.push(t.elapsed());
            let t = Instant::now();
            for _ in 0..reps {
                black_box(ffi_call(&s, &cstrs, now.unix()));
            }
            tf.push(t.elapsed());
        }
        tr.sort();
        tf.sort();
        let (mr, mf) = (tr[rounds / 2] / reps as u32, tf[rounds / 2] / reps as u32);
        let ratio = mf.as_secs_f64() / mr.as_secs_f64();
        ratios.push((n, mr, mf, ratio));
    }
    println!("\nbatch of n values, median per call (same run, interleaved):");
    for (n, mr, mf, ratio) in ratios {
        println!("  n={n:>6}  rust {mr:>12.3?}  ffi {mf:>12.3?}  ffi/rust = {ratio:.3}  (target <= 1.15)");
    }
    // SAFETY: freed once.
    unsafe { pseudo_engine_free(s.ffi) };
}
