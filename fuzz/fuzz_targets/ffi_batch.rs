#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../ffi_harness.rs"]
mod ffi_harness;

fuzz_target!(|data: &[u8]| ffi_harness::ffi_batch(data));
