//! `sample_responses`: gives queries that come without responses `n` responses from the run's
//! responder model (`--sample N --responder GGUF|URL`), sampled with seeds `seed .. seed + n`
//! and thinking on, so the `responses` step can check them. Queries that already have responses
//! keep theirs. Samples go through the verdict cache like judge answers: a rerun samples nothing.

use curate_judges::GenerateRequest;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::record;
use crate::{BuildContext, Check, Document, Filter, FilterConfig, FilterError};

/// Options of `sample_responses`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SampleResponsesConfig {
    /// Responses per query; 0 turns the step off (`--sample N` sets it).
    pub n: usize,
    /// The field the responses go to (and that, when present, means "already sampled").
    pub responses_field: String,
    /// Most tokens of one response.
    pub max_tokens: usize,
    /// The first seed; response `k` uses `seed + k`.
    pub seed: u64,
    /// Appended (after a blank line) to queries without tests, e.g. the usual "put your final
    /// answer within `\boxed{}`"; empty: the query as it is.
    pub instruction: String,
    /// Appended to queries with tests (code), e.g. to ask for one Python code block.
    pub code_instruction: String,
    /// The field holding tests, which tells code queries apart.
    pub tests_field: String,
    /// Sample with thinking on (false renders a thinking model's template with
    /// `enable_thinking = false`, as Qwen3's `/no_think`: non-thinking responses).
    pub think: bool,
}

impl Default for SampleResponsesConfig {
    fn default() -> Self {
        Self {
            n: 0,
            responses_field: "responses".into(),
            max_tokens: 2048,
            seed: 0,
            instruction: String::new(),
            code_instruction: String::new(),
            tests_field: "tests".into(),
            think: true,
        }
    }
}

impl FilterConfig for SampleResponsesConfig {
    const NAME: &'static str = "sample_responses";
    const DESCRIPTION: &'static str =
        "Cold start: sample N responses per query from --responder when the input has none";

    /// The model is named on the command line, after the config is read.
    fn check(&self) -> Result<(), FilterError> {
        Ok(())
    }

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        self.build_in(&BuildContext::default())
    }

    fn build_in(&self, ctx: &BuildContext) -> Result<Box<dyn Filter>, FilterError> {
        if self.n > 0 && ctx.responder.is_none() {
            return Err(FilterError::Invalid {
                filter: Self::NAME.into(),
                message: format!(
                    "sampling {} responses per query needs a model: give --responder MODEL.gguf|URL \
                     (--policy in reasoning-rl), or --sample 0 when the input holds the responses",
                    self.n
                ),
            });
        }
        Ok(Box::new(SampleResponses { config: self.clone(), responder: ctx.responder.clone() }))
    }
}

/// The `sample_responses` filter.
pub struct SampleResponses {
    config: SampleResponsesConfig,
    responder: Option<std::sync::Arc<curate_judges::SharedJudge>>,
}

impl SampleResponses {
    /// The query with the instruction its kind of verifier asks for; `fields` is the record.
    fn prompt(&self, fields: &Map<String, Value>) -> String {
        let query = fields.get("query").and_then(Value::as_str).unwrap_or_default();
        let code = record::text(fields, &self.config.tests_field).is_some();
        let instruction = if code { &self.config.code_instruction } else { &self.config.instruction };
        if instruction.is_empty() {
            query.to_string()
        } else {
            format!("{query}\n\n{instruction}")
        }
    }
}

impl Filter for SampleResponses {
    fn version(&self) -> &str {
        // 2: each sampled response records how it was decoded (seed, max_tokens, think).
        "2"
    }

    fn check(&self, _doc: &mut Document) -> Vec<Check> {
        vec![Check::new("responses_sampled", Some(0.0), None, true, "")]
    }

    fn check_batch(&self, docs: &mut [Document]) -> Result<Vec<Vec<Check>>, FilterError> {
        let mut out: Vec<Vec<Check>> = docs.iter_mut().map(|d| self.check(d)).collect();
        let Some(responder) = self.responder.as_ref().filter(|_| self.config.n > 0) else { return Ok(out) };
        let field = &self.config.responses_field;
        // Records still without responses, each read once.
        let wanting: Vec<(usize, Map<String, Value>)> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (i, record::fields(d)))
            .filter(|(_, f)| record::responses(f, field, "text").is_empty())
            .collect();
        let mut requests = Vec::with_capacity(wanting.len() * self.config.n);
        for (_, fields) in &wanting {
            let prompt = self.prompt(fields);
            requests.extend((0..self.config.n as u64).map(|k| GenerateRequest {
                prompt: prompt.clone(),
                max_tokens: self.config.max_tokens,
                stop: vec![],
                seed: Some(self.config.seed + k),
                think: self.config.think,
            }));
        }
        if requests.is_empty() {
            return Ok(out);
        }
        let texts = responder
            .generate(
                if self.config.think { "sample_responses@1" } else { "sample_responses@1/no_think" },
                &requests,
            )
            .map_err(|source| FilterError::Judge { filter: SampleResponsesConfig::NAME.into(), source })?;
        let model = responder.usage().identity;
        for (j, (i, mut fields)) in wanting.into_iter().enumerate() {
            let n = self.config.n;
            // Each sample with the teacher and how it decoded, for distillation records.
            let responses: Vec<Value> = texts[j * n..(j + 1) * n]
                .iter()
                .zip(&requests[j * n..(j + 1) * n])
                .map(|(t, r)| {
                    json!({
                        "text": t,
                        "model": model,
                        "decoding": {"seed": r.seed, "max_tokens": r.max_tokens, "think": r.think},
                    })
                })
                .collect();
            fields.insert(field.clone(), Value::Array(responses));
            record::store(&mut docs[i], fields);
            out[i] = vec![Check::new("responses_sampled", Some(n as f64), None, true, "")];
        }
        Ok(out)
    }
}
