//! Handles one wire request of N values (default 1 000 000 values of 13 bytes) and reports the
//! body and response sizes; run under `/usr/bin/time -v` to see the peak memory
//! (`make wire-memory`). Usage: wire_memory [json|csv] [N]

use std::time::{Duration, Instant};

use pseudo_core::wire::{handle, WireRequest};
use pseudo_core::*;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let format = args.next().unwrap_or_else(|| "json".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let sk = SigningKey::generate()?;
    let engine = Engine::new(
        Keyring::new(MasterKey::generate(1)?),
        &[sk.verifying_key().clone()],
        EngineOptions::new("iss", "aud"),
    )?;
    let authority = Authority::new(sk, "iss", "aud")?;
    let token = authority.issue(&TokenRequest {
        kind: TokenKind::Pseudonymise,
        subject: "load".into(),
        organisation: OrgId::nil(),
        project: ProjectId::new("P1")?,
        request: "r".into(),
        config: ProjectConfig {
            method: Method::Reversible,
            retention_end: Timestamp::now().saturating_add(Duration::from_secs(86_400 * 365)),
            treatment: Treatment::Same,
            format: OutputFormat::Base64url,
        },
        lifetime: Duration::from_secs(3600),
        key_version: None,
    })?;
    let (body, ct) = if format == "csv" {
        let mut b = String::with_capacity(n * 15);
        for i in 0..n {
            b.push_str(&format!("PID-{i:09}\n"));
        }
        (b, "text/csv")
    } else {
        let mut b = String::with_capacity(n * 16 + 16);
        b.push_str("{\"data\":[");
        for i in 0..n {
            if i > 0 {
                b.push(',');
            }
            b.push_str(&format!("\"PID-{i:09}\""));
        }
        b.push_str("]}");
        (b, "application/json")
    };
    let auth = format!("Bearer {}", token.token());
    let t = Instant::now();
    let r = handle(
        &engine,
        &WireRequest {
            path: wire::PATH_PSEUDONYMISE,
            authorization: Some(&auth),
            content_type: Some(ct),
            accept: Some(ct),
            body: body.as_bytes(),
        },
    );
    let took = t.elapsed();
    println!(
        "{format}: {n} values, body {:.1} MiB, response {} {:.1} MiB, {:.0} ms ({:.0} ns/value)",
        body.len() as f64 / 1048576.0,
        r.status,
        r.body.len() as f64 / 1048576.0,
        took.as_secs_f64() * 1e3,
        took.as_nanos() as f64 / n as f64
    );
    Ok(())
}
