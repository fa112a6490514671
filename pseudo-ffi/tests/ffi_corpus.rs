//! Replays the committed corpus of the C ABI fuzz target (`fuzz/corpus/ffi_batch/`) through the
//! same harness the fuzzer runs (`fuzz/ffi_harness.rs`), on stable Rust: every input that ever
//! mattered stays a regression test of `pseudo_engine_call`.
#[path = "../../fuzz/ffi_harness.rs"]
mod ffi_harness;

#[test]
fn ffi_batch() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/ffi_batch");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        ffi_harness::ffi_batch(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n >= 10, "the corpus of ffi_batch has only {n} inputs");
}
