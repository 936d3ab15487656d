//! test_state.py::test_immutable_content_dict (and _list, _dict_of_dicts,
//! _remote_grants): upstream copies the caller's dict into each object, so
//! changing the dict afterwards changes neither. Here an object owns what it
//! is given: the map moves in, and the caller can no longer change it.
use ops_testing::{Databag, Relation};

fn main() {
    let mut content: Databag = [("foo".to_owned(), "bar".to_owned())].into();
    let _relation = Relation {
        local_app_data: content,
        ..Relation::new("foo")
    };
    content.insert("baz".to_owned(), "qux".to_owned());
}
