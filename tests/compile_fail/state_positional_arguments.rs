//! test_state.py::test_positional_arguments (Address, BindAddress, Network)
//! and test_model_positional_arguments: upstream's state classes refuse
//! positional arguments. These are structs with named fields: there is no
//! positional form to call. (`State` has its own file.)
use ops_testing::{Address, BindAddress, Model, Network};

fn main() {
    let _ = Address(None, None);
    let _ = BindAddress(None, None);
    let _ = Network(None, None, None);
    let _ = Model("", "");
}
