//! test_ports.py::test_port_port, the 65536 case: upstream refuses a port
//! number above 65535 when the port is built. `TcpPort` and `UdpPort` hold
//! a `u16`, so such a number does not compile (port 0 is left to the
//! consistency check, which the ported test checks).
use ops_testing::{TcpPort, UdpPort};

fn main() {
    let _ = TcpPort(65536);
    let _ = UdpPort(65536);
}
