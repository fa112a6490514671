//! What the PostgreSQL registry costs per engine call (1 value and 1 000 values), against the
//! in-memory and SQLite registries in the same run, and how fast a revocation made through one
//! node is refused by another. Starts its own PostgreSQL (Debian's package) in a temporary
//! folder on 127.0.0.1, like the tests. Run it with `make pg-cost`.

#[path = "../tests/common/pg.rs"]
mod pg;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pseudo_core::registry::*;
use pseudo_core::*;

const ISSUER: &str = "https://portal.example";
const AUDIENCE: &str = "pseudo-engine";

struct Node {
    registry: Arc<Registry>,
    engine: Engine,
}

fn node(registry: Registry, authority: &Authority, master: &Keyring) -> Result<Node> {
    let registry = Arc::new(registry);
    let engine = Engine::new(
        Keyring::from_bytes(&master.to_bytes())?,
        &[authority.verifying_key().clone()],
        EngineOptions::new(ISSUER, AUDIENCE),
    )?
    .with_token_status(registry.clone())
    .with_audit(registry.clone());
    Ok(Node { registry, engine })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Median time of one engine call with `values`, after a warm-up.
fn per_call(n: &Node, token: &str, values: &[String], rounds: usize) -> Result<Duration> {
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    for _ in 0..rounds / 10 + 1 {
        n.engine.call(Operation::Pseudonymise, token, &refs, BatchMode::Strict, Timestamp::now())?;
    }
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        n.engine.call(Operation::Pseudonymise, token, &refs, BatchMode::Strict, Timestamp::now())?;
        times.push(t.elapsed());
    }
    Ok(median(times))
}

fn main() -> Result<()> {
    let db = pg::Pg::get();
    let url = db.fresh_url();
    let signing = SigningKey::generate()?;
    let authority = Authority::new(signing, ISSUER, AUDIENCE)?;
    let master = Keyring::new(MasterKey::generate(1)?);
    let org = OrgId::from_u128(1);
    let admin = Principal { id: "admin".into(), organisation: org, role: Role::Admin };
    let now = Timestamp::now();

    let memory = node(Registry::in_memory(), &authority, &master)?;
    let sqlite_path = db.dir().join("bench-registry.db");
    let sqlite = node(Registry::open_sqlite(&sqlite_path, RegistryOptions::default())?, &authority, &master)?;
    let pg_a = node(Registry::open_postgres(&url, RegistryOptions::default())?, &authority, &master)?;
    let pg_b = node(Registry::open_postgres(&url, RegistryOptions::default())?, &authority, &master)?;

    let issue = |reg: &Registry| -> Result<IssuedToken> {
        let p = ProjectId::new("bench")?;
        if reg.project(&p).is_err() {
            reg.create_project(
                &admin,
                NewProject {
                    id: p.clone(),
                    name: "bench".into(),
                    method: Method::Reversible,
                    retention: Retention { years: 1, months: 0, days: 0 },
                    treatment: Treatment::Same,
                    format: OutputFormat::Base64url,
                },
                now,
            )?;
            reg.add_collaborator(&admin, &p, Collaborator { organisation: org, can_reverse: true })?;
        }
        let r = reg.submit_request(&admin, &p, "bench", now)?;
        reg.decide_request(&admin, &r.id, true, None, now)?;
        reg.issue_token(&authority, &admin, &r.id, IssueKind::Pseudonymise, "bench", Duration::from_secs(3600), now)
    };

    let one = vec!["Example PID 1".to_owned()];
    let thousand: Vec<String> = (0..1000).map(|i| format!("Example PID {i:05}")).collect();
    println!("per engine call (median; machine shared with other work, figures are indicative):");
    println!("{:<34} {:>12} {:>14}", "registry", "1 value", "1 000 values");
    for (name, n) in [("in memory", &memory), ("SQLite file", &sqlite), ("PostgreSQL (127.0.0.1)", &pg_a)] {
        let t = issue(&n.registry)?;
        let a = per_call(n, t.token(), &one, 2000)?;
        let b = per_call(n, t.token(), &thousand, 200)?;
        println!("{name:<34} {:>9.1} µs {:>11.1} µs", a.as_secs_f64() * 1e6, b.as_secs_f64() * 1e6);
    }

    // Revocation across nodes: revoke through node A, then call node B at once. The registry
    // reads the record on every call (revocation_staleness zero), so the bound is the call itself.
    let mut refused_after = Vec::new();
    let mut refused_first = 0;
    let trials = 200;
    for _ in 0..trials {
        let t = issue(&pg_a.registry)?;
        let refs = ["v"];
        pg_b.engine.call(Operation::Pseudonymise, t.token(), &refs, BatchMode::Strict, Timestamp::now())?;
        pg_a.registry.revoke_token(&admin, t.jti())?;
        let start = Instant::now();
        let r = pg_b.engine.call(Operation::Pseudonymise, t.token(), &refs, BatchMode::Strict, Timestamp::now());
        refused_after.push(start.elapsed());
        if r.as_ref().err().map(Error::kind) == Some(ErrorKind::Revoked) {
            refused_first += 1;
        }
    }
    let max = refused_after.iter().max().copied().unwrap_or_default();
    println!(
        "revocation across nodes: {refused_first}/{trials} first calls on node B after the revoke on node A returned \
         were refused; that call took {:.0} µs median, {:.0} µs max",
        median(refused_after).as_secs_f64() * 1e6,
        max.as_secs_f64() * 1e6
    );
    Ok(())
}
