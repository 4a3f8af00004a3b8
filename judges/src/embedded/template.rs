//! The model's own chat template: the Jinja source in the GGUF metadata
//! (`tokenizer.chat_template`), rendered as Hugging Face's tokenizers do, so a prompt reads to
//! the embedded engine exactly as to a server serving the same model (default system prompts,
//! Qwen3's `enable_thinking` switch and all).

use minijinja::{context, Environment, Error, ErrorKind};

use crate::JudgeError;

/// A chat template ready to render single-turn prompts.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
}

/// `raise_exception(msg)`, which Hugging Face templates call on bad input.
fn raise_exception(message: String) -> Result<String, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, message))
}

/// `strftime_now(format)`, which Llama 3 templates call for the "today" line. A fixed date keeps
/// rendered prompts, and so cached verdicts, the same from one day to the next.
fn strftime_now(_format: String) -> String {
    "26 Jul 2024".to_string()
}

impl ChatTemplate {
    /// Compiles `source`; `bos` and `eos` are the texts of the model's special tokens.
    pub fn new(source: &str, bos: &str, eos: &str) -> Result<Self, JudgeError> {
        let mut env = Environment::new();
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_function("strftime_now", strftime_now);
        env.add_template_owned("chat", source.to_string())
            .map_err(|e| JudgeError::Engine { message: format!("chat template does not compile: {e}") })?;
        Ok(Self { env, bos: bos.to_string(), eos: eos.to_string() })
    }

    /// One user turn, assistant turn opened. With `think` false, a thinking model's template
    /// is told `enable_thinking = false` (Qwen3 then writes an empty think block); templates
    /// without the switch ignore it.
    pub fn render(&self, user: &str, think: bool) -> Result<String, JudgeError> {
        let template = self.env.get_template("chat").expect("added in new");
        let messages = [context! { role => "user", content => user }];
        let ctx = if think {
            context! { messages, add_generation_prompt => true, bos_token => self.bos, eos_token => self.eos }
        } else {
            context! {
                messages, add_generation_prompt => true, bos_token => self.bos, eos_token => self.eos,
                enable_thinking => false,
            }
        };
        template.render(ctx).map_err(|e| JudgeError::Engine { message: format!("chat template: {e}") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHATML_WITH_SYSTEM: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are helpful<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    /// The tail of Qwen3's template: the thinking switch.
    const QWEN3_TAIL: &str = "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\n' + message.content.strip() + '<|im_end|>\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\n\n</think>\n\n' }}{%- endif %}{%- endif %}";

    #[test]
    fn renders_the_default_system_prompt_the_template_adds() {
        let t = ChatTemplate::new(CHATML_WITH_SYSTEM, "<|im_start|>", "<|im_end|>").unwrap();
        assert_eq!(
            t.render("Hi", true).unwrap(),
            "<|im_start|>system\nYou are helpful<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn thinking_can_be_switched_off_and_python_methods_work() {
        let t = ChatTemplate::new(QWEN3_TAIL, "", "<|im_end|>").unwrap();
        assert!(t
            .render(" Hi ", true)
            .unwrap()
            .ends_with("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
        assert!(t.render("Hi", false).unwrap().ends_with("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
    }

    #[test]
    fn template_errors_are_reported() {
        assert!(ChatTemplate::new("{% for %}", "", "").is_err());
        let t = ChatTemplate::new("{{ raise_exception('no system role') }}", "", "").unwrap();
        assert!(t.render("x", true).unwrap_err().to_string().contains("no system role"));
    }
}
