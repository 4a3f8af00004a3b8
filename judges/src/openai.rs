//! A judge behind an OpenAI-compatible server: `/v1/chat/completions` (the server applies the
//! model's chat template) or `/v1/completions` (raw prompts), with `logprobs` for scoring.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::request_pool::RequestPool;
use crate::{GenerateRequest, Judge, JudgeError, ScoreRequest};

/// Requests in flight by default.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// The API base, e.g. `http://localhost:8000/v1`.
    pub base_url: String,
    /// The model name the server knows.
    pub model: String,
    /// The environment variable holding the API key, if the server wants one. The key itself
    /// is never stored in outputs or logs.
    pub api_key_env: Option<String>,
    /// Use `/chat/completions` (true) or `/completions` with raw prompts (false).
    pub chat: bool,
    /// Requests in flight at once, shared by every question of the run (default 64: a GPU
    /// server batches what it holds, and needs many requests to be efficient).
    pub concurrency: usize,
    /// Time limit of one request.
    pub timeout: Duration,
    /// Retries after a timeout, a dropped connection, 429 or 5xx.
    pub retries: u32,
    /// Wait before the first retry; doubled after each.
    pub backoff: Duration,
    /// Alternatives asked for the first token when scoring.
    pub top_logprobs: usize,
    /// Send `chat_template_kwargs: {"enable_thinking": false}` when a question is to be answered
    /// without thinking (score requests, and generate requests with `think: false`), as vLLM,
    /// SGLang and llama.cpp's server understand. Off for servers that reject unknown fields.
    pub thinking_switch: bool,
}

impl OpenAiConfig {
    /// Defaults for a server at `base_url` serving `model`.
    pub fn new(base_url: &str, model: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            model: model.to_string(),
            api_key_env: None,
            chat: true,
            concurrency: DEFAULT_CONCURRENCY,
            timeout: Duration::from_secs(120),
            retries: 4,
            backoff: Duration::from_millis(500),
            top_logprobs: 20,
            thinking_switch: true,
        }
    }
}

/// A judge on an OpenAI-compatible server: its questions, from every task of a run, go
/// through one pool of `concurrency` requests in flight.
pub struct OpenAiJudge {
    server: Arc<Server>,
    pool: RequestPool,
}

/// The server and how to talk to it (shared by the pool's workers).
struct Server {
    config: OpenAiConfig,
    client: reqwest::blocking::Client,
    api_key: Option<String>,
}

/// An error and its causes in one line, each said once ("error sending request ...: client
/// error (Connect): Connection refused (os error 111)").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn excerpt(text: &str) -> String {
    text.chars().take(200).collect()
}

impl OpenAiJudge {
    /// A client for `config`; reads the API key from its environment variable.
    pub fn new(config: OpenAiConfig) -> Result<Self, JudgeError> {
        let pool = RequestPool::new(config.concurrency, "judge-http");
        Ok(Self { server: Arc::new(Server::new(config)?), pool })
    }

    /// Checks that the server can be reached (see [`Server::probe`]).
    pub fn probe(&self) -> Result<(), JudgeError> {
        self.server.probe()
    }

    /// Requests in flight at most.
    pub fn concurrency(&self) -> usize {
        self.pool.size()
    }
}

impl Server {
    fn new(config: OpenAiConfig) -> Result<Self, JudgeError> {
        let api_key = match &config.api_key_env {
            Some(var) => Some(std::env::var(var).map_err(|_| JudgeError::Unavailable {
                url: config.base_url.clone(),
                message: format!("environment variable {var} (the API key) is not set"),
            })?),
            None => None,
        };
        // Connections are kept alive and reused (one per worker); HTTP/2 where the server offers
        // it (over TLS, by ALPN).
        let client = reqwest::blocking::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(config.concurrency.max(1))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| JudgeError::Unavailable { url: config.base_url.clone(), message: e.to_string() })?;
        Ok(Self { config, client, api_key })
    }

    /// Checks that the server can be reached (`GET /models`, a few seconds at most), so that a
    /// wrong URL fails when the run starts, not at its first judge question. Any HTTP answer
    /// counts: only a failure to connect or to be answered is an error.
    fn probe(&self) -> Result<(), JudgeError> {
        let url = format!("{}/models", self.config.base_url);
        let mut request = self.client.get(&url).timeout(Duration::from_secs(10));
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        match request.send() {
            Ok(_) => Ok(()),
            Err(e) => Err(JudgeError::Unavailable {
                url: self.config.base_url.clone(),
                message: format!("cannot reach the server: {}", error_chain(&e)),
            }),
        }
    }

    /// POSTs `body` to `path`, retrying what may pass; returns the parsed JSON reply.
    fn post(&self, path: &str, body: &Value) -> Result<Value, JudgeError> {
        let url = format!("{}{path}", self.config.base_url);
        let mut wait = self.config.backoff;
        let mut attempt = 0;
        loop {
            let mut request = self
                .client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
            if let Some(key) = &self.api_key {
                request = request.bearer_auth(key);
            }
            let failure = match request.send() {
                Ok(response) => {
                    let status = response.status();
                    let text = response.text().unwrap_or_default();
                    if status.is_success() {
                        return serde_json::from_str(&text).map_err(|e| JudgeError::Malformed {
                            url,
                            message: format!("not JSON: {e}"),
                            excerpt: excerpt(&text),
                        });
                    }
                    let message = format!("HTTP {status}: {}", excerpt(&text));
                    if status.as_u16() != 429 && !status.is_server_error() {
                        return Err(JudgeError::Unavailable { url, message });
                    }
                    message
                }
                Err(e) if e.is_timeout() => format!("no reply within {:?}", self.config.timeout),
                Err(e) => error_chain(&e),
            };
            if attempt >= self.config.retries {
                return Err(JudgeError::Unavailable {
                    url,
                    message: format!("{failure} (after {} attempts)", attempt + 1),
                });
            }
            attempt += 1;
            std::thread::sleep(wait);
            wait *= 2;
        }
    }

    fn body(&self, prompt: &str, think: bool) -> Value {
        if self.config.chat {
            let mut body =
                json!({"model": self.config.model, "messages": [{"role": "user", "content": prompt}]});
            if !think && self.config.thinking_switch {
                body["chat_template_kwargs"] = json!({"enable_thinking": false});
            }
            body
        } else {
            json!({"model": self.config.model, "prompt": prompt})
        }
    }

    fn path(&self) -> &'static str {
        if self.config.chat {
            "/chat/completions"
        } else {
            "/completions"
        }
    }

    fn score_one(&self, request: &ScoreRequest) -> Result<Vec<f64>, JudgeError> {
        let mut body = self.body(&request.prompt, false);
        body["max_tokens"] = json!(1);
        body["temperature"] = json!(0);
        if self.config.chat {
            body["logprobs"] = json!(true);
            body["top_logprobs"] = json!(self.config.top_logprobs);
        } else {
            body["logprobs"] = json!(self.config.top_logprobs);
        }
        let reply = self.post(self.path(), &body)?;
        let malformed = |message: &str| JudgeError::Malformed {
            url: format!("{}{}", self.config.base_url, self.path()),
            message: message.to_string(),
            excerpt: excerpt(&reply.to_string()),
        };
        // (token, logprob) of the first generated token's alternatives, in either API's shape.
        let alternatives: Vec<(String, f64)> = if self.config.chat {
            reply["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
                .as_array()
                .ok_or_else(|| malformed("no choices[0].logprobs.content[0].top_logprobs"))?
                .iter()
                .filter_map(|t| Some((t["token"].as_str()?.to_string(), t["logprob"].as_f64()?)))
                .collect()
        } else {
            reply["choices"][0]["logprobs"]["top_logprobs"][0]
                .as_object()
                .ok_or_else(|| malformed("no choices[0].logprobs.top_logprobs[0]"))?
                .iter()
                .filter_map(|(t, lp)| Some((t.clone(), lp.as_f64()?)))
                .collect()
        };
        let mut probs: Vec<f64> = request
            .labels
            .iter()
            .map(|label| {
                alternatives
                    .iter()
                    .filter(|(t, _)| t.trim().eq_ignore_ascii_case(label.trim()))
                    .map(|(_, lp)| lp.exp())
                    .sum::<f64>()
            })
            .collect();
        let total: f64 = probs.iter().sum();
        if total <= 0.0 || !total.is_finite() {
            return Err(malformed(&format!(
                "none of the labels {:?} is among the top {} first tokens",
                request.labels, self.config.top_logprobs
            )));
        }
        probs.iter_mut().for_each(|p| *p /= total);
        Ok(probs)
    }

    fn generate_one(&self, request: &GenerateRequest) -> Result<String, JudgeError> {
        let mut body = self.body(&request.prompt, request.think);
        body["max_tokens"] = json!(request.max_tokens);
        match request.seed {
            None => body["temperature"] = json!(0),
            Some(seed) => {
                body["temperature"] = json!(1.0);
                body["seed"] = json!(seed);
            }
        }
        if !request.stop.is_empty() {
            body["stop"] = json!(request.stop);
        }
        let reply = self.post(self.path(), &body)?;
        let text = if self.config.chat {
            reply["choices"][0]["message"]["content"].as_str()
        } else {
            reply["choices"][0]["text"].as_str()
        };
        text.map(String::from).ok_or_else(|| JudgeError::Malformed {
            url: format!("{}{}", self.config.base_url, self.path()),
            message: "no completion text in choices[0]".into(),
            excerpt: excerpt(&reply.to_string()),
        })
    }
}

impl Judge for OpenAiJudge {
    fn identity(&self) -> String {
        format!("openai:{}:{}", self.server.config.base_url, self.server.config.model)
    }

    fn score(&self, requests: &[ScoreRequest]) -> Result<Vec<Vec<f64>>, JudgeError> {
        self.score_each(requests).into_iter().collect()
    }

    fn generate(&self, requests: &[GenerateRequest]) -> Result<Vec<String>, JudgeError> {
        self.generate_each(requests).into_iter().collect()
    }

    fn score_each(&self, requests: &[ScoreRequest]) -> Vec<Result<Vec<f64>, JudgeError>> {
        let server = self.server.clone();
        self.pool.map(requests, Arc::new(move |r: &ScoreRequest| server.score_one(r)))
    }

    fn generate_each(&self, requests: &[GenerateRequest]) -> Vec<Result<String, JudgeError>> {
        let server = self.server.clone();
        self.pool.map(requests, Arc::new(move |r: &GenerateRequest| server.generate_one(r)))
    }
}
