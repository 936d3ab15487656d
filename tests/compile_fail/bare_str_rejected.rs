//! test_state.py::test_bare_str_rejected and
//! test_bare_str_rejected_in_remote_grants: upstream refuses a bare string
//! where a list (or a set of grantees) is expected. The fields are
//! `Vec<String>` and `BTreeSet<String>`: a string does not type-check.
use ops_testing::{CloudCredential, CloudSpec, Network, Secret};
use std::collections::BTreeMap;

fn main() {
    let _ = CloudCredential { redacted: "oops", ..CloudCredential::default() };
    let _ = CloudSpec { ca_certificates: "oops", ..CloudSpec::default() };
    let _ = Network { ingress_addresses: "oops", ..Network::default() };
    let _ = Network { egress_subnets: "oops", ..Network::default() };
    let grants: BTreeMap<u32, &str> = [(0, "app")].into();
    let _ = Secret { remote_grants: grants, ..Secret::new(BTreeMap::new()) };
}
