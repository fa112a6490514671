//! The shared PostgreSQL registry stopped and restarted under load: calls that need it answer 503
//! in the JSON error shape, the node recovers by itself when the database returns, and nothing it
//! acknowledged is lost (its buffered audit events reach the database after the outage). Its own
//! test binary, so that stopping the database disturbs no other test.

mod common;
#[path = "../../pseudo-core/tests/common/pg.rs"]
mod pg;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

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

/// Polls `f` every 100 ms, at most `tries` times, until it holds.
fn eventually(tries: usize, mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..tries {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn the_database_stopped_and_restarted_under_load_gives_503_then_recovers() {
    let db = pg::Pg::get();
    let url = db.fresh_url();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = pseudo(&data, &["init", "--registry", &url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admin = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    ok(&data, &["project", "create", "cohort", "--reversible", "--retention", "5y", "--treatment", "same"]);
    let token = ok(&data, &["token", "issue", "psn", "--project", "cohort"]).trim().to_owned();
    let node = Server::start(&data, &[]);
    let base = node.base.clone();

    let stop = AtomicBool::new(false);
    let codes = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        // The load: one client calling in a loop (bounded by the flag and a count).
        s.spawn(|| {
            for _ in 0..5_000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let (code, body) = psn(&base, &token);
                codes.lock().unwrap().push((code, body));
            }
        });
        let count = |c: u16| codes.lock().unwrap().iter().filter(|x| x.0 == c).count();
        assert!(eventually(100, || count(200) >= 5), "the load runs");

        db.stop();
        assert!(eventually(300, || count(503) >= 1), "503 while the database is down");
        let (code, ready) = curl(&[&format!("{base}/readyz")]);
        assert_eq!((code, error_code(&ready).as_str()), (503, "storage_error"));
        db.start();
        let ok_before = count(200);
        assert!(eventually(300, || count(200) > ok_before), "the node recovers by itself");
        stop.store(true, Ordering::SeqCst);
    });

    let codes = codes.into_inner().unwrap();
    for (code, body) in codes.iter().filter(|c| c.0 != 200) {
        // Only the outage shows, and in the wire's JSON error shape, naming no database.
        assert_eq!(*code, 503, "{body}");
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], json!("storage_error"), "{body}");
        assert!(v["error"]["message"].is_string() && !body.contains("127.0.0.1") && !body.contains("postgres"));
    }
    let acknowledged = codes.iter().filter(|c| c.0 == 200).count();
    // Every acknowledged call's audit event reached the database, buffered across the outage.
    let (code, audit) =
        curl(&[&format!("{base}/api/v1/audit?limit=10000"), "-H", &format!("Authorization: Bearer {admin}")]);
    assert_eq!(code, 200, "{audit}");
    let audit: Value = serde_json::from_str(&audit).unwrap();
    let ok_events = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == json!("ok") && e["operation"] == json!("pseudonymise"))
        .count();
    assert!(ok_events >= acknowledged, "{ok_events} audit events for {acknowledged} acknowledged calls");
    let (status, log) = node.terminate();
    assert!(status.success(), "{log:?}");
}
