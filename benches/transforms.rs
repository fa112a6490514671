//! Per-value cost of every mode, beside the bare primitives, measured in the same run.
//!
//! `cargo bench -p pseudo-core --bench transforms` (or `make bench`). Criterion reports each
//! group; the closing table prints every mode's per-value cost as a ratio to its floor (the bare
//! `aes-siv` call for reversible modes, the bare ring HMAC-SHA256 for not-reversible ones),
//! measured in this run on this machine.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aes_siv::siv::Aes256Siv;
use aes_siv::KeyInit;
use criterion::{BenchmarkId, Criterion, Throughput};
use pseudo_core::*;

const ISSUER: &str = "https://portal.example";
const AUDIENCE: &str = "pseudo-engine";
const BATCH: usize = 1000;

struct Setup {
    engine: Engine,
    authority: Authority,
}

fn setup(parallel: bool) -> Setup {
    let sk = SigningKey::generate().unwrap();
    let mut options = EngineOptions::new(ISSUER, AUDIENCE);
    options.parallel = parallel;
    let engine =
        Engine::new(Keyring::new(MasterKey::generate(1).unwrap()), &[sk.verifying_key().clone()], options).unwrap();
    Setup { engine, authority: Authority::new(sk, ISSUER, AUDIENCE).unwrap() }
}

fn config(method: Method, treatment: Treatment) -> ProjectConfig {
    ProjectConfig {
        method,
        retention_end: Timestamp::now().saturating_add(Duration::from_secs(365 * 86_400)),
        treatment,
        format: OutputFormat::Base64url,
    }
}

fn grant(s: &Setup, kind: TokenKind, project: &str, c: ProjectConfig) -> Grant {
    let op = if matches!(kind, TokenKind::Reverse(_)) { Operation::Reverse } else { Operation::Pseudonymise };
    let t = s
        .authority
        .issue(&TokenRequest {
            kind,
            subject: "bench".into(),
            organisation: OrgId::nil(),
            project: ProjectId::new(project).unwrap(),
            request: "r".into(),
            config: c,
            lifetime: Duration::from_secs(3600),
            key_version: None,
        })
        .unwrap();
    s.engine.verify(t.token(), op).unwrap()
}

fn values(n: usize, len: usize) -> Vec<String> {
    (0..n).map(|i| format!("{i:0len$}")).collect()
}

struct Case {
    name: &'static str,
    grant: Grant,
    inputs: Vec<String>,
    floor: Floor,
}

#[derive(Clone, Copy, PartialEq)]
enum Floor {
    SivEncrypt,
    SivDecrypt,
    Hmac,
    None,
}

fn cases(s: &Setup, len: usize) -> Vec<Case> {
    let vals = values(BATCH, len);
    let refs: Vec<&str> = vals.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    let modes = [
        ("reversible same", Method::Reversible, Treatment::Same, Floor::SivEncrypt),
        ("reversible different", Method::Reversible, Treatment::Different, Floor::SivEncrypt),
        ("not reversible same", Method::NotReversible, Treatment::Same, Floor::Hmac),
        ("not reversible different", Method::NotReversible, Treatment::Different, Floor::None),
    ];
    for (name, m, t, floor) in modes {
        let c = config(m, t);
        let g = grant(s, TokenKind::Pseudonymise, "P1", c);
        let l1 = s.engine.transform_at(&g, &refs, BatchMode::Strict, Timestamp::now()).unwrap().into_strings().unwrap();
        out.push(Case { name: leak(format!("L1 {name}")), grant: g, inputs: vals.clone(), floor });
        if m == Method::Reversible {
            let src = SourceRef {
                project: ProjectId::new("P1").unwrap(),
                organisation: OrgId::nil(),
                method: m,
                retention_end: c.retention_end,
                format: c.format,
                key_version: None,
            };
            let sec = grant(s, TokenKind::Secondary(src.clone()), "P2", c);
            let l1_refs: Vec<&str> = l1.iter().map(String::as_str).collect();
            let l2 = s
                .engine
                .transform_at(&sec, &l1_refs, BatchMode::Strict, Timestamp::now())
                .unwrap()
                .into_strings()
                .unwrap();
            out.push(Case {
                name: leak(format!("L2 {name}")),
                grant: sec,
                inputs: l1.clone(),
                floor: Floor::SivEncrypt,
            });
            let rev1 = grant(s, TokenKind::Reverse(ReverseLevel::Level1), "P1", c);
            out.push(Case {
                name: leak(format!("reverse L1 {name}")),
                grant: rev1,
                inputs: l1,
                floor: Floor::SivDecrypt,
            });
            let rev2 = grant(s, TokenKind::Reverse(ReverseLevel::Level2(src)), "P2", c);
            out.push(Case {
                name: leak(format!("reverse L2 {name}")),
                grant: rev2,
                inputs: l2,
                floor: Floor::SivDecrypt,
            });
        }
    }
    out
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The bare primitives on the same values: what a value costs at the least.
struct Floors {
    siv: Aes256Siv,
    hmac: ring::hmac::Key,
    ad: [u8; 9],
    buf: Vec<u8>,
}

impl Floors {
    fn new() -> Self {
        Floors {
            siv: Aes256Siv::new_from_slice(&[7u8; 64]).unwrap(),
            hmac: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &[9u8; 32]),
            // header || domain, as the reversible modes pass it (docs/SPEC.md §4).
            ad: *b"\x01\x01\x01\x00\x01\x00\x02P1",
            buf: Vec::with_capacity(256),
        }
    }

    fn siv_encrypt(&mut self, v: &[u8]) {
        self.buf.clear();
        self.buf.extend_from_slice(v);
        let tag = self.siv.encrypt_inout_detached([&self.ad[..]], (&mut self.buf[..]).into()).unwrap();
        black_box(tag);
    }

    fn siv_decrypt_prepared(&mut self, ct: &[u8], tag: &aes_siv::Tag) {
        self.buf.clear();
        self.buf.extend_from_slice(ct);
        let _ = black_box(self.siv.decrypt_inout_detached([&self.ad[..]], (&mut self.buf[..]).into(), tag));
    }

    fn hmac(&self, v: &[u8]) {
        let mut ctx = ring::hmac::Context::with_key(&self.hmac);
        ctx.update(&self.ad);
        ctx.update(v);
        black_box(ctx.sign());
    }
}

fn sealed(f: &mut Floors, vals: &[String]) -> Vec<(Vec<u8>, aes_siv::Tag)> {
    vals.iter()
        .map(|v| {
            let mut b = v.as_bytes().to_vec();
            let tag = f.siv.encrypt_inout_detached([&f.ad[..]], (&mut b[..]).into()).unwrap();
            (b, tag)
        })
        .collect()
}

fn bench_modes(c: &mut Criterion) {
    let s = setup(false);
    for len in [8usize, 13, 64, 1024] {
        let mut group = c.benchmark_group(format!("one thread, {BATCH} values of {len} bytes"));
        group
            .throughput(Throughput::Elements(BATCH as u64))
            .sample_size(15)
            .measurement_time(Duration::from_secs(2))
            .warm_up_time(Duration::from_millis(300));
        let vals = values(BATCH, len);
        let mut floors = Floors::new();
        let prepared = sealed(&mut floors, &vals);
        group.bench_function("floor: bare aes-siv encrypt", |b| {
            b.iter(|| vals.iter().for_each(|v| floors.siv_encrypt(v.as_bytes())))
        });
        group.bench_function("floor: bare aes-siv decrypt", |b| {
            b.iter(|| prepared.iter().for_each(|(ct, t)| floors.siv_decrypt_prepared(ct, t)))
        });
        group.bench_function("floor: bare ring HMAC-SHA256", |b| {
            b.iter(|| vals.iter().for_each(|v| floors.hmac(v.as_bytes())))
        });
        for case in cases(&s, len) {
            group.bench_function(BenchmarkId::from_parameter(case.name), |b| {
                b.iter(|| {
                    s.engine.transform_at(&case.grant, &case.inputs, BatchMode::Strict, Timestamp::now()).unwrap()
                })
            });
        }
        group.finish();
    }
}

fn bench_cores(c: &mut Criterion) {
    let one = setup(false);
    let all = setup(true);
    let cfg = config(Method::Reversible, Treatment::Same);
    for n in [1usize, 1_000, 100_000, 1_000_000] {
        let vals = values(n, 13);
        let mut group = c.benchmark_group(format!("reversible same, {n} values of 13 bytes"));
        group
            .throughput(Throughput::Elements(n as u64))
            .sample_size(10)
            .measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_millis(300));
        for (label, s) in [("one thread", &one), ("all cores", &all)] {
            let g = grant(s, TokenKind::Pseudonymise, "P1", cfg);
            group.bench_function(label, |b| {
                b.iter(|| s.engine.transform_at(&g, &vals, BatchMode::Strict, Timestamp::now()).unwrap())
            });
        }
        group.finish();
    }
}

/// The wire handler on a 1 M-value JSON body and CSV body (parse, verify, pseudonymise on every
/// core, serialise).
fn bench_wire(c: &mut Criterion) {
    use pseudo_core::wire::{handle, WireRequest};
    let s = setup(true);
    let t = s
        .authority
        .issue(&TokenRequest {
            kind: TokenKind::Pseudonymise,
            subject: "bench".into(),
            organisation: OrgId::nil(),
            project: ProjectId::new("P1").unwrap(),
            request: "r".into(),
            config: config(Method::Reversible, Treatment::Same),
            lifetime: Duration::from_secs(3600),
            key_version: None,
        })
        .unwrap();
    let auth = format!("Bearer {}", t.token());
    let vals = values(1_000_000, 13);
    let json = serde_json::to_vec(&serde_json::json!({ "data": vals })).unwrap();
    let csv = vals.join("\n").into_bytes();
    let mut group = c.benchmark_group("wire handler, 1 M values of 13 bytes, all cores");
    group.throughput(Throughput::Elements(vals.len() as u64)).sample_size(10).measurement_time(Duration::from_secs(6));
    for (label, ct, body) in [("JSON", "application/json", &json), ("CSV", "text/csv", &csv)] {
        group.bench_function(label, |b| {
            b.iter(|| {
                let r = handle(
                    &s.engine,
                    &WireRequest {
                        path: wire::PATH_PSEUDONYMISE,
                        authorization: Some(&auth),
                        content_type: Some(ct),
                        accept: Some(ct),
                        body,
                    },
                );
                assert_eq!(r.status, 200);
                r
            })
        });
    }
    group.finish();
}

fn verify_setup() -> (Verifier, String) {
    let sk = SigningKey::generate().unwrap();
    let verifier = Verifier::new(&[sk.verifying_key().clone()], Validation::new(ISSUER, AUDIENCE)).unwrap();
    let authority = Authority::new(sk, ISSUER, AUDIENCE).unwrap();
    let t = authority
        .issue(&TokenRequest {
            kind: TokenKind::Pseudonymise,
            subject: "bench".into(),
            organisation: OrgId::nil(),
            project: ProjectId::new("P1").unwrap(),
            request: "r".into(),
            config: config(Method::Reversible, Treatment::Same),
            lifetime: Duration::from_secs(3600),
            key_version: None,
        })
        .unwrap();
    (verifier, t.into_token())
}

fn bench_verify(c: &mut Criterion) {
    let (verifier, token) = verify_setup();
    let now = Timestamp::now();
    let mut group = c.benchmark_group("token verification (EdDSA)");
    group.bench_function("uncached", |b| b.iter(|| verifier.verify_uncached(black_box(&token), now).unwrap()));
    group.bench_function("cached", |b| b.iter(|| verifier.verify(black_box(&token), now).unwrap()));
    group.finish();
}

/// Median seconds per call of `f` over `rounds` rounds.
fn median(rounds: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut v: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[rounds / 2]
}

fn ratio_table() {
    let s = setup(false);
    println!("\nPer-value cost on one thread, {BATCH} values of 13 bytes, ratio to the floor measured in this run:");
    println!("{:<40} {:>10} {:>10} {:>8}", "mode", "ns/value", "floor ns", "ratio");
    let vals = values(BATCH, 13);
    let mut floors = Floors::new();
    let prepared = sealed(&mut floors, &vals);
    let per = |secs: f64| secs * 1e9 / BATCH as f64;
    let enc = per(median(41, || vals.iter().for_each(|v| floors.siv_encrypt(v.as_bytes()))));
    let dec = per(median(41, || prepared.iter().for_each(|(ct, t)| floors.siv_decrypt_prepared(ct, t))));
    let mac = per(median(41, || vals.iter().for_each(|v| floors.hmac(v.as_bytes()))));
    // The floor under the floor: one AES-256 block per call with the key schedule precomputed.
    // aes 0.9.3+ made a VAES-512 backend the default that costs ~3.6x here (docs/DECISIONS.md 11).
    let block = {
        use aes::cipher::BlockCipherEncrypt;
        let aes = <aes::Aes256 as aes::cipher::KeyInit>::new(&[5u8; 32].into());
        let mut b = aes::Block::default();
        per(median(41, || {
            for _ in 0..BATCH {
                aes.encrypt_block(&mut b);
                black_box(&mut b);
            }
        }))
    };
    println!("{:<40} {:>10.1}", "one AES-256 block (aes crate)", block);
    println!("{:<40} {:>10.1}", "bare aes-siv encrypt (RFC 5297)", enc);
    println!("{:<40} {:>10.1}", "bare ring HMAC-SHA256", mac);
    for case in cases(&s, 13) {
        let ns = per(median(41, || {
            black_box(s.engine.transform_at(&case.grant, &case.inputs, BatchMode::Strict, Timestamp::now()).unwrap());
        }));
        let floor = match case.floor {
            Floor::SivEncrypt => Some(enc),
            Floor::SivDecrypt => Some(dec),
            Floor::Hmac => Some(mac),
            Floor::None => None,
        };
        match floor {
            Some(fl) => println!("{:<40} {:>10.1} {:>10.1} {:>7.2}x", case.name, ns, fl, ns / fl),
            None => println!("{:<40} {:>10.1} {:>10} {:>8}", case.name, ns, "-", "-"),
        }
    }
    let all = setup(true);
    let cfg = config(Method::Reversible, Treatment::Same);
    let big = values(100_000, 13);
    let g1 = grant(&s, TokenKind::Pseudonymise, "P1", cfg);
    let g2 = grant(&all, TokenKind::Pseudonymise, "P1", cfg);
    let t1 = median(5, || drop(s.engine.transform_at(&g1, &big, BatchMode::Strict, Timestamp::now()).unwrap()));
    let t2 = median(5, || drop(all.engine.transform_at(&g2, &big, BatchMode::Strict, Timestamp::now()).unwrap()));
    println!(
        "100k values, reversible same: one thread {:.1} ms, all {} cores {:.1} ms, speed-up {:.2}x",
        t1 * 1e3,
        rayon::current_num_threads(),
        t2 * 1e3,
        t1 / t2
    );
    let (verifier, token) = verify_setup();
    let now = Timestamp::now();
    let n = 2000;
    let unc =
        median(11, || (0..n).for_each(|_| drop(black_box(verifier.verify_uncached(&token, now).unwrap())))) / n as f64;
    let cached = median(11, || (0..n).for_each(|_| drop(black_box(verifier.verify(&token, now).unwrap())))) / n as f64;
    println!("token verification: uncached {:.1} µs, cached {:.2} µs", unc * 1e6, cached * 1e6);
    revocation_cost();
}

/// What consulting the registry (revocation check + last-use write + audit event) adds to one
/// engine call of one value, for the in-memory and the SQLite store.
fn revocation_cost() {
    use pseudo_core::registry::*;
    use std::sync::Arc;
    let dir = std::env::temp_dir().join(format!("pseudo-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let admin = Principal { id: "admin".into(), organisation: OrgId::nil(), role: Role::Admin };
    let user = Principal { id: "u".into(), organisation: OrgId::nil(), role: Role::User };
    let mut line = String::from("engine call of 1 value:");
    for (label, reg) in [
        ("none", None),
        ("memory registry", Some(Arc::new(Registry::in_memory()))),
        (
            "SQLite registry, each write at once",
            Some(Arc::new(
                Registry::open_sqlite(
                    dir.join("r0.db"),
                    RegistryOptions { write_delay: Duration::ZERO, ..RegistryOptions::default() },
                )
                .unwrap(),
            )),
        ),
        (
            "SQLite registry, buffered writes (default)",
            Some(Arc::new(Registry::open_sqlite(dir.join("r.db"), RegistryOptions::default()).unwrap())),
        ),
    ] {
        let sk = SigningKey::generate().unwrap();
        let mut engine = Engine::new(
            Keyring::new(MasterKey::generate(1).unwrap()),
            &[sk.verifying_key().clone()],
            EngineOptions::new(ISSUER, AUDIENCE),
        )
        .unwrap();
        let authority = Authority::new(sk, ISSUER, AUDIENCE).unwrap();
        let token = match &reg {
            None => {
                let g = TokenRequest {
                    kind: TokenKind::Pseudonymise,
                    subject: "u".into(),
                    organisation: OrgId::nil(),
                    project: ProjectId::new("P1").unwrap(),
                    request: "r".into(),
                    config: config(Method::Reversible, Treatment::Same),
                    lifetime: Duration::from_secs(3600),
                    key_version: None,
                };
                authority.issue(&g).unwrap().into_token()
            }
            Some(r) => {
                engine = engine.with_token_status(r.clone()).with_audit(r.clone());
                let now = Timestamp::now();
                let p = r
                    .create_project(
                        &user,
                        NewProject {
                            id: ProjectId::new("P1").unwrap(),
                            name: "p".into(),
                            method: Method::Reversible,
                            retention: Retention { years: 1, months: 0, days: 0 },
                            treatment: Treatment::Same,
                            format: OutputFormat::Base64url,
                        },
                        now,
                    )
                    .unwrap();
                r.add_collaborator(&user, &p.id, Collaborator { organisation: OrgId::nil(), can_reverse: false })
                    .unwrap();
                let q = r.submit_request(&user, &p.id, "d", now).unwrap();
                r.decide_request(&admin, &q.id, true, None, now).unwrap();
                r.issue_token(&authority, &user, &q.id, IssueKind::Pseudonymise, "b", Duration::from_secs(3600), now)
                    .unwrap()
                    .into_token()
            }
        };
        let n = 2000;
        let t = median(7, || {
            for _ in 0..n {
                black_box(
                    engine.call(Operation::Pseudonymise, &token, &["v"], BatchMode::Strict, Timestamp::now()).unwrap(),
                );
            }
        }) / n as f64;
        line.push_str(&format!(" {label} {:.1} µs;", t * 1e6));
    }
    println!("{line}");
    std::fs::remove_dir_all(&dir).ok();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_modes(&mut c);
    bench_cores(&mut c);
    bench_verify(&mut c);
    bench_wire(&mut c);
    c.final_summary();
    ratio_table();
}
