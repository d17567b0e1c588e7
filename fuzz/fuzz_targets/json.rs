//! Fuzz target `json`: see `fuzz_body::json`.
#![no_main]

#[path = "../fuzz_body.rs"]
#[allow(dead_code)]
mod fuzz_body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_body::json(data));
