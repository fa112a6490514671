//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) through the same harness the
//! fuzzers run, on stable Rust, so every input that ever mattered stays a regression test.
#[path = "../../fuzz/harness.rs"]
mod harness;

fn replay(target: &str, f: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        f(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "the corpus of {target} is empty");
}

#[test]
fn token() {
    replay("token", harness::token);
}

#[test]
fn wire_json() {
    replay("wire_json", harness::wire_json);
}

#[test]
fn wire_csv() {
    replay("wire_csv", harness::wire_csv);
}

#[test]
fn reverse() {
    replay("reverse", harness::reverse);
}

#[test]
fn wire() {
    replay("wire", harness::wire);
}
