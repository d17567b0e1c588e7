use sessions_core::export_method;

struct Point {
    x: i64,
}

#[export_method(session = none)]
fn x_of(point: Point) -> i64 {
    point.x
}

fn main() {}
