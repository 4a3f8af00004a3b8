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

    /// [`Judge::score`] with one result per request, so that the answers that came are kept
    /// (and cached) when others failed. Backends that answer requests one by one override it.
    fn score_each(&self, requests: &[ScoreRequest]) -> Vec<Result<Vec<f64>, JudgeError>> {
        each(requests.len(), self.score(requests))
    }

    /// [`Judge::generate`] with one result per request (see [`Judge::score_each`]).
    fn generate_each(&self, requests: &[GenerateRequest]) -> Vec<Result<String, JudgeError>> {
        each(requests.len(), self.generate(requests))
    }
}

/// A batch's result as one result per request: the batch's error for the first, a note that
/// the batch failed for the others.
fn each<A>(n: usize, batch: Result<Vec<A>, JudgeError>) -> Vec<Result<A, JudgeError>> {
    match batch {
        Ok(answers) => answers.into_iter().map(Ok).collect(),
        Err(e) => {
            let note = e.to_string();
            let mut out = vec![Err(e)];
            out.extend(
                (1..n).map(|_| Err(JudgeError::Engine { message: format!("its batch failed: {note}") })),
            );
            out
        }
    }
}
