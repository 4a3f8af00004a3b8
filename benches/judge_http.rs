//! The HTTP judge client's throughput: requests per second against a local OpenAI-compatible
//! server (`bench/judge-server.py`) as a function of requests in flight, and the client's CPU
//! per request. Run by `bench/judge-http.sh`:
//!
//!   cargo bench --bench judge_http -- URL MAX_REQUESTS CALLERS CONCURRENCY...
//!
//! Each concurrency c asks 50·c questions (at least 100, at most MAX_REQUESTS). CALLERS threads ask batches of 32 score questions at once, as a run's tasks do; every
//! question goes through one judge (one pool of CONCURRENCY requests in flight).

use std::time::Instant;

use curate_judges::{Judge, OpenAiConfig, OpenAiJudge, ScoreRequest};

/// Questions per batch (what one task's step asks at once).
const BATCH: usize = 32;

/// This process's CPU seconds (user + system) so far.
fn cpu_seconds() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let [url, max_requests, callers, concurrencies @ ..] = args.as_slice() else {
        eprintln!("usage: cargo bench --bench judge_http -- URL MAX_REQUESTS CALLERS CONCURRENCY...");
        std::process::exit(2);
    };
    let max_requests: usize = max_requests.parse().expect("MAX_REQUESTS");
    let callers: usize = callers.parse().expect("CALLERS");
    println!("| requests in flight | requests | seconds | requests/s | client CPU per request |");
    println!("|---|---|---|---|---|");
    for c in concurrencies {
        let concurrency: usize = c.parse().expect("CONCURRENCY");
        let requests = (50 * concurrency).clamp(100, max_requests.max(100));
        let mut config = OpenAiConfig::new(url, "default");
        config.concurrency = concurrency;
        let judge = OpenAiJudge::new(config).expect("client");
        judge.probe().expect("the server answers");
        let questions: Vec<ScoreRequest> = (0..requests)
            .map(|i| ScoreRequest {
                prompt: format!("Is question {i} a question with one part? Answer Yes or No."),
                labels: vec!["Yes".into(), "No".into()],
            })
            .collect();
        // Warm the connections.
        let _ = judge.score_each(&questions[..concurrency.min(requests)]);
        let cpu = cpu_seconds();
        let started = Instant::now();
        std::thread::scope(|scope| {
            for caller in 0..callers {
                let (judge, questions) = (&judge, &questions);
                scope.spawn(move || {
                    let mine: Vec<ScoreRequest> =
                        questions.iter().skip(caller).step_by(callers).cloned().collect();
                    for batch in mine.chunks(BATCH) {
                        for answer in judge.score_each(batch) {
                            answer.expect("an answer");
                        }
                    }
                });
            }
        });
        let seconds = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu;
        println!(
            "| {concurrency} | {requests} | {seconds:.2} | {:.0} | {:.0} µs |",
            requests as f64 / seconds,
            cpu / requests as f64 * 1e6
        );
    }
}
