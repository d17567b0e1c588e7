//! A variable shared beyond this process (feature `farm`): where its writes go first, and
//! how a change made elsewhere comes in.
//!
//! The variable knows nothing of the farm: the farm gives it a [`Sharing`] (the variable
//! depends on this trait, the farm implements it), and hands it the changes other nodes
//! made through [`Variable::apply`](super::Variable::apply). A shared variable's versions
//! are given by the store, in one order for every node; this node takes a change only when
//! its version is newer than the one it holds, so a version never goes back here.

use std::time::SystemTime;

use crate::model::WrittenBy;

/// Where a shared variable's writes go before they count: the farm's Redis.
pub(crate) trait Sharing<T>: Send + Sync + 'static {
    /// Writes `value`, by `by`, as the next version in the store's order, above `floor`
    /// (the version this node holds) at least. Blocks for at most the store's I/O timeout,
    /// off an async worker.
    ///
    /// # Errors
    /// Why the store did not take it, naming the variable: the caller refuses the write.
    fn write(&self, value: &T, by: &WrittenBy, floor: u64) -> Result<Stamp<T>, String>;
}

/// What the store made of a write.
pub(crate) struct Stamp<T> {
    /// The version the store gave it.
    pub(crate) version: u64,
    /// When, by the store's clock.
    pub(crate) at: SystemTime,
    /// The value it replaced in the store's order, when the store had one of this type.
    pub(crate) replaced: Option<T>,
}
