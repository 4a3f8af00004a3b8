//! The embedded judge: a GGUF model run in-process by llama.cpp (through `llama-cpp-2`), no
//! server. Prompts go through the model's own chat template from the GGUF metadata; scores are
//! the softmax of the last position's logits over the label tokens; generation is greedy or
//! seeded sampling. Many prompts share one forward pass ([`Packing`]), one sequence each.

mod pack;
mod template;
mod tokenizer;

pub use pack::Packing;
use template::ChatTemplate;
pub use tokenizer::GgufTokenizer;

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;

use crate::{GenerateRequest, Judge, JudgeError, ScoreRequest};

static BACKEND: OnceLock<LlamaBackend> = OnceLock::new();
static BACKEND_INIT: Mutex<()> = Mutex::new(());

/// llama.cpp's backend, started once per process, with its logs silenced.
fn backend() -> Result<&'static LlamaBackend, JudgeError> {
    if let Some(b) = BACKEND.get() {
        return Ok(b);
    }
    let _guard = BACKEND_INIT.lock().map_err(|_| engine("backend lock poisoned"))?;
    if let Some(b) = BACKEND.get() {
        return Ok(b);
    }
    let mut b = LlamaBackend::init().map_err(|e| engine(&e.to_string()))?;
    b.void_logs();
    let _ = BACKEND.set(b);
    Ok(BACKEND.get().expect("just set"))
}

fn engine(message: &str) -> JudgeError {
    JudgeError::Engine { message: message.to_string() }
}

/// A GGUF file's identity: `gguf:<file name>:<xxh3 of its bytes>`.
fn identity_of(path: &Path) -> Result<String, JudgeError> {
    let bytes = std::fs::read(path).map_err(|e| engine(&format!("{}: {e}", path.display())))?;
    let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
    let name =
        path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    Ok(format!("gguf:{name}:{hash:016x}"))
}

/// A GGUF model as a judge.
pub struct LlamaJudge {
    model: LlamaModel,
    template: Option<ChatTemplate>,
    /// The BOS token's text, when the model wants one at the start.
    bos: Option<String>,
    identity: String,
    threads: i32,
    packing: Packing,
}

impl LlamaJudge {
    /// Loads the GGUF at `path`; llama.cpp gets `threads` threads (never more than the cores
    /// that are free: its workers spin).
    pub fn load(path: &Path, threads: usize) -> Result<Self, JudgeError> {
        let identity = identity_of(path)?;
        let model = LlamaModel::load_from_file(backend()?, path, &LlamaModelParams::default())
            .map_err(|e| engine(&format!("{}: {e}", path.display())))?;
        let vocab = model.vocab();
        let piece = |t: LlamaToken| {
            if t.0 < 0 {
                String::new()
            } else {
                String::from_utf8_lossy(&vocab.token_to_piece(t, true, None)).into_owned()
            }
        };
        let (bos_text, eos_text) = (piece(vocab.bos()), piece(vocab.eos()));
        let bos = vocab.should_add_bos().then(|| bos_text.clone());
        let template = match model.chat_template(None) {
            Ok(t) => {
                let source =
                    t.to_str().map_err(|e| engine(&format!("{}: chat template: {e}", path.display())))?;
                Some(ChatTemplate::new(source, &bos_text, &eos_text)?)
            }
            Err(_) => None,
        };
        Ok(Self {
            model,
            template,
            bos,
            identity,
            threads: threads.max(1) as i32,
            packing: Packing::default(),
        })
    }

    /// Sets how many prompts share a forward pass (`max_sequences: 1` runs them one by one).
    pub fn with_packing(mut self, packing: Packing) -> Self {
        self.packing = packing;
        self
    }

    /// Whether the model carries a chat template (prompts are sent raw otherwise).
    pub fn has_chat_template(&self) -> bool {
        self.template.is_some()
    }

    /// The prompt as the model sees it: one user turn in its chat template, assistant turn
    /// open; `think` false switches a thinking model's reasoning off.
    pub fn render(&self, prompt: &str, think: bool) -> Result<String, JudgeError> {
        match &self.template {
            None => Ok(prompt.to_string()),
            Some(t) => t.render(prompt, think),
        }
    }

    /// The prompt's tokens as the model sees them (chat template applied): what a judge
    /// question costs.
    pub fn prompt_tokens(&self, prompt: &str, think: bool) -> Result<Vec<LlamaToken>, JudgeError> {
        let text = self.render(prompt, think)?;
        // The BOS token, unless the template wrote it already.
        let add_bos = self.bos.as_ref().is_some_and(|b| b.is_empty() || !text.starts_with(b.as_str()));
        let tokens = self.model.vocab().tokenize(text.as_bytes(), add_bos, true);
        if tokens.is_empty() {
            return Err(engine("empty prompt"));
        }
        Ok(tokens)
    }

    /// A context for packs of up to `tokens` tokens in `sequences` sequences.
    fn context(&self, tokens: usize, sequences: usize) -> Result<LlamaContext<'_>, JudgeError> {
        let n = tokens.max(64) as u32;
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n))
            .with_n_batch(n)
            .with_n_seq_max(sequences.max(1) as u32)
            .with_kv_unified(true)
            .with_n_threads(self.threads)
            .with_n_threads_batch(self.threads);
        self.model.new_context(backend()?, params).map_err(|e| engine(&e.to_string()))
    }

    /// Runs each prompt of a pack as its own sequence of one batch, in one forward pass over
    /// an emptied KV cache. Returns, per prompt, the batch index of its last token, whose
    /// logits were kept.
    fn prefill(&self, ctx: &mut LlamaContext<'_>, prompts: &[&[LlamaToken]]) -> Result<Vec<i32>, JudgeError> {
        ctx.clear_kv_cache();
        let total = prompts.iter().map(|p| p.len()).sum();
        let mut batch = LlamaBatch::new(total, prompts.len() as i32);
        let mut last = Vec::with_capacity(prompts.len());
        for (seq, tokens) in prompts.iter().enumerate() {
            for (pos, t) in tokens.iter().enumerate() {
                let is_last = pos + 1 == tokens.len();
                batch.add(*t, pos as i32, &[seq as i32], is_last).map_err(|e| engine(&e.to_string()))?;
            }
            last.push(batch.n_tokens() - 1);
        }
        ctx.decode(&mut batch).map_err(|e| engine(&e.to_string()))?;
        Ok(last)
    }

    /// Token ids a label may start with: the first token of the label as written, lowercased
    /// and capitalized, each with and without a leading space (as the HTTP backend, which
    /// matches the first token's text ignoring case and spaces).
    fn label_tokens(&self, label: &str) -> Vec<LlamaToken> {
        let vocab = self.model.vocab();
        let lower = label.to_lowercase();
        let capitalized: String =
            lower.chars().take(1).flat_map(char::to_uppercase).chain(lower.chars().skip(1)).collect();
        let mut ids = Vec::new();
        for case in [label.to_string(), lower, capitalized] {
            for form in [case.clone(), format!(" {case}")] {
                if let Some(t) = vocab.tokenize(form.as_bytes(), false, false).first() {
                    if !ids.contains(t) {
                        ids.push(*t);
                    }
                }
            }
        }
        ids
    }

    /// The labels' probabilities from next-token logits, normalized over the labels.
    fn label_scores(&self, labels: &[String], logits: &[f32]) -> Result<Vec<f64>, JudgeError> {
        let probs = softmax(logits);
        let mut scores: Vec<f64> =
            labels.iter().map(|l| self.label_tokens(l).iter().map(|t| probs[t.0 as usize]).sum()).collect();
        let total: f64 = scores.iter().sum();
        if total <= 0.0 || !total.is_finite() {
            return Err(engine(&format!("labels {labels:?} have no probability")));
        }
        scores.iter_mut().for_each(|s| *s /= total);
        Ok(scores)
    }

    /// Generates for one pack of requests, all sequences advancing together: one forward pass
    /// per generated token for the whole pack.
    fn generate_pack(
        &self,
        ctx: &mut LlamaContext<'_>,
        requests: &[GenerateRequest],
        prompts: &[&[LlamaToken]],
    ) -> Result<Vec<String>, JudgeError> {
        let last = self.prefill(ctx, prompts)?;
        let mut seqs: Vec<Sequence> = requests
            .iter()
            .zip(prompts)
            .zip(last)
            .map(|((request, prompt), logits_at)| Sequence {
                sampler: match request.seed {
                    None => LlamaSampler::greedy(),
                    Some(seed) => LlamaSampler::chain_simple([
                        LlamaSampler::temp(1.0),
                        LlamaSampler::dist((seed ^ (seed >> 32)) as u32),
                    ]),
                },
                pos: prompt.len() as i32,
                logits_at,
                bytes: Vec::new(),
                generated: 0,
                done: request.max_tokens == 0,
            })
            .collect();
        let vocab = self.model.vocab();
        loop {
            let mut batch = LlamaBatch::new(seqs.len(), seqs.len() as i32);
            for (id, (seq, request)) in seqs.iter_mut().zip(requests).enumerate() {
                if seq.done {
                    continue;
                }
                let next = seq.sampler.sample(ctx, seq.logits_at);
                if vocab.is_eog(next) {
                    seq.done = true;
                    continue;
                }
                seq.bytes.extend(vocab.token_to_piece(next, false, None));
                seq.generated += 1;
                let text = String::from_utf8_lossy(&seq.bytes);
                if let Some(cut) = request.stop.iter().filter_map(|s| text.find(s.as_str())).min() {
                    seq.bytes.truncate(cut);
                    seq.done = true;
                    continue;
                }
                if seq.generated >= request.max_tokens {
                    seq.done = true;
                    continue;
                }
                batch.add(next, seq.pos, &[id as i32], true).map_err(|e| engine(&e.to_string()))?;
                seq.pos += 1;
                seq.logits_at = batch.n_tokens() - 1;
            }
            if batch.n_tokens() == 0 {
                break;
            }
            ctx.decode(&mut batch).map_err(|e| engine(&e.to_string()))?;
        }
        Ok(seqs.into_iter().map(|s| String::from_utf8_lossy(&s.bytes).into_owned()).collect())
    }
}

/// One prompt being generated from, within a pack.
struct Sequence {
    sampler: LlamaSampler,
    /// Position of the next token in this sequence.
    pos: i32,
    /// Batch index of the logits to sample from next.
    logits_at: i32,
    bytes: Vec<u8>,
    generated: usize,
    done: bool,
}

/// Softmax probabilities of `logits` (max subtracted for stability).
fn softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let exps: Vec<f64> = logits.iter().map(|&l| (l as f64 - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

impl Judge for LlamaJudge {
    fn identity(&self) -> String {
        self.identity.clone()
    }

    fn score(&self, requests: &[ScoreRequest]) -> Result<Vec<Vec<f64>>, JudgeError> {
        let prompts: Vec<Vec<LlamaToken>> =
            requests.iter().map(|r| self.prompt_tokens(&r.prompt, false)).collect::<Result<_, _>>()?;
        let costs: Vec<usize> = prompts.iter().map(Vec::len).collect();
        let packs = pack::packs(&costs, self.packing);
        let mut ctx = self.context(pack::largest(&costs, &packs), self.packing.max_sequences)?;
        let mut out = Vec::with_capacity(requests.len());
        for range in packs {
            let pack: Vec<&[LlamaToken]> = prompts[range.clone()].iter().map(Vec::as_slice).collect();
            let last = self.prefill(&mut ctx, &pack)?;
            for (i, at) in range.zip(last) {
                out.push(self.label_scores(&requests[i].labels, ctx.get_logits_ith(at))?);
            }
        }
        Ok(out)
    }

    fn generate(&self, requests: &[GenerateRequest]) -> Result<Vec<String>, JudgeError> {
        let prompts: Vec<Vec<LlamaToken>> =
            requests.iter().map(|r| self.prompt_tokens(&r.prompt, r.think)).collect::<Result<_, _>>()?;
        let costs: Vec<usize> = prompts.iter().zip(requests).map(|(p, r)| p.len() + r.max_tokens).collect();
        let packs = pack::packs(&costs, self.packing);
        let mut ctx = self.context(pack::largest(&costs, &packs), self.packing.max_sequences)?;
        let mut out = Vec::with_capacity(requests.len());
        for range in packs {
            let pack: Vec<&[LlamaToken]> = prompts[range.clone()].iter().map(Vec::as_slice).collect();
            out.extend(self.generate_pack(&mut ctx, &requests[range], &pack)?);
        }
        Ok(out)
    }
}
