/// One row of the `quarantine` table: input that could not be read as a record.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantineRow {
    /// The input file or URL.
    pub source_file: String,
    /// 1-based line (JSONL) or row (Parquet); 0 when the whole file is affected.
    pub line: u64,
    /// Byte offset of the line in the (decompressed) stream, when known.
    pub byte_offset: Option<u64>,
    /// What is wrong, in words a user can act on.
    pub error: String,
    /// The offending input, lossily decoded and cut to [`QuarantineRow::MAX_RAW_BYTES`].
    pub raw: Option<String>,
}

impl QuarantineRow {
    /// How much of an offending line is kept in `raw`.
    pub const MAX_RAW_BYTES: usize = 4096;

    /// Keeps at most [`Self::MAX_RAW_BYTES`] of `bytes`, decoded lossily.
    pub fn raw_excerpt(bytes: &[u8]) -> String {
        let cut = &bytes[..bytes.len().min(Self::MAX_RAW_BYTES)];
        String::from_utf8_lossy(cut).into_owned()
    }
}
