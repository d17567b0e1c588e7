//! The functions the call benchmarks call, exported with `#[export_method]` and registered
//! in jsonrpsee's `RpcModule` (jsonrpsee 0.26, `server-core` only), so that each benchmark
//! calls the same Rust function through both.

use std::fmt;

use jsonrpsee::core::RpcResult;
use jsonrpsee::RpcModule;
use serde::{Deserialize, Serialize};
use sessions_core::export_method;

/// Adds two integers.
#[export_method(session = none)]
pub fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Division by zero, the failure of `checked_div`.
#[derive(Debug)]
pub struct DivideByZero;

impl fmt::Display for DivideByZero {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("division by zero")
    }
}

/// Divides `a` by `b` into the out parameter `quotient`; `-1` is written there on failure.
#[export_method(session = none, sentinel = -1)]
pub fn checked_div(a: i64, b: i64, quotient: &mut i64) -> Result<(), DivideByZero> {
    *quotient = a.checked_div(b).ok_or(DivideByZero)?;
    Ok(())
}

/// A point in space: three fields, the struct of the struct benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vec3 {
    /// x.
    pub x: f64,
    /// y.
    pub y: f64,
    /// z.
    pub z: f64,
}

/// Scales a vector.
#[export_method(session = none)]
pub fn scale(v: Vec3, k: f64) -> Vec3 {
    Vec3 {
        x: v.x * k,
        y: v.y * k,
        z: v.z * k,
    }
}

/// `scale`'s parameters by name, for jsonrpsee.
#[derive(Deserialize)]
struct ScaleParams {
    v: Vec3,
    k: f64,
}

/// `add` (parameters `[a, b]`) and `scale` (by position or by name, as its `#[rpc]` macro
/// would generate) as jsonrpsee methods.
pub fn rpc_module() -> RpcModule<()> {
    let mut module = RpcModule::new(());
    module
        .register_method("add", |params, _, _| -> RpcResult<i64> {
            let (a, b): (i64, i64) = params.parse()?;
            Ok(add(a, b))
        })
        .expect("the name `add` is free");
    module
        .register_method("scale", |params, _, _| -> RpcResult<Vec3> {
            let ScaleParams { v, k } = if params.is_object() {
                params.parse()?
            } else {
                let (v, k): (Vec3, f64) = params.parse()?;
                ScaleParams { v, k }
            };
            Ok(scale(v, k))
        })
        .expect("the name `scale` is free");
    module
}
