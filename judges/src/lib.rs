//! Judges: models that answer questions about records (is this query multi-part? can it be
//! answered without reasoning?). The cold-start and reasoning-RL stages ask them; the pretrain
//! stage does not. The backends (an embedded GGUF engine, OpenAI-compatible servers) and the
//! verdict cache are the subject of their own issue; this crate fixes the questions they answer.

use thiserror::Error;

/// A question whose answer is a probability for each of a fixed set of labels, read from the
/// next-token distribution after the prompt (one forward pass, no sampling).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRequest {
    /// The rendered prompt.
    pub prompt: String,
    /// The labels to score, e.g. `["yes", "no"]`.
    pub labels: Vec<String>,
}

/// A question whose answer is a short completion.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateRequest {
    /// The rendered prompt.
    pub prompt: String,
    /// Most tokens to generate.
    pub max_tokens: usize,
    /// Generation stops at any of these.
    pub stop: Vec<String>,
    /// `None` for greedy decoding, or the seed of sampling.
    pub seed: Option<u64>,
}

/// Why a judge could not answer.
#[derive(Debug, Error)]
pub enum JudgeError {
    /// The model or server failed.
    #[error("judge backend failed: {0}")]
    Backend(String),
}

/// A model that answers batches of questions.
pub trait Judge: Send + Sync {
    /// A name for decisions and the verdict cache: the model file's hash or the server's model.
    fn identity(&self) -> &str;

    /// Normalized label probabilities, one vector per request, in label order.
    fn score(&self, requests: &[ScoreRequest]) -> Result<Vec<Vec<f64>>, JudgeError>;

    /// Completions, one per request.
    fn generate(&self, requests: &[GenerateRequest]) -> Result<Vec<String>, JudgeError>;
}
