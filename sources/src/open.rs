//! Byte streams from local files, URLs and objects in S3, decompressed on the fly.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
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
        Location::Url(url) => Box::new(Stalls(get(url)?)),
        Location::S3(url) => {
            let address = crate::s3::S3Url::parse(url).map_err(io::Error::other)?;
            let size = crate::s3::size_of(&address, input.size).map_err(io::Error::other)?;
            Box::new(crate::s3::RangeReader::new(&address, size).map_err(io::Error::other)?)
        }
    };
    Ok(Box::new(Counted { inner, counter }))
}

/// Network limits of URL inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Longest wait for a connection.
    pub connect: Duration,
    /// Longest wait for the response headers, and then for each read of the body: a server
    /// that sends nothing for this long has stalled, and the input ends there with an error.
    pub stall: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self { connect: Duration::from_secs(30), stall: Duration::from_secs(60) }
    }
}

static LIMITS: OnceLock<HttpLimits> = OnceLock::new();

/// Sets the network limits of this process's URL inputs; call before the first request (later
/// calls are ignored). Without it, [`HttpLimits::default`] applies.
pub fn set_http_limits(limits: HttpLimits) {
    let _ = LIMITS.set(limits);
}

/// The one HTTP client of the process: connections are reused across inputs.
fn client() -> io::Result<&'static reqwest::blocking::Client> {
    static CLIENT: OnceLock<reqwest::blocking::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let limits = *LIMITS.get_or_init(HttpLimits::default);
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(limits.connect)
        .timeout(limits.stall)
        .user_agent(concat!("curate/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(io::Error::other)?;
    Ok(CLIENT.get_or_init(|| client))
}

/// A response body whose reads say plainly when the server stalled (reqwest reports a read
/// timeout as "error decoding response body").
pub struct Stalls(pub reqwest::blocking::Response);

impl Read for Stalls {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            let timed_out = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
                .is_some_and(reqwest::Error::is_timeout);
            if timed_out {
                let stall = LIMITS.get().copied().unwrap_or_default().stall;
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the server sent nothing for {} s: it stalled (the limit is [run] http_stall_seconds)",
                        stall.as_secs()
                    ),
                )
            } else {
                e
            }
        })
    }
}

/// Starts a streamed GET of `url`. Each read of the body waits at most the stall limit.
pub fn get(url: &str) -> io::Result<reqwest::blocking::Response> {
    let response = client()?.get(url).send().map_err(|e| io::Error::other(describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(io::Error::other(format!("HTTP {status}")));
    }
    Ok(response)
}

/// The headers of `url` (a HEAD request), for what the server says of its version.
pub fn head(url: &str) -> io::Result<reqwest::header::HeaderMap> {
    let response = client()?.head(url).send().map_err(|e| io::Error::other(describe(&e)))?;
    if !response.status().is_success() {
        return Err(io::Error::other(format!("HTTP {}", response.status())));
    }
    Ok(response.headers().clone())
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
