//! `pseudo serve` as a user runs it: the real binary on 127.0.0.1, called with the `curl` program.
//! The curl command lines are the README's, verbatim but for the host.

mod common;

use common::*;
use serde_json::Value;

/// The README's examples (host `127.0.0.1:8080`, replaced by the test server's).
const PSN_JSON: &str = r#"curl -X POST http://127.0.0.1:8080/api/request-psn -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"data": ["Example PID 1", "Example PID 2"]}'"#;
const PSN_CSV: &str = r#"curl -X POST http://127.0.0.1:8080/api/request-psn -H "Authorization: Bearer $TOKEN" -H "Content-Type: text/csv" -H "Accept: text/csv" --data-binary 'Example PID 1,Example PID 2'"#;
const SEC_JSON: &str = r#"curl -X POST http://127.0.0.1:8080/api/request-psn -H "Authorization: Bearer $SEC_TOKEN" -H "Content-Type: application/json" -d "{\"data\": [\"$P1\", \"$P2\"]}""#;
const REV_JSON: &str = r#"curl -X POST http://127.0.0.1:8080/api/request-psn-rev -H "Authorization: Bearer $REV_TOKEN" -H "Content-Type: application/json" -d "{\"data\": [\"$P1\", \"$P2\"]}""#;
const REV_CSV: &str = r#"curl -X POST http://127.0.0.1:8080/api/request-psn-rev -H "Authorization: Bearer $REV_TOKEN" -H "Content-Type: text/csv" -H "Accept: text/csv" --data-binary "$P1,$P2""#;

fn data(body: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v["data"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap()
}

#[test]
fn the_readme_curl_examples_work_verbatim() {
    let f = Folder::new();
    let d = f.data();
    ok(&d, &["project", "create", "cohort", "--reversible", "--retention", "5y", "--treatment", "same"]);
    ok(&d, &["project", "create", "study", "--reversible", "--retention", "1y", "--treatment", "same"]);
    let (_, psn) = f.token(&["psn", "--project", "cohort"], "psn.jwt");
    let (_, rev) = f.token(&["rev", "--project", "cohort"], "rev.jwt");
    let (_, sec) = f.token(&["sec", "--project", "study", "--source-project", "cohort"], "sec.jwt");
    let (_, rev2) = f.token(&["rev", "--project", "study", "--source-project", "cohort"], "rev2.jwt");
    let server = Server::start(&d, &[]);
    let host = |cmd: &str| {
        assert!(readme().contains(cmd), "the README shows this example verbatim: {cmd}");
        cmd.replace("127.0.0.1:8080", server.host())
    };

    let p = data(&sh(&host(PSN_JSON), &[("TOKEN", &psn)]));
    assert_eq!(p.len(), 2);
    assert_ne!(p[0], "Example PID 1");
    // Same treatment: the CSV call gives the same pseudonyms, in the same record shape.
    assert_eq!(sh(&host(PSN_CSV), &[("TOKEN", &psn)]).trim_end(), format!("{},{}", p[0], p[1]));

    let vars = |tok: &str, name: &'static str| -> Vec<(&'static str, String)> {
        vec![(name, tok.to_owned()), ("P1", p[0].clone()), ("P2", p[1].clone())]
    };
    let run = |cmd: &str, vars: Vec<(&'static str, String)>| {
        let v: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        sh(&host(cmd), &v)
    };
    assert_eq!(data(&run(REV_JSON, vars(&rev, "REV_TOKEN"))), ["Example PID 1", "Example PID 2"]);
    assert_eq!(run(REV_CSV, vars(&rev, "REV_TOKEN")).trim_end(), "Example PID 1,Example PID 2");

    // Level 2 from the level-1 pseudonyms; its reverse gives the level-1 pseudonyms back, never the originals.
    let level2 = data(&run(SEC_JSON, vars(&sec, "SEC_TOKEN")));
    assert_eq!(level2.len(), 2);
    assert!(level2.iter().all(|q| !p.contains(q)));
    let vars2 = vec![("REV_TOKEN", rev2.clone()), ("P1", level2[0].clone()), ("P2", level2[1].clone())];
    assert_eq!(data(&run(REV_JSON, vars2)), p);

    // The calls are in the registry: last use and audit log. The server buffers last-use writes
    // for up to 100 ms (SPEC §8), so another process sees them within that window.
    let mut tokens = Value::Null;
    for _ in 0..50 {
        tokens = serde_json::from_str(&ok(&d, &["token", "list"])).unwrap();
        if tokens.as_array().unwrap().iter().all(|t| !t["last_used"].is_null()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(tokens.as_array().unwrap().iter().all(|t| !t["last_used"].is_null()), "{tokens}");
    let (status, log) = server.terminate();
    assert!(status.success(), "{log:?}");
    // The log names the token id and item count, never a token or a value.
    let all = log.join("\n");
    assert!(all.contains("items=2"), "{all}");
    assert!(!all.contains(&psn) && !all.contains("Example PID") && !all.contains(&p[0]), "{all}");
}

#[test]
fn every_error_status_in_the_json_shape() {
    let f = Folder::new();
    let d = f.data();
    ok(&d, &["project", "create", "cohort", "--reversible", "--retention", "5y", "--treatment", "same"]);
    let (_, psn) = f.token(&["psn", "--project", "cohort"], "psn.jwt");
    let (_, rev) = f.token(&["rev", "--project", "cohort"], "rev.jwt");
    let server = Server::start(&d, &[]);
    let psn_url = format!("{}/api/request-psn", server.base);
    let rev_url = format!("{}/api/request-psn-rev", server.base);
    let bearer = |t: &str| format!("Authorization: Bearer {t}");
    let json = "Content-Type: application/json";
    let post = |url: &str, headers: &[&str], body: &str| {
        let mut a = vec!["-X", "POST", url];
        for h in headers {
            a.extend(["-H", h]);
        }
        a.extend(["--data-binary", body]);
        curl(&a)
    };
    let check = |(status, body): (u16, String), want: u16, code: &str| {
        assert_eq!(status, want, "{body}");
        assert_eq!(error_code(&body), code);
    };

    check(post(&psn_url, &[&bearer(&psn), json], r#"{"data": "x"}"#), 400, "bad_request");
    check(post(&psn_url, &[json], r#"{"data": ["x"]}"#), 401, "malformed_token");
    check(post(&psn_url, &[&bearer("abc.def.ghi"), json], r#"{"data": ["x"]}"#), 401, "malformed_token");
    check(post(&psn_url, &[&bearer(&rev), json], r#"{"data": ["x"]}"#), 403, "wrong_operation");
    check(curl(&[&format!("{}/api/nope", server.base)]), 404, "not_found");
    check(curl(&[&psn_url]), 405, "method_not_allowed");
    check(post(&psn_url, &[&bearer(&psn), json, "Accept: image/png"], r#"{"data": ["x"]}"#), 406, "not_acceptable");
    let long = format!(r#"{{"data": ["{}"]}}"#, "x".repeat(1025));
    check(post(&psn_url, &[&bearer(&psn), json], &long), 413, "limit_exceeded");
    check(post(&psn_url, &[&bearer(&psn), "Content-Type: text/plain"], "x"), 415, "unsupported_media_type");
    check(post(&rev_url, &[&bearer(&rev), json], r#"{"data": ["not-a-pseudonym"]}"#), 422, "invalid_items");

    // A body past the engine's limit is refused from its Content-Length, before it is read.
    let big = f.path("big.json");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(64 * 1024 * 1024 + 1).unwrap();
    let at = format!("@{}", big.display());
    check(post(&psn_url, &[&bearer(&psn), json], &at), 413, "limit_exceeded");

    // Revoked: refused at once; restored: accepted again.
    let jti =
        serde_json::from_str::<Value>(&ok(&d, &["token", "list"])).unwrap()[0]["jti"].as_str().unwrap().to_owned();
    ok(&d, &["token", "revoke", &jti]);
    check(post(&psn_url, &[&bearer(&psn), json], r#"{"data": ["x"]}"#), 401, "token_revoked");
    ok(&d, &["token", "restore", &jti]);
    assert_eq!(post(&psn_url, &[&bearer(&psn), json], r#"{"data": ["x"]}"#).0, 200);
}

#[test]
fn health_readiness_metrics_and_openapi() {
    let f = Folder::new();
    let d = f.data();
    ok(&d, &["project", "create", "cohort", "--not-reversible", "--retention", "1y", "--treatment", "same"]);
    let (_, psn) = f.token(&["psn", "--project", "cohort"], "psn.jwt");
    let server = Server::start(&d, &[]);
    assert_eq!(curl(&[&format!("{}/healthz", server.base)]), (200, "ok\n".to_owned()));
    // The same token twice: verified in full once, then found in the cache.
    for _ in 0..2 {
        let (status, _) = curl(&[
            "-X",
            "POST",
            &format!("{}/api/request-psn", server.base),
            "-H",
            &format!("Authorization: Bearer {psn}"),
            "-H",
            "Content-Type: text/csv",
            "--data-binary",
            "a",
        ]);
        assert_eq!(status, 200);
    }
    assert_eq!(curl(&[&format!("{}/readyz", server.base)]).0, 200);
    let (status, text) = curl(&[&format!("{}/metrics", server.base)]);
    assert_eq!(status, 200);
    assert!(text.contains("pseudo_http_requests_total{route=\"/healthz\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("pseudo_token_cache_total{result=\"miss\"} 1\n"), "{text}");
    assert!(text.contains("pseudo_token_cache_total{result=\"hit\"} 1\n"), "{text}");
    let (status, doc) = curl(&[&format!("{}/api/v1/openapi.json", server.base)]);
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&doc).unwrap()["openapi"], "3.1.0");
}

#[test]
fn sigterm_finishes_the_request_in_flight_then_exits_zero() {
    let f = Folder::new();
    let d = f.data();
    ok(&d, &["project", "create", "cohort", "--not-reversible", "--retention", "1y", "--treatment", "same"]);
    let (_, psn) = f.token(&["psn", "--project", "cohort"], "psn.jwt");
    let server = Server::start(&d, &[]);
    // A request large enough to be in flight when the signal arrives.
    let body = f.path("body.csv");
    let values: Vec<String> = (0..300_000).map(|i| format!("patient-{i}")).collect();
    std::fs::write(&body, values.join("\n")).unwrap();
    let url = format!("{}/api/request-psn", server.base);
    let auth = format!("Authorization: Bearer {psn}");
    let at = format!("@{}", body.display());
    let in_flight = std::thread::spawn(move || {
        curl(&[
            "-X",
            "POST",
            &url,
            "-H",
            &auth,
            "-H",
            "Content-Type: text/csv",
            "-H",
            "Accept: text/csv",
            "--data-binary",
            &at,
        ])
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let base = server.base.clone();
    let (status, log) = server.terminate();
    let (code, out) = in_flight.join().unwrap();
    assert_eq!(code, 200, "the request in flight was answered: {out:.200}");
    assert_eq!(out.lines().count(), 300_000);
    assert!(status.success(), "exit status {status:?}: {log:?}");
    assert!(log.iter().any(|l| l.contains("shutting down")), "{log:?}");
    assert_eq!(curl(&[&format!("{base}/healthz")]).0, 0, "nothing listens any more");
}

#[test]
fn tls_with_rustls() {
    let f = Folder::new();
    let d = f.data();
    ok(&d, &["project", "create", "cohort", "--not-reversible", "--retention", "1y", "--treatment", "same"]);
    let (_, psn) = f.token(&["psn", "--project", "cohort"], "psn.jwt");
    let (cert, key) = (f.path("cert.pem"), f.path("key.pem"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let server = Server::start(&d, &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]);
    assert!(server.base.starts_with("https://"), "{}", server.base);
    let ca = cert.to_str().unwrap();
    assert_eq!(curl(&["--cacert", ca, &format!("{}/healthz", server.base)]), (200, "ok\n".to_owned()));
    let (status, body) = curl(&[
        "--cacert",
        ca,
        "-X",
        "POST",
        &format!("{}/api/request-psn", server.base),
        "-H",
        &format!("Authorization: Bearer {psn}"),
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"data": ["Example PID 1"]}"#,
    ]);
    assert_eq!(status, 200, "{body}");
    // Plain HTTP on the TLS port gets no answer.
    let plain = server.base.replace("https://", "http://");
    assert_ne!(curl(&["--max-time", "3", &format!("{plain}/healthz")]).0, 200);
    // A missing certificate is a clear error at start-up.
    let out = pseudo(
        &d,
        &["serve", "--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.pem"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TLS"), "{out:?}");
}
