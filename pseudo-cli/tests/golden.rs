//! Golden `--help` texts: a change to the command line's surface shows in review.
//! Regenerate with `UPDATE_GOLDEN=1 cargo test -p pseudo-cli --test golden`.

use std::process::Command;

const PSEUDO: &str = env!("CARGO_BIN_EXE_pseudo");

fn check(args: &[&str], file: &str) {
    let out = Command::new(PSEUDO)
        .args(args)
        .env("COLUMNS", "100")
        .env_remove("PSEUDO_DATA")
        .env_remove("PSEUDO_REGISTRY")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let path = format!("{}/tests/golden/{file}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(text, want, "pseudo {args:?} changed; rerun with UPDATE_GOLDEN=1 if that is intended");
}

#[test]
fn help_texts() {
    check(&["--help"], "help.txt");
    check(&["serve", "--help"], "serve.txt");
    check(&["project", "create", "--help"], "project-create.txt");
    check(&["token", "issue", "--help"], "token-issue.txt");
    check(&["psn", "--help"], "psn.txt");
    check(&["keys", "--help"], "keys.txt");
    check(&["keys", "rotate", "--help"], "keys-rotate.txt");
    check(&["keys", "retire", "--help"], "keys-retire.txt");
    check(&["project", "rewrap", "--help"], "project-rewrap.txt");
}
