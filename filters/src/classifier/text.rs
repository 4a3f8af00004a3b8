//! The text a classifier sees, the same when it is trained (`curate train-classifier`) and when
//! it labels documents (the `classifier` step): the first characters, lowercased, with letters
//! and digits kept in words and every other mark a word of its own (so `$`, `=` and `{` count,
//! and "end." is "end" and "."), on one line as fastText reads it.

/// `text` prepared for a fastText classifier: at most `max_chars` characters (0: all).
pub fn prepare(text: &str, max_chars: usize) -> String {
    let mut out =
        String::with_capacity(text.len().min(if max_chars == 0 { usize::MAX } else { max_chars * 4 }) + 1);
    let mut in_word = false;
    for (i, c) in text.chars().enumerate() {
        if max_chars > 0 && i >= max_chars {
            break;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            in_word = true;
        } else if c.is_whitespace() || c.is_control() {
            if in_word {
                out.push(' ');
            }
            in_word = false;
        } else {
            if in_word {
                out.push(' ');
            }
            out.push(c);
            out.push(' ');
            in_word = false;
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_marks_and_case() {
        assert_eq!(prepare("The END.\nNext  line: $x=1$", 0), "the end . next line : $ x = 1 $");
        assert_eq!(prepare("Ünïcode 漢字\tok", 0), "ünïcode 漢字 ok");
        assert_eq!(prepare("abcdef", 3), "abc");
        assert_eq!(prepare("a\0b", 0), "a b");
        assert_eq!(prepare("", 0), "");
    }
}
