//! [`ValueMap`]: the entries of a [`Value::Map`](super::Value::Map), kept as one sorted
//! vector. A host call builds, reads and drops a small map in each direction (a struct's
//! fields), and a vector does each with one allocation, where a `BTreeMap` costs a node
//! walk per entry: this is most of what a struct argument costs.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use super::Value;

/// The entries of a [`Value::Map`](super::Value::Map): string keys to values, in key order,
/// each key once, like a `BTreeMap<String, Value>`.
///
/// A key is borrowed when it is a name known when the program was compiled (a serialized
/// struct's field names, a `&'static str` literal), so writing a struct allocates no key;
/// any other key is owned. Look a key up with a `&str`.
///
/// Building a map from many entries at once (`collect`, `from`, JSON) sorts them once;
/// [`insert`](Self::insert) places one entry, moving the entries after it, so it suits small
/// maps and edits. A key given twice keeps its last value, as a `BTreeMap` does.
///
/// ```
/// use sessions_core::{Value, ValueMap};
///
/// let mut map = ValueMap::from([("y", Value::Int(2)), ("x", Value::Int(1))]);
/// map.insert(String::from("z"), Value::Int(3));
/// assert_eq!(map.get("x"), Some(&Value::Int(1)));
/// assert_eq!(map.keys().collect::<Vec<_>>(), ["x", "y", "z"]);
/// assert_eq!(Value::Map(map).to_string(), r#"{"x":1,"y":2,"z":3}"#);
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct ValueMap {
    /// Sorted by key; no key twice.
    entries: Vec<(Cow<'static, str>, Value)>,
}

impl ValueMap {
    /// An empty map.
    pub const fn new() -> ValueMap {
        ValueMap {
            entries: Vec::new(),
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let index = self.find(key).ok()?;
        Some(&self.entries[index].1)
    }

    /// The value under `key`, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let index = self.find(key).ok()?;
        Some(&mut self.entries[index].1)
    }

    /// Whether there is a value under `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Puts `value` under `key`; returns the value that was there.
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.find(&key) {
            Ok(index) => Some(std::mem::replace(&mut self.entries[index].1, value)),
            Err(index) => {
                self.entries.insert(index, (key, value));
                None
            }
        }
    }

    /// Takes the value under `key` out of the map.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let index = self.find(key).ok()?;
        Some(self.entries.remove(index).1)
    }

    /// The entries, in key order.
    pub fn iter(&self) -> ValueMapIter<'_> {
        ValueMapIter(self.entries.iter())
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.entries.iter().map(|(key, _)| &**key)
    }

    /// The values, in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, value)| value)
    }

    /// Where `key` is, or where it would go.
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(probe, _)| (**probe).cmp(key))
    }

    /// A map of `entries` in any order: sorted once (stable, so the last of equal keys is
    /// the one kept).
    pub(super) fn from_unsorted(mut entries: Vec<(Cow<'static, str>, Value)>) -> ValueMap {
        // Entries that are already in order (a JSON object written by a map, a struct with
        // sorted fields) skip the sort.
        if !entries.is_sorted_by(|(a, _), (b, _)| a < b) {
            entries.sort_by(|(a, _), (b, _)| a.cmp(b));
            keep_last_of_equal_keys(&mut entries);
        }
        ValueMap { entries }
    }
}

/// Removes every entry whose key equals the next one's: after a stable sort, the entry
/// kept for each key is the one given last.
fn keep_last_of_equal_keys(entries: &mut Vec<(Cow<'static, str>, Value)>) {
    // `dedup_by` removes the later of two equal entries: its value moves into the earlier
    // one first, so the value given last is the one kept, in place.
    entries.dedup_by(|later, earlier| {
        let equal = later.0 == earlier.0;
        if equal {
            std::mem::swap(&mut later.1, &mut earlier.1);
        }
        equal
    });
}

impl fmt::Debug for ValueMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// The entries of a [`ValueMap`], in key order.
#[derive(Clone, Debug)]
pub struct ValueMapIter<'a>(std::slice::Iter<'a, (Cow<'static, str>, Value)>);

impl<'a> Iterator for ValueMapIter<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(key, value)| (&**key, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for ValueMapIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(key, value)| (&**key, value))
    }
}

impl ExactSizeIterator for ValueMapIter<'_> {}

impl<'a> IntoIterator for &'a ValueMap {
    type Item = (&'a str, &'a Value);
    type IntoIter = ValueMapIter<'a>;

    fn into_iter(self) -> ValueMapIter<'a> {
        self.iter()
    }
}

impl IntoIterator for ValueMap {
    type Item = (Cow<'static, str>, Value);
    type IntoIter = std::vec::IntoIter<(Cow<'static, str>, Value)>;

    /// The entries, in key order; a key is a `Cow`, `.into_owned()` for a `String`.
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<K: Into<Cow<'static, str>>> FromIterator<(K, Value)> for ValueMap {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(entries: I) -> ValueMap {
        let entries = entries.into_iter().map(|(key, value)| (key.into(), value));
        ValueMap::from_unsorted(entries.collect())
    }
}

impl<K: Into<Cow<'static, str>>> Extend<(K, Value)> for ValueMap {
    fn extend<I: IntoIterator<Item = (K, Value)>>(&mut self, entries: I) {
        let mut all = std::mem::take(&mut self.entries);
        all.extend(entries.into_iter().map(|(key, value)| (key.into(), value)));
        *self = ValueMap::from_unsorted(all);
    }
}

impl<K: Into<Cow<'static, str>>, const N: usize> From<[(K, Value); N]> for ValueMap {
    fn from(entries: [(K, Value); N]) -> ValueMap {
        entries.into_iter().collect()
    }
}

impl From<BTreeMap<String, Value>> for ValueMap {
    /// Already in order: no sort.
    fn from(map: BTreeMap<String, Value>) -> ValueMap {
        let entries = map.into_iter().map(|(key, value)| (Cow::Owned(key), value));
        ValueMap {
            entries: entries.collect(),
        }
    }
}

impl From<ValueMap> for BTreeMap<String, Value> {
    fn from(map: ValueMap) -> BTreeMap<String, Value> {
        map.into_iter()
            .map(|(key, value)| (key.into_owned(), value))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_sorted_and_unique_however_they_come() {
        let map = ValueMap::from([
            ("b", Value::Int(1)),
            ("a", Value::Int(2)),
            ("b", Value::Int(3)),
            ("c", Value::Int(4)),
            ("a", Value::Int(5)),
        ]);
        let entries: Vec<(&str, &Value)> = map.iter().collect();
        assert_eq!(
            entries,
            [
                ("a", &Value::Int(5)),
                ("b", &Value::Int(3)),
                ("c", &Value::Int(4))
            ],
            "the last of equal keys is kept"
        );
        let sorted = ValueMap::from([("a", Value::Null), ("b", Value::Null)]);
        assert_eq!(sorted.keys().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn insert_get_remove() {
        let mut map = ValueMap::new();
        assert!(map.is_empty());
        assert_eq!(map.insert("m", Value::Int(1)), None);
        assert_eq!(map.insert(String::from("a"), Value::Int(2)), None);
        assert_eq!(map.insert("z", Value::Int(3)), None);
        assert_eq!(map.insert("m", Value::Int(4)), Some(Value::Int(1)));
        assert_eq!(map.len(), 3);
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "m", "z"]);
        assert_eq!(map.get("m"), Some(&Value::Int(4)));
        assert_eq!(map.get("q"), None);
        *map.get_mut("a").expect("a is there") = Value::Null;
        assert_eq!(map.remove("a"), Some(Value::Null));
        assert_eq!(map.remove("a"), None);
        assert!(map.contains_key("z") && !map.contains_key("a"));
        assert_eq!(
            map.values().collect::<Vec<_>>(),
            [&Value::Int(4), &Value::Int(3)]
        );
    }

    #[test]
    fn extend_keeps_order_and_the_last_value() {
        let mut map = ValueMap::from([("b", Value::Int(1))]);
        map.extend([("a", Value::Int(2)), ("b", Value::Int(3))]);
        assert_eq!(
            map,
            ValueMap::from([("a", Value::Int(2)), ("b", Value::Int(3))])
        );
    }

    #[test]
    fn converts_to_and_from_a_btree_map() {
        let tree = BTreeMap::from([
            ("x".to_owned(), Value::Int(1)),
            ("y".to_owned(), Value::Null),
        ]);
        let map = ValueMap::from(tree.clone());
        assert_eq!(map.len(), 2);
        assert_eq!(BTreeMap::from(map), tree);
    }

    #[test]
    fn debug_is_a_map() {
        let map = ValueMap::from([("k", Value::Int(1))]);
        assert_eq!(format!("{map:?}"), r#"{"k": Int(1)}"#);
    }
}
