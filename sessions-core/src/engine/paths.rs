//! The paths objects and variables are exported at (`Line1/Oven`, `Line1/Oven/Target`):
//! what a host can name.

/// Why `path` is not one a host can name, or `None` when it is: one or more `/`-separated
/// segments, each non-empty, without `.` (which separates a method from its object's path),
/// whitespace or control characters.
pub(crate) fn path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("it is empty");
    }
    for segment in path.split('/') {
        if segment.is_empty() {
            return Some("a segment between `/` is empty");
        }
        if segment.contains('.') {
            return Some("`.` separates the method from the path, so a segment cannot hold one");
        }
        if segment.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Some("a segment holds whitespace or a control character");
        }
    }
    None
}
