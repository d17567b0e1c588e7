//! [`link!`]: the one line that puts a crate's exported methods in the table when the
//! program names nothing else from that crate.

/// Links crates of exported methods into the program, so that their methods are in
/// [`methods()`](crate::methods).
///
/// `#[export_method]` registers each function where it is defined, and a program has the
/// registrations of every crate it links. Rust links a dependency only when the program's
/// code names it: a crate that only exports methods (a plugin whose functions are called by
/// hosts, never from Rust) is left out, and its methods are silently missing. One line in
/// the binary, anywhere at module level, names it:
///
/// ```
/// // In the binary (`main.rs`), for a plugin crate `bakery` in `[dependencies]`:
/// # mod bakery {}
/// sessions_core::link!(bakery);
/// # fn main() {}
/// ```
///
/// It expands to `use bakery as _;`, which does the same and may be written instead.
/// Several crates at once: `sessions_core::link!(bakery, oven_control);`. A program that
/// already calls or imports something from the crate needs neither.
#[macro_export]
macro_rules! link {
    ($($krate:ident),+ $(,)?) => {
        $(
            #[allow(unused_imports)]
            use $krate as _;
        )+
    };
}
