//! Byte streams from local files and URLs, decompressed on the fly.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::{Compression, Format, InputFile, Location};

/// Bytes read, counted for one task and for the whole run (progress in MB/s).
#[derive(Debug, Clone, Default)]
pub struct ByteCount {
    /// Bytes read by this task.
    pub task: Arc<AtomicU64>,
    /// Bytes read by the whole run.
    pub total: Arc<AtomicU64>,
}

impl ByteCount {
    /// Counts `n` more bytes.
    pub fn add(&self, n: u64) {
        self.task.fetch_add(n, Ordering::Relaxed);
        self.total.fetch_add(n, Ordering::Relaxed);
    }
}

/// A reader that counts the bytes it reads.
pub struct Counted<R> {
    inner: R,
    counter: ByteCount,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.add(n as u64);
        Ok(n)
    }
}

/// Opens the raw bytes of an input: a local file, or the body of a GET request streamed as it
/// arrives (never buffered whole). An HTTP error status is an error.
pub fn open_raw(input: &InputFile, counter: ByteCount) -> io::Result<Box<dyn Read + Send>> {
    let inner: Box<dyn Read + Send> = match &input.location {
        Location::Local(path) => Box::new(File::open(path)?),
        Location::Url(url) => Box::new(get(url)?),
    };
    Ok(Box::new(Counted { inner, counter }))
}

/// Starts a streamed GET of `url`.
pub fn get(url: &str) -> io::Result<reqwest::blocking::Response> {
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .timeout(None)
        .user_agent(concat!("curate/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(io::Error::other)?;
    let response = client.get(url).send().map_err(|e| io::Error::other(describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(io::Error::other(format!("HTTP {status}")));
    }
    Ok(response)
}

fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// Opens a JSONL input as a buffered, decompressed stream.
pub fn open_jsonl(input: &InputFile, counter: ByteCount) -> io::Result<Box<dyn io::BufRead + Send>> {
    let raw = open_raw(input, counter)?;
    const BUF: usize = 1 << 20;
    Ok(match input.format {
        Format::Jsonl(Compression::None) => Box::new(BufReader::with_capacity(BUF, raw)),
        Format::Jsonl(Compression::Gzip) => {
            Box::new(BufReader::with_capacity(BUF, flate2::read::MultiGzDecoder::new(raw)))
        }
        Format::Jsonl(Compression::Zstd) => {
            Box::new(BufReader::with_capacity(BUF, zstd::stream::read::Decoder::new(raw)?))
        }
        Format::Parquet | Format::Arrow => {
            return Err(io::Error::other("a columnar file is not a JSONL stream"))
        }
    })
}
