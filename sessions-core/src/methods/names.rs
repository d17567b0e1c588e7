//! [`NameIndex`]: method name → the range of the sorted table holding the methods of that
//! name. Built once; read on every call by name, so it is a flat open-addressing table
//! probed with the full 64-bit hash: the usual lookup is one hash, one slot and one string
//! comparison, about half the instructions of a general-purpose `HashMap`.

use std::hash::Hasher;
use std::ops::Range;

use crate::hash::Fnv1a;

/// One occupied slot.
#[derive(Clone)]
struct Slot {
    hash: u64,
    name: &'static str,
    range: Range<usize>,
}

/// Names to ranges; at most half the slots are occupied, so a probe ends soon.
pub(crate) struct NameIndex {
    slots: Box<[Option<Slot>]>,
    /// `slots.len() - 1`; the length is a power of two.
    mask: usize,
}

impl NameIndex {
    /// The index of `names`, each with its range (names are distinct).
    pub(crate) fn new(names: Vec<(&'static str, Range<usize>)>) -> NameIndex {
        let len = (names.len() * 2).next_power_of_two().max(8);
        let mut slots = vec![None; len].into_boxed_slice();
        let mask = len - 1;
        for (name, range) in names {
            let hash = hash(name);
            let mut index = hash as usize & mask;
            while slots[index].is_some() {
                index = (index + 1) & mask;
            }
            slots[index] = Some(Slot { hash, name, range });
        }
        NameIndex { slots, mask }
    }

    /// The range of the methods named `name`.
    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<&Range<usize>> {
        let hash = hash(name);
        let mut index = hash as usize & self.mask;
        // Ends: at most half the slots are occupied, so an empty one is always reached.
        loop {
            match self.slots.get(index)? {
                None => return None,
                Some(slot) if slot.hash == hash && slot.name == name => return Some(&slot.range),
                Some(_) => index = (index + 1) & self.mask,
            }
        }
    }

    /// Every name with its range, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&'static str, &Range<usize>)> {
        self.slots
            .iter()
            .flatten()
            .map(|slot| (slot.name, &slot.range))
    }
}

fn hash(name: &str) -> u64 {
    let mut hasher = Fnv1a::default();
    hasher.write(name.as_bytes());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_name_and_no_other() {
        let names: Vec<(&'static str, Range<usize>)> = (0..100)
            .map(|i| (&*Box::leak(format!("method{i}").into_boxed_str()), i..i + 1))
            .collect();
        let index = NameIndex::new(names.clone());
        for (name, range) in &names {
            assert_eq!(index.get(name), Some(range), "{name}");
        }
        for missing in ["", "method", "method100", "Method1", "method1 "] {
            assert_eq!(index.get(missing), None, "{missing:?}");
        }
        assert_eq!(index.iter().count(), 100);
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        let index = NameIndex::new(Vec::new());
        assert_eq!(index.get("add"), None);
        assert_eq!(index.iter().count(), 0);
    }
}
