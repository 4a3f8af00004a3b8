//! fastText's input and output matrices: dense (`.bin`) or product-quantized (`.ftz`). A row is
//! added and dotted as fastText's C++ does it, in `f32`.

use super::reader::{ReadError, Reader};

/// Centroids per sub-quantizer (fastText's `ksub_`).
const KSUB: usize = 256;

/// Values up to which a quantized matrix is also kept decoded (64 MB: lid.176's is 3 MB), so
/// that adding a row reads 16 floats in a row instead of 8 codes, their centroids and a norm.
const DECODED_VALUES: usize = 16 << 20;

/// A product quantizer: `nsubq` sub-vectors of `dsub` values (the last `lastdsub`), each one of
/// 256 centroids.
#[derive(Debug, Clone)]
struct ProductQuantizer {
    nsubq: usize,
    dsub: usize,
    lastdsub: usize,
    centroids: Vec<f32>,
}

impl ProductQuantizer {
    fn read<R: std::io::Read>(r: &mut Reader<R>) -> Result<Self, ReadError> {
        let dim = r.i32("quantizer dimension")?.max(0) as usize;
        let nsubq = r.i32("quantizer sub-quantizers")?.max(0) as usize;
        let dsub = r.i32("quantizer sub-dimension")?.max(0) as usize;
        let lastdsub = r.i32("quantizer last sub-dimension")?.max(0) as usize;
        let centroids = r.f32s(dim * KSUB, "quantizer centroids")?;
        Ok(Self { nsubq, dsub, lastdsub, centroids })
    }

    /// The centroid `i` of sub-quantizer `m` (fastText's `get_centroids`).
    #[inline(always)]
    fn centroid(&self, m: usize, i: u8) -> &[f32] {
        if m == self.nsubq - 1 {
            let at = m * KSUB * self.dsub + i as usize * self.lastdsub;
            &self.centroids[at..at + self.lastdsub]
        } else {
            let at = (m * KSUB + i as usize) * self.dsub;
            &self.centroids[at..at + self.dsub]
        }
    }
}

/// A matrix of either kind.
#[derive(Debug, Clone)]
pub enum Matrix {
    /// Rows of `cols` floats.
    Dense {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
        /// Row-major values.
        data: Vec<f32>,
    },
    /// Rows as product-quantizer codes, with optionally quantized norms.
    Quantized {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
        /// `nsubq` codes per row.
        codes: Vec<u8>,
        pq: Box<ProductQuantizerHandle>,
        /// Each row decoded (`norm · centroid`, as fastText's `addcode` computes it), when
        /// the matrix is small enough ([`DECODED_VALUES`]).
        decoded: Option<Vec<f32>>,
    },
}

/// The quantizers of a quantized matrix (boxed: the enum's variants stay small).
#[derive(Debug, Clone)]
pub struct ProductQuantizerHandle {
    pq: ProductQuantizer,
    norms: Option<(Vec<u8>, ProductQuantizer)>,
}

impl Matrix {
    /// Reads a dense matrix.
    pub fn read_dense<R: std::io::Read>(r: &mut Reader<R>) -> Result<Self, ReadError> {
        let rows = r.i64("matrix rows")?.max(0) as usize;
        let cols = r.i64("matrix columns")?.max(0) as usize;
        let data = r.f32s(rows * cols, "matrix values")?;
        Ok(Matrix::Dense { rows, cols, data })
    }

    /// Reads a quantized matrix.
    pub fn read_quantized<R: std::io::Read>(r: &mut Reader<R>) -> Result<Self, ReadError> {
        let qnorm = r.bool("quantized matrix norm flag")?;
        let rows = r.i64("quantized matrix rows")?.max(0) as usize;
        let cols = r.i64("quantized matrix columns")?.max(0) as usize;
        let codesize = r.i32("quantized matrix code size")?.max(0) as usize;
        let codes = r.bytes(codesize, "quantized matrix codes")?;
        let pq = ProductQuantizer::read(r)?;
        let norms = if qnorm {
            let codes = r.bytes(rows, "quantized norms")?;
            Some((codes, ProductQuantizer::read(r)?))
        } else {
            None
        };
        let mut matrix = Matrix::Quantized {
            rows,
            cols,
            codes,
            pq: Box::new(ProductQuantizerHandle { pq, norms }),
            decoded: None,
        };
        if rows.saturating_mul(cols) <= DECODED_VALUES {
            let mut values = vec![0.0f32; rows * cols];
            for (i, row) in values.chunks_exact_mut(cols.max(1)).enumerate() {
                matrix.add_row(row, i);
            }
            if let Matrix::Quantized { decoded, .. } = &mut matrix {
                *decoded = Some(values);
            }
        }
        Ok(matrix)
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        match self {
            Matrix::Dense { rows, .. } | Matrix::Quantized { rows, .. } => *rows,
        }
    }

    /// Columns.
    pub fn cols(&self) -> usize {
        match self {
            Matrix::Dense { cols, .. } | Matrix::Quantized { cols, .. } => *cols,
        }
    }

    /// The quantized norm of row `i` (1 when norms are not quantized).
    #[inline(always)]
    fn norm(q: &ProductQuantizerHandle, i: usize) -> f32 {
        match &q.norms {
            Some((codes, npq)) => npq.centroid(0, codes[i])[0],
            None => 1.0,
        }
    }

    /// `x += row i` (fastText's `addRowToVector`).
    #[inline]
    pub fn add_row(&self, x: &mut [f32], i: usize) {
        match self {
            Matrix::Dense { cols, data, .. } | Matrix::Quantized { cols, decoded: Some(data), .. } => {
                for (xj, v) in x.iter_mut().zip(&data[i * cols..(i + 1) * cols]) {
                    *xj += *v;
                }
            }
            Matrix::Quantized { codes, pq, decoded: None, .. } => {
                let alpha = Self::norm(pq, i);
                let q = &pq.pq;
                let code = &codes[q.nsubq * i..q.nsubq * (i + 1)];
                for (m, &c) in code.iter().enumerate() {
                    let centroid = q.centroid(m, c);
                    let at = m * q.dsub;
                    for (xj, v) in x[at..at + centroid.len()].iter_mut().zip(centroid) {
                        *xj += alpha * *v;
                    }
                }
            }
        }
    }

    /// The dot product of row `i` with `x` (fastText's `dotRow`).
    #[inline]
    pub fn dot_row(&self, x: &[f32], i: usize) -> f32 {
        match self {
            Matrix::Dense { cols, data, .. } => {
                let mut d = 0.0f32;
                for (v, xj) in data[i * cols..(i + 1) * cols].iter().zip(x) {
                    d += *v * *xj;
                }
                d
            }
            Matrix::Quantized { codes, pq, .. } => {
                let alpha = Self::norm(pq, i);
                let q = &pq.pq;
                let code = &codes[q.nsubq * i..q.nsubq * (i + 1)];
                let mut res = 0.0f32;
                for (m, &c) in code.iter().enumerate() {
                    let centroid = q.centroid(m, c);
                    let at = m * q.dsub;
                    for (v, xj) in centroid.iter().zip(&x[at..at + centroid.len()]) {
                        res += *xj * *v;
                    }
                }
                res * alpha
            }
        }
    }
}
