//! Tests of the HTTP side of `fastapi_demo` (beyond upstream, which has none):
//! the real [`Server`] against a one-shot local HTTP server, and the parsing
//! of answers.

use k8s_5_observe::fastapi_demo::{Server, Workload, WorkloadError, parse_version};
use std::io::{Read, Write};
use std::net::TcpListener;

#[test]
fn server_reads_the_version_over_http() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 1024];
        let n = stream.read(&mut request).unwrap();
        let request = String::from_utf8_lossy(&request[..n]).into_owned();
        stream
            .write_all(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"version\": \"2.1.0\"}")
            .unwrap();
        request
    });
    assert_eq!(Server.get_version(port).unwrap(), "2.1.0");
    assert!(
        server
            .join()
            .unwrap()
            .starts_with("GET /version HTTP/1.0\r\n")
    );
}

#[test]
fn an_error_status_or_a_body_without_a_version_is_a_bad_answer() {
    for answer in [
        "HTTP/1.1 500 Internal Server Error\r\n\r\n{\"version\": \"1\"}",
        "HTTP/1.1 200 OK\r\n\r\n{\"name\": \"demo\"}",
        "HTTP/1.1 200 OK\r\n\r\nnot json",
        "garbage",
    ] {
        let err = parse_version(8000, answer).unwrap_err();
        assert!(
            matches!(err, WorkloadError::BadAnswer { port: 8000, .. }),
            "{answer:?}"
        );
        assert!(err.to_string().contains("localhost:8000"));
    }
}

#[test]
fn nothing_listening_is_an_io_error_naming_the_port() {
    // Bind then drop to find a port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Server.get_version(port).unwrap_err();
    assert!(matches!(err, WorkloadError::Io { .. }));
    assert!(err.to_string().contains(&format!("localhost:{port}")));
}
