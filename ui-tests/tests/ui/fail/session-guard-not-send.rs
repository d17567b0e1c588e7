use sessions_core::Engine;

fn main() {
    let engine = Engine::new();
    let guard = engine.impersonate_root();
    std::thread::spawn(move || drop(guard));
}
