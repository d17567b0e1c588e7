//! Reading the message out of a caught panic.

use std::any::Any;

/// The message a panic was raised with (`panic!("…")`), or a placeholder when its payload
/// is not a string.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
