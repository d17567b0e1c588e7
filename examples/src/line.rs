//! A production line's NetLogic objects: an [`Oven`] and a [`Counter`], exported per line
//! (`Line1/Oven`, `Line1/Counter`), as Optix exports the methods of each NetLogic object
//! bound to a node of the project.
//!
//! In Optix, a NetLogic class's `[ExportMethod]`s are called on the NetLogic instance of
//! each node; here `#[export_methods]` on the type's `impl` block exports its `&self`
//! methods, and [`export_line`] exports one instance of each under the line's path, so a
//! host calls `"Line1/Oven.SetTarget"`. Each instance keeps its own state.
//!
//! The oven's temperatures are variables of the information model: `#[derive(Variables)]`
//! exports them with the oven, as `Line1/Oven/Target` (operators write it) and
//! `Line1/Oven/Actual` (which the line's heater moves towards the target), for hosts to
//! read, write and watch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sessions_core::timer::{every_in, TimerHandle};
use sessions_core::{
    export_methods, Engine, ObjectError, ObjectHandle, SessionError, Variable, Variables,
};

use crate::AppError;

/// How far the heater moves an oven's actual temperature in one step (°C).
pub const HEAT_STEP: f64 = 5.0;

/// How often the line's heater steps.
pub const HEAT_PERIOD: Duration = Duration::from_secs(1);

/// An oven of a line: a target temperature that operators set, and the actual temperature,
/// which follows it by at most [`HEAT_STEP`] per step.
#[derive(Debug, Variables)]
pub struct Oven {
    /// The temperature to reach (°C): only an operator (or a root session) writes it.
    #[variable(name = "Target")]
    target: Variable<f64>,
    /// The temperature now (°C).
    #[variable(name = "Actual")]
    actual: Variable<f64>,
}

impl Default for Oven {
    fn default() -> Oven {
        Oven {
            target: Variable::builder(Oven::start_temperature())
                .write_role("operator")
                .build(),
            actual: Variable::new(20.0),
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
        *previous = self.target.replace(celsius)?;
        Ok(())
    }

    /// The target temperature (°C).
    #[export(name = "Target")]
    pub fn target(&self) -> Result<f64, SessionError> {
        Ok(self.target.get())
    }

    /// Moves the actual temperature towards the target by at most [`HEAT_STEP`]; returns
    /// the new one. Run by the line's heater, in the engine's root session.
    #[export(skip)]
    pub fn heat(&self) -> Result<f64, SessionError> {
        let (actual, target) = (self.actual.get(), self.target.get());
        let next = actual + (target - actual).clamp(-HEAT_STEP, HEAT_STEP);
        if next != actual {
            self.actual.set(next)?;
        }
        Ok(next)
    }

    /// The target temperature, as a variable (Rust-only: hosts use `Line1/Oven/Target`): what
    /// a farm shares ([`share_line`](crate::farm::share_line)).
    #[export(skip)]
    pub fn target_variable(&self) -> &Variable<f64> {
        &self.target
    }

    /// The actual temperature, as a variable (Rust-only: hosts use `Line1/Oven/Actual`).
    #[export(skip)]
    pub fn actual(&self) -> &Variable<f64> {
        &self.actual
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

/// A line exported on an engine: its objects (and the oven's variables) stay exported, and
/// its heater runs, while this is held.
#[must_use = "the line is unexported when this is dropped"]
pub struct Line {
    /// The oven and the counter, exported.
    pub objects: Vec<ObjectHandle>,
    /// The oven.
    pub oven: Arc<Oven>,
    /// Moves the oven's actual temperature every [`HEAT_PERIOD`], in the engine's root
    /// session; stops when the line is dropped.
    heater: TimerHandle,
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line")
            .field("objects", &self.objects)
            .field("oven", &self.oven)
            .field("heating", &self.heater.is_active())
            .finish()
    }
}

/// Exports a new oven and counter of line `line` on `engine`, under `"<line>/Oven"` and
/// `"<line>/Counter"` (the oven's variables as `"<line>/Oven/Target"` and
/// `"<line>/Oven/Actual"`), and starts the oven's heater; all stay while the [`Line`] is
/// held.
///
/// # Errors
/// [`ObjectError`] when `line` is not a valid path or already has them.
pub fn export_line(engine: &Engine, line: &str) -> Result<Line, ObjectError> {
    let oven = Arc::new(Oven::default());
    let objects = vec![
        engine.export_object(&format!("{line}/Oven"), oven.clone())?,
        engine.export_object(&format!("{line}/Counter"), Arc::new(Counter::default()))?,
    ];
    let heated = oven.clone();
    let heater = every_in(&engine.root(), HEAT_PERIOD, move || {
        // In the root session, which may write every variable: this cannot be refused.
        if let Err(error) = heated.heat() {
            tracing::warn!(%error, "the oven's heater could not move its temperature");
        }
    })
    .unwrap_or_else(|_| unreachable!("an engine's root session is never closed"));
    Ok(Line {
        objects,
        oven,
        heater,
    })
}
