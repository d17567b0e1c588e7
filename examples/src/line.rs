//! A production line's NetLogic objects: an [`Oven`] and a [`Counter`], exported per line
//! (`Line1/Oven`, `Line1/Counter`), as Optix exports the methods of each NetLogic object
//! bound to a node of the project.
//!
//! In Optix, a NetLogic class's `[ExportMethod]`s are called on the NetLogic instance of
//! each node; here `#[export_methods]` on the type's `impl` block exports its `&self`
//! methods, and [`export_line`] exports one instance of each under the line's path, so a
//! host calls `"Line1/Oven.SetTarget"`. Each instance keeps its own state.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use sessions_core::{export_methods, Engine, ObjectError, ObjectHandle, SessionError};

use crate::AppError;

/// An oven of a line: a target temperature that operators set.
#[derive(Debug)]
pub struct Oven {
    target: Mutex<f64>,
}

impl Default for Oven {
    fn default() -> Oven {
        Oven {
            target: Mutex::new(Oven::start_temperature()),
        }
    }
}

#[export_methods]
impl Oven {
    /// Sets the target temperature (°C); the previous one is written into `previous`.
    ///
    /// Only an operator may; on failure `previous` is -1.0.
    #[export(name = "SetTarget", sentinel = -1.0, role = "operator")]
    pub fn set_target(&self, celsius: f64, previous: &mut f64) -> Result<(), SessionError> {
        let mut target = self.target.lock().unwrap_or_else(PoisonError::into_inner);
        *previous = std::mem::replace(&mut *target, celsius);
        Ok(())
    }

    /// The target temperature (°C).
    #[export(name = "Target")]
    pub fn target(&self) -> Result<f64, SessionError> {
        Ok(*self.target.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The temperature a new oven is set to (°C): `Oven.StartTemperature`, no object needed.
    #[export(name = "StartTemperature", session = none)]
    pub fn start_temperature() -> f64 {
        180.0
    }
}

/// Pieces produced by a line.
#[derive(Debug, Default)]
pub struct Counter {
    count: AtomicU64,
}

#[export_methods]
impl Counter {
    /// Counts `pieces` more; returns the new total.
    ///
    /// A total past `u64::MAX` is refused with [`AppError::Overflow`], the count unchanged:
    /// `pieces` comes from a client, so the sum is checked.
    #[export(name = "Add")]
    pub fn add(&self, pieces: u64) -> Result<u64, AppError> {
        self.count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |count| {
                count.checked_add(pieces)
            })
            .map(|before| before + pieces)
            .map_err(|count| AppError::Overflow {
                count,
                added: pieces,
            })
    }

    /// The total so far.
    #[export(name = "Count")]
    pub fn count(&self) -> Result<u64, SessionError> {
        Ok(self.count.load(Ordering::SeqCst))
    }
}

/// Exports a new oven and counter of line `line` on `engine`, under `"<line>/Oven"` and
/// `"<line>/Counter"`; they stay exported while the handles are held.
///
/// # Errors
/// [`ObjectError`] when `line` is not a valid path or already has them.
pub fn export_line(engine: &Engine, line: &str) -> Result<Vec<ObjectHandle>, ObjectError> {
    Ok(vec![
        engine.export_object(&format!("{line}/Oven"), Arc::new(Oven::default()))?,
        engine.export_object(&format!("{line}/Counter"), Arc::new(Counter::default()))?,
    ])
}
