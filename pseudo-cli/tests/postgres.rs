//! Several `pseudo serve` nodes on one PostgreSQL registry: the real binary, a real PostgreSQL
//! started by the test harness on 127.0.0.1, and curl. Revocation on one node is refused by the
//! other from its next call; concurrent issuing, using and revoking through both nodes loses no
//! update; a node killed with SIGKILL mid-load loses nothing it acknowledged.

mod common;
#[path = "../../pseudo-core/tests/common/pg.rs"]
mod pg;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::*;
use serde_json::{json, Value};

/// A data folder whose registry is a fresh PostgreSQL database, with a reversible project
/// `cohort` and an approved request to issue its tokens from; and a copy of the folder for a
/// second node (same keyring, signing key and settings).
struct Cluster {
    _dir: tempfile::TempDir,
    a: PathBuf,
    b: PathBuf,
    admin: String,
    request: String,
}

impl Cluster {
    fn new() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let url = pg::Pg::get().fresh_url();
        let a = dir.path().join("node-a");
        let out = pseudo(&a, &["init", "--registry", &url]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let admin = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        let settings: Value = serde_json::from_slice(&std::fs::read(a.join("pseudo.json")).unwrap()).unwrap();
        assert_eq!(settings["registry"], json!(url), "the settings name the shared registry");
        assert!(!a.join("registry.db").exists(), "no SQLite registry beside a PostgreSQL one");
        let b = dir.path().join("node-b");
        assert!(Command::new("cp").arg("-a").arg(&a).arg(&b).status().unwrap().success());
        ok(&a, &["project", "create", "cohort", "--reversible", "--retention", "5y", "--treatment", "same"]);
        // The command line records an approved request for the token it issues.
        ok(&b, &["token", "issue", "psn", "--project", "cohort", "--name", "first"]);
        let list: Value = serde_json::from_str(&ok(&a, &["token", "list"])).unwrap();
        let request = list[0]["request"].as_str().unwrap().to_owned();
        Cluster { _dir: dir, a, b, admin, request }
    }

    fn node(&self, data: &Path) -> Server {
        Server::start(data, &[])
    }
}

fn api(base: &str, admin: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{base}{path}");
    let auth = format!("Authorization: Bearer {admin}");
    let mut args = vec!["-X", method, url.as_str(), "-H", auth.as_str()];
    let text = body.map(|b| b.to_string());
    if let Some(t) = &text {
        args.extend(["-H", "Content-Type: application/json", "-d", t.as_str()]);
    }
    let (code, body) = curl(&args);
    (code, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn issue(base: &str, c: &Cluster, name: &str) -> (u16, Value) {
    api(
        base,
        &c.admin,
        "POST",
        &format!("/api/v1/requests/{}/tokens", c.request),
        Some(json!({"type": "psn", "name": name})),
    )
}

fn psn(base: &str, token: &str) -> (u16, String) {
    curl(&[
        "-X",
        "POST",
        &format!("{base}/api/request-psn"),
        "-H",
        &format!("Authorization: Bearer {token}"),
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"data": ["Example PID 1"]}"#,
    ])
}

#[test]
fn a_token_revoked_on_one_node_is_refused_by_the_other() {
    let c = Cluster::new();
    let (a, b) = (c.node(&c.a), c.node(&c.b));
    let (code, made) = issue(&a.base, &c, "shared");
    assert_eq!(code, 201, "{made}");
    let (token, jti) = (made["token"].as_str().unwrap(), made["record"]["jti"].as_str().unwrap());
    let (code, on_a) = psn(&a.base, token);
    assert_eq!(code, 200, "{on_a}");
    let (code, on_b) = psn(&b.base, token);
    assert_eq!((code, &on_b), (200, &on_a), "same project, same key: one pseudonym on every node");

    let (code, revoked) = api(&a.base, &c.admin, "POST", &format!("/api/v1/tokens/{jti}/revoke"), None);
    assert_eq!((code, revoked["status"].as_str()), (200, Some("revoked")));
    // The bound is zero: node B reads the record on every call, so its very next call refuses.
    let t = Instant::now();
    let (code, body) = psn(&b.base, token);
    let first_refusal = t.elapsed();
    assert_eq!((code, error_code(&body).as_str()), (401, "token_revoked"), "{body}");
    eprintln!("revocation across nodes: the first call on node B after the revoke returned was refused ({first_refusal:?} for that call)");

    // Last use and audit written by one node are seen through the other.
    let (code, seen) = api(&b.base, &c.admin, "GET", &format!("/api/v1/tokens/{jti}"), None);
    assert_eq!(code, 200);
    assert!(seen["last_used"].is_i64(), "{seen}");
    // Node A writes its audit events within its write delay (100 ms); wait for them, bounded.
    let mut of_token = 0;
    for _ in 0..100 {
        let (_, audit) = api(&b.base, &c.admin, "GET", "/api/v1/audit?limit=50", None);
        of_token = audit["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["jti"] == json!(jti) && e["operation"] == json!("pseudonymise"))
            .count();
        if of_token == 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(of_token, 3, "two calls and one refusal, made on two nodes, in one audit log");
}

#[test]
fn concurrent_issuing_using_and_revoking_on_two_nodes_loses_no_update() {
    let c = Cluster::new();
    let nodes = [c.node(&c.a), c.node(&c.b)];
    let bases = [nodes[0].base.clone(), nodes[1].base.clone()];
    let per_thread = 6;
    let acknowledged: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let (issuer, other) = (&bases[i % 2], &bases[(i + 1) % 2]);
                let c = &c;
                s.spawn(move || {
                    let mut jtis = Vec::new();
                    for k in 0..per_thread {
                        let (code, made) = issue(issuer, c, &format!("t{i}-{k}"));
                        assert_eq!(code, 201, "{made}");
                        let (token, jti) = (made["token"].as_str().unwrap(), made["record"]["jti"].as_str().unwrap());
                        assert_eq!(psn(other, token).0, 200);
                        let (code, _) = api(other, &c.admin, "POST", &format!("/api/v1/tokens/{jti}/revoke"), None);
                        assert_eq!(code, 200);
                        assert_eq!(psn(issuer, token).0, 401, "revoked on one node, refused on the other");
                        jtis.push(jti.to_owned());
                    }
                    jtis
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let list: Value = serde_json::from_str(&ok(&c.a, &["token", "list"])).unwrap();
    let list = list.as_array().unwrap();
    for jti in &acknowledged {
        let t = list.iter().find(|t| t["jti"] == json!(jti)).unwrap_or_else(|| panic!("{jti} lost"));
        assert_eq!(t["status"], json!("revoked"), "{t}");
        assert!(t["last_used"].is_i64(), "{t}");
    }
    assert_eq!(list.len(), 1 + 4 * per_thread, "every issue recorded once");
}

#[test]
fn a_node_killed_mid_load_loses_nothing_it_acknowledged() {
    let c = Cluster::new();
    let a = c.node(&c.a);
    let b = c.node(&c.b);
    let pid = a.child.id();
    let a_base = a.base.clone();
    let acknowledged: Vec<String> = std::thread::scope(|s| {
        let load = s.spawn(|| {
            let mut done = Vec::new();
            for k in 0..200 {
                let (code, made) = issue(&a_base, &c, &format!("load-{k}"));
                if code != 201 {
                    break; // the node is gone
                }
                let jti = made["record"]["jti"].as_str().unwrap().to_owned();
                let (code, _) = api(&a_base, &c.admin, "POST", &format!("/api/v1/tokens/{jti}/revoke"), None);
                if code != 200 {
                    // Issued and acknowledged, its revoke not: it must exist, in either state.
                    done.push((jti, false));
                    break;
                }
                done.push((jti, true));
            }
            done
        });
        // Let the load run a little, then kill the node without warning.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert!(Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap().success());
        let done = load.join().unwrap();
        assert!(!done.is_empty(), "the load ran before the kill");
        let list: Value = serde_json::from_str(&ok(&c.b, &["token", "list"])).unwrap();
        for (jti, revoked) in &done {
            let t = list.as_array().unwrap().iter().find(|t| t["jti"] == json!(jti));
            let t = t.unwrap_or_else(|| panic!("acknowledged token {jti} lost"));
            if *revoked {
                assert_eq!(t["status"], json!("revoked"), "acknowledged revoke of {jti} lost");
            }
        }
        done.into_iter().map(|d| d.0).collect()
    });
    // The surviving node still serves the shared registry.
    let (code, made) = issue(&b.base, &c, "after-kill");
    assert_eq!(code, 201, "{made}");
    assert!(!acknowledged.is_empty());
    drop(a);
}

#[test]
fn a_sqlite_registry_is_copied_into_postgres() {
    let f = Folder::new();
    let d = f.data();
    ok(&d, &["project", "create", "cohort", "--reversible", "--retention", "5y", "--treatment", "same"]);
    let (_, token) = f.token(&["psn", "--project", "cohort"], "psn.jwt");
    let (_, revoked) = f.token(&["psn", "--project", "cohort", "--name", "gone"], "gone.jwt");
    let before: Value = serde_json::from_str(&ok(&d, &["token", "list"])).unwrap();
    let gone = before.as_array().unwrap().iter().find(|t| t["name"] == json!("gone")).unwrap()["jti"].clone();
    ok(&d, &["token", "revoke", gone.as_str().unwrap()]);
    let url = pg::Pg::get().fresh_url();
    let summary: Value = serde_json::from_str(&ok(&d, &["registry", "copy", "--to", &url])).unwrap();
    assert_eq!(
        (summary["projects"].as_i64(), summary["tokens"].as_i64(), summary["access_tokens"].as_i64()),
        (Some(1), Some(2), Some(1))
    );
    // A second copy into the same database is refused: copies never merge.
    let again = pseudo(&d, &["registry", "copy", "--to", &url]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds records"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    // Nor does `init` join a registry that holds records (it would bring keys of its own): the
    // refusal comes before any key is written.
    let other = d.parent().unwrap().join("other-node");
    let joined = pseudo(&other, &["init", "--registry", &url]);
    assert!(!joined.status.success());
    assert!(
        String::from_utf8_lossy(&joined.stderr).contains("already holds records"),
        "{}",
        String::from_utf8_lossy(&joined.stderr)
    );
    assert!(!other.join("keyring").exists() && !other.join("pseudo.json").exists());
    // The node on PostgreSQL sees the same records and honours the copied revocation.
    let listed_pg: Value = serde_json::from_str(&ok(&d, &["--registry", &url, "token", "list"])).unwrap();
    let after: Value = serde_json::from_str(&ok(&d, &["token", "list"])).unwrap();
    assert_eq!(listed_pg, after);
    let server = Server::start(&d, &["--registry", &url]);
    assert_eq!(psn(&server.base, &token).0, 200);
    assert_eq!(psn(&server.base, &revoked).0, 401);
    // The first administrator token (its hash copied) authenticates against the copy.
    let (code, _) = api(&server.base, &f.admin_token, "GET", "/api/v1/me", None);
    assert_eq!(code, 200);
}
