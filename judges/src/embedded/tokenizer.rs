//! Token counts under a GGUF model's tokenizer: the vocabulary loaded alone (no weights) by
//! llama.cpp, so counting is as cheap as tokenizing and the count is what that model would see.

use std::cell::RefCell;
use std::path::Path;

use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;

use super::{backend, engine, identity_of};
use crate::JudgeError;

thread_local! {
    /// Each worker's token buffer, reused from document to document.
    static BUFFER: RefCell<Vec<LlamaToken>> = const { RefCell::new(Vec::new()) };
}

/// A GGUF model's tokenizer, for counting the tokens of documents.
pub struct GgufTokenizer {
    model: LlamaModel,
    identity: String,
}

impl GgufTokenizer {
    /// Loads the vocabulary of the GGUF at `path` (its weights are not read).
    pub fn load(path: &Path) -> Result<Self, JudgeError> {
        let identity = identity_of(path)?;
        let params = LlamaModelParams::default().with_vocab_only(true);
        let model = LlamaModel::load_from_file(backend()?, path, &params)
            .map_err(|e| engine(&format!("{}: {e}", path.display())))?;
        Ok(Self { model, identity })
    }

    /// `gguf:<file name>:<xxh3 of the file>`, as the judge of the same file names itself.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// How many tokens `text` is: the text alone, as plain text (no BOS, and special-token
    /// spellings such as `<|im_end|>` in it counted as the text they are).
    pub fn count(&self, text: &str) -> u64 {
        if text.is_empty() {
            return 0;
        }
        BUFFER.with(|buffer| {
            let mut buffer = buffer.borrow_mut();
            buffer.clear();
            self.model.vocab().tokenize_into(text.as_bytes(), &mut buffer, false, false);
            let n = buffer.len() as u64;
            // A long document leaves a large buffer behind: give it back.
            if buffer.capacity() > 1 << 20 {
                *buffer = Vec::new();
            }
            n
        })
    }
}
