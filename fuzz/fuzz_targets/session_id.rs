//! Fuzz target `session_id`: see `fuzz_body::session_id`.
#![no_main]

#[path = "../fuzz_body.rs"]
#[allow(dead_code)]
mod fuzz_body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_body::session_id(data));
