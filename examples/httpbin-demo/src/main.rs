//! The charm's entry point: Juju runs this binary (through `dispatch`) for every event.

fn main() {
    std::process::exit(ops::main::<httpbin_demo::HttpbinDemoCharm>());
}
