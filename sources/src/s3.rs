//! Objects in S3 and S3-compatible stores (MinIO, R2, Ceph, moto) through the `object_store`
//! crate: one client per bucket for the whole process, configured in one place from the
//! standard AWS variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
//! `AWS_REGION`/`AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, web identity and
//! container credentials) and the run's `[run] s3_endpoint` / `s3_allow_http`, so that every
//! path that touches a bucket (inputs, run directories, `curate sql`, `curate report`) talks to
//! the same endpoint. Requests are retried with exponential backoff on throttling (429,
//! `SlowDown`), 5xx and dropped connections; plain HTTP only when asked.
//!
//! The calls here are blocking: they run on a small Tokio runtime of their own, so the
//! dataflow's threads stay plain threads.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use crate::SourceError;

/// Size of the ranges read and of the parts uploaded (S3 wants parts of at least 5 MiB).
pub const PART: usize = 8 << 20;

/// How many ranges of one object are read at once, and parts uploaded at once.
const PARALLEL: usize = 4;

/// An `s3://bucket/key` address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct S3Url {
    /// The bucket.
    pub bucket: String,
    /// The key (or key prefix), without a leading `/`.
    pub key: String,
}

impl S3Url {
    /// Whether `arg` names an object store address.
    pub fn is(arg: &str) -> bool {
        arg.starts_with("s3://")
    }

    /// Parses `s3://bucket/key`.
    pub fn parse(url: &str) -> Result<Self, SourceError> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| s3_error(url, "not an s3:// address"))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(s3_error(url, "no bucket in the address (s3://BUCKET/KEY)"));
        }
        Ok(Self { bucket: bucket.to_string(), key: key.to_string() })
    }

    /// The address of `relative` under this one taken as a folder.
    pub fn join(&self, relative: &str) -> Self {
        let base = self.key.trim_end_matches('/');
        let key = if base.is_empty() { relative.to_string() } else { format!("{base}/{relative}") };
        Self { bucket: self.bucket.clone(), key }
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// Settings of the process's S3 clients beyond the AWS variables (from the run's config).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Options {
    /// The endpoint of an S3-compatible store (`AWS_ENDPOINT_URL` when unset).
    pub endpoint: Option<String>,
    /// Allow `http://` endpoints (`AWS_ALLOW_HTTP=true` does too).
    pub allow_http: bool,
}

static OPTIONS: OnceLock<S3Options> = OnceLock::new();

/// Sets the options of this process's S3 clients; call before the first request (later calls
/// are ignored). Without it, only the environment configures them.
pub fn set_s3_options(options: S3Options) {
    let _ = OPTIONS.set(options);
}

/// The runtime the blocking calls run on.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("curate-s3")
            .enable_all()
            .build()
            .expect("a Tokio runtime for S3 requests")
    })
}

/// The variables credentials are read from.
const CREDENTIAL_VARS: [&str; 6] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

/// The credential variables that are set (and not empty).
fn credential_vars_set() -> Vec<&'static str> {
    CREDENTIAL_VARS.iter().copied().filter(|v| std::env::var(v).is_ok_and(|x| !x.trim().is_empty())).collect()
}

/// The credential variables read, for an error that may come from missing credentials.
fn credentials_read() -> String {
    let vars = CREDENTIAL_VARS;
    let set = credential_vars_set();
    if set.is_empty() {
        format!(
            "no credentials in the environment ({} all unset), so the instance metadata service was asked",
            vars.join(", ")
        )
    } else {
        format!("credentials from {}", set.join(", "))
    }
}

/// The S3 error code in an error message (`<Code>NoSuchBucket</Code>`), if it has one.
fn error_code(message: &str) -> Option<&str> {
    let start = message.find("<Code>")? + "<Code>".len();
    let end = message[start..].find("</Code>")? + start;
    Some(&message[start..end])
}

/// An error about `key` of `bucket`, with the S3 error code when the server sent one and the
/// credentials read when the server refused them.
fn describe(bucket: &str, key: &str, error: &object_store::Error) -> SourceError {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    if let Some(code) = error_code(&message) {
        message = format!("S3 error {code}: {message}");
    }
    let refused =
        matches!(
            error,
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. }
        ) || ["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "credential"]
            .iter()
            .any(|c| message.contains(c));
    // Without credentials in the environment any failure may be theirs: say what was read.
    if refused || credential_vars_set().is_empty() {
        message.push_str(&format!(" ({})", credentials_read()));
    }
    s3_error(&format!("s3://{bucket}/{key}"), &message)
}

fn s3_error(url: &str, message: &str) -> SourceError {
    SourceError::S3 { url: url.to_string(), message: message.to_string() }
}

/// One bucket's client.
pub struct Bucket {
    name: String,
    store: Arc<AmazonS3>,
}

/// The client of `name`, made once per process.
pub fn bucket(name: &str) -> Result<Arc<Bucket>, SourceError> {
    static BUCKETS: OnceLock<Mutex<Vec<Arc<Bucket>>>> = OnceLock::new();
    let buckets = BUCKETS.get_or_init(Default::default);
    let mut buckets = buckets.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(b) = buckets.iter().find(|b| b.name == name) {
        return Ok(b.clone());
    }
    let options = OPTIONS.get().cloned().unwrap_or_default();
    let set = |var: &str| std::env::var(var).is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if credential_vars_set().is_empty() && set("AWS_EC2_METADATA_DISABLED") && !set("AWS_SKIP_SIGNATURE") {
        return Err(s3_error(
            &format!("s3://{name}/"),
            &format!(
                "no credentials: none of {} is set, and AWS_EC2_METADATA_DISABLED=true turns off the \
                 instance metadata service (set AWS_SKIP_SIGNATURE=true for a public bucket)",
                CREDENTIAL_VARS.join(", ")
            ),
        ));
    }
    // The AWS variables as `AmazonS3Builder::from_env` reads them, but an empty one is unset
    // (`AWS_ENDPOINT_URL=` would otherwise be an endpoint the client cannot parse).
    let mut builder = AmazonS3Builder::new().with_bucket_name(name);
    let mut endpoint = None;
    for (key, value) in std::env::vars() {
        if !key.starts_with("AWS_") || value.trim().is_empty() {
            continue;
        }
        if let Ok(config_key) = key.to_ascii_lowercase().parse::<object_store::aws::AmazonS3ConfigKey>() {
            if config_key == object_store::aws::AmazonS3ConfigKey::Endpoint {
                endpoint = Some((key.clone(), value.clone()));
            }
            builder = builder.with_config(config_key, value);
        }
    }
    if let Some(configured) = &options.endpoint {
        endpoint = Some(("[run] s3_endpoint".into(), configured.clone()));
        builder = builder.with_endpoint(configured);
    }
    if let Some((from, url)) = &endpoint {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(s3_error(
                &format!("s3://{name}/"),
                &format!("{from} = `{url}` is not an http:// or https:// URL"),
            ));
        }
    }
    if options.allow_http {
        builder = builder.with_allow_http(true);
    }
    let store = builder.build().map_err(|e| {
        let mut error = describe(name, "", &e);
        if let SourceError::S3 { message, .. } = &mut error {
            message.push_str(
                " (S3 settings are read from the AWS_* variables and [run] s3_endpoint / s3_allow_http)",
            );
        }
        error
    })?;
    let bucket = Arc::new(Bucket { name: name.to_string(), store: Arc::new(store) });
    buckets.push(bucket.clone());
    Ok(bucket)
}

impl Bucket {
    fn err(&self, key: &str, e: object_store::Error) -> SourceError {
        describe(&self.name, key, &e)
    }

    /// Every object under `prefix` (a key prefix: `dir/` for a folder), in key order; the
    /// store's listing pages (1,000 keys each on S3) are followed to the end.
    pub fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, SourceError> {
        // The store lists whole folders: a prefix that is not a folder boundary (`data/part-`)
        // lists its folder (`data/`), and the keys that start with it are kept.
        let folder = prefix.rfind('/').map_or("", |i| &prefix[..i]);
        let folder_key = (!folder.is_empty()).then(|| Key::from(folder));
        let mut all: Vec<ObjectMeta> = runtime()
            .block_on(self.store.list(folder_key.as_ref()).try_collect())
            .map_err(|e| self.err(prefix, e))?;
        all.retain(|m| m.location.as_ref().starts_with(prefix));
        all.sort_by(|a, b| a.location.as_ref().cmp(b.location.as_ref()));
        Ok(all)
    }

    /// What the store says of `key`, or `None` when there is no such object.
    pub fn head(&self, key: &str) -> Result<Option<ObjectMeta>, SourceError> {
        match runtime().block_on(self.store.head(&Key::from(key))) {
            Ok(meta) => Ok(Some(meta)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err(key, e)),
        }
    }

    /// Copies object `key` of `size` bytes to the file `to`, [`PARALLEL`] ranges at a time
    /// (memory: that many parts).
    pub fn download(&self, key: &str, size: u64, to: &Path) -> Result<u64, SourceError> {
        use std::os::unix::fs::FileExt;
        let file = File::create(to).map_err(|e| SourceError::io(to, e))?;
        file.set_len(size).map_err(|e| SourceError::io(to, e))?;
        let location = Key::from(key);
        let ranges = (0..size).step_by(PART).map(|start| start..(start + PART as u64).min(size));
        runtime().block_on(async {
            let mut parts = futures_util::stream::iter(ranges)
                .map(|range| {
                    let store = self.store.clone();
                    let location = location.clone();
                    async move {
                        store.get_range(&location, range.clone()).await.map(|bytes| (range.start, bytes))
                    }
                })
                .buffer_unordered(PARALLEL);
            while let Some(part) = parts.next().await {
                let (at, bytes) = part.map_err(|e| self.err(key, e))?;
                file.write_all_at(&bytes, at).map_err(|e| SourceError::io(to, e))?;
            }
            Ok::<_, SourceError>(())
        })?;
        Ok(size)
    }

    /// Stores `bytes` as `key` in one request (the object appears whole or not at all);
    /// returns the object's ETag.
    pub fn put(&self, key: &str, bytes: Vec<u8>) -> Result<Option<String>, SourceError> {
        runtime()
            .block_on(self.store.put(&Key::from(key), PutPayload::from(bytes)))
            .map(|r| r.e_tag)
            .map_err(|e| self.err(key, e))
    }

    /// Uploads the file `from` as `key`: one request up to [`PART`], else a multipart upload
    /// of [`PART`]-sized parts, [`PARALLEL`] in flight, aborted on failure. Either way the
    /// object appears only when complete. Returns the object's ETag.
    pub fn upload(&self, from: &Path, key: &str) -> Result<Option<String>, SourceError> {
        let size = std::fs::metadata(from).map_err(|e| SourceError::io(from, e))?.len();
        if size <= PART as u64 {
            let bytes = std::fs::read(from).map_err(|e| SourceError::io(from, e))?;
            return self.put(key, bytes);
        }
        let mut file = File::open(from).map_err(|e| SourceError::io(from, e))?;
        runtime().block_on(async {
            let upload = self.store.put_multipart(&Key::from(key)).await.map_err(|e| self.err(key, e))?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
            let mut buffer = vec![0u8; PART];
            loop {
                let n = read_full(&mut file, &mut buffer).map_err(|e| SourceError::io(from, e))?;
                if n == 0 {
                    break;
                }
                if let Err(e) = writer.wait_for_capacity(PARALLEL).await {
                    let _ = writer.abort().await;
                    return Err(self.err(key, e));
                }
                writer.write(&buffer[..n]);
            }
            writer.finish().await.map(|r| r.e_tag).map_err(|e| self.err(key, e))
        })
    }

    /// Removes `key` (nothing when there is none).
    pub fn delete(&self, key: &str) -> Result<(), SourceError> {
        match runtime().block_on(self.store.delete(&Key::from(key))) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err(key, e)),
        }
    }
}

/// Reads until `buffer` is full or the file ends; the bytes read.
fn read_full(file: &mut File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// The size of the object `url`: `known` (from the plan's listing), else the store's answer; an
/// object that is gone is an error.
pub fn size_of(url: &S3Url, known: Option<u64>) -> Result<u64, SourceError> {
    if let Some(size) = known {
        return Ok(size);
    }
    match bucket(&url.bucket)?.head(&url.key)? {
        Some(meta) => Ok(meta.size),
        None => Err(s3_error(&url.to_string(), "no such object")),
    }
}

/// An object read front to back in [`PART`]-sized ranges, the next one fetched while this one
/// is read: memory is two parts, whatever the object's size, and each range is retried on its
/// own.
pub struct RangeReader {
    bucket: Arc<Bucket>,
    key: String,
    size: u64,
    next: u64,
    current: Bytes,
    ahead: Option<tokio::task::JoinHandle<Result<Bytes, object_store::Error>>>,
}

impl RangeReader {
    /// Reads `url`, an object of `size` bytes.
    pub fn new(url: &S3Url, size: u64) -> Result<Self, SourceError> {
        let bucket = bucket(&url.bucket)?;
        let mut this =
            Self { bucket, key: url.key.clone(), size, next: 0, current: Bytes::new(), ahead: None };
        this.fetch_ahead();
        Ok(this)
    }

    fn fetch_ahead(&mut self) {
        if self.next >= self.size {
            self.ahead = None;
            return;
        }
        let range = self.next..(self.next + PART as u64).min(self.size);
        self.next = range.end;
        let store = self.bucket.store.clone();
        let key = Key::from(self.key.as_str());
        self.ahead = Some(runtime().spawn(async move { store.get_range(&key, range).await }));
    }
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.current.is_empty() {
            let Some(ahead) = self.ahead.take() else { return Ok(0) };
            let part = runtime().block_on(ahead).map_err(io::Error::other)?;
            self.current = part.map_err(|e| io::Error::other(self.bucket.err(&self.key, e)))?;
            self.fetch_ahead();
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_join() {
        let url = S3Url::parse("s3://bucket/runs/a/").unwrap();
        assert_eq!((url.bucket.as_str(), url.key.as_str()), ("bucket", "runs/a/"));
        assert_eq!(url.join("kept/x.parquet").to_string(), "s3://bucket/runs/a/kept/x.parquet");
        assert_eq!(S3Url::parse("s3://bucket").unwrap().join("k").to_string(), "s3://bucket/k");
        assert!(S3Url::parse("s3:///key").is_err());
        assert_eq!(
            error_code("403 Forbidden: <Error><Code>AccessDenied</Code></Error>"),
            Some("AccessDenied")
        );
    }
}
