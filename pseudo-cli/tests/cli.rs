//! The command line: files through psn and back through rev, help and exit codes, and faults
//! (a corrupt or missing data folder, SIGKILL of the server under load).

mod common;

use std::io::Write;
use std::process::Command;

use common::*;
use serde_json::Value;

fn reversible(f: &Folder) {
    ok(&f.data(), &["project", "create", "cohort", "--reversible", "--retention", "5y", "--treatment", "same"]);
}

#[test]
fn a_large_csv_round_trips_through_psn_and_rev() {
    let f = Folder::new();
    reversible(&f);
    let (psn, _) = f.token(&["psn", "--project", "cohort"], "psn.jwt");
    let (rev, _) = f.token(&["rev", "--project", "cohort"], "rev.jwt");
    let input = f.path("in.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    writeln!(w, "id,patient,note").unwrap();
    for i in 0..200_000 {
        // Every 7th patient is empty: it must stay empty. Quotes and commas survive.
        let patient = if i % 7 == 0 { String::new() } else { format!("patient {i}") };
        writeln!(w, "{i},{patient},\"a, \"\"quoted\"\" note {i}\"").unwrap();
    }
    drop(w);
    let (mid, out) = (f.path("mid.csv"), f.path("out.csv"));
    let p = |s: &std::path::PathBuf| s.to_str().unwrap().to_owned();
    let (psn, rev, input, mid, out_s) = (p(&psn), p(&rev), p(&input), p(&mid), p(&out));
    let d = f.data();
    let args = ["--column", "patient", "--batch", "30000"];
    let mut a = vec!["psn", "--token", &psn, "--input", &input, "--output", &mid];
    a.extend(args);
    ok(&d, &a);
    let mut b = vec!["rev", "--token", &rev, "--input", &mid, "--output", &out_s];
    b.extend(args);
    ok(&d, &b);
    let (original, back) = (std::fs::read_to_string(&input).unwrap(), std::fs::read_to_string(&out_s).unwrap());
    assert!(original == back, "the round trip gives the input back");
    let middle = std::fs::read_to_string(&mid).unwrap();
    let mut rows = middle.lines().skip(1);
    let first = rows.next().unwrap();
    assert!(first.starts_with("0,,"), "an empty cell stays empty: {first}");
    let second = rows.next().unwrap();
    assert!(second.starts_with("1,") && !second.contains("patient 1"), "{second}");
    assert!(!middle.contains("patient 1,"));
}

#[test]
fn jsonl_keeps_other_keys_and_nulls() {
    let f = Folder::new();
    reversible(&f);
    let (psn, _) = f.token(&["psn", "--project", "cohort"], "psn.jwt");
    let (rev, _) = f.token(&["rev", "--project", "cohort"], "rev.jwt");
    let input = f.path("in.jsonl");
    std::fs::write(&input, "{\"pid\":\"A-1\",\"age\":41}\n{\"pid\":null,\"age\":7}\n{\"pid\":\"\",\"age\":3}\n")
        .unwrap();
    let d = f.data();
    let s = |p: &std::path::PathBuf| p.to_str().unwrap().to_owned();
    let mid = ok(&d, &["psn", "--token", &s(&psn), "--column", "pid", "--input", &s(&input)]);
    let lines: Vec<Value> = mid.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_ne!(lines[0]["pid"], "A-1");
    assert_eq!(lines[0]["age"], 41);
    assert!(lines[1]["pid"].is_null());
    assert_eq!(lines[2]["pid"], "");
    assert!(mid.lines().next().unwrap().starts_with("{\"pid\""), "key order kept: {mid}");
    let midfile = f.path("mid.jsonl");
    std::fs::write(&midfile, &mid).unwrap();
    let back = ok(&d, &["rev", "--token", &s(&rev), "--column", "pid", "--input", &s(&midfile)]);
    assert_eq!(back, std::fs::read_to_string(&input).unwrap());
}

#[test]
fn failures_are_reported_by_line_with_exit_status_5() {
    let f = Folder::new();
    reversible(&f);
    let (rev, _) = f.token(&["rev", "--project", "cohort"], "rev.jwt");
    let input = f.path("bad.csv");
    std::fs::write(&input, "pid\nnot-a-pseudonym\n\nalso-bad\n").unwrap();
    let s = |p: &std::path::PathBuf| p.to_str().unwrap().to_owned();
    let out = pseudo(&f.data(), &["rev", "--token", &s(&rev), "--input", &s(&input)]);
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2, column \"pid\": invalid_pseudonym"), "{err}");
    assert!(err.contains("line 4, column \"pid\": invalid_pseudonym"), "{err}");
    assert!(!err.contains("not-a-pseudonym"), "no value in an error: {err}");

    let broken = f.path("broken.csv");
    std::fs::write(&broken, "a,b\n1,2\n3\n").unwrap();
    let out = pseudo(&f.data(), &["rev", "--token", &s(&rev), "--input", &s(&broken)]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3"), "{:?}", out);
}

#[test]
fn tokens_are_refused_with_exit_status_4() {
    let f = Folder::new();
    reversible(&f);
    let (psn, _) = f.token(&["psn", "--project", "cohort"], "psn.jwt");
    let input = f.path("in.csv");
    std::fs::write(&input, "pid\nx\n").unwrap();
    let s = |p: &std::path::PathBuf| p.to_str().unwrap().to_owned();
    // A psn token cannot reverse.
    let out = pseudo(&f.data(), &["rev", "--token", &s(&psn), "--input", &s(&input)]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    // A revoked token is refused; the issuing policy refuses a reverse token for a not-reversible project.
    let jti = serde_json::from_str::<Value>(&ok(&f.data(), &["token", "list"])).unwrap()[0]["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(&f.data(), &["token", "revoke", &jti]);
    let out = pseudo(&f.data(), &["psn", "--token", &s(&psn), "--input", &s(&input)]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("revoked"));
    ok(&f.data(), &["project", "create", "flat", "--not-reversible", "--retention", "90d", "--treatment", "different"]);
    let out = pseudo(&f.data(), &["token", "issue", "rev", "--project", "flat"]);
    assert_eq!(out.status.code(), Some(4));
    // Delete only a revoked token.
    let (_, _) = f.token(&["psn", "--project", "cohort", "--name", "second"], "second.jwt");
    let list: Value = serde_json::from_str(&ok(&f.data(), &["token", "list"])).unwrap();
    let active =
        list.as_array().unwrap().iter().find(|t| t["status"] == "active").unwrap()["jti"].as_str().unwrap().to_owned();
    assert_eq!(pseudo(&f.data(), &["token", "delete", &active]).status.code(), Some(4));
    ok(&f.data(), &["token", "delete", &jti]);
    // A token id may start with '-' (it is base64url): it is read as the id, never as an option.
    for verb in ["revoke", "restore", "delete"] {
        let out = pseudo(&f.data(), &["token", verb, "-no-such-token"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("no such token"), "{verb}: {out:?}");
    }
}

#[test]
fn help_teaches_and_documents_exit_codes() {
    let out = Command::new(PSEUDO).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["init", "serve", "project", "token", "access-token", "psn", "rev", "Exit status:", "5  bad input"] {
        assert!(help.contains(word), "--help mentions {word}: {help}");
    }
    let out = Command::new(PSEUDO).args(["project", "create", "x", "--retention", "5y"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let out = Command::new(PSEUDO).args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn init_is_private_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let f = Folder::new();
    let d = f.data();
    assert!(f.admin_token.starts_with("pseudo_pat_"));
    for file in ["keyring", "signing-key.pem", "registry.db", "pseudo.json"] {
        let mode = std::fs::metadata(d.join(file)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file}");
    }
    assert_eq!(std::fs::metadata(&d).unwrap().permissions().mode() & 0o777, 0o700);
    let keyring = std::fs::read(d.join("keyring")).unwrap();
    let out = pseudo(&d, &["init"]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(std::fs::read(d.join("keyring")).unwrap(), keyring, "the keyring is untouched");
    // Access tokens: a service token, listed without its secret.
    let secret = ok(&d, &["access-token", "create", "--name", "etl", "--service", "etl-bot"]);
    assert!(secret.trim().starts_with("pseudo_sat_"));
    let list = ok(&d, &["access-token", "list"]);
    assert!(list.contains("etl-bot") && !list.contains(secret.trim()));
}

#[test]
fn a_missing_or_corrupt_data_folder_is_a_clear_error_with_exit_status_3() {
    let f = Folder::new();
    let d = f.data();
    let out = pseudo(&f.path("nowhere"), &["project", "list"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pseudo init"), "{out:?}");

    let keyring = std::fs::read(d.join("keyring")).unwrap();
    std::fs::write(d.join("keyring"), &keyring[..keyring.len() / 2]).unwrap();
    let out = pseudo(&d, &["project", "list"]);
    assert_eq!(out.status.code(), Some(3), "a torn keyring: {out:?}");
    std::fs::write(d.join("keyring"), &keyring).unwrap();

    std::fs::set_permissions(d.join("keyring"), std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let out = pseudo(&d, &["project", "list"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
    std::fs::set_permissions(d.join("keyring"), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();

    std::fs::write(d.join("registry.db"), b"this is not a database, not at all, not even close...").unwrap();
    let _ = std::fs::remove_file(d.join("registry.db-wal"));
    let _ = std::fs::remove_file(d.join("registry.db-shm"));
    let out = pseudo(&d, &["project", "list"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    std::fs::write(d.join("pseudo.json"), b"{").unwrap();
    let out = pseudo(&d, &["project", "list"]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn sigkill_under_load_loses_no_committed_write_and_never_tears_the_keyring() {
    let f = Folder::new();
    let d = f.data();
    reversible(&f);
    let (_, psn) = f.token(&["psn", "--project", "cohort"], "psn.jwt");
    let server = Server::start(&d, &[]);
    let url = format!("{}/api/request-psn", server.base);
    // Set once the server has answered a request: from then on its last use is in the registry's
    // write buffer, which reaches the store within `write_delay` (100 ms by default).
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (url, auth) = (url.clone(), format!("Authorization: Bearer {psn}"));
            let answered = answered.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let (code, _) = curl(&[
                        "-X",
                        "POST",
                        &url,
                        "-H",
                        &auth,
                        "-H",
                        "Content-Type: text/csv",
                        "--data-binary",
                        "a,b,c",
                    ]);
                    if code == 200 {
                        answered.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                    if code == 0 {
                        break;
                    }
                }
            })
        })
        .collect();
    // Registry writes committed while the server is under load.
    let mut committed = Vec::new();
    for i in 0..5 {
        ok(&d, &["token", "issue", "psn", "--project", "cohort", "--name", &format!("during-load-{i}")]);
        committed.push(format!("during-load-{i}"));
    }
    // The documented loss window: a use older than `write_delay` is stored. Wait for a first answer,
    // then for five windows, with the load still running, and kill.
    let waited = std::time::Instant::now();
    while !answered.load(std::sync::atomic::Ordering::SeqCst) {
        assert!(waited.elapsed() < std::time::Duration::from_secs(30), "the server answered no request");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(5 * pseudo_core::registry::DEFAULT_WRITE_DELAY);
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for t in load {
        t.join().unwrap();
    }
    // The data folder opens: the keyring parses, the registry holds every committed write.
    let list = ok(&d, &["token", "list"]);
    for name in committed {
        assert!(list.contains(&name), "{name} survived");
    }
    let used: Value = serde_json::from_str(&list).unwrap();
    assert!(used[0]["last_used"].is_i64(), "a use older than the write buffer's window survives SIGKILL");
    let again = Server::start(&d, &[]);
    let (code, _) = curl(&[
        "-X",
        "POST",
        &format!("{}/api/request-psn", again.base),
        "-H",
        &format!("Authorization: Bearer {psn}"),
        "-H",
        "Content-Type: text/csv",
        "--data-binary",
        "a",
    ]);
    assert_eq!(code, 200);
}
