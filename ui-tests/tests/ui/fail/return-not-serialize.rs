use serde::Deserialize;
use sessions_core::export_method;

/// Can be read from a host, but not written for one.
#[derive(Deserialize)]
struct Reading {
    celsius: f64,
}

#[export_method(session = none)]
fn latest(celsius: f64) -> Reading {
    Reading { celsius }
}

#[export_method(session = none)]
fn latest_or_error(celsius: f64) -> Result<Reading, String> {
    Ok(Reading { celsius })
}

fn main() {}
