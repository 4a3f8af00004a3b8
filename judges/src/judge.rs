use serde::{Deserialize, Serialize};

use crate::JudgeError;

/// A question whose answer is a probability for each of a fixed set of labels, read from the
/// next-token distribution after the prompt (one forward pass, no sampling). Thinking models
/// are asked with thinking switched off, so the label is the first token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRequest {
    /// The user message.
    pub prompt: String,
    /// The labels to score, e.g. `["yes", "no"]`.
    pub labels: Vec<String>,
}

/// A question whose answer is a short completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    /// The user message.
    pub prompt: String,
    /// Most tokens to generate.
    pub max_tokens: usize,
    /// Generation stops at any of these.
    pub stop: Vec<String>,
    /// `None` for greedy decoding, or the seed of sampling (temperature 1).
    pub seed: Option<u64>,
    /// Let a thinking model (Qwen3-style templates) think first; `false` renders its template
    /// with `enable_thinking = false`, as Qwen3's `/no_think`.
    #[serde(default)]
    pub think: bool,
}

/// A model that answers batches of questions.
pub trait Judge: Send + Sync {
    /// Names the backend and the model, for the verdict cache and for decisions: e.g.
    /// `openai:http://host/v1:qwen2.5-72b-instruct`.
    fn identity(&self) -> String;

    /// Normalized label probabilities, one vector per request, in label order.
    fn score(&self, requests: &[ScoreRequest]) -> Result<Vec<Vec<f64>>, JudgeError>;

    /// Completions, one per request.
    fn generate(&self, requests: &[GenerateRequest]) -> Result<Vec<String>, JudgeError>;
}
