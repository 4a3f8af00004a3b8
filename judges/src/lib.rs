//! Judges: models that answer questions about records (is this query multi-part? can it be
//! answered without reasoning?), as the Qwen3 pipeline uses Qwen2.5-72B and QwQ-32B.
//!
//! - [`Judge`]: the two kinds of question, batched: label probabilities ([`ScoreRequest`]) and
//!   short completions ([`GenerateRequest`]).
//! - [`OpenAiJudge`]: a model behind an OpenAI-compatible server (vLLM, SGLang, llama.cpp's
//!   server): one pool of requests in flight for every question of a run, connections kept
//!   alive, timeouts and retries.
//! - [`VerdictCache`] / [`CachedJudge`]: answers stored on disk (redb), keyed by everything that
//!   decides them, so a rerun pays only for what changed.
//! - [`JudgeRule`]: a judge question as data: a prompt template, labels, a threshold, a version.
//!
//! - [`LlamaJudge`]: a GGUF model run in-process by llama.cpp; [`GgufTokenizer`]: its
//!   tokenizer alone, for token counts.

mod cache;
#[cfg(feature = "embedded")]
mod embedded;
mod error;
pub mod fake_server;
mod judge;
mod openai;
mod request_pool;
mod rule;
mod shared;

pub use cache::{CacheStats, CachedJudge, VerdictCache};
#[cfg(feature = "embedded")]
pub use embedded::{GgufTokenizer, LlamaJudge, Packing};
pub use error::JudgeError;
pub use judge::{GenerateRequest, Judge, ScoreRequest};
pub use openai::{OpenAiConfig, OpenAiJudge, DEFAULT_CONCURRENCY};
pub use rule::{JudgeRule, RuleKind};
pub use shared::{JudgeUsage, SharedJudge};
