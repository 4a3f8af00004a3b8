//! Benchmark of the embedded judge: scores a score rule's questions for JSONL records and prints
//! prompt tokens/s and judged records/s as one JSON line. Used by bench/judge-speed.sh, which
//! runs llama.cpp itself (llama-cpp-python) on the same prompts, model and threads.
//!
//! `judge_speed MODEL.gguf RULE.toml RECORDS.jsonl LIMIT THREADS PACK[:TOKENS] [PROMPTS_OUT]`:
//! PACK is the most prompts per forward pass (1 = one by one), TOKENS the most tokens in one;
//! PROMPTS_OUT receives each user prompt and its tokens (chat template applied) as JSON lines.

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Instant;

use curate_judges::{Judge, JudgeRule, LlamaJudge, Packing};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 7 {
        return Err(
            "usage: judge_speed MODEL.gguf RULE.toml RECORDS.jsonl LIMIT THREADS PACK [PROMPTS_OUT]".into()
        );
    }
    let (limit, threads): (usize, usize) = (args[4].parse()?, args[5].parse()?);
    let (pack, pack_tokens) = match args[6].split_once(':') {
        Some((seqs, tokens)) => (seqs.parse()?, tokens.parse()?),
        None => (args[6].parse()?, Packing::default().max_tokens),
    };
    let rule = JudgeRule::load(&args[2])?;
    let file = std::io::BufReader::new(std::fs::File::open(&args[3])?);
    let mut requests = Vec::new();
    for line in file.lines().take(limit) {
        requests.push(rule.score_request(&serde_json::from_str(&line?)?)?);
    }
    let load = Instant::now();
    let judge = LlamaJudge::load(Path::new(&args[1]), threads)?
        .with_packing(Packing { max_sequences: pack, max_tokens: pack_tokens });
    let load_s = load.elapsed().as_secs_f64();
    let mut tokens = 0;
    let mut out = match args.get(7) {
        Some(path) => Some(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => None,
    };
    for r in &requests {
        let ids: Vec<i32> = judge.prompt_tokens(&r.prompt, false)?.iter().map(|t| t.0).collect();
        tokens += ids.len();
        if let Some(out) = out.as_mut() {
            writeln!(out, "{}", serde_json::json!({"prompt": r.prompt, "tokens": ids}))?;
        }
    }
    drop(out);
    let start = Instant::now();
    let scores = judge.score(&requests)?;
    let seconds = start.elapsed().as_secs_f64();
    let rejected = scores.iter().filter(|s| s[0] >= rule.threshold).count();
    println!(
        "{}",
        serde_json::json!({
            "engine": "curate (llama-cpp-2)", "threads": threads, "pack": pack, "pack_tokens": pack_tokens, "records": requests.len(),
            "prompt_tokens": tokens, "load_s": load_s, "seconds": seconds,
            "prompt_tok_per_s": tokens as f64 / seconds, "records_per_s": requests.len() as f64 / seconds,
            "first_label_share": rejected as f64 / requests.len() as f64,
        })
    );
    Ok(())
}
