//! Helpers: run the real `pseudo` binary, start `pseudo serve` on 127.0.0.1, call it with `curl`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const PSEUDO: &str = env!("CARGO_BIN_EXE_pseudo");

/// `pseudo --data DIR ARGS…`, captured.
pub fn pseudo(data: &Path, args: &[&str]) -> Output {
    Command::new(PSEUDO)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("PSEUDO_DATA")
        .env_remove("PSEUDO_REGISTRY")
        .output()
        .unwrap()
}

/// Like [`pseudo`], but the command must succeed; returns stdout.
pub fn ok(data: &Path, args: &[&str]) -> String {
    let out = pseudo(data, args);
    assert!(
        out.status.success(),
        "pseudo {args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A fresh data folder with one reversible project `cohort` (and a psn and a rev token file).
pub struct Folder {
    pub dir: tempfile::TempDir,
    pub admin_token: String,
}

impl Folder {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let admin_token = ok(&data, &["init"]).trim().to_owned();
        Folder { dir, admin_token }
    }
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// Issues a token and writes it to a file; returns (file, token).
    pub fn token(&self, args: &[&str], file: &str) -> (PathBuf, String) {
        let mut a = vec!["token", "issue"];
        a.extend_from_slice(args);
        let t = ok(&self.data(), &a).trim().to_owned();
        let p = self.path(file);
        std::fs::write(&p, &t).unwrap();
        (p, t)
    }
}

/// A running `pseudo serve`; killed (SIGKILL) when dropped unless stopped before.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `pseudo serve --listen 127.0.0.1:0 EXTRA…` and waits for its address.
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(PSEUDO)
            .arg("--data")
            .arg(data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("PSEUDO_LOG", "info")
            .env_remove("PSEUDO_REGISTRY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server did not start");
            };
            if let Some(i) = line.find("listening on ") {
                let url = line[i + "listening on ".len()..].split_whitespace().next().unwrap_or_default().to_owned();
                return Server { child, base: url, log: rx };
            }
        }
    }

    /// The host:port part, for substituting into the curl examples.
    pub fn host(&self) -> &str {
        self.base.split("://").nth(1).unwrap()
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let status = self.child.wait().unwrap();
        let log: Vec<String> = self.log.try_iter().collect();
        (status, log)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a shell command line (a curl example) with `vars` in its environment; returns stdout.
pub fn sh(cmd: &str, vars: &[(&str, &str)]) -> String {
    let mut c = Command::new("sh");
    c.arg("-c").arg(cmd);
    for (k, v) in vars {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(out.status.success(), "{cmd} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `curl -s` with `args`; returns (HTTP status, headers and body as text).
pub fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl").args(["-s", "-w", "\n%{http_code}"]).args(args).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

/// The `error.code` of a JSON error body.
pub fn error_code(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code: {body}")).to_owned()
}
