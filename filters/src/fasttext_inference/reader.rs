//! Little-endian reads of fastText's binary model format, with errors that say what was being
//! read.

use std::io::Read;

/// A read failure: what was being read, and why.
#[derive(Debug, thiserror::Error)]
#[error("reading {what}: {source}")]
pub struct ReadError {
    /// The field.
    pub what: &'static str,
    /// The cause (most often a file cut short).
    #[source]
    pub source: std::io::Error,
}

/// Reads fastText's fields from a byte stream.
pub struct Reader<R> {
    inner: R,
}

macro_rules! read_number {
    ($name:ident, $t:ty) => {
        /// Reads one little-endian value.
        pub fn $name(&mut self, what: &'static str) -> Result<$t, ReadError> {
            let mut bytes = [0u8; std::mem::size_of::<$t>()];
            self.inner.read_exact(&mut bytes).map_err(|source| ReadError { what, source })?;
            Ok(<$t>::from_le_bytes(bytes))
        }
    };
}

impl<R: Read> Reader<R> {
    /// Reads from `inner`.
    pub fn new(inner: R) -> Self {
        Self { inner }
    }

    read_number!(i32, i32);
    read_number!(i64, i64);
    read_number!(f64, f64);

    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, ReadError> {
        let mut b = [0u8];
        self.inner.read_exact(&mut b).map_err(|source| ReadError { what, source })?;
        Ok(b[0])
    }

    /// A C++ `bool` (one byte).
    pub fn bool(&mut self, what: &'static str) -> Result<bool, ReadError> {
        Ok(self.u8(what)? != 0)
    }

    /// Bytes up to a NUL (not included).
    pub fn c_string(&mut self, what: &'static str) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::new();
        loop {
            match self.u8(what)? {
                0 => return Ok(out),
                b => out.push(b),
            }
        }
    }

    /// `n` bytes.
    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<Vec<u8>, ReadError> {
        let mut out = vec![0u8; n];
        self.inner.read_exact(&mut out).map_err(|source| ReadError { what, source })?;
        Ok(out)
    }

    /// `n` little-endian `f32`s.
    pub fn f32s(&mut self, n: usize, what: &'static str) -> Result<Vec<f32>, ReadError> {
        let bytes = self.bytes(n * 4, what)?;
        Ok(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }
}
