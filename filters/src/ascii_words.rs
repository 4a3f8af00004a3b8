//! Unicode word boundaries (UAX #29) for text that is all ASCII, without the general machinery:
//! the same segments as `unicode_segmentation`'s `split_word_bounds` (a test compares them on
//! real and random text), several times faster. Word splitting is the hot spot of the Gopher
//! heuristics and of MinHash shingling, and most documents of most corpora are ASCII.
//!
//! Of UAX #29's rules only these apply to ASCII: CR × LF; breaks around newlines; spaces stay
//! together (WB3d); letters and digits join (WB5, WB8–10), also across one `'`, `.` or `:`
//! between letters (WB6–7) and one `'`, `.`, `,` or `;` between digits (WB11–12); `_` joins
//! letters, digits and itself (WB13a–b); everything else is a segment of its own.

/// The word-break class of an ASCII byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Cr,
    Lf,
    Newline,
    Space,
    Letter,
    Digit,
    Underscore,
    /// `:` (MidLetter).
    MidLetter,
    /// `,` `;` (MidNum).
    MidNum,
    /// `.` (MidNumLet) and `'` (Single_Quote): between letters and between digits.
    MidBoth,
    Other,
}

const fn class(b: u8) -> Class {
    match b {
        b'\r' => Class::Cr,
        b'\n' => Class::Lf,
        0x0B | 0x0C => Class::Newline,
        b' ' => Class::Space,
        b'a'..=b'z' | b'A'..=b'Z' => Class::Letter,
        b'0'..=b'9' => Class::Digit,
        b'_' => Class::Underscore,
        b':' => Class::MidLetter,
        b',' | b';' => Class::MidNum,
        b'.' | b'\'' => Class::MidBoth,
        _ => Class::Other,
    }
}

/// The byte ranges of `text`'s runs of non-ASCII characters, in order: where the ASCII fast
/// paths hand over to Unicode's general ones. Each run starts and ends at a character boundary
/// (ASCII bytes are characters of their own).
pub fn non_ascii_runs(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut done = 0;
    std::iter::from_fn(move || {
        let first = done + bytes[done..].iter().position(|b| !b.is_ascii())?;
        done = bytes[first..].iter().position(u8::is_ascii).map_or(bytes.len(), |n| first + n);
        Some(first..done)
    })
}

/// Whether `b` is ASCII whitespace as `char::is_whitespace` and UAX #29 see it: spaces, tabs and
/// line breaks, the vertical tab included (unlike `u8::is_ascii_whitespace`).
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

/// [`class`] of every byte, looked up rather than matched in the loop.
static CLASSES: [Class; 256] = {
    let mut table = [Class::Other; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = class(b as u8);
        b += 1;
    }
    table
};

/// Whether UAX #29 breaks between `text[i - 1]` and `text[i]` (0 < i < len).
fn breaks(text: &[u8], i: usize) -> bool {
    use Class::*;
    let at = |j: usize| CLASSES[text[j] as usize];
    let (before, after) = (at(i - 1), at(i));
    match (before, after) {
        (Letter | Digit, Letter | Digit) => false,
        (Cr, Lf) => false,
        (Cr | Lf | Newline, _) | (_, Cr | Lf | Newline) => true,
        (Space, Space) => false,
        (Letter | Digit | Underscore, Underscore) | (Underscore, Letter | Digit) => false,
        // A middle character between two letters (WB6, WB7) or two digits (WB11, WB12).
        (Letter, MidLetter | MidBoth) => text.get(i + 1).map(|&b| CLASSES[b as usize]) != Some(Letter),
        (MidLetter | MidBoth, Letter) => i < 2 || at(i - 2) != Letter,
        (Digit, MidNum | MidBoth) => text.get(i + 1).map(|&b| CLASSES[b as usize]) != Some(Digit),
        (MidNum | MidBoth, Digit) => i < 2 || at(i - 2) != Digit,
        _ => true,
    }
}

/// The word-boundary segments of ASCII `text`, whitespace runs included, in order.
pub fn segments(text: &str) -> impl Iterator<Item = &str> {
    debug_assert!(text.is_ascii());
    let bytes = text.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let mut end = start + 1;
        while end < bytes.len() && !breaks(bytes, end) {
            end += 1;
        }
        let segment = &text[start..end];
        start = end;
        Some(segment)
    })
}

/// The segments that are not whitespace (words, numbers, punctuation), in order: what
/// [`segments`] gives without its whitespace runs, found a run of word characters at a time.
pub fn words(text: &str) -> Words<'_> {
    debug_assert!(text.is_ascii());
    Words { text, at: 0 }
}

/// The iterator of [`words`].
pub struct Words<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        use Class::*;
        let bytes = self.text.as_bytes();
        let class = |i: usize| CLASSES[bytes[i] as usize];
        let mut i = self.at;
        // Whitespace: spaces, tabs and line breaks are never part of a word.
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        if i >= bytes.len() {
            self.at = i;
            return None;
        }
        let start = i;
        i += 1;
        if matches!(class(start), Letter | Digit | Underscore) {
            loop {
                while i < bytes.len() && matches!(class(i), Letter | Digit | Underscore) {
                    i += 1;
                }
                // One middle character between two letters (WB6-7) or two digits (WB11-12).
                let joins = i + 1 < bytes.len()
                    && matches!(
                        (class(i - 1), class(i), class(i + 1)),
                        (Letter, MidLetter | MidBoth, Letter) | (Digit, MidNum | MidBoth, Digit)
                    );
                if !joins {
                    break;
                }
                i += 2;
            }
        }
        self.at = i;
        Some(&self.text[start..i])
    }
}

#[cfg(test)]
mod tests {
    use unicode_segmentation::UnicodeSegmentation;

    use super::*;

    fn same_as_unicode_segmentation(text: &str) {
        let ours: Vec<&str> = segments(text).collect();
        let theirs: Vec<&str> = text.split_word_bounds().collect();
        assert_eq!(ours, theirs, "{text:?}");
    }

    #[test]
    fn examples() {
        for text in [
            "Hello, world! It's 3.5 km.",
            "can't stop: e.g. 1,000.50 a:b a::b 3..4 x_1 _x_ __ 'quoted' \"dq\"",
            "a\r\nb\n\nc\r\r d\t\te  f\x0b\x0cg",
            "end.",
            ".start",
            "",
            "a",
            "1'2 a'1 1'a a.1 1.a ,1, ;;",
            "a_'b 1_,2 a:1 1:a x:y:z 1.2.3 1.,2 a''b __a__ _",
        ] {
            same_as_unicode_segmentation(text);
            words_are_the_segments_without_whitespace(text);
        }
    }

    fn words_are_the_segments_without_whitespace(text: &str) {
        let ours: Vec<&str> = words(text).collect();
        let theirs: Vec<&str> =
            text.split_word_bounds().filter(|s| !s.chars().all(char::is_whitespace)).collect();
        assert_eq!(ours, theirs, "{text:?}");
    }

    #[test]
    fn random_text_from_the_tricky_characters() {
        // Every ASCII class, short texts, a fixed pseudo-random sequence.
        let alphabet = "aZ09_:.,;'\" \t\r\n\x0b\x0c-!?()";
        let texts = crate::random_strings::random_strings(alphabet, 0x2545_f491_4f6c_dd1d, 20_000, 12);
        assert!(texts.iter().any(|t| t.len() > 8));
        for text in &texts {
            same_as_unicode_segmentation(text);
            words_are_the_segments_without_whitespace(text);
        }
    }
}
