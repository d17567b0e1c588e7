use serde::Serialize;
use sessions_core::export_method;

/// Can be written for a host, but not read from one.
#[derive(Serialize)]
struct Reading {
    celsius: f64,
}

#[export_method(session = none)]
fn record(reading: Reading) -> f64 {
    reading.celsius
}

fn main() {}
