//! The registry: projects, requests, the issuing policy, token and access-token lifecycles, the
//! engine integration, concurrency, crash safety and corruption — on both stores.
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use pseudo_core::registry::*;
use pseudo_core::*;

fn admin() -> Principal {
    Principal { id: "admin".into(), organisation: org(1), role: Role::Admin }
}
fn owner() -> Principal {
    Principal { id: "olivia".into(), organisation: org(1), role: Role::User }
}
fn researcher() -> Principal {
    Principal { id: "rahul".into(), organisation: org(2), role: Role::User }
}
fn outsider() -> Principal {
    Principal { id: "eve".into(), organisation: org(3), role: Role::User }
}

fn stores() -> Vec<(&'static str, Arc<Registry>)> {
    stores_with(RegistryOptions::default())
}

/// Every store the suite runs on: memory, SQLite, and with the `postgres` feature a fresh
/// database on a real PostgreSQL the tests start themselves.
fn stores_with(options: RegistryOptions) -> Vec<(&'static str, Arc<Registry>)> {
    #[allow(unused_mut)]
    let mut all = vec![
        ("memory", Arc::new(Registry::new(Arc::new(MemoryStore::new()), options))),
        ("sqlite", Arc::new(Registry::new(Arc::new(SqliteStore::open_in_memory().unwrap()), options))),
    ];
    #[cfg(feature = "postgres")]
    all.push(("postgres", Arc::new(Registry::open_postgres(&common::pg::Pg::get().fresh_url(), options).unwrap())));
    all
}

fn new_project(id: &str, method: Method) -> NewProject {
    NewProject {
        id: project(id),
        name: format!("project {id}"),
        method,
        retention: Retention { years: 1, months: 0, days: 0 },
        treatment: Treatment::Same,
        format: OutputFormat::Base64url,
    }
}

/// A project with rahul's organisation as collaborator (can_reverse as given) and an approved request.
fn approved(reg: &Registry, id: &str, method: Method, can_reverse: bool) -> Request {
    reg.create_project(&owner(), new_project(id, method), now()).unwrap();
    reg.add_collaborator(&owner(), &project(id), Collaborator { organisation: org(2), can_reverse }).unwrap();
    let r = reg.submit_request(&researcher(), &project(id), "dataset A", now()).unwrap();
    reg.decide_request(&admin(), &r.id, true, Some("ok"), now()).unwrap()
}

fn issue(reg: &Registry, f: &Fixture, req: &Request, kind: IssueKind) -> Result<IssuedToken> {
    reg.issue_token(&f.authority, &researcher(), &req.id, kind, "my token", Duration::from_secs(3600), now())
}

fn detail<T: std::fmt::Debug>(r: Result<T>) -> (ErrorKind, Option<&'static str>) {
    let e = r.unwrap_err();
    (e.kind(), e.detail())
}

#[test]
fn projects_fix_their_configuration() {
    for (name, reg) in stores() {
        let p = reg.create_project(&owner(), new_project("P1", Method::Reversible), now()).unwrap();
        assert!(p.config.retention_end.unix() >= now_s() + 365 * DAY, "{name}");
        assert_eq!(reg.project(&project("P1")).unwrap(), p, "{name}");
        assert_eq!(
            kind_of(reg.create_project(&owner(), new_project("P1", Method::Reversible), now())),
            ErrorKind::InvalidState
        );
        let extend =
            ProjectUpdate { retention: Some(Retention { years: 5, ..Default::default() }), ..Default::default() };
        assert_eq!(
            detail(reg.update_project(&owner(), &project("P1"), extend)),
            (ErrorKind::InvalidState, Some("retention_fixed"))
        );
        let method = ProjectUpdate { method: Some(Method::NotReversible), ..Default::default() };
        assert_eq!(
            detail(reg.update_project(&owner(), &project("P1"), method)),
            (ErrorKind::InvalidState, Some("method_fixed"))
        );
        let rename = ProjectUpdate { name: Some("renamed".into()), ..Default::default() };
        assert_eq!(reg.update_project(&owner(), &project("P1"), rename).unwrap().name, "renamed");
        assert_eq!(
            kind_of(reg.update_project(&outsider(), &project("P1"), ProjectUpdate::default())),
            ErrorKind::PermissionDenied
        );
        let mut zero = new_project("P0", Method::Reversible);
        zero.retention = Retention::default();
        assert_eq!(kind_of(reg.create_project(&owner(), zero, now())), ErrorKind::InvalidInput);
        let mut far = new_project("P9", Method::Reversible);
        far.retention = Retention { years: 150, months: 624, days: 0 };
        assert_eq!(kind_of(reg.create_project(&owner(), far, now())), ErrorKind::InvalidInput, "200 years at most");
    }
}

#[test]
fn requests_and_collaborators() {
    for (name, reg) in stores() {
        reg.create_project(&owner(), new_project("P1", Method::Reversible), now()).unwrap();
        assert_eq!(
            detail(reg.submit_request(&researcher(), &project("P1"), "d", now())).1,
            Some("not_a_collaborator"),
            "{name}"
        );
        reg.add_collaborator(&owner(), &project("P1"), Collaborator { organisation: org(2), can_reverse: false })
            .unwrap();
        let r = reg.submit_request(&researcher(), &project("P1"), "d", now()).unwrap();
        assert_eq!(r.status, RequestStatus::Pending);
        let add =
            reg.add_collaborator(&owner(), &project("P1"), Collaborator { organisation: org(4), can_reverse: false });
        assert_eq!(detail(add), (ErrorKind::InvalidState, Some("request_pending")));
        assert_eq!(kind_of(reg.decide_request(&researcher(), &r.id, true, None, now())), ErrorKind::PermissionDenied);
        let r = reg.decide_request(&admin(), &r.id, false, Some("missing ethics approval"), now()).unwrap();
        assert_eq!(r.status, RequestStatus::Rejected);
        assert_eq!(r.history.len(), 2);
        assert_eq!(r.history[1].comment.as_deref(), Some("missing ethics approval"));
        assert_eq!(reg.request(&r.id).unwrap(), r, "{name}: history kept");
        assert_eq!(kind_of(reg.decide_request(&admin(), &r.id, true, None, now())), ErrorKind::InvalidState);
        reg.add_collaborator(&owner(), &project("P1"), Collaborator { organisation: org(4), can_reverse: false })
            .unwrap();
        assert_eq!(reg.project(&project("P1")).unwrap().collaborators.len(), 2);
        // A request can say which token type it wants; the store keeps it (and "not said").
        let wants = reg.submit_request_for(&researcher(), &project("P1"), "d2", Some(TokenType::Rev), now()).unwrap();
        assert_eq!(reg.request(&wants.id).unwrap().token_type, Some(TokenType::Rev), "{name}");
        let listed = reg.requests(&project("P1")).unwrap();
        let said = |id: &str| listed.iter().find(|x| x.id == id).map(|x| x.token_type);
        assert_eq!((said(&r.id), said(&wants.id)), (Some(None), Some(Some(TokenType::Rev))), "{name}");
    }
}

#[test]
fn issuing_policy_refusals() {
    for (name, reg) in stores() {
        let f = Fixture::new();
        // Pending and rejected requests.
        reg.create_project(&owner(), new_project("P1", Method::Reversible), now()).unwrap();
        reg.add_collaborator(&owner(), &project("P1"), Collaborator { organisation: org(2), can_reverse: false })
            .unwrap();
        let pending = reg.submit_request(&researcher(), &project("P1"), "d", now()).unwrap();
        assert_eq!(
            detail(issue(&reg, &f, &pending, IssueKind::Pseudonymise)),
            (ErrorKind::IssueRefused, Some("request_not_approved")),
            "{name}"
        );
        reg.decide_request(&admin(), &pending.id, false, None, now()).unwrap();
        assert_eq!(detail(issue(&reg, &f, &pending, IssueKind::Pseudonymise)).1, Some("request_not_approved"));
        // Approved: psn works, rev refused without can_reverse.
        let ok = approved(&reg, "P2", Method::Reversible, false);
        assert!(issue(&reg, &f, &ok, IssueKind::Pseudonymise).is_ok());
        assert_eq!(detail(issue(&reg, &f, &ok, IssueKind::Reverse)), (ErrorKind::IssueRefused, Some("cannot_reverse")));
        // Not reversible project.
        let nrev = approved(&reg, "P3", Method::NotReversible, true);
        assert_eq!(detail(issue(&reg, &f, &nrev, IssueKind::Reverse)).1, Some("not_reversible"));
        // A non-collaborator (through the policy adapter, with a hand-made request).
        let policy = RegistryPolicy(reg.clone());
        let p = reg.project(&project("P2")).unwrap();
        let mut req = TokenRequest {
            kind: TokenKind::Pseudonymise,
            subject: "eve".into(),
            organisation: org(3),
            project: p.id.clone(),
            request: ok.id.clone(),
            config: p.config,
            lifetime: Duration::from_secs(60),
            key_version: Some(p.key_version),
        };
        assert_eq!(detail(policy.check(&req, now())).1, Some("request_mismatch"));
        req.organisation = org(2);
        assert!(policy.check(&req, now()).is_ok());
        let mut changed = p.config;
        changed.treatment = Treatment::Different;
        assert_eq!(
            detail(policy.check(&TokenRequest { config: changed, ..req.clone() }, now())).1,
            Some("config_mismatch")
        );
        // After retention.
        let later = Timestamp::from_unix(now_s() + 400 * DAY);
        assert_eq!(detail(policy.check(&req, later)).1, Some("retention_ended"));
        // A sec token needs an existing source and a source organisation that takes part in it.
        let sec = IssueKind::Secondary { source_project: project("NOPE"), source_org: org(1) };
        assert_eq!(detail(issue(&reg, &f, &ok, sec)).1, Some("unknown_source"));
        let sec = IssueKind::Secondary { source_project: project("P3"), source_org: org(9) };
        assert_eq!(detail(issue(&reg, &f, &ok, sec)).1, Some("unknown_source_organisation"));
        let sec = IssueKind::Secondary { source_project: project("P3"), source_org: org(1) };
        assert_eq!(issue(&reg, &f, &ok, sec).unwrap().token_type(), TokenType::Sec);
        // The holder must belong to the requesting organisation.
        let r = reg.issue_token(
            &f.authority,
            &outsider(),
            &ok.id,
            IssueKind::Pseudonymise,
            "x",
            Duration::from_secs(60),
            now(),
        );
        assert_eq!(kind_of(r), ErrorKind::PermissionDenied);
    }
}

#[test]
fn token_lifecycle_and_engine_refusal() {
    for (name, reg) in stores() {
        let f = Fixture::new();
        let engine = Engine::new(
            Keyring::new(MasterKey::generate_at(1, now()).unwrap()),
            &[f.authority.verifying_key().clone()],
            EngineOptions::new(ISSUER, AUDIENCE),
        )
        .unwrap()
        .with_token_status(reg.clone())
        .with_audit(reg.clone());
        let req = approved(&reg, "P1", Method::Reversible, true);
        let t = issue(&reg, &f, &req, IssueKind::Pseudonymise).unwrap();
        let rec = reg.token(t.jti()).unwrap();
        assert_eq!(
            (rec.status, rec.last_used, rec.name.as_str()),
            (TokenStatusKind::Active, None, "my token"),
            "{name}"
        );
        let run = |at| engine.call(Operation::Pseudonymise, t.token(), &["v1", "v2"], BatchMode::Strict, at);
        run(now()).unwrap();
        assert_eq!(reg.token(t.jti()).unwrap().last_used, Some(now()));
        // Revoke: refused from the next call on.
        assert_eq!(kind_of(reg.revoke_token(&outsider(), t.jti())), ErrorKind::PermissionDenied);
        reg.revoke_token(&researcher(), t.jti()).unwrap();
        assert_eq!(kind_of(run(now())), ErrorKind::Revoked);
        // Restore, use, then delete only after revoking.
        reg.restore_token(&researcher(), t.jti(), now()).unwrap();
        run(Timestamp::from_unix(now_s() + 5)).unwrap();
        assert_eq!(reg.token(t.jti()).unwrap().last_used, Some(Timestamp::from_unix(now_s() + 5)));
        assert_eq!(detail(reg.delete_token(&researcher(), t.jti())), (ErrorKind::InvalidState, Some("active")));
        assert_eq!(detail(reg.restore_token(&researcher(), t.jti(), now())).1, Some("not_revoked"));
        reg.revoke_token(&admin(), t.jti()).unwrap();
        assert_eq!(
            detail(reg.restore_token(&researcher(), t.jti(), Timestamp::from_unix(now_s() + 7200))).1,
            Some("expired")
        );
        reg.delete_token(&researcher(), t.jti()).unwrap();
        assert_eq!(kind_of(reg.restore_token(&researcher(), t.jti(), now())), ErrorKind::NotFound);
        assert_eq!(kind_of(run(now())), ErrorKind::Revoked, "deleted tokens stay refused");
        // Tokens the registry never recorded are refused too.
        let stray = f.issue(TokenKind::Pseudonymise, "P1", reg.project(&project("P1")).unwrap().config);
        assert_eq!(
            kind_of(engine.call(Operation::Pseudonymise, &stray, &["v"], BatchMode::Strict, now())),
            ErrorKind::Revoked
        );
        // A registry event is not a call: refused before anything, and never logged as one.
        for op in [Operation::IssueToken, Operation::DeleteAccessToken, Operation::Lookup] {
            let e = engine.call(op, &stray, &["v"], BatchMode::Strict, now()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}");
        }
        // Audit: every call, with outcome, never values; every change of the token, by whom, in order.
        let events = reg.audit_events(100).unwrap();
        let ops: Vec<&str> = events.iter().map(|e| e.operation.as_str()).collect();
        assert_eq!(
            ops,
            [
                "issue_token",
                "pseudonymise",
                "revoke_token",
                "pseudonymise",
                "restore_token",
                "pseudonymise",
                "revoke_token",
                "delete_token",
                "pseudonymise",
                "pseudonymise"
            ],
            "{name}"
        );
        let calls: Vec<&AuditEvent> = events.iter().filter(|e| !e.operation.is_registry_event()).collect();
        assert_eq!(calls[0].jti.as_deref(), Some(t.jti()));
        assert_eq!((calls[0].items, calls[0].error), (2, None));
        assert_eq!(calls[1].error, Some(ErrorKind::Revoked));
        let who = |e: &AuditEvent| (e.jti.clone(), e.subject.clone(), e.project.clone(), e.items, e.error);
        let change = |by: &str| (Some(t.jti().to_owned()), Some(by.to_owned()), Some("P1".to_owned()), 0, None);
        assert_eq!(who(&events[0]), change("rahul"), "{name}");
        assert_eq!(events[0].key_version, Some(1), "issue_token carries the project's key version");
        assert_eq!((who(&events[2]), events[2].key_version), (change("rahul"), None));
        assert_eq!((who(&events[4]), events[4].time), (change("rahul"), now()));
        assert_eq!(who(&events[6]), change("admin"));
        assert_eq!(who(&events[7]), change("rahul"));
        let shown = format!("{events:?}");
        assert!(!shown.contains("\"v1\"") && !shown.contains("\"v2\"") && !shown.contains(t.token()));
        assert!(reg.tokens().unwrap().iter().all(|r| r.jti != t.jti()));
    }
}

#[test]
fn access_tokens() {
    for (name, reg) in stores() {
        let made = reg
            .create_access_token(&owner(), AccessKind::Personal, None, "laptop", Duration::from_secs(30 * 86400), now())
            .unwrap();
        assert!(made.secret.starts_with(PERSONAL_PREFIX), "{name}");
        assert!(!format!("{made:?}").contains(made.secret.as_str()));
        let who = reg.authenticate(&made.secret, now()).unwrap();
        assert_eq!((who.principal.as_str(), who.last_used), ("olivia", Some(now())));
        assert_eq!(reg.access_token(&made.record.id).unwrap().last_used, Some(now()));
        // Wrong, truncated and mistyped secrets.
        let other = Registry::in_memory()
            .create_access_token(&owner(), AccessKind::Personal, None, "x", Duration::from_secs(60), now())
            .unwrap();
        assert_eq!(kind_of(reg.authenticate(&other.secret, now())), ErrorKind::AuthenticationFailed);
        assert_eq!(kind_of(reg.authenticate(&made.secret[..made.secret.len() - 2], now())), ErrorKind::InvalidSecret);
        let mut typo = made.secret.to_string();
        let i = PERSONAL_PREFIX.len();
        let c = if &typo[i..=i] == "x" { "y" } else { "x" };
        typo.replace_range(i..=i, c);
        assert_eq!(detail(reg.authenticate(&typo, now())), (ErrorKind::InvalidSecret, Some("bad_checksum")));
        assert_eq!(detail(reg.authenticate("ghp_0123456789", now())).1, Some("wrong_prefix"));
        // Expiry.
        assert_eq!(
            kind_of(reg.authenticate(&made.secret, Timestamp::from_unix(now_s() + 31 * DAY))),
            ErrorKind::AuthenticationFailed
        );
        // Service tokens: administrators only, for service accounts.
        let svc = Principal { id: "etl-bot".into(), organisation: org(1), role: Role::ServiceAccount };
        assert_eq!(
            kind_of(reg.create_access_token(
                &owner(),
                AccessKind::Service,
                Some(&svc),
                "etl",
                Duration::from_secs(60),
                now()
            )),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            kind_of(reg.create_access_token(
                &admin(),
                AccessKind::Service,
                Some(&owner()),
                "etl",
                Duration::from_secs(60),
                now()
            )),
            ErrorKind::InvalidInput
        );
        let s = reg
            .create_access_token(&admin(), AccessKind::Service, Some(&svc), "etl", Duration::from_secs(600), now())
            .unwrap();
        assert!(s.secret.starts_with(SERVICE_PREFIX));
        assert_eq!(reg.authenticate(&s.secret, now()).unwrap().principal, "etl-bot");
        // Lifecycle.
        assert_eq!(detail(reg.delete_access_token(&admin(), &s.record.id)).1, Some("active"));
        reg.revoke_access_token(&admin(), &s.record.id).unwrap();
        assert_eq!(kind_of(reg.authenticate(&s.secret, now())), ErrorKind::AuthenticationFailed);
        reg.restore_access_token(&admin(), &s.record.id, now()).unwrap();
        assert!(reg.authenticate(&s.secret, now()).is_ok());
        reg.revoke_access_token(&admin(), &s.record.id).unwrap();
        assert_eq!(
            detail(reg.restore_access_token(&admin(), &s.record.id, Timestamp::from_unix(now_s() + 601))).1,
            Some("expired")
        );
        reg.revoke_access_token(&admin(), &s.record.id).unwrap(); // already revoked: changes nothing
        reg.delete_access_token(&admin(), &s.record.id).unwrap();
        assert_eq!(kind_of(reg.restore_access_token(&admin(), &s.record.id, now())), ErrorKind::NotFound);
        let listed = reg.access_tokens().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(!format!("{listed:?}").contains(made.secret.as_str()));
        // The audit log has every change (refused ones and authentications are not changes), by whom.
        let events = reg.audit_events(100).unwrap();
        let seen: Vec<(Operation, Option<&str>, Option<&str>)> =
            events.iter().map(|e| (e.operation, e.jti.as_deref(), e.subject.as_deref())).collect();
        let (mine, svc) = (Some(made.record.id.as_str()), Some(s.record.id.as_str()));
        assert_eq!(
            seen,
            [
                (Operation::CreateAccessToken, mine, Some("olivia")),
                (Operation::CreateAccessToken, svc, Some("admin")),
                (Operation::RevokeAccessToken, svc, Some("admin")),
                (Operation::RestoreAccessToken, svc, Some("admin")),
                (Operation::RevokeAccessToken, svc, Some("admin")),
                (Operation::DeleteAccessToken, svc, Some("admin")),
            ],
            "{name}"
        );
        assert!(events.iter().all(|e| e.project.is_none() && e.key_version.is_none() && e.items == 0));
        let shown = format!("{events:?}");
        assert!(!shown.contains(made.secret.as_str()) && !shown.contains(s.secret.as_str()));
    }
}

#[test]
fn concurrent_issue_use_and_revoke_lose_nothing() {
    for (name, reg) in stores() {
        let f = Arc::new(Fixture::new());
        let engine = Arc::new(
            Engine::new(
                Keyring::new(MasterKey::generate_at(1, now()).unwrap()),
                &[f.authority.verifying_key().clone()],
                EngineOptions::new(ISSUER, AUDIENCE),
            )
            .unwrap()
            .with_token_status(reg.clone()),
        );
        let req = approved(&reg, "P1", Method::Reversible, true);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (reg, f, engine, req) = (reg.clone(), f.clone(), engine.clone(), req.clone());
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        let t = issue(&reg, &f, &req, IssueKind::Pseudonymise).unwrap();
                        engine.call(Operation::Pseudonymise, t.token(), &["v"], BatchMode::Strict, now()).unwrap();
                        reg.revoke_token(&researcher(), t.jti()).unwrap();
                        // Once revoke returned, the engine refuses the token.
                        let r = engine.call(Operation::Pseudonymise, t.token(), &["v"], BatchMode::Strict, now());
                        assert_eq!(r.unwrap_err().kind(), ErrorKind::Revoked);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let all = reg.tokens().unwrap();
        assert_eq!(all.len(), 80, "{name}: no issue lost");
        assert!(all.iter().all(|t| t.status == TokenStatusKind::Revoked && t.last_used == Some(now())), "{name}");
    }
}

#[test]
fn sqlite_file_persists_and_refuses_corruption() {
    let dir = std::env::temp_dir().join(format!("pseudo-reg-{}-{}", std::process::id(), now_s()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("registry.db");
    {
        let reg = Registry::open_sqlite(&path, RegistryOptions::default()).unwrap();
        approved(&reg, "P1", Method::Reversible, true);
    }
    let reg = Registry::open_sqlite(&path, RegistryOptions::default()).unwrap();
    assert_eq!(reg.project(&project("P1")).unwrap().collaborators.len(), 1);
    drop(reg);
    let garbage = dir.join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    let e = Registry::open_sqlite(&garbage, RegistryOptions::default()).unwrap_err();
    assert_eq!((e.kind(), e.detail()), (ErrorKind::Storage, Some("corrupt")));
    // A damaged page inside a real registry file.
    let mut bytes = std::fs::read(&path).unwrap();
    if bytes.len() > 4096 + 200 {
        for b in &mut bytes[4096..4096 + 200] {
            *b = 0xff;
        }
        let damaged = dir.join("damaged.db");
        std::fs::write(&damaged, &bytes).unwrap();
        let r = Registry::open_sqlite(&damaged, RegistryOptions::default()).and_then(|reg| reg.projects().map(|_| ()));
        assert_eq!(r.unwrap_err().kind(), ErrorKind::Storage);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Crash safety: a child process (this test binary, re-run in writer mode) issues records into a
/// SQLite registry and reports each commit; it is killed with SIGKILL mid-stream; the registry
/// reopens consistent, holding every reported write.
#[test]
fn sqlite_survives_sigkill_mid_stream() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    if let Ok(path) = std::env::var("PSEUDO_CRASH_WRITER") {
        let reg = Registry::open_sqlite(&path, RegistryOptions::default()).unwrap();
        let f = Fixture::new();
        let req = approved(&reg, "P1", Method::Reversible, true);
        for i in 0.. {
            let t = issue(&reg, &f, &req, IssueKind::Pseudonymise).unwrap();
            println!("committed {} {i}", t.jti());
        }
        return;
    }
    let dir = std::env::temp_dir().join(format!("pseudo-crash-{}-{}", std::process::id(), now_s()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("registry.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "sqlite_survives_sigkill_mid_stream", "--nocapture", "--test-threads=1"])
        .env("PSEUDO_CRASH_WRITER", &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut committed = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while committed.len() < 200 {
        let line = lines.next().expect("writer ended early").unwrap();
        if let Some(rest) = line.strip_prefix("committed ") {
            committed.push(rest.split(' ').next().unwrap().to_owned());
        }
    }
    // SIGKILL (Child::kill sends SIGKILL on Unix): no destructor, no checkpoint.
    child.kill().unwrap();
    child.wait().unwrap();
    let reg = Registry::open_sqlite(&path, RegistryOptions::default()).unwrap();
    let held: std::collections::HashSet<String> = reg.tokens().unwrap().into_iter().map(|t| t.jti).collect();
    for jti in &committed {
        assert!(held.contains(jti), "a committed write was lost");
    }
    assert!(held.len() >= committed.len());
    assert_eq!(reg.project(&project("P1")).unwrap().collaborators.len(), 1);
    std::fs::remove_dir_all(&dir).ok();
}

/// Two registries on one database stand for two processes (separate connections, separate
/// in-process locks): concurrent decisions and collaborator changes lose nothing.
fn two_processes_lose_nothing(a: Arc<Registry>, b: Arc<Registry>) {
    a.create_project(&owner(), new_project("P1", Method::Reversible), now()).unwrap();
    a.add_collaborator(&owner(), &project("P1"), Collaborator { organisation: org(2), can_reverse: false }).unwrap();
    for round in 0..10 {
        let r = a.submit_request(&researcher(), &project("P1"), "d", now()).unwrap();
        let (ra, rb) = (a.clone(), b.clone());
        let (id_a, id_b) = (r.id.clone(), r.id.clone());
        let ta = std::thread::spawn(move || ra.decide_request(&admin(), &id_a, true, Some("yes"), now()));
        let tb = std::thread::spawn(move || rb.decide_request(&admin(), &id_b, false, Some("no"), now()));
        let (x, y) = (ta.join().unwrap(), tb.join().unwrap());
        assert!(x.is_ok() != y.is_ok(), "round {round}: exactly one decision wins");
        let stored = a.request(&r.id).unwrap();
        assert_eq!(stored.history.len(), 2, "round {round}: one decision in the history");
        assert_eq!(stored.status, stored.history[1].status);
    }
    let (ra, rb) = (a.clone(), b.clone());
    let ta = std::thread::spawn(move || {
        for i in 10..30u8 {
            ra.add_collaborator(&owner(), &project("P1"), Collaborator { organisation: org(i), can_reverse: false })
                .unwrap();
        }
    });
    let tb = std::thread::spawn(move || {
        for i in 30..50u8 {
            rb.add_collaborator(&owner(), &project("P1"), Collaborator { organisation: org(i), can_reverse: true })
                .unwrap();
        }
    });
    ta.join().unwrap();
    tb.join().unwrap();
    b.update_project(&owner(), &project("P1"), ProjectUpdate { name: Some("renamed".into()), ..Default::default() })
        .unwrap();
    let p = a.project(&project("P1")).unwrap();
    assert_eq!(p.collaborators.len(), 41, "no collaborator lost");
    assert_eq!(p.name, "renamed");
}

#[test]
fn two_processes_on_one_sqlite_file() {
    let dir = std::env::temp_dir().join(format!("pseudo-2proc-{}-{}", std::process::id(), now_s()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("registry.db");
    let a = Arc::new(Registry::open_sqlite(&path, RegistryOptions::default()).unwrap());
    let b = Arc::new(Registry::open_sqlite(&path, RegistryOptions::default()).unwrap());
    two_processes_lose_nothing(a, b);
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "postgres")]
#[test]
fn two_nodes_on_one_postgres_database() {
    let url = common::pg::Pg::get().fresh_url();
    let a = Arc::new(Registry::open_postgres(&url, RegistryOptions::default()).unwrap());
    let b = Arc::new(Registry::open_postgres(&url, RegistryOptions::default()).unwrap());
    two_processes_lose_nothing(a, b);
}

#[test]
fn a_token_that_reuses_a_recorded_jti_is_refused() {
    // The review's attack: the authority's key signs a rev token (for an organisation without
    // the reverse right) that reuses the jti of a recorded psn token. The registry binds its
    // record to the exact token, so only the recorded token passes — with or without the
    // revocation cache.
    for staleness in [Duration::ZERO, Duration::from_secs(60)] {
        let options = RegistryOptions { revocation_staleness: staleness, ..RegistryOptions::default() };
        for (name, reg) in stores_with(options) {
            let f = Fixture::new();
            let engine = Engine::new(
                Keyring::new(MasterKey::generate_at(1, now()).unwrap()),
                &[f.authority.verifying_key().clone()],
                EngineOptions::new(ISSUER, AUDIENCE),
            )
            .unwrap()
            .with_token_status(reg.clone());
            let req = approved(&reg, "P1", Method::Reversible, false);
            let psn = issue(&reg, &f, &req, IssueKind::Pseudonymise).unwrap();
            let pseudonyms =
                engine.call(Operation::Pseudonymise, psn.token(), &["v1"], BatchMode::Strict, now()).unwrap();
            let pseudonyms = pseudonyms.into_strings().unwrap();
            assert_eq!(reg.token(psn.jti()).unwrap().digest, Some(token_digest(psn.token())), "{name}");

            let p = reg.project(&project("P1")).unwrap();
            let mut h = f.header();
            h["typ"] = serde_json::json!("pseudo-rev+jwt");
            let mut c = f.claims();
            c["jti"] = serde_json::json!(psn.jti());
            c["tt"] = serde_json::json!("rev");
            c["lvl"] = serde_json::json!(1);
            c["sub"] = serde_json::json!("rahul");
            c["org"] = serde_json::json!(org(2).to_string());
            c["req"] = serde_json::json!(req.id);
            c["cfg"]["ret"] = serde_json::json!(p.config.retention_end.unix());
            let forged = f.forge(&h, &c);
            // Without a registry the forged token is a valid signature over valid claims ...
            f.engine.verify_at(&forged, Operation::Reverse, now()).unwrap();
            // ... but the registry never issued it.
            let e = engine.call(Operation::Reverse, &forged, &pseudonyms, BatchMode::Strict, now()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Revoked, "{name} staleness {staleness:?}");
            // The recorded token still works.
            engine.call(Operation::Pseudonymise, psn.token(), &["v1"], BatchMode::Strict, now()).unwrap();
        }
    }
}

#[test]
fn absurd_clocks_in_the_registry_are_invalid_input() {
    for (name, reg) in stores() {
        for at in [i64::MAX, i64::MIN, -1] {
            let at = Timestamp::from_unix(at);
            assert_eq!(
                kind_of(reg.create_project(&owner(), new_project("P1", Method::Reversible), at)),
                ErrorKind::InvalidInput,
                "{name}"
            );
            assert_eq!(
                kind_of(reg.create_access_token(
                    &owner(),
                    AccessKind::Personal,
                    None,
                    "x",
                    Duration::from_secs(60),
                    at
                )),
                ErrorKind::InvalidInput
            );
        }
        let req = approved(&reg, "P2", Method::Reversible, true);
        let f = Fixture::new();
        assert_eq!(
            kind_of(reg.issue_token(
                &f.authority,
                &researcher(),
                &req.id,
                IssueKind::Pseudonymise,
                "t",
                Duration::from_secs(60),
                Timestamp::from_unix(i64::MAX)
            )),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind_of(reg.decide_request(&admin(), &req.id, true, None, Timestamp::from_unix(i64::MAX))),
            ErrorKind::InvalidInput
        );
    }
}

#[test]
fn records_from_before_token_binding_are_refused() {
    // A schema-1 database has no digests: its tokens fail closed after the migration.
    let dir = std::env::temp_dir().join(format!("pseudo-digest-{}-{}", std::process::id(), now_s()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("registry.db");
    let reg = Arc::new(Registry::open_sqlite(&path, RegistryOptions::default()).unwrap());
    let f = Fixture::new();
    let req = approved(&reg, "P1", Method::Reversible, true);
    let t = issue(&reg, &f, &req, IssueKind::Pseudonymise).unwrap();
    drop(reg);
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute("UPDATE tokens SET digest = NULL", []).unwrap();
    }
    let reg = Arc::new(Registry::open_sqlite(&path, RegistryOptions::default()).unwrap());
    assert_eq!(reg.token(t.jti()).unwrap().digest, None);
    let engine = Engine::new(
        Keyring::new(MasterKey::generate_at(1, now()).unwrap()),
        &[f.authority.verifying_key().clone()],
        EngineOptions::new(ISSUER, AUDIENCE),
    )
    .unwrap()
    .with_token_status(reg.clone());
    let e = engine.call(Operation::Pseudonymise, t.token(), &["v"], BatchMode::Strict, now()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Revoked);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An engine on a registry whose store is a SQLite file, with the given write delay.
fn engine_on(reg: &Arc<Registry>, f: &Fixture) -> Engine {
    Engine::new(
        Keyring::new(MasterKey::generate_at(1, now()).unwrap()),
        &[f.authority.verifying_key().clone()],
        EngineOptions::new(ISSUER, AUDIENCE),
    )
    .unwrap()
    .with_token_status(reg.clone())
    .with_audit(reg.clone())
}

#[test]
fn buffered_writes_reach_the_store_on_read_flush_and_drop() {
    let dir = std::env::temp_dir().join(format!("pseudo-buffer-{}-{}", std::process::id(), now_s()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("registry.db");
    let hour = RegistryOptions { write_delay: Duration::from_secs(3600), ..RegistryOptions::default() };
    let reg = Arc::new(Registry::open_sqlite(&path, hour).unwrap());
    let f = Fixture::new();
    let req = approved(&reg, "P1", Method::Reversible, true);
    let t = issue(&reg, &f, &req, IssueKind::Pseudonymise).unwrap();
    let engine = engine_on(&reg, &f);
    for i in 0..10 {
        let at = Timestamp::from_unix(now_s() + i);
        engine.call(Operation::Pseudonymise, t.token(), &["v"], BatchMode::Strict, at).unwrap();
    }
    // Still in memory: the store has neither the last use nor the events ...
    assert_eq!(reg.store().token(t.jti()).unwrap().unwrap().last_used, None);
    // (only the registry's own event of issuing the token is there) ...
    let ops = |events: Vec<AuditEvent>| events.iter().map(|e| e.operation).collect::<Vec<_>>();
    assert_eq!(ops(reg.store().audit(100).unwrap()), [Operation::IssueToken]);
    // ... but every read through the registry flushes first.
    assert_eq!(reg.token(t.jti()).unwrap().last_used, Some(Timestamp::from_unix(now_s() + 9)));
    assert_eq!(reg.store().audit(100).unwrap().len(), 11);
    // A revoke is written at once (its event too) and refused by the very next call.
    reg.revoke_token(&researcher(), t.jti()).unwrap();
    assert_eq!(reg.store().audit(100).unwrap()[11].operation, Operation::RevokeToken);
    assert_eq!(
        kind_of(engine.call(Operation::Pseudonymise, t.token(), &["v"], BatchMode::Strict, now())),
        ErrorKind::Revoked
    );
    // Dropping the last handle writes what is pending (the refused call's event).
    drop(engine);
    drop(reg);
    let reopened = Registry::open_sqlite(&path, RegistryOptions::default()).unwrap();
    let events = reopened.audit_events(100).unwrap();
    assert_eq!(events.len(), 13);
    assert_eq!((events[12].operation, events[12].error), (Operation::Pseudonymise, Some(ErrorKind::Revoked)));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn buffered_writes_survive_sigkill_up_to_the_last_flush() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    if let Ok(path) = std::env::var("PSEUDO_BUFFER_WRITER") {
        let reg = Arc::new(Registry::open_sqlite(&path, RegistryOptions::default()).unwrap());
        let f = Fixture::new();
        let req = approved(&reg, "P1", Method::Reversible, true);
        let t = issue(&reg, &f, &req, IssueKind::Pseudonymise).unwrap();
        let engine = engine_on(&reg, &f);
        for i in 1.. {
            engine.call(Operation::Pseudonymise, t.token(), &["v"], BatchMode::Strict, now()).unwrap();
            if i % 500 == 0 {
                reg.flush().unwrap();
                println!("flushed {i}");
            }
        }
        return;
    }
    let dir = std::env::temp_dir().join(format!("pseudo-buffer-kill-{}-{}", std::process::id(), now_s()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("registry.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "buffered_writes_survive_sigkill_up_to_the_last_flush", "--nocapture", "--test-threads=1"])
        .env("PSEUDO_BUFFER_WRITER", &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut flushed = 0;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while flushed < 3000 {
        let line = lines.next().expect("writer ended early").unwrap();
        if let Some(n) = line.strip_prefix("flushed ") {
            flushed = n.parse().unwrap();
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let reg = Registry::open_sqlite(&path, RegistryOptions::default()).unwrap();
    let stored = reg.audit_events(1_000_000).unwrap().len();
    assert!(stored >= flushed, "{stored} events stored, {flushed} acknowledged as flushed");
    // What a crash loses is what was made after the last flush (here: at most the calls between
    // the last "flushed" line and the kill); the figure goes to the test log.
    eprintln!("buffered writes: {flushed} flushed before SIGKILL, {stored} stored");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn issue_kinds_follow_one_rule_for_every_face() {
    let src = || Some((project("P0"), org(9)));
    assert_eq!(IssueKind::new(TokenType::Psn, None).unwrap(), IssueKind::Pseudonymise);
    assert_eq!(IssueKind::new(TokenType::Rev, None).unwrap(), IssueKind::Reverse);
    assert_eq!(
        IssueKind::new(TokenType::Sec, src()).unwrap(),
        IssueKind::Secondary { source_project: project("P0"), source_org: org(9) }
    );
    assert_eq!(
        IssueKind::new(TokenType::Rev, src()).unwrap(),
        IssueKind::ReverseLevel2 { source_project: project("P0"), source_org: org(9) }
    );
    assert_eq!(kind_of(IssueKind::new(TokenType::Psn, src())), ErrorKind::InvalidInput);
    assert_eq!(kind_of(IssueKind::new(TokenType::Sec, None)), ErrorKind::InvalidInput);
    for t in TokenType::ALL {
        assert_eq!(t.as_str().parse::<TokenType>().unwrap(), t);
        assert_eq!(IssueKind::new(t, if t == TokenType::Sec { src() } else { None }).unwrap().token_type(), t);
    }
    assert_eq!(kind_of("PSN".parse::<TokenType>()), ErrorKind::InvalidInput);
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_nodes_starting_together_migrate_once_and_foreign_or_newer_schemas_are_refused() {
    let pg = common::pg::Pg::get();
    let url = pg.fresh_url();
    // Eight nodes open one empty database at once: the advisory lock lets one migrate, the
    // others find the schema current.
    let opened: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PostgresStore::open(&url).map(|s| s.schema_version().unwrap()))
        })
        .collect();
    for t in opened {
        assert_eq!(t.join().unwrap().unwrap(), 4);
    }
    let a = Registry::open_postgres(&url, RegistryOptions::default()).unwrap();
    a.create_project(&owner(), new_project("P1", Method::Reversible), now()).unwrap();
    let b = Registry::open_postgres(&url, RegistryOptions::default()).unwrap();
    assert_eq!(b.projects().unwrap().len(), 1, "a second node sees the first one's records");

    // A schema-2 database (before key versions): its projects are bound to version 1.
    let old = pg.fresh_url();
    let reg = Registry::open_postgres(&old, RegistryOptions { primary_key_version: 5, ..Default::default() }).unwrap();
    reg.create_project(&owner(), new_project("P1", Method::Reversible), now()).unwrap();
    drop(reg);
    pg.psql(
        old.rsplit('/').next().unwrap(),
        "ALTER TABLE projects DROP COLUMN key_version; ALTER TABLE projects DROP COLUMN key_versions; \
         ALTER TABLE audit DROP COLUMN key_version; ALTER TABLE requests DROP COLUMN token_type; \
         UPDATE pseudo_registry_schema SET version = 2",
    );
    let p = Registry::open_postgres(&old, RegistryOptions::default()).unwrap().project(&project("P1")).unwrap();
    assert_eq!((p.key_version, p.key_versions), (1, vec![1]));

    let newer = pg.fresh_url();
    PostgresStore::open(&newer).unwrap();
    let name = newer.rsplit('/').next().unwrap();
    pg.psql(name, "UPDATE pseudo_registry_schema SET version = 99");
    assert_eq!(detail(PostgresStore::open(&newer)), (ErrorKind::Storage, Some("too_new")));

    let foreign = pg.fresh_url();
    pg.psql(foreign.rsplit('/').next().unwrap(), "CREATE TABLE tokens(id int)");
    assert_eq!(detail(PostgresStore::open(&foreign)), (ErrorKind::Storage, Some("foreign")));

    // Nothing of the connection string (here its password) shows in an error or in Debug.
    let e = PostgresStore::open(&format!("postgres://postgres:hunter2@127.0.0.1:{}/nope", pg.port)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert!(!format!("{e} {e:?}").contains("hunter2"));
    assert!(!format!("{:?}", PostgresStore::open(&url).unwrap()).contains("127.0.0.1"));
}

#[cfg(feature = "postgres-tls")]
#[test]
fn postgres_over_tls_verifies_the_server() {
    let pg = common::pg::Pg::get();
    let url = format!("{}?sslmode=require", pg.fresh_url());
    // Trusting the database's CA: the connection is TLS, and the store works over it.
    let store = PostgresStore::open_with_ca(&url, Some(&pg.ca_pem())).unwrap();
    let reg = Registry::new(Arc::new(store), RegistryOptions::default());
    reg.create_project(&owner(), new_project("P1", Method::Reversible), now()).unwrap();
    let tls = pg.psql(
        "postgres",
        "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
         WHERE a.application_name = 'pseudo' AND s.ssl",
    );
    assert!(tls.trim().parse::<u32>().unwrap() >= 1, "the registry's connections use TLS");
    // A server certificate the client cannot verify is refused (no fallback to plain text).
    let e = PostgresStore::open(&url).unwrap_err();
    assert_eq!(detail(Err::<(), _>(e)), (ErrorKind::Storage, Some("unavailable")));
    assert_eq!(
        detail(PostgresStore::open_with_ca(&url, Some(b"not a certificate"))),
        (ErrorKind::InvalidInput, Some("bad_ca"))
    );
}

#[test]
fn projects_move_to_another_key_version_on_every_store() {
    for (name, reg) in stores() {
        let f = Fixture::new();
        let req = approved(&reg, "P1", Method::Reversible, true);
        let t = issue(&reg, &f, &req, IssueKind::Pseudonymise).unwrap();
        assert_eq!(detail(reg.check_retire(1, now())), (ErrorKind::InvalidState, Some("key_version_in_use")), "{name}");
        let (p, revoked) = reg.rekey_project(&admin(), &project("P1"), 2, now()).unwrap();
        assert_eq!(
            (p.key_version, p.key_versions.clone(), revoked),
            (2, vec![1, 2], vec![t.jti().to_owned()]),
            "{name}"
        );
        assert_eq!(reg.project(&project("P1")).unwrap(), p, "{name}: stored");
        assert_eq!(reg.token(t.jti()).unwrap().status, TokenStatusKind::Revoked, "{name}");
        // Back to 1 keeps the history without duplicates.
        let (p, _) = reg.rekey_project(&admin(), &project("P1"), 1, now()).unwrap();
        assert_eq!((p.key_version, p.key_versions), (1, vec![1, 2]), "{name}");
        reg.check_retire(2, now()).unwrap();
        reg.retire_key_version(&admin(), 2, now()).unwrap();
        let events = reg.audit_events(100).unwrap();
        let kv: Vec<(Operation, Option<u16>)> = events.iter().map(|e| (e.operation, e.key_version)).collect();
        assert!(
            kv.contains(&(Operation::Rekey, Some(2))) && kv.contains(&(Operation::RetireKey, Some(2))),
            "{name}: {kv:?}"
        );
        assert_eq!(kind_of(reg.rekey_project(&admin(), &project("nope"), 2, now())), ErrorKind::NotFound, "{name}");
    }
}

#[test]
fn projects_from_before_key_versions_are_bound_to_version_1() {
    let dir = std::env::temp_dir().join(format!("pseudo-kv-{}-{}", std::process::id(), now_s()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("registry.db");
    let reg = Registry::open_sqlite(&path, RegistryOptions { primary_key_version: 5, ..Default::default() }).unwrap();
    reg.create_project(&owner(), new_project("P1", Method::Reversible), now()).unwrap();
    drop(reg);
    {
        // Back to schema 2: no key-version columns (nor the request's token type of schema 4).
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "ALTER TABLE projects DROP COLUMN key_version; ALTER TABLE projects DROP COLUMN key_versions;
             ALTER TABLE audit DROP COLUMN key_version; ALTER TABLE requests DROP COLUMN token_type;
             PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let reg = Registry::open_sqlite(&path, RegistryOptions::default()).unwrap();
    let p = reg.project(&project("P1")).unwrap();
    assert_eq!((p.key_version, p.key_versions), (1, vec![1]));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_token_whose_audit_event_cannot_be_written_is_not_left_active() {
    let dir = std::env::temp_dir().join(format!("pseudo-audit-fail-{}-{}", std::process::id(), now_s()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("registry.db");
    let reg = Registry::open_sqlite(&path, RegistryOptions::default()).unwrap();
    let f = Fixture::new();
    let req = approved(&reg, "P1", Method::Reversible, true);
    // The audit table refuses every write from now on (a full disk, a broken trigger ...).
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'no'); END;").unwrap();
    // (SQLite reports the trigger's abort as a constraint: `invalid_state`.)
    assert!(issue(&reg, &f, &req, IssueKind::Pseudonymise).is_err());
    assert!(reg.tokens().unwrap().is_empty(), "the token nobody was given is not recorded");
    let made = reg.create_access_token(&owner(), AccessKind::Personal, None, "x", Duration::from_secs(60), now());
    assert!(made.is_err());
    assert!(reg.access_tokens().unwrap().iter().all(|a| a.name != "x"), "nor the access token");
    // Once the log can be written again, both work and are logged.
    c.execute_batch("DROP TRIGGER no_audit;").unwrap();
    let t = issue(&reg, &f, &req, IssueKind::Pseudonymise).unwrap();
    let events = reg.audit_events(10).unwrap();
    assert_eq!(
        (events.len(), events[0].operation, events[0].jti.as_deref()),
        (1, Operation::IssueToken, Some(t.jti()))
    );
    drop(c);
    drop(reg);
    std::fs::remove_dir_all(&dir).ok();
}
