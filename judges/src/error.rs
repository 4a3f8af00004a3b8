use thiserror::Error;

/// Why a judge could not answer.
#[derive(Debug, Error)]
pub enum JudgeError {
    /// The server could not be reached or kept failing after every retry.
    #[error("judge server {url}: {message}")]
    Unavailable {
        /// The endpoint.
        url: String,
        /// The last failure.
        message: String,
    },
    /// The server answered something that is not an OpenAI-style reply.
    #[error("judge server {url} sent a malformed reply: {message}; reply starts with: {excerpt:?}")]
    Malformed {
        /// The endpoint.
        url: String,
        /// What is missing or wrong.
        message: String,
        /// The first bytes of the reply.
        excerpt: String,
    },
    /// The embedded engine failed (model file, template, decoding).
    #[error("embedded judge: {message}")]
    Engine {
        /// What failed.
        message: String,
    },
    /// The verdict cache failed.
    #[error("verdict cache {path}: {message}")]
    Cache {
        /// The cache file.
        path: String,
        /// What failed.
        message: String,
    },
    /// A judge rule file is wrong.
    #[error("judge rule {path}: {message}")]
    Rule {
        /// The rule file.
        path: String,
        /// What to fix.
        message: String,
    },
}
