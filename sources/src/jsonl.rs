//! JSONL streams cut into bounded batches of raw lines.
//!
//! Lines are not parsed here: parsing happens in parallel on the batches
//! ([`crate::parse::parse_line`]). A read error (a truncated or corrupt archive, a dropped
//! connection) ends the stream with one quarantine item saying where it happened.

use std::io::BufRead;
use std::sync::Arc;

use curate_schemas::QuarantineRow;

use crate::RawItem;

/// One line of a JSONL stream, without its line ending.
#[derive(Debug)]
pub struct RawLine {
    /// The file or URL, as the user named it.
    pub source: Arc<str>,
    /// 1-based line number.
    pub line: u64,
    /// Byte offset of the line's start in the decompressed stream.
    pub offset: u64,
    /// The line's bytes; not yet checked to be UTF-8.
    pub bytes: Vec<u8>,
}

/// Limits on one batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    /// Most records in a batch.
    pub records: usize,
    /// Most bytes of text in a batch.
    pub bytes: usize,
}

/// Iterator over batches of raw lines of one stream.
pub struct LineBatches<R> {
    reader: R,
    source: Arc<str>,
    limits: BatchLimits,
    line: u64,
    offset: u64,
    done: bool,
    /// Lines that held only whitespace: not records, counted so the manifest can say so.
    pub blank_lines: u64,
}

impl<R: BufRead> LineBatches<R> {
    /// Batches the lines of `reader`, which holds the input named `source`.
    pub fn new(reader: R, source: Arc<str>, limits: BatchLimits) -> Self {
        Self { reader, source, limits, line: 0, offset: 0, done: false, blank_lines: 0 }
    }
}

impl<R: BufRead> Iterator for LineBatches<R> {
    type Item = Vec<RawItem>;

    fn next(&mut self) -> Option<Vec<RawItem>> {
        if self.done {
            return None;
        }
        let mut batch = Vec::new();
        let mut bytes = 0;
        while batch.len() < self.limits.records && bytes < self.limits.bytes {
            let mut buf = Vec::new();
            match self.reader.read_until(b'\n', &mut buf) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(n) => {
                    self.line += 1;
                    let offset = self.offset;
                    self.offset += n as u64;
                    while matches!(buf.last(), Some(b'\n' | b'\r')) {
                        buf.pop();
                    }
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        self.blank_lines += 1;
                        continue;
                    }
                    bytes += buf.len();
                    batch.push(RawItem::Line(RawLine {
                        source: self.source.clone(),
                        line: self.line,
                        offset,
                        bytes: buf,
                    }));
                }
                Err(e) => {
                    self.done = true;
                    let line = self.line + 1;
                    batch.push(RawItem::Quarantined(QuarantineRow {
                        source_file: self.source.to_string(),
                        line,
                        byte_offset: Some(self.offset),
                        error: format!(
                            "stream ends in error, the rest of the file is unread \
                             (truncated or corrupt archive, or a dropped connection?): {e}"
                        ),
                        raw: (!buf.is_empty()).then(|| QuarantineRow::raw_excerpt(&buf)),
                    }));
                    break;
                }
            }
        }
        if batch.is_empty() && self.done {
            None
        } else {
            Some(batch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn batches_lines_and_skips_blanks() {
        let data = b"{\"a\":1}\r\n\n  \n{\"a\":2}\n{\"a\":3}";
        let limits = BatchLimits { records: 2, bytes: 1 << 20 };
        let mut it = LineBatches::new(Cursor::new(&data[..]), Arc::from("x.jsonl"), limits);
        let b1 = it.next().unwrap();
        let b2 = it.next().unwrap();
        assert!(it.next().is_none());
        assert_eq!(b1.len(), 2);
        assert_eq!(b2.len(), 1);
        let RawItem::Line(l) = &b1[1] else { panic!() };
        assert_eq!((l.line, l.offset, l.bytes.as_slice()), (4, 13, &b"{\"a\":2}"[..]));
        let RawItem::Line(l) = &b2[0] else { panic!() };
        assert_eq!((l.line, l.bytes.as_slice()), (5, &b"{\"a\":3}"[..]));
        assert_eq!(it.blank_lines, 2);
    }
}
