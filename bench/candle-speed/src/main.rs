//! candle's quantized llama on the prompts (token ids) that `judge_speed` wrote: each prompt in
//! one forward pass from an empty cache, last-token logits, one after another. Prints one JSON
//! line like judge_speed's. Threads: RAYON_NUM_THREADS (candle's CPU kernels use rayon).
//!
//! `candle-speed MODEL.gguf PROMPTS.jsonl`

use std::io::BufRead;
use std::time::Instant;

use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let prompts: Vec<Vec<u32>> = std::io::BufReader::new(std::fs::File::open(&args[2])?)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l.unwrap()).unwrap();
            v["tokens"].as_array().unwrap().iter().map(|t| t.as_u64().unwrap() as u32).collect()
        })
        .collect();
    let device = Device::Cpu;
    let load = Instant::now();
    let mut file = std::fs::File::open(&args[1])?;
    let content = gguf_file::Content::read(&mut file)?;
    let mut model = ModelWeights::from_gguf(content, &mut file, &device)?;
    let load_s = load.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut checksum = 0f32;
    for tokens in &prompts {
        // A fresh cache per prompt: index_pos 0 resets the model's KV cache.
        let input = Tensor::new(tokens.as_slice(), &device)?.unsqueeze(0)?;
        let logits = model.forward(&input, 0)?;
        checksum += logits.squeeze(0)?.max(0)?.to_scalar::<f32>()?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let n: usize = prompts.iter().map(Vec::len).sum();
    let threads = candle_core::utils::get_num_threads();
    println!(
        "{}",
        serde_json::json!({"engine": "candle (quantized_llama)", "threads": threads, "pack": 1,
            "records": prompts.len(), "prompt_tokens": n, "load_s": load_s, "seconds": seconds,
            "prompt_tok_per_s": n as f64 / seconds, "records_per_s": prompts.len() as f64 / seconds,
            "checksum": checksum})
    );
    Ok(())
}
