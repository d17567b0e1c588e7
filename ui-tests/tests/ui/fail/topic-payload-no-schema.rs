// A payload that serializes but has no JSON Schema: its type could not be published.
use serde::Serialize;
use sessions_core::topic;

#[derive(Serialize)]
pub struct Reading {
    pub celsius: f64,
}

topic! {
    pub READING: Reading = "reading";
}

fn main() {}
