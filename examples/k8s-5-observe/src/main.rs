//! The charm's entry point: Juju runs this binary (through `dispatch`) for every event.

fn main() {
    std::process::exit(ops::main::<k8s_5_observe::FastApiDemoCharm>());
}
