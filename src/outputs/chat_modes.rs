//! Qwen3's chat format for data that fuses thinking and non-thinking modes (its Stage 3 SFT):
//! a user turn may end with `/think` or `/no_think`; every assistant turn follows the latest
//! flag of the dialogue so far (thinking when there is none); a thinking answer opens with its
//! reasoning in `<think>…</think>`, a non-thinking one with an empty block. Multi-turn
//! dialogues get flags at seeded random places; a thinking-budget example cuts the reasoning
//! and says so. [`validate`] checks that a record obeys all this.

use serde::{Deserialize, Serialize};

/// How an answer was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Reasoning first, in a think block.
    Think,
    /// No reasoning: an empty think block.
    NoThink,
}

impl Mode {
    /// The flag that asks for this mode.
    pub fn flag(self) -> &'static str {
        match self {
            Mode::Think => "/think",
            Mode::NoThink => "/no_think",
        }
    }
}

/// One question and its answer, in the mode it was produced in.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The user's message.
    pub user: String,
    /// The reasoning (thinking mode).
    pub reasoning: Option<String>,
    /// The answer the user sees.
    pub answer: String,
    /// The mode.
    pub mode: Mode,
}

/// A chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `user` or `assistant`.
    pub role: String,
    /// The text, flags and think blocks included.
    pub content: String,
}

/// The sentence Qwen3 closes cut-off reasoning with, before the answer.
pub const EARLY_STOP: &str =
    "Considering the limited time by the user, I have to give the solution based on the thinking directly now.";

/// The assistant message of `ex`.
pub fn assistant(ex: &Exchange) -> String {
    match ex.mode {
        Mode::Think => format!(
            "<think>\n{}\n</think>\n\n{}",
            ex.reasoning.as_deref().unwrap_or("").trim(),
            ex.answer.trim()
        ),
        Mode::NoThink => format!("<think>\n\n</think>\n\n{}", ex.answer.trim()),
    }
}

/// A dialogue of `exchanges`: a flag goes into a user turn when the mode changes, and at
/// random (seeded by `seed`, `flag_rate` of the turns) where it does not, so that the latest
/// flag always names the mode of the answer that follows. A first turn in thinking mode needs
/// no flag (thinking is the default).
pub fn dialogue(exchanges: &[Exchange], seed: u64, flag_rate: f64) -> Vec<Message> {
    let mut out = Vec::with_capacity(exchanges.len() * 2);
    let mut active = Mode::Think;
    for (i, ex) in exchanges.iter().enumerate() {
        let draw =
            xxhash_rust::xxh3::xxh3_64_with_seed(&(i as u64).to_le_bytes(), seed) as f64 / u64::MAX as f64;
        let flagged = ex.mode != active || draw < flag_rate;
        let user = if flagged {
            format!("{} {}", ex.user.trim_end(), ex.mode.flag())
        } else {
            ex.user.trim_end().to_string()
        };
        active = ex.mode;
        out.push(Message { role: "user".into(), content: user });
        out.push(Message { role: "assistant".into(), content: assistant(ex) });
    }
    out
}

/// `ex` (thinking mode) with its reasoning cut after `budget` units as `count` measures them
/// (tokens), then the early-stop sentence and the answer; `None` when the reasoning fits.
pub fn budgeted(ex: &Exchange, budget: usize, count: impl Fn(&str) -> usize) -> Option<Exchange> {
    let reasoning = ex.reasoning.as_deref()?;
    if ex.mode != Mode::Think || count(reasoning) <= budget {
        return None;
    }
    // The longest prefix of whole words within the budget (counts grow with the prefix: a
    // binary search over the word ends).
    let ends: Vec<usize> = reasoning.match_indices(char::is_whitespace).map(|(i, _)| i).collect();
    let fits = ends.partition_point(|&i| count(&reasoning[..i]) <= budget);
    let cut = if fits == 0 { 0 } else { ends[fits - 1] };
    let kept = reasoning[..cut].trim_end();
    Some(Exchange { reasoning: Some(format!("{kept}\n\n{EARLY_STOP}")), ..ex.clone() })
}

/// Checks `messages` follow the format: turns alternate user/assistant, a user turn holds at
/// most one flag, at its end; every assistant turn is in the mode of the latest flag (thinking
/// without one): a non-empty think block, or an empty one; no second think block.
pub fn validate(messages: &[Message]) -> Result<(), String> {
    let mut active = Mode::Think;
    for (i, m) in messages.iter().enumerate() {
        let expected = if i % 2 == 0 { "user" } else { "assistant" };
        if m.role != expected {
            return Err(format!("message {i}: role `{}`, expected `{expected}`", m.role));
        }
        if m.role == "user" {
            let flags = m.content.matches("/think").count() + m.content.matches("/no_think").count();
            if flags > 1 {
                return Err(format!("message {i}: {flags} flags in one user turn"));
            }
            if m.content.trim_end().ends_with("/no_think") {
                active = Mode::NoThink;
            } else if m.content.trim_end().ends_with("/think") {
                active = Mode::Think;
            } else if flags == 1 {
                return Err(format!("message {i}: a flag not at the end of the user turn"));
            }
            continue;
        }
        let Some(rest) = m.content.strip_prefix("<think>\n") else {
            return Err(format!("message {i}: the assistant turn does not open with <think>"));
        };
        let Some((reasoning, answer)) = rest.split_once("</think>\n\n") else {
            return Err(format!("message {i}: no closing </think> followed by the answer"));
        };
        if answer.contains("<think>") || answer.contains("</think>") {
            return Err(format!("message {i}: a second think block"));
        }
        if answer.trim().is_empty() {
            return Err(format!("message {i}: no answer after the think block"));
        }
        match active {
            Mode::Think if reasoning.trim().is_empty() => {
                return Err(format!("message {i}: thinking mode (the latest flag) but an empty think block"))
            }
            Mode::NoThink if reasoning != "\n" => {
                return Err(format!(
                    "message {i}: /no_think (the latest flag) but the think block is not empty"
                ))
            }
            _ => {}
        }
    }
    if !messages.len().is_multiple_of(2) {
        return Err("the dialogue ends with a user turn".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(user: &str, mode: Mode) -> Exchange {
        Exchange {
            user: user.into(),
            reasoning: (mode == Mode::Think).then(|| "Let me add: 2 + 2 = 4. So the sum is four.".into()),
            answer: "4".into(),
            mode,
        }
    }

    #[test]
    fn the_latest_flag_decides_each_answer() {
        let turns = [
            ex("2+2?", Mode::Think),
            ex("And 3+1?", Mode::NoThink),
            ex("And 1+3?", Mode::NoThink),
            ex("Why?", Mode::Think),
        ];
        for seed in 0..20 {
            let d = dialogue(&turns, seed, 0.3);
            validate(&d).unwrap();
            // A change of mode always carries its flag.
            assert!(d[2].content.ends_with("/no_think") && d[6].content.ends_with("/think"), "{d:?}");
        }
        // Some seed flags a turn that needs none, some seed leaves it bare.
        let flagged = (0..20).filter(|&s| dialogue(&turns, s, 0.3)[4].content.ends_with("/no_think")).count();
        assert!(flagged > 0 && flagged < 20, "{flagged}");
        assert_eq!(assistant(&turns[1]), "<think>\n\n</think>\n\n4");
    }

    #[test]
    fn the_validator_catches_each_violation() {
        let good = dialogue(&[ex("2+2?", Mode::NoThink)], 0, 0.0);
        assert!(validate(&good).is_ok());
        let mut wrong_mode = good.clone();
        wrong_mode[0].content = "2+2? /think".into();
        assert!(validate(&wrong_mode).unwrap_err().contains("empty think block"));
        let mut unflagged = good.clone();
        unflagged[0].content = "2+2?".into();
        assert!(validate(&unflagged).is_err());
        let mut two = good.clone();
        two[0].content = "2+2? /think /no_think".into();
        assert!(validate(&two).unwrap_err().contains("2 flags"));
        let mut open = good;
        open[1].content = "4".into();
        assert!(validate(&open).unwrap_err().contains("open with <think>"));
    }

    #[test]
    fn a_thinking_budget_cuts_the_reasoning_and_says_so() {
        let words = |s: &str| s.split_whitespace().count();
        let long = ex("2+2?", Mode::Think);
        let cut = budgeted(&long, 5, words).unwrap();
        let reasoning = cut.reasoning.as_deref().unwrap();
        assert!(reasoning.starts_with("Let me add: 2 +\n") && reasoning.ends_with(EARLY_STOP), "{reasoning}");
        assert_eq!(words(reasoning.strip_suffix(EARLY_STOP).unwrap()), 5);
        validate(&dialogue(&[cut], 0, 0.0)).unwrap();
        assert!(budgeted(&long, 100, words).is_none());
        assert!(budgeted(&ex("2+2?", Mode::NoThink), 1, words).is_none());
    }
}
