//! The embedded judge: a GGUF model run in-process by llama.cpp (through `llama-cpp-2`), no
//! server. Prompts go through the model's own chat template from the GGUF metadata; scores are
//! the softmax of the last position's logits over the label tokens; generation is greedy.

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
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

/// A GGUF model as a judge.
pub struct LlamaJudge {
    model: LlamaModel,
    template: Option<LlamaChatTemplate>,
    identity: String,
    threads: i32,
}

impl LlamaJudge {
    /// Loads the GGUF at `path`; llama.cpp gets `threads` threads (never more than the cores
    /// that are free: its workers spin).
    pub fn load(path: &Path, threads: usize) -> Result<Self, JudgeError> {
        let bytes = std::fs::read(path).map_err(|e| engine(&format!("{}: {e}", path.display())))?;
        let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
        drop(bytes);
        let model = LlamaModel::load_from_file(backend()?, path, &LlamaModelParams::default())
            .map_err(|e| engine(&format!("{}: {e}", path.display())))?;
        let template = model.chat_template(None).ok();
        let name =
            path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        Ok(Self {
            model,
            template,
            identity: format!("gguf:{name}:{hash:016x}"),
            threads: threads.max(1) as i32,
        })
    }

    /// Whether the model carries a chat template (prompts are sent raw otherwise).
    pub fn has_chat_template(&self) -> bool {
        self.template.is_some()
    }

    /// The prompt as the model sees it: one user turn in its chat template, assistant turn open.
    pub fn render(&self, prompt: &str) -> Result<String, JudgeError> {
        match &self.template {
            None => Ok(prompt.to_string()),
            Some(t) => {
                let message = LlamaChatMessage::new("user".into(), prompt.into())
                    .map_err(|e| engine(&e.to_string()))?;
                self.model.apply_chat_template(t, &[message], true).map_err(|e| engine(&e.to_string()))
            }
        }
    }

    fn tokens(&self, text: &str) -> Vec<LlamaToken> {
        self.model.vocab().tokenize(text.as_bytes(), self.model.vocab().should_add_bos(), true)
    }

    fn context(&self, n_ctx: usize) -> Result<LlamaContext<'_>, JudgeError> {
        let n = n_ctx.max(64) as u32;
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n))
            .with_n_batch(n)
            .with_n_threads(self.threads)
            .with_n_threads_batch(self.threads);
        self.model.new_context(backend()?, params).map_err(|e| engine(&e.to_string()))
    }

    /// Runs `tokens` through a fresh sequence and returns the logits after the last one.
    fn prefill(&self, ctx: &mut LlamaContext<'_>, tokens: &[LlamaToken]) -> Result<Vec<f32>, JudgeError> {
        ctx.clear_kv_cache();
        let mut batch = LlamaBatch::new(tokens.len(), 1);
        let last = tokens.len().saturating_sub(1);
        for (i, t) in tokens.iter().enumerate() {
            batch.add(*t, i as i32, &[0], i == last).map_err(|e| engine(&e.to_string()))?;
        }
        ctx.decode(&mut batch).map_err(|e| engine(&e.to_string()))?;
        Ok(ctx.get_logits_ith(batch.n_tokens() - 1).to_vec())
    }

    /// Token ids a label may start with: the label's first token, with and without a space.
    fn label_tokens(&self, label: &str) -> Vec<LlamaToken> {
        let vocab = self.model.vocab();
        let mut ids = Vec::new();
        for form in [label.to_string(), format!(" {label}")] {
            if let Some(t) = vocab.tokenize(form.as_bytes(), false, false).first() {
                if !ids.contains(t) {
                    ids.push(*t);
                }
            }
        }
        ids
    }
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
        let rendered: Vec<Vec<LlamaToken>> = requests
            .iter()
            .map(|r| self.render(&r.prompt).map(|p| self.tokens(&p)))
            .collect::<Result<_, _>>()?;
        let longest = rendered.iter().map(Vec::len).max().unwrap_or(0);
        let mut ctx = self.context(longest + 8)?;
        requests
            .iter()
            .zip(&rendered)
            .map(|(request, tokens)| {
                let probs = softmax(&self.prefill(&mut ctx, tokens)?);
                let mut scores: Vec<f64> = request
                    .labels
                    .iter()
                    .map(|l| self.label_tokens(l).iter().map(|t| probs[t.0 as usize]).sum())
                    .collect();
                let total: f64 = scores.iter().sum();
                if total <= 0.0 || !total.is_finite() {
                    return Err(engine(&format!("labels {:?} have no probability", request.labels)));
                }
                scores.iter_mut().for_each(|s| *s /= total);
                Ok(scores)
            })
            .collect()
    }

    fn generate(&self, requests: &[GenerateRequest]) -> Result<Vec<String>, JudgeError> {
        requests
            .iter()
            .map(|request| {
                if request.seed.is_some() {
                    return Err(engine(
                        "the embedded engine decodes greedily; seeded sampling is not supported yet",
                    ));
                }
                let tokens = self.tokens(&self.render(&request.prompt)?);
                let mut ctx = self.context(tokens.len() + request.max_tokens + 8)?;
                let mut logits = self.prefill(&mut ctx, &tokens)?;
                let vocab = self.model.vocab();
                let mut out: Vec<u8> = Vec::new();
                for pos in (tokens.len() as i32..).take(request.max_tokens) {
                    let next = logits
                        .iter()
                        .enumerate()
                        .max_by(|a, b| a.1.total_cmp(b.1))
                        .map(|(i, _)| LlamaToken(i as i32))
                        .ok_or_else(|| engine("empty logits"))?;
                    if vocab.is_eog(next) {
                        break;
                    }
                    out.extend(vocab.token_to_piece(next, false, None));
                    let text = String::from_utf8_lossy(&out);
                    if let Some(cut) = request.stop.iter().filter_map(|s| text.find(s.as_str())).min() {
                        return Ok(text[..cut].to_string());
                    }
                    let mut batch = LlamaBatch::new(1, 1);
                    batch.add(next, pos, &[0], true).map_err(|e| engine(&e.to_string()))?;
                    ctx.decode(&mut batch).map_err(|e| engine(&e.to_string()))?;
                    logits = ctx.get_logits_ith(0).to_vec();
                }
                Ok(String::from_utf8_lossy(&out).into_owned())
            })
            .collect()
    }
}
