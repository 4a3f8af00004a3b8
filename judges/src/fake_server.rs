//! A local OpenAI-compatible server that answers like one and fails on demand, for tests and
//! demos of the HTTP backend without a model: a prompt containing `FAIL_ONCE` gets a 500 the
//! first time, `SLOW` a reply after 1.5 s the first time, `GARBAGE` a reply that is not JSON,
//! `WAIT` a reply after 100 ms every time (so that requests overlap: `most_in_flight` counts
//! how many it held at once).
//! `GET /models` lists one model (not counted as a request).
//! Scores: "Yes" (and " yes") get 80% of the first-token probability when the prompt contains
//! " and ", 20% otherwise; "No" and "Maybe" share the rest. Completions echo the prompt.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

/// A running fake server (it lives until the process ends).
pub struct FakeServer {
    /// Its `/v1` base URL.
    pub url: String,
    /// Requests answered so far.
    pub requests: Arc<AtomicUsize>,
    /// The most judge requests it held at once.
    pub most_in_flight: Arc<AtomicUsize>,
}

fn reply(body: &Value, seen: usize) -> (u16, String, Duration) {
    let prompt =
        body["messages"][0]["content"].as_str().or(body["prompt"].as_str()).unwrap_or("").to_string();
    if prompt.contains("FAIL_ONCE") && seen == 1 {
        return (500, "{\"error\": \"overloaded\"}".into(), Duration::ZERO);
    }
    if prompt.contains("SLOW") && seen == 1 {
        return (200, "{}".into(), Duration::from_millis(1500));
    }
    if prompt.contains("WAIT") {
        return (200, answer(&prompt).to_string(), Duration::from_millis(100));
    }
    if prompt.contains("GARBAGE") {
        return (200, "<html>upstream error</html>".into(), Duration::ZERO);
    }
    (200, answer(&prompt).to_string(), Duration::ZERO)
}

/// The reply to a prompt that asks for nothing special.
fn answer(prompt: &str) -> Value {
    let yes: f64 = if prompt.contains(" and ") { 0.8 } else { 0.2 };
    json!({"choices": [{
        "message": {"role": "assistant", "content": format!("echo: {}", prompt.chars().take(12).collect::<String>())},
        "logprobs": {"content": [{"token": "Yes", "logprob": 0.0, "top_logprobs": [
            {"token": "Yes", "logprob": (yes * 0.9).ln()},
            {"token": " yes", "logprob": (yes * 0.1).ln()},
            {"token": "No", "logprob": ((1.0 - yes) * 0.5).ln()},
            {"token": "Maybe", "logprob": ((1.0 - yes) * 0.5).ln()}
        ]}]}
    }]})
}

/// Starts a server on a free loopback port.
pub fn serve() -> FakeServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let most_in_flight = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = most_in_flight.clone();
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let counter = counter.clone();
            let seen = seen.clone();
            let (in_flight, most) = (in_flight.clone(), most.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                if request_line.starts_with("GET ") {
                    // The model list (what a client probes): not a judge question.
                    let text = r#"{"object": "list", "data": [{"id": "fake", "object": "model"}]}"#;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        text.len()
                    );
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(text.as_bytes());
                    return;
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let body: Value = serde_json::from_slice(&body).unwrap();
                let key = body.to_string();
                let n = {
                    let mut seen = seen.lock().unwrap();
                    let n = seen.entry(key).or_default();
                    *n += 1;
                    *n
                };
                let (status, text, delay) = reply(&body, n);
                std::thread::sleep(delay);
                in_flight.fetch_sub(1, Ordering::SeqCst);
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    text.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(text.as_bytes());
            });
        }
    });
    FakeServer { url, requests, most_in_flight }
}
