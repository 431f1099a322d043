//! Where the shop keeps its items.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub sku: String,
    pub name: String,
    pub price_cents: u64,
}

/// Anything that can find an item by its SKU and keep new ones.
pub trait Storage {
    fn get(&self, sku: &str) -> Option<Item>;
    fn put(&mut self, item: Item);
}

/// Items in memory, for tests and small shops.
#[derive(Default)]
pub struct MemoryStorage {
    items: HashMap<String, Item>,
}

impl Storage for MemoryStorage {
    fn get(&self, sku: &str) -> Option<Item> {
        self.items.get(sku).cloned()
    }

    fn put(&mut self, item: Item) {
        self.items.insert(item.sku.clone(), item);
    }
}

/// Items in a folder, one file per SKU: `name;price_cents`.
pub struct FileStorage {
    folder: PathBuf,
}

impl FileStorage {
    pub fn new(folder: PathBuf) -> Self {
        FileStorage { folder }
    }
}

impl Storage for FileStorage {
    fn get(&self, sku: &str) -> Option<Item> {
        let text = fs::read_to_string(self.folder.join(sku)).ok()?;
        let (name, price) = text.trim().split_once(';')?;
        Some(Item { sku: sku.to_string(), name: name.to_string(), price_cents: price.parse().ok()? })
    }

    fn put(&mut self, item: Item) {
        let line = format!("{};{}", item.name, item.price_cents);
        let _ = fs::write(self.folder.join(&item.sku), line);
    }
}
