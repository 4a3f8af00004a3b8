//! The OpenAI-compatible backend against a local server that answers like one, and fails on
//! demand: a 500, a reply slower than the timeout, a reply that is not JSON.

use std::sync::atomic::Ordering;
use std::time::Duration;

use curate_judges::fake_server::{serve, FakeServer};
use curate_judges::{
    CachedJudge, GenerateRequest, Judge, JudgeError, OpenAiConfig, OpenAiJudge, ScoreRequest, VerdictCache,
};

fn judge(server: &FakeServer) -> OpenAiJudge {
    let mut config = OpenAiConfig::new(&server.url, "test-model");
    config.timeout = Duration::from_millis(800);
    config.backoff = Duration::from_millis(50);
    config.retries = 2;
    OpenAiJudge::new(config).unwrap()
}

fn ask(prompt: &str) -> ScoreRequest {
    ScoreRequest { prompt: prompt.into(), labels: vec!["Yes".into(), "No".into()] }
}

#[test]
fn scores_are_normalized_label_probabilities() {
    let server = serve();
    let j = judge(&server);
    let scores = j.score(&[ask("cats and dogs"), ask("cats"), ask("x and y")]).unwrap();
    for s in &scores {
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{s:?}");
    }
    // "Yes" and " yes" both count; "Maybe" is not a label and is left out before normalizing.
    assert!((scores[0][0] - 0.8 / (0.8 + 0.1)).abs() < 1e-9, "{:?}", scores[0]);
    assert!((scores[1][0] - 0.2 / (0.2 + 0.4)).abs() < 1e-9, "{:?}", scores[1]);
    assert_eq!(scores[0], scores[2]);
    let text = j
        .generate(&[GenerateRequest {
            prompt: "hello there".into(),
            max_tokens: 8,
            stop: vec![],
            seed: None,
            think: false,
        }])
        .unwrap();
    assert_eq!(text, ["echo: hello there"]);
}

#[test]
fn failures_are_retried_and_garbage_is_named() {
    let server = serve();
    let j = judge(&server);
    // A 500 and a reply slower than the timeout are retried.
    let scores = j.score(&[ask("FAIL_ONCE and more"), ask("SLOW and steady")]).unwrap();
    assert_eq!(scores.len(), 2);
    assert!(server.requests.load(Ordering::SeqCst) >= 4);
    // A reply that is not JSON is an error that shows it.
    let err = j.score(&[ask("GARBAGE")]).unwrap_err();
    assert!(matches!(err, JudgeError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("<html>upstream error"), "{err}");
    // A server that is not there fails after its retries, saying so.
    let mut config = OpenAiConfig::new("http://127.0.0.1:9/v1", "m");
    config.retries = 1;
    config.backoff = Duration::from_millis(10);
    let err = OpenAiJudge::new(config).unwrap().score(&[ask("x")]).unwrap_err().to_string();
    assert!(err.contains("after 2 attempts"), "{err}");
}

#[test]
fn the_cache_makes_reruns_free_and_keys_on_the_template_version() {
    let server = serve();
    let j = judge(&server);
    let dir = tempfile::tempdir().unwrap();
    let cache = VerdictCache::open(&dir.path().join("v.redb")).unwrap();
    let batch: Vec<ScoreRequest> = (0..20).map(|i| ask(&format!("question {i} and more"))).collect();

    let cached = CachedJudge::new(&j, &cache, "multi_part@1");
    let first = cached.score(&batch).unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 20);
    let again = CachedJudge::new(&j, &cache, "multi_part@1");
    assert_eq!(again.score(&batch).unwrap(), first);
    assert_eq!(server.requests.load(Ordering::SeqCst), 20, "a rerun asks nothing");
    assert_eq!((again.stats().hits, again.stats().misses), (20, 0));
    // A new template version pays again.
    let edited = CachedJudge::new(&j, &cache, "multi_part@2");
    edited.score(&batch[..5]).unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 25);
}

#[test]
fn the_answers_of_a_failed_batch_are_cached() {
    let server = serve();
    let j = judge(&server);
    let dir = tempfile::tempdir().unwrap();
    let cache = VerdictCache::open(&dir.path().join("v.redb")).unwrap();
    // Nine good questions and one the server answers with garbage, every time.
    let mut batch: Vec<ScoreRequest> = (0..9).map(|i| ask(&format!("question {i} and more"))).collect();
    batch.push(ask("GARBAGE"));
    let cached = CachedJudge::new(&j, &cache, "multi_part@1");
    assert!(cached.score(&batch).is_err());
    let asked = server.requests.load(Ordering::SeqCst);
    assert!(asked >= 10, "{asked}");
    // The nine answers that came are in the cache: asking them again asks the server nothing.
    let again = CachedJudge::new(&j, &cache, "multi_part@1");
    again.score(&batch[..9]).unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), asked, "a rerun asks only what failed");
    assert_eq!((again.stats().hits, again.stats().misses), (9, 0));
}

#[test]
fn every_caller_shares_one_pool_of_requests_in_flight() {
    // Two tasks ask 24 slow questions each at once; the server never holds more than the
    // judge's concurrency, and holds that many (the pool is shared, and kept full).
    let server = serve();
    let mut config = OpenAiConfig::new(&server.url, "test-model");
    config.concurrency = 6;
    let j = OpenAiJudge::new(config).unwrap();
    assert_eq!(j.concurrency(), 6);
    let questions: Vec<ScoreRequest> = (0..24).map(|i| ask(&format!("WAIT {i}"))).collect();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| j.score_each(&questions));
        let b = s.spawn(|| j.score_each(&questions));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(a.iter().chain(&b).all(|r| r.is_ok()));
    // A pool per caller would reach 12; one request at a time per caller, 2.
    assert_eq!(server.most_in_flight.load(Ordering::SeqCst), 6);
}
