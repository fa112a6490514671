//! Key versions on the command line: `pseudo keys rotate` changes no pseudonym of an existing
//! project, `pseudo project rewrap` moves a reversible project to the new version without
//! writing an original, and `pseudo keys retire` removes a version no project is bound to.

mod common;

use common::*;
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn rotate_rewrap_retire() {
    let f = Folder::new();
    let d = f.data();
    let s = |p: &std::path::PathBuf| p.to_str().unwrap().to_owned();
    ok(&d, &["project", "create", "cohort", "--reversible", "--retention", "5y", "--treatment", "same"]);
    let keys = json(&ok(&d, &["keys", "list"]));
    assert_eq!(keys["primary"], 1);
    assert_eq!(keys["versions"][0]["projects"], 1);
    let (psn, _) = f.token(&["psn", "--project", "cohort"], "psn.jwt");
    let input = f.path("in.csv");
    std::fs::write(&input, "id,patient\n1,Alice\n2,Bob\n3,\n").unwrap();
    let before = ok(&d, &["psn", "--token", &s(&psn), "--column", "patient", "--input", &s(&input)]);

    // Rotation: version 2 is primary, the project stays on 1, its pseudonyms do not change.
    let keys = json(&ok(&d, &["keys", "rotate"]));
    assert_eq!((keys["primary"].as_u64(), keys["authority_key_version"].as_u64()), (Some(2), Some(2)));
    assert_eq!(json(&ok(&d, &["project", "show", "cohort"]))["key_version"], 1);
    assert_eq!(ok(&d, &["psn", "--token", &s(&psn), "--column", "patient", "--input", &s(&input)]), before);
    let (psn_again, _) = f.token(&["psn", "--project", "cohort"], "psn2.jwt");
    assert_eq!(ok(&d, &["psn", "--token", &s(&psn_again), "--column", "patient", "--input", &s(&input)]), before);
    // A project made now is bound to version 2.
    ok(&d, &["project", "create", "later", "--reversible", "--retention", "1y", "--treatment", "same"]);
    assert_eq!(json(&ok(&d, &["project", "show", "later"]))["key_version"], 2);

    // Version 1 is still in use: it cannot be retired.
    let out = pseudo(&d, &["keys", "retire", "1"]);
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("still bound"));

    // Rewrap the file of version-1 pseudonyms: the project moves to 2, its old tokens are revoked.
    let old = f.path("old.csv");
    std::fs::write(&old, &before).unwrap();
    let rewrapped = ok(&d, &["project", "rewrap", "cohort", "--column", "patient", "--input", &s(&old)]);
    assert_ne!(rewrapped, before);
    assert!(!rewrapped.contains("Alice") && !rewrapped.contains("Bob"), "no original is written: {rewrapped}");
    assert!(rewrapped.lines().nth(3).unwrap().ends_with(','), "an empty cell stays empty");
    let p = json(&ok(&d, &["project", "show", "cohort"]));
    assert_eq!((p["key_version"].as_u64(), p["key_versions"].clone()), (Some(2), serde_json::json!([1, 2])));
    assert_eq!(
        pseudo(&d, &["psn", "--token", &s(&psn), "--column", "patient", "--input", &s(&input)]).status.code(),
        Some(4)
    );
    // A fresh token of the project makes exactly the rewrapped pseudonyms, and reverses them.
    let (psn2, _) = f.token(&["psn", "--project", "cohort"], "psn3.jwt");
    assert_eq!(ok(&d, &["psn", "--token", &s(&psn2), "--column", "patient", "--input", &s(&input)]), rewrapped);
    let (rev, _) = f.token(&["rev", "--project", "cohort"], "rev.jwt");
    let mid = f.path("mid.csv");
    std::fs::write(&mid, &rewrapped).unwrap();
    assert_eq!(
        ok(&d, &["rev", "--token", &s(&rev), "--column", "patient", "--input", &s(&mid)]),
        std::fs::read_to_string(&input).unwrap()
    );

    // Now version 1 can go; its pseudonyms are refused afterwards.
    let keys = json(&ok(&d, &["keys", "retire", "1"]));
    assert_eq!(keys["versions"].as_array().unwrap().len(), 1);
    assert_eq!(
        pseudo(&d, &["rev", "--token", &s(&rev), "--column", "patient", "--input", &s(&old)]).status.code(),
        Some(5)
    );
    assert_eq!(pseudo(&d, &["keys", "retire", "2"]).status.code(), Some(4), "the primary cannot be retired");
    let audit = ok(&d, &["keys", "list"]);
    assert_eq!(json(&audit)["versions"][0]["version"], 2);
}
