//! Key versions and rotation: a project is bound to the key version that was primary when it was
//! created (its tokens' `kv`), rotation changes no existing pseudonym, a leaked version is retired
//! after its projects were rewrapped (reversible) or looked up (not reversible), and retention
//! end still shreds every version's keys.
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use pseudo_core::registry::*;
use pseudo_core::*;

const VALUES: [&str; 3] = ["Example PID 1", "Example PID 2", "Ünïcödé ✓"];

fn admin() -> Principal {
    Principal { id: "admin".into(), organisation: org(1), role: Role::Admin }
}
fn owner() -> Principal {
    Principal { id: "olivia".into(), organisation: org(1), role: Role::User }
}
fn researcher() -> Principal {
    Principal { id: "rahul".into(), organisation: org(2), role: Role::User }
}

fn kv_request(kind: TokenKind, prj: &str, c: ProjectConfig, kv: u16) -> TokenRequest {
    TokenRequest { key_version: Some(kv), ..request(kind, prj, c) }
}

fn issue_kv(f: &Fixture, kind: TokenKind, prj: &str, c: ProjectConfig, kv: u16) -> String {
    f.authority.issue_at(&kv_request(kind, prj, c, kv), now()).unwrap().into_token()
}

fn rotate(f: &Fixture, version: u16) {
    f.engine.add_key_version(MasterKey::generate_at(version, now()).unwrap(), true).unwrap();
}

/// One strict call at the tests' clock (`now()`: the tokens are issued then).
fn run<S: AsRef<str> + Sync>(e: &Engine, op: Operation, token: &str, values: &[S]) -> Result<Vec<String>> {
    e.call(op, token, values, BatchMode::Strict, now()).map(|o| o.into_strings().unwrap())
}
fn psn<S: AsRef<str> + Sync>(e: &Engine, token: &str, values: &[S]) -> Result<Vec<String>> {
    run(e, Operation::Pseudonymise, token, values)
}
fn rev<S: AsRef<str> + Sync>(e: &Engine, token: &str, values: &[S]) -> Result<Vec<String>> {
    run(e, Operation::Reverse, token, values)
}
fn rewrap<S: AsRef<str> + Sync>(e: &Engine, token: &str, values: &[S]) -> Result<Vec<String>> {
    run(e, Operation::Rewrap, token, values)
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The key version in a pseudonym's header (bytes 3–4), for base64url pseudonyms.
fn header_version(p: &str) -> u16 {
    let raw = data_encoding::BASE64URL_NOPAD.decode(p.as_bytes()).unwrap();
    u16::from_be_bytes([raw[3], raw[4]])
}

fn detail<T: std::fmt::Debug>(r: Result<T>) -> (ErrorKind, Option<&'static str>) {
    let e = r.unwrap_err();
    (e.kind(), e.detail())
}

#[test]
fn same_pseudonyms_are_identical_before_and_after_a_rotation() {
    let f = Fixture::new();
    for (prj, c) in
        [("P-SIV", rev_same()), ("P-MAC", cfg(Method::NotReversible, Treatment::Same, OutputFormat::Base64url))]
    {
        let token = f.issue(TokenKind::Pseudonymise, prj, c);
        let before = f.psn(&token, &VALUES).unwrap();
        assert!(before.iter().all(|p| header_version(p) == 1));
        rotate(&f, 2 + u16::from(prj == "P-MAC"));
        assert_ne!(f.engine.primary_key_version(), 1);
        // The same token, and a token issued after the rotation for the same (version-1) project.
        assert_eq!(f.psn(&token, &VALUES).unwrap(), before, "{prj}");
        assert_eq!(f.psn(&issue_kv(&f, TokenKind::Pseudonymise, prj, c, 1), &VALUES).unwrap(), before, "{prj}");
        // A project bound to the new version gets other pseudonyms, under the new version.
        let v = f.engine.primary_key_version();
        let fresh = f.psn(&issue_kv(&f, TokenKind::Pseudonymise, prj, c, v), &VALUES).unwrap();
        assert!(fresh.iter().zip(&before).all(|(a, b)| a != b));
        assert!(fresh.iter().all(|p| header_version(p) == v));
    }
    assert_eq!(f.engine.key_versions(), [1, 2, 3]);
    // Reversal reads every held version.
    let rev_t = issue_kv(&f, TokenKind::Reverse(ReverseLevel::Level1), "P-SIV", rev_same(), 1);
    let p1 = f.psn(&f.issue(TokenKind::Pseudonymise, "P-SIV", rev_same()), &VALUES).unwrap();
    assert_eq!(f.rev(&rev_t, &p1).unwrap(), VALUES);
}

#[test]
fn the_registry_binds_projects_to_the_primary_of_their_creation() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let v1 = Registry::new(store.clone(), RegistryOptions::default());
    let new = |id: &str| NewProject {
        id: project(id),
        name: id.into(),
        method: Method::Reversible,
        retention: Retention { years: 1, ..Default::default() },
        treatment: Treatment::Same,
        format: OutputFormat::Base64url,
    };
    let a = v1.create_project(&owner(), new("A"), now()).unwrap();
    assert_eq!((a.key_version, a.key_versions.clone()), (1, vec![1]));
    // The authority learns of the rotation from its configuration (here: a restart with it).
    let v2 = Registry::new(store, RegistryOptions { primary_key_version: 2, ..Default::default() });
    let b = v2.create_project(&owner(), new("B"), now()).unwrap();
    assert_eq!(b.key_version, 2);
    assert_eq!(v2.project(&project("A")).unwrap().key_version, 1, "rotation moves no existing project");
    // Tokens carry the project's version; a request naming another one is refused.
    let f = Fixture::new();
    v2.add_collaborator(&owner(), &project("A"), Collaborator { organisation: org(2), can_reverse: true }).unwrap();
    let r = v2.submit_request(&researcher(), &project("A"), "data", now()).unwrap();
    v2.decide_request(&admin(), &r.id, true, None, now()).unwrap();
    let t = v2
        .issue_token(&f.authority, &researcher(), &r.id, IssueKind::Pseudonymise, "t", Duration::from_secs(60), now())
        .unwrap();
    assert_eq!(f.engine.verify_at(t.token(), Operation::Pseudonymise, now()).unwrap().key_version(), 1);
    let mut req = TokenRequest {
        organisation: org(2),
        request: r.id.clone(),
        ..kv_request(TokenKind::Pseudonymise, "A", a.config, 2)
    };
    assert_eq!(detail(v2.check_issue(&req, now())), (ErrorKind::IssueRefused, Some("key_version_mismatch")));
    req.key_version = Some(1);
    v2.check_issue(&req, now()).unwrap();
}

/// A registry-backed fixture: project `id` (reversible or not, treatment `t`) with rahul's
/// organisation as a collaborator that may reverse, and an approved request.
struct Setup {
    f: Fixture,
    reg: Arc<Registry>,
    engine: Engine,
    request: String,
}

impl Setup {
    fn new(id: &str, method: Method, treatment: Treatment) -> Self {
        let f = Fixture::new();
        rotate(&f, 2);
        f.engine.add_key_version(MasterKey::generate_at(3, now()).unwrap(), false).unwrap();
        let reg = Arc::new(Registry::in_memory());
        let p = NewProject {
            id: project(id),
            name: id.into(),
            method,
            retention: Retention { years: 1, ..Default::default() },
            treatment,
            format: OutputFormat::Base64url,
        };
        let p = reg.create_project(&owner(), p, now()).unwrap();
        assert_eq!(p.key_version, 1);
        reg.add_collaborator(&owner(), &p.id, Collaborator { organisation: org(2), can_reverse: true }).unwrap();
        let r = reg.submit_request(&researcher(), &p.id, "data", now()).unwrap();
        reg.decide_request(&admin(), &r.id, true, None, now()).unwrap();
        // A second engine on the same keys, wired to the registry (revocation).
        let keys = Keyring::from_bytes(&f.engine.export_keyring().unwrap()).unwrap();
        let engine = Engine::new(keys, &[f.authority.verifying_key().clone()], EngineOptions::new(ISSUER, AUDIENCE))
            .unwrap()
            .with_token_status(reg.clone())
            .with_audit(reg.clone());
        Setup { f, reg, engine, request: r.id }
    }

    fn token(&self, kind: IssueKind) -> String {
        self.reg
            .issue_token(&self.f.authority, &researcher(), &self.request, kind, "t", Duration::from_secs(3600), now())
            .unwrap()
            .into_token()
    }
}

#[test]
fn rewrap_moves_a_reversible_project_to_a_new_version_without_returning_originals() {
    for treatment in [Treatment::Same, Treatment::Different] {
        let s = Setup::new("P1", Method::Reversible, treatment);
        let old_psn = s.token(IssueKind::Pseudonymise);
        let old_rev = s.token(IssueKind::Reverse);
        let old = psn(&s.engine, &old_psn, &VALUES).unwrap();
        assert!(old.iter().all(|p| header_version(p) == 1));

        // Version 1 leaked: the administrator moves the project to version 3.
        assert_eq!(detail(s.reg.rekey_project(&owner(), &project("P1"), 3, now())).1, Some("not_admin"));
        let (p, revoked) = s.reg.rekey_project(&admin(), &project("P1"), 3, now()).unwrap();
        assert_eq!((p.key_version, p.key_versions.clone()), (3, vec![1, 3]));
        assert_eq!(revoked.len(), 2, "both old tokens are revoked");
        assert_eq!(kind_of(psn(&s.engine, &old_psn, &VALUES)), ErrorKind::Revoked);
        assert_eq!(kind_of(rev(&s.engine, &old_rev, &old)), ErrorKind::Revoked);
        assert_eq!(detail(s.reg.rekey_project(&admin(), &project("P1"), 3, now())).1, Some("same_key_version"));

        let rev_t = s.token(IssueKind::Reverse);
        let rewrapped = rewrap(&s.engine, &rev_t, &old).unwrap();
        assert!(rewrapped.iter().all(|p| header_version(p) == 3));
        assert!(rewrapped.iter().all(|p| !VALUES.contains(&p.as_str())), "no original comes out");
        assert_eq!(rev(&s.engine, &rev_t, &rewrapped).unwrap(), VALUES);
        if treatment == Treatment::Same {
            let fresh = psn(&s.engine, &s.token(IssueKind::Pseudonymise), &VALUES).unwrap();
            assert_eq!(rewrapped, fresh, "a rewrapped pseudonym equals a fresh one of the new version");
            // Rewrapping a pseudonym already of the new version changes nothing.
            assert_eq!(rewrap(&s.engine, &rev_t, &fresh).unwrap(), fresh);
        }
        let events = s.reg.audit_events(100).unwrap();
        let rekey = events.iter().find(|e| e.operation == Operation::Rekey).unwrap();
        assert_eq!((rekey.project.as_deref(), rekey.key_version, rekey.items), (Some("P1"), Some(3), 2));
        let rewrap = events.iter().find(|e| e.operation == Operation::Rewrap).unwrap();
        assert_eq!((rewrap.items, rewrap.key_version, rewrap.error), (3, Some(3), None));
    }
}

#[test]
fn rewrap_is_refused_for_other_projects_and_not_reversible_projects() {
    let f = Fixture::new();
    rotate(&f, 2);
    let old = f.psn(&issue_kv(&f, TokenKind::Pseudonymise, "P1", rev_same(), 1), &VALUES).unwrap();
    // Another project's reverse token: its keys do not open P1's pseudonyms.
    let other = issue_kv(&f, TokenKind::Reverse(ReverseLevel::Level1), "P2", rev_same(), 2);
    let e = rewrap(&f.engine, &other, &old).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BatchFailed);
    assert!(e.item_failures().iter().all(|i| i.code == ItemCode::InvalidPseudonym));
    assert_eq!(e.item_failures().len(), VALUES.len());
    // A not-reversible project has no reverse tokens; its pseudonymisation token cannot rewrap.
    let nrev = cfg(Method::NotReversible, Treatment::Same, OutputFormat::Base64url);
    let mac_token = issue_kv(&f, TokenKind::Pseudonymise, "P3", nrev, 1);
    let macs = f.psn(&mac_token, &VALUES).unwrap();
    assert_eq!(kind_of(rewrap(&f.engine, &mac_token, &macs)), ErrorKind::WrongOperation);
    assert!(f.authority.issue_at(&kv_request(TokenKind::Reverse(ReverseLevel::Level1), "P3", nrev, 2), now()).is_err());
    // A psn token of a reversible project cannot rewrap either (rewrap needs the reverse right).
    let psn = issue_kv(&f, TokenKind::Pseudonymise, "P1", rev_same(), 2);
    assert_eq!(kind_of(rewrap(&f.engine, &psn, &old)), ErrorKind::WrongOperation);
    // The right token works.
    let rev_t = issue_kv(&f, TokenKind::Reverse(ReverseLevel::Level1), "P1", rev_same(), 2);
    assert_eq!(rewrap(&f.engine, &rev_t, &old).unwrap(), f.psn(&psn, &VALUES).unwrap());
}

#[test]
fn a_retired_version_is_refused() {
    let s = Setup::new("P1", Method::Reversible, Treatment::Same);
    let old = psn(&s.engine, &s.token(IssueKind::Pseudonymise), &VALUES).unwrap();
    let old_token = s.token(IssueKind::Pseudonymise);
    // The registry refuses to retire a version a project is bound to.
    assert_eq!(detail(s.reg.check_retire(1, now())), (ErrorKind::InvalidState, Some("key_version_in_use")));
    assert_eq!(detail(s.reg.retire_key_version(&admin(), 1, now())).1, Some("key_version_in_use"));
    s.reg.rekey_project(&admin(), &project("P1"), 2, now()).unwrap();
    let rev_t = s.token(IssueKind::Reverse);
    let new = rewrap(&s.engine, &rev_t, &old).unwrap();
    assert_eq!(detail(s.reg.retire_key_version(&researcher(), 1, now())).1, Some("not_admin"));
    s.reg.retire_key_version(&admin(), 1, now()).unwrap();
    let ev = s.reg.audit_events(100).unwrap();
    assert!(ev.iter().any(|e| e.operation == Operation::RetireKey && e.key_version == Some(1)));
    // The primary version cannot be retired; version 1 can.
    assert_eq!(kind_of(s.engine.retire_key_version(s.engine.primary_key_version())), ErrorKind::InvalidInput);
    s.engine.retire_key_version(1).unwrap();
    assert_eq!(s.engine.key_versions(), [2, 3]);
    // A token naming it is refused as a whole, with a clear sub-code (here a fresh one, to get
    // past the registry's revocation of the old tokens).
    let e = s.f.engine.retire_key_version(1).and_then(|_| {
        psn(
            &s.f.engine,
            &issue_kv(&s.f, TokenKind::Pseudonymise, "P1", s.reg.project(&project("P1")).unwrap().config, 1),
            &VALUES,
        )
    });
    assert_eq!(detail(e), (ErrorKind::InvalidClaims, Some("unknown_key_version")));
    // The old (revoked) token names the retired version: that is checked first.
    assert_eq!(detail(psn(&s.engine, &old_token, &VALUES)), (ErrorKind::InvalidClaims, Some("unknown_key_version")));
    // Its pseudonyms no longer read (one opaque item code); the rewrapped ones do.
    let e = rev(&s.engine, &rev_t, &old).unwrap_err();
    assert!(e.item_failures().iter().all(|i| i.code == ItemCode::InvalidPseudonym));
    assert_eq!(rev(&s.engine, &rev_t, &new).unwrap(), VALUES);
    // The keyring written out no longer holds it.
    let ring = Keyring::from_bytes(&s.engine.export_keyring().unwrap()).unwrap();
    assert!(ring.get(1).is_none());
}

#[test]
fn a_secondary_token_names_its_sources_version_too() {
    let f = Fixture::new();
    rotate(&f, 2);
    let l1 = f.psn(&issue_kv(&f, TokenKind::Pseudonymise, "P1", rev_same(), 1), &VALUES).unwrap();
    let src = SourceRef { key_version: Some(1), ..source("P1", org(1), &rev_same()) };
    let sec = issue_kv(&f, TokenKind::Secondary(src.clone()), "S1", rev_same(), 2);
    let g = f.engine.verify_at(&sec, Operation::Pseudonymise, now()).unwrap();
    assert_eq!((g.key_version(), g.source().unwrap().key_version), (2, Some(1)));
    let l2 = f.psn(&sec, &strs(&l1)).unwrap();
    assert!(l2.iter().all(|p| header_version(p) == 2));
    // A source version the engine does not hold refuses the token.
    let bad = SourceRef { key_version: Some(9), ..src };
    let sec9 = issue_kv(&f, TokenKind::Secondary(bad), "S1", rev_same(), 2);
    assert_eq!(detail(f.psn(&sec9, &strs(&l1))), (ErrorKind::InvalidClaims, Some("unknown_key_version")));
}

#[test]
fn lookup_matches_old_records_of_a_not_reversible_project() {
    let s = Setup::new("P1", Method::NotReversible, Treatment::Same);
    let old = psn(&s.engine, &s.token(IssueKind::Pseudonymise), &VALUES).unwrap();
    let (p, _) = s.reg.rekey_project(&admin(), &project("P1"), 2, now()).unwrap();
    let psn_t = s.token(IssueKind::Pseudonymise);
    let new = psn(&s.engine, &psn_t, &VALUES).unwrap();
    assert!(new.iter().zip(&old).all(|(a, b)| a != b), "re-pseudonymised under version 2");
    let out = s.engine.lookup(&psn_t, &VALUES, &p.key_versions, BatchMode::Strict, now()).unwrap();
    assert_eq!(out.iter().map(|(v, _)| *v).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(out[0].1.to_options().into_iter().flatten().collect::<Vec<_>>(), old, "matches the old records");
    assert_eq!(out[1].1.to_options().into_iter().flatten().collect::<Vec<_>>(), new);
    // Every held version when none is named.
    assert_eq!(s.engine.lookup(&psn_t, &VALUES, &[], BatchMode::Strict, now()).unwrap().len(), 3);
    // A version not held is refused; `different` pseudonyms cannot be looked up.
    assert_eq!(detail(s.engine.lookup(&psn_t, &VALUES, &[7], BatchMode::Strict, now())).1, Some("unknown_key_version"));
    let d = Setup::new("P2", Method::NotReversible, Treatment::Different);
    let t = d.token(IssueKind::Pseudonymise);
    assert_eq!(detail(d.engine.lookup(&t, &VALUES, &[], BatchMode::Strict, now())).1, Some("not_deterministic"));
    assert!(s.reg.audit_events(100).unwrap().iter().any(|e| e.operation == Operation::Lookup && e.items == 3));
}

#[test]
fn retention_end_shreds_every_version_the_project_used() {
    let f = Fixture::new();
    let mut c = rev_same();
    c.retention_end = Timestamp::from_unix(now_s() + 2 * DAY + 3600);
    let p1 = f.psn(&issue_kv(&f, TokenKind::Pseudonymise, "P1", c, 1), &VALUES).unwrap();
    rotate(&f, 2);
    let rev1 = issue_kv(&f, TokenKind::Reverse(ReverseLevel::Level1), "P1", c, 1);
    let rev2 = issue_kv(&f, TokenKind::Reverse(ReverseLevel::Level1), "P1", c, 2);
    let p2 = rewrap(&f.engine, &rev2, &p1).unwrap();
    assert_eq!(f.rev(&rev1, &p2).unwrap(), VALUES);
    // Past the retention day, with the chain advanced: no version's key can be derived, neither
    // for reading (reverse, rewrap) nor for writing (pseudonymise), even by a fresh engine on
    // the persisted keyring given grants that are still valid by the clock.
    let after = Timestamp::from_unix(now_s() + 3 * DAY);
    assert!(f.engine.advance_keys(after));
    let ring = Keyring::from_bytes(&f.engine.export_keyring().unwrap()).unwrap();
    assert_eq!(ring.versions(), [1, 2]);
    assert!(ring.get(1).unwrap().chain_day() > c.retention_end.day());
    assert!(ring.get(2).unwrap().chain_day() > c.retention_end.day());
    let engine =
        Engine::new(ring, &[f.authority.verifying_key().clone()], EngineOptions::new(ISSUER, AUDIENCE)).unwrap();
    for (rev, kv) in [(&rev1, 1), (&rev2, 2)] {
        let g = f.engine.verify_at(rev, Operation::Reverse, now()).unwrap();
        assert_eq!(g.key_version(), kv);
        for p in [&p1, &p2] {
            let e = engine.transform_at(&g, &strs(p), BatchMode::Strict, now()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::RetentionEnded, "kv {kv}");
        }
        let psn_t = issue_kv(&f, TokenKind::Pseudonymise, "P1", c, kv);
        let g = f.engine.verify_at(&psn_t, Operation::Pseudonymise, now()).unwrap();
        assert_eq!(kind_of(engine.transform_at(&g, &VALUES, BatchMode::Strict, now())), ErrorKind::RetentionEnded);
    }
    // And through the engine's own calls at that day, the tokens are refused anyway.
    let v = strs(&p2);
    assert_eq!(kind_of(f.run_at(Operation::Reverse, &rev2, &v, after)), ErrorKind::RetentionEnded);
}

#[test]
fn an_unknown_version_is_a_token_error_before_the_body_is_read() {
    let f = Fixture::new();
    let t = issue_kv(&f, TokenKind::Pseudonymise, "P1", rev_same(), 4);
    let e = f.engine.verify_at(&t, Operation::Pseudonymise, now()).unwrap_err();
    assert_eq!((e.kind(), e.detail()), (ErrorKind::InvalidClaims, Some("unknown_key_version")));
    // On the wire: 401 even with a body that would not parse.
    let req = pseudo_core::wire::WireRequest {
        path: pseudo_core::wire::PATH_PSEUDONYMISE,
        authorization: Some(&format!("Bearer {t}")),
        content_type: Some("application/json"),
        accept: None,
        body: b"not json",
    };
    let resp = pseudo_core::wire::handle_at(&f.engine, &req, now());
    assert_eq!(resp.status, 401, "{}", String::from_utf8_lossy(&resp.body));
    assert!(String::from_utf8_lossy(&resp.body).contains("invalid_claims"));
}

#[test]
fn rewrap_works_on_level_2_too() {
    let f = Fixture::new();
    let l1 = psn(&f.engine, &issue_kv(&f, TokenKind::Pseudonymise, "P1", rev_same(), 1), &VALUES).unwrap();
    let src = source("P1", org(1), &rev_same());
    let sec1 = issue_kv(&f, TokenKind::Secondary(src.clone()), "S1", rev_same(), 1);
    let l2_old = psn(&f.engine, &sec1, &l1).unwrap();
    rotate(&f, 2);
    let rev2 = issue_kv(&f, TokenKind::Reverse(ReverseLevel::Level2(src.clone())), "S1", rev_same(), 2);
    let l2_new = rewrap(&f.engine, &rev2, &l2_old).unwrap();
    assert!(l2_new.iter().all(|p| header_version(p) == 2));
    let sec2 = issue_kv(&f, TokenKind::Secondary(src), "S1", rev_same(), 2);
    assert_eq!(l2_new, psn(&f.engine, &sec2, &l1).unwrap(), "equals a fresh level-2 pseudonym of version 2");
    assert_eq!(rev(&f.engine, &rev2, &l2_new).unwrap(), l1, "and reverses to the level-1 pseudonyms, never further");
}
