//! Visibility is kept: `pub(crate)`, `pub(super)`, private, and `pub` in a module.
mod api {
    use sessions_core::export_method;

    #[export_method(session = none)]
    pub(crate) fn crate_visible() -> i64 {
        1
    }

    pub mod inner {
        use sessions_core::export_method;

        #[export_method(session = none)]
        pub(super) fn parent_visible() -> i64 {
            2
        }

        #[export_method(session = none)]
        pub fn public() -> i64 {
            3
        }
    }

    #[export_method(session = none)]
    fn private() -> i64 {
        4
    }

    pub fn sum() -> i64 {
        inner::parent_visible() + private()
    }
}

fn main() {
    assert_eq!(api::crate_visible() + api::sum() + api::inner::public(), 10);
    let path = sessions_core::methods()
        .get("parent_visible")
        .map(|m| m.module_path());
    assert!(
        path.is_some_and(|p| p.ends_with("::api::inner")),
        "{path:?}"
    );
}
