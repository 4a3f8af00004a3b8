//! The OpenAI-compatible backend against a real server: llama.cpp's, as packaged by
//! `llama-cpp-python[server]` (installed by scripts/install-llama-server.sh), serving the same
//! GGUF as the embedded tests. Its answers must agree with the embedded engine's.

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use curate_judges::{
    CachedJudge, GenerateRequest, Judge, LlamaJudge, OpenAiConfig, OpenAiJudge, ScoreRequest, VerdictCache,
};

fn home() -> PathBuf {
    PathBuf::from(std::env::var("HOME").unwrap())
}

fn model_path() -> PathBuf {
    let data = std::env::var_os("CURATE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".cache/curate-data"));
    let path = data.join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(path.exists(), "{} missing: run scripts/fetch-data.sh", path.display());
    path
}

/// A running llama.cpp server, stopped when dropped.
struct Server {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &std::path::Path) -> Server {
    let python = std::env::var_os("CURATE_LLAMA_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("CURATE_PY")
            .map(PathBuf::from)
            .unwrap_or_else(|| home().join(".cache/curate-py"))
            .join("llama/bin/python")
    });
    assert!(python.exists(), "{} missing: run scripts/install-llama-server.sh", python.display());
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = dir.join("server.log");
    let child = Command::new(&python)
        .args(["-m", "llama_cpp.server", "--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--model")
        .arg(model_path())
        .args(["--model_alias", "smollm2", "--n_threads", "1", "--n_ctx", "2048", "--seed", "0"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut server = Server { child, url: format!("http://127.0.0.1:{port}/v1"), log };
    let start = Instant::now();
    loop {
        if reqwest::blocking::get(format!("{}/models", server.url)).is_ok_and(|r| r.status().is_success()) {
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            let mut text = String::new();
            std::fs::File::open(&server.log).unwrap().read_to_string(&mut text).unwrap();
            panic!("llama.cpp server exited ({status}):\n{text}");
        }
        assert!(start.elapsed() < Duration::from_secs(120), "llama.cpp server did not start");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn yes_no(prompt: &str) -> ScoreRequest {
    ScoreRequest { prompt: prompt.into(), labels: vec!["Yes".into(), "No".into()] }
}

#[test]
fn a_real_llama_cpp_server_agrees_with_the_embedded_engine() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let mut config = OpenAiConfig::new(&server.url, "smollm2");
    config.concurrency = 2;
    let http = OpenAiJudge::new(config.clone()).unwrap();
    let embedded = LlamaJudge::load(&model_path(), 1).unwrap();

    let requests: Vec<ScoreRequest> = [
        "Is Paris the capital of France? Answer Yes or No.",
        "Is the moon made of green cheese? Answer Yes or No.",
        "Does 'Solve 2x + 3 = 7 and list three primes' ask more than one question? Answer Yes or No.",
        "Is 91 a prime number? Answer Yes or No.",
    ]
    .iter()
    .map(|p| yes_no(p))
    .collect();
    let served = http.score(&requests).unwrap();
    let local = embedded.score(&requests).unwrap();
    for (s, l) in served.iter().zip(&local) {
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{s:?}");
        // Same weights and template; other llama.cpp versions and kernels: close, not equal.
        assert!((s[0] - l[0]).abs() < 0.1, "server {served:?} vs embedded {local:?}");
    }
    assert!(served.windows(2).any(|w| (w[0][0] - w[1][0]).abs() > 1e-3), "{served:?}");

    // Greedy completions: deterministic, and the same text as the embedded engine's.
    let ask = GenerateRequest {
        prompt: "What is the capital of France?".into(),
        max_tokens: 8,
        stop: vec![],
        seed: None,
        think: false,
    };
    let a = http.generate(std::slice::from_ref(&ask)).unwrap();
    let b = http.generate(std::slice::from_ref(&ask)).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, embedded.generate(std::slice::from_ref(&ask)).unwrap());

    // Raw completions (no chat template) score too.
    let raw = OpenAiJudge::new(OpenAiConfig { chat: false, ..config }).unwrap();
    let scores = raw.score(&[yes_no("Question: Is Paris in France?\nAnswer (Yes or No):")]).unwrap();
    assert!((scores[0].iter().sum::<f64>() - 1.0).abs() < 1e-9, "{scores:?}");

    // Through the verdict cache, a rerun asks the server nothing.
    let cache = VerdictCache::open(&dir.path().join("verdicts.redb")).unwrap();
    let cached = CachedJudge::new(&http, &cache, "test@1");
    let first = cached.score(&requests).unwrap();
    let again = CachedJudge::new(&http, &cache, "test@1");
    assert_eq!(again.score(&requests).unwrap(), first);
    assert_eq!((again.stats().hits, again.stats().misses), (requests.len() as u64, 0));
}
