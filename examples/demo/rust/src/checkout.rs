//! A cart of SKUs, priced against a storage.

use crate::storage::{Item, Storage};

pub struct Cart<S: Storage> {
    storage: S,
    skus: Vec<String>,
}

impl<S: Storage> Cart<S> {
    pub fn new(storage: S) -> Self {
        Cart { storage, skus: Vec::new() }
    }

    pub fn add(&mut self, sku: &str) {
        self.skus.push(sku.to_string());
    }

    /// The items found, in the order they were added; unknown SKUs are left out.
    pub fn items(&self) -> Vec<Item> {
        self.skus.iter().filter_map(|sku| self.storage.get(sku)).collect()
    }

    pub fn total_cents(&self) -> u64 {
        self.items().iter().map(|item| item.price_cents).sum()
    }
}

/// The receipt's lines and its total.
pub fn checkout<S: Storage>(cart: &Cart<S>) -> (Vec<String>, u64) {
    let lines = cart.items().iter().map(|item| format!("{} {}", item.name, item.price_cents)).collect();
    (lines, cart.total_cents())
}
