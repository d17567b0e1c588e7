//! [`MethodTable`]: every exported method in the program, built once from `inventory`, looked
//! up by name in a [`NameIndex`].

use std::ops::Range;
use std::sync::OnceLock;

use super::names::NameIndex;
use super::{CallError, MethodInfo};

/// Every exported method linked into the program: the functions marked
/// `#[export_method]` in this crate and in every crate it depends on.
///
/// Built once, on the first call to [`methods()`](crate::methods).
pub struct MethodTable {
    /// Sorted by name, then path: methods sharing a name are next to each other.
    sorted: Vec<&'static MethodInfo>,
    /// Name → the range of `sorted` holding the methods with that name.
    by_name: NameIndex,
}

/// The table of every exported method, built on first use.
///
/// ```
/// use sessions_core::{export_method, methods, CallError, Value};
///
/// /// Adds two numbers.
/// #[export_method(session = none)]
/// fn add(a: i64, b: i64) -> i64 {
///     a + b
/// }
///
/// // What a host lists:
/// for method in methods().iter() {
///     println!("{method}\n    {}", method.doc());
/// }
/// let add_info = methods().get("add").expect("registered");
/// assert_eq!(add_info.to_string(), "add(a: i64, b: i64) -> i64 [session: none]");
/// assert_eq!(add_info.doc(), "Adds two numbers.");
///
/// // What a host calls:
/// let outcome = methods().call("add", vec![Value::from(2), Value::from(3)])?;
/// assert_eq!(outcome.value, Value::from(5));
///
/// // Refused before anything runs:
/// let wrong = methods().call("add", vec![Value::from(2), Value::from("three")]);
/// assert_eq!(
///     wrong.unwrap_err().to_string(),
///     "argument `b` of `add` expects i64, got string \"three\""
/// );
/// # Ok::<(), CallError>(())
/// ```
#[inline]
pub fn methods() -> &'static MethodTable {
    static TABLE: OnceLock<MethodTable> = OnceLock::new();
    TABLE.get_or_init(|| MethodTable::new(inventory::iter::<MethodInfo>.into_iter().collect()))
}

impl MethodTable {
    pub(crate) fn new(mut sorted: Vec<&'static MethodInfo>) -> Self {
        sorted.sort_by(|a, b| {
            (a.name, a.module_path, a.rust_name, a.file, a.line).cmp(&(
                b.name,
                b.module_path,
                b.rust_name,
                b.file,
                b.line,
            ))
        });
        // Sorted by name, so the methods sharing a name are one run.
        let mut names: Vec<(&'static str, Range<usize>)> = Vec::new();
        for (index, method) in sorted.iter().enumerate() {
            match names.last_mut() {
                Some((name, range)) if *name == method.name => range.end = index + 1,
                _ => names.push((method.name, index..index + 1)),
            }
        }
        MethodTable {
            by_name: NameIndex::new(names),
            sorted,
        }
    }

    /// The method named `name`, or `None` when no method, or more than one, has that name.
    ///
    /// It agrees with [`call`](Self::call): a name that several methods share is refused by
    /// both (`call` says [`CallError::Ambiguous`] with their locations), and
    /// [`duplicates`](Self::duplicates) lists them.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&'static MethodInfo> {
        self.lookup(name).ok()
    }

    /// Every method, sorted by name, then by path.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'static MethodInfo> + '_ {
        self.sorted.iter().copied()
    }

    /// The number of methods.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether no method is exported.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// When the table is empty, why that may be, in words a host can print; `None` when it
    /// has methods.
    ///
    /// The usual cause: the crates that export the methods are not linked, because the
    /// program names nothing from them (see [`link!`](crate::link)).
    pub fn why_empty(&self) -> Option<&'static str> {
        self.is_empty().then_some(
            "no exported methods are linked into this program. A crate's #[export_method] \
             functions are in the table only when the program links that crate, and Rust links \
             a dependency only when the program's code names it: add \
             `sessions_core::link!(crate_name);` to the binary for each crate of exported \
             methods that it names nowhere else.",
        )
    }

    /// The names shared by several methods, each with those methods, sorted by name. Check
    /// it at start-up: calling such a name is [`CallError::Ambiguous`].
    pub fn duplicates(&self) -> Vec<(&'static str, Vec<&'static MethodInfo>)> {
        let mut duplicates: Vec<_> = self
            .by_name
            .iter()
            .filter(|(_, range)| range.len() > 1)
            .map(|(name, range)| (name, self.sorted[range.clone()].to_vec()))
            .collect();
        duplicates.sort_by_key(|(name, _)| *name);
        duplicates
    }

    /// Every method named `name` (more than one when the name is shared).
    pub(crate) fn iter_named(&self, name: &str) -> impl Iterator<Item = &'static MethodInfo> + '_ {
        let range = self.by_name.get(name).cloned().unwrap_or(0..0);
        self.sorted[range].iter().copied()
    }

    /// The one method named `name`, or why there is none to call.
    #[inline]
    pub(crate) fn lookup(&self, name: &str) -> Result<&'static MethodInfo, CallError> {
        match self.by_name.get(name) {
            Some(range) if range.len() == 1 => Ok(self.sorted[range.start]),
            Some(range) => Err(CallError::Ambiguous {
                name: name.to_owned(),
                locations: self.sorted[range.clone()]
                    .iter()
                    .map(|m| m.location())
                    .collect(),
            }),
            None => Err(CallError::UnknownMethod(name.to_owned())),
        }
    }
}

impl<'a> IntoIterator for &'a MethodTable {
    type Item = &'static MethodInfo;
    type IntoIter = std::iter::Copied<std::slice::Iter<'a, &'static MethodInfo>>;

    fn into_iter(self) -> Self::IntoIter {
        self.sorted.iter().copied()
    }
}

impl std::fmt::Debug for MethodTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.sorted.iter().map(|m| m.to_string()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::{Args, CallOutcome, ParamInfo, Policy, Rule, Trampoline};
    use crate::Value;

    fn info(name: &'static str, module_path: &'static str) -> &'static MethodInfo {
        fn call(_: Args) -> Result<CallOutcome, CallError> {
            Ok(CallOutcome::ok(Value::Int(7), Vec::new()))
        }
        static NO_PARAMS: [ParamInfo; 0] = [];
        Box::leak(Box::new(MethodInfo {
            name,
            rust_name: "f",
            module_path,
            file: "src/lib.rs",
            line: 3,
            doc: "",
            rule: Rule {
                policy: Policy::None,
                engine: None,
                role: None,
            },
            audit_args: false,
            params: &NO_PARAMS,
            returns: "i64",
            value_type: "i64",
            value_schema: crate::value::TypeSchema::NONE,
            owner: None,
            call: Trampoline::Sync(call),
            blocking: false,
        }))
    }

    #[test]
    fn lookup_sorting_and_duplicates() {
        let table = MethodTable::new(vec![
            info("b", "x"),
            info("a", "z"),
            info("b", "w"),
            info("c", "y"),
        ]);
        assert_eq!(table.len(), 4);
        let order: Vec<_> = table.iter().map(|m| (m.name(), m.module_path())).collect();
        assert_eq!(order, [("a", "z"), ("b", "w"), ("b", "x"), ("c", "y")]);
        // A shared name is refused by `get` as by `call`; `duplicates` lists both.
        assert!(table.get("b").is_none());
        assert_eq!(table.get("a").map(MethodInfo::module_path), Some("z"));
        assert!(table.get("d").is_none());
        let duplicates = table.duplicates();
        assert_eq!(duplicates.len(), 1);
        assert_eq!(duplicates[0].0, "b");
        assert_eq!(duplicates[0].1.len(), 2);

        assert_eq!(table.call("a", vec![]).map(|o| o.value), Ok(Value::Int(7)));
        assert_eq!(
            table.call("b", vec![]),
            Err(CallError::Ambiguous {
                name: "b".into(),
                locations: vec!["w::f at src/lib.rs:3".into(), "x::f at src/lib.rs:3".into()],
            })
        );
        assert_eq!(
            table.call("nope", vec![]),
            Err(CallError::UnknownMethod("nope".into()))
        );
    }
}
