//! The shop's core: items in storage, and a cart that checks out against it.

pub mod checkout;
pub mod storage;

pub use checkout::{checkout, Cart};
pub use storage::{FileStorage, Item, MemoryStorage, Storage};
