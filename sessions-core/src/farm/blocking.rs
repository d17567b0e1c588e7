//! Blocking Redis I/O made from async code's threads: off the runtime's worker.

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `f`, which may block for up to the I/O timeout. On a worker of a multi-threaded
/// tokio runtime (a sync exported method called by a web host), it runs in
/// `block_in_place`: the runtime moves the worker's other tasks to another thread first,
/// so other tabs' calls are not held up. Elsewhere (a plain thread, the farm's own
/// threads, a current-thread runtime, where no other thread could take them), it just
/// runs.
pub(crate) fn off_worker<T>(f: impl FnOnce() -> T) -> T {
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
