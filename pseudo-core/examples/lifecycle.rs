//! The token lifecycle with the embedded SQLite registry: create a project, request, approve,
//! issue, use, see last used, revoke, see the engine refuse, restore, delete; and an access token.
//! Run it with `make demo`.

use std::sync::Arc;
use std::time::Duration;

use pseudo_core::registry::*;
use pseudo_core::*;

const ISSUER: &str = "https://portal.example";
const AUDIENCE: &str = "pseudo-engine";

fn show(label: &str, t: &TokenRecord) {
    let used = t.last_used.map_or("not used".to_owned(), |u| format!("last used at {}", u.unix()));
    println!("  {label:<10} {} '{}' {:?} {} ({used})", t.jti, t.name, t.token_type, t.status.as_str());
}

fn main() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("pseudo-lifecycle-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("registry.db");
    let registry = Arc::new(Registry::open_sqlite(&db, RegistryOptions::default())?);
    println!("registry: {}", db.display());

    let signing = SigningKey::generate()?;
    let engine = Engine::new(
        Keyring::new(MasterKey::generate(1)?),
        &[signing.verifying_key().clone()],
        EngineOptions::new(ISSUER, AUDIENCE),
    )?
    .with_token_status(registry.clone())
    .with_audit(registry.clone());
    let authority = Authority::new(signing, ISSUER, AUDIENCE)?;

    let hospital = OrgId::from_u128(1);
    let university = OrgId::from_u128(2);
    let admin = Principal { id: "admin".into(), organisation: hospital, role: Role::Admin };
    let owner = Principal { id: "olivia".into(), organisation: hospital, role: Role::User };
    let researcher = Principal { id: "rahul".into(), organisation: university, role: Role::User };
    let now = Timestamp::now();

    // Project, collaborator, request, approval.
    let project = registry.create_project(
        &owner,
        NewProject {
            id: ProjectId::new("cohort-2026")?,
            name: "Cohort 2026".into(),
            method: Method::Reversible,
            retention: Retention { years: 5, months: 0, days: 0 },
            treatment: Treatment::Same,
            format: OutputFormat::Base64url,
        },
        now,
    )?;
    println!(
        "project {} created; retention ends at {} (fixed for ever)",
        project.id,
        project.config.retention_end.unix()
    );
    registry.add_collaborator(&owner, &project.id, Collaborator { organisation: university, can_reverse: false })?;
    let request = registry.submit_request(&researcher, &project.id, "admissions 2020-2025", now)?;
    println!("request {} submitted: {}", request.id, request.status.as_str());
    match registry.issue_token(
        &authority,
        &researcher,
        &request.id,
        IssueKind::Pseudonymise,
        "etl",
        Duration::from_secs(3600),
        now,
    ) {
        Err(e) => println!("issue before approval: refused ({e}; detail {:?})", e.detail()),
        Ok(_) => unreachable!("a pending request gets no token"),
    }
    registry.decide_request(&admin, &request.id, true, Some("ethics approval attached"), now)?;
    println!("request approved");

    // Issue, use, last used.
    let issued = registry.issue_token(
        &authority,
        &researcher,
        &request.id,
        IssueKind::Pseudonymise,
        "etl",
        Duration::from_secs(3600),
        now,
    )?;
    println!("\ntoken issued (shown once): {}…", &issued.token()[..24]);
    show("issued", &registry.token(issued.jti())?);
    if let Err(e) = registry.issue_token(
        &authority,
        &researcher,
        &request.id,
        IssueKind::Reverse,
        "rev",
        Duration::from_secs(60),
        now,
    ) {
        println!("  a reverse token for an organisation without can_reverse: refused ({:?})", e.detail());
    }
    let out = engine.pseudonymise(issued.token(), &["Example PID 1", "Example PID 2"])?;
    println!("  used: {}", out.join(", "));
    show("after use", &registry.token(issued.jti())?);

    // Revoke → refused; restore → works; delete.
    registry.revoke_token(&researcher, issued.jti())?;
    show("revoked", &registry.token(issued.jti())?);
    match engine.pseudonymise(issued.token(), &["Example PID 1"]) {
        Err(e) => println!("  the engine refuses it: {e}"),
        Ok(_) => unreachable!("a revoked token is refused"),
    }
    registry.restore_token(&researcher, issued.jti(), Timestamp::now())?;
    engine.pseudonymise(issued.token(), &["Example PID 3"])?;
    show("restored", &registry.token(issued.jti())?);
    if let Err(e) = registry.delete_token(&researcher, issued.jti()) {
        println!("  delete while active: refused ({e})");
    }
    registry.revoke_token(&researcher, issued.jti())?;
    registry.delete_token(&researcher, issued.jti())?;
    println!("  deleted; records left: {}", registry.tokens()?.len());

    // Access tokens: a personal one, used, revoked.
    let pat = registry.create_access_token(
        &researcher,
        AccessKind::Personal,
        None,
        "laptop",
        Duration::from_secs(30 * 86_400),
        now,
    )?;
    println!("\npersonal access token (shown once): {}…{}", &pat.secret[..14], &pat.secret[pat.secret.len() - 6..]);
    println!("  authenticates as {}", registry.authenticate(&pat.secret, Timestamp::now())?.principal);
    registry.revoke_access_token(&researcher, &pat.record.id)?;
    if let Err(e) = registry.authenticate(&pat.secret, Timestamp::now()) {
        println!("  after revoke: {e}");
    }

    println!("\naudit log (engine calls and the registry's changes, by whom):");
    for e in registry.audit_events(20)? {
        println!(
            "  {} {} by {} jti={} items={} outcome={}",
            e.time.unix(),
            e.operation.as_str(),
            e.subject.as_deref().unwrap_or("-"),
            e.jti.as_deref().unwrap_or("-"),
            e.items,
            e.error.map_or("ok", |k| k.code())
        );
    }
    drop(engine);
    drop(registry);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
