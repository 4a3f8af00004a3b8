//! Benchmark of the embedded engine's sampling (what `sample_responses` asks of a responder or
//! RL policy): N seeded samples of MAX_TOKENS for questions read from a JSONL file, with
//! PACK[:TOKENS] sequences decoded together. Prints generated tokens/s as one JSON line.
//!
//! `generate_speed MODEL.gguf RECORDS.jsonl FIELD N MAX_TOKENS THREADS PACK[:TOKENS]`

use std::io::BufRead;
use std::path::Path;
use std::time::Instant;

use curate_judges::{GenerateRequest, Judge, LlamaJudge, Packing};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 8 {
        return Err(
            "usage: generate_speed MODEL.gguf RECORDS.jsonl FIELD N MAX_TOKENS THREADS PACK[:TOKENS]".into(),
        );
    }
    let (n, max_tokens, threads): (usize, usize, usize) =
        (args[4].parse()?, args[5].parse()?, args[6].parse()?);
    let (pack, pack_tokens) = match args[7].split_once(':') {
        Some((seqs, tokens)) => (seqs.parse()?, tokens.parse()?),
        None => (args[7].parse()?, Packing::default().max_tokens),
    };
    let file = std::io::BufReader::new(std::fs::File::open(&args[2])?);
    let mut requests = Vec::new();
    for line in file.lines() {
        let record: serde_json::Value = serde_json::from_str(&line?)?;
        let prompt = record[&args[3]].as_str().ok_or("field is not a string")?.to_string();
        requests.push(GenerateRequest {
            prompt,
            max_tokens,
            stop: vec![],
            seed: Some(requests.len() as u64),
            think: true,
        });
        if requests.len() == n {
            break;
        }
    }
    let judge = LlamaJudge::load(Path::new(&args[1]), threads)?
        .with_packing(Packing { max_sequences: pack, max_tokens: pack_tokens });
    let start = Instant::now();
    let texts = judge.generate(&requests)?;
    let seconds = start.elapsed().as_secs_f64();
    let tokens: usize = texts.iter().map(|t| judge.prompt_tokens(t, false).map_or(0, |p| p.len())).sum();
    println!(
        "{}",
        serde_json::json!({"engine": "curate (llama-cpp-2)", "threads": threads, "pack": pack, "pack_tokens": pack_tokens,
                           "samples": requests.len(), "max_tokens": max_tokens, "seconds": seconds,
                           "approx_generated_tokens": tokens, "generated_tok_per_s": tokens as f64 / seconds})
    );
    Ok(())
}
