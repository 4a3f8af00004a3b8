//! fastText inference in Rust: loads `.bin` and `.ftz` (quantized, pruned) supervised models
//! and predicts labels with the same probabilities as fastText's own C++ and Python binding
//! (same hashing, same rows, `f32` arithmetic; checked against the Python binding on real text
//! by the tests, to 1e-5: each word's rows are summed once and cached per thread, so the sum's
//! rounding is not fastText's to the bit).
//!
//! Why not the C++: its per-line path copies the text into a stream, reads it a byte at a time,
//! allocates a string per character n-gram and looks each pruned bucket up in a
//! `std::unordered_map`; here a line's rows come from one pass over its bytes with no
//! allocation (see `dictionary.rs`). Training stays with the C++ (`curate train-classifier`).

mod dictionary;
mod matrix;
mod reader;
mod word_sums;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use self::dictionary::{fnv, Dictionary, InputParams, Scratch};
use self::matrix::Matrix;
use self::reader::{ReadError, Reader};
use self::word_sums::PerModel;

/// fastText's file magic number.
const MAGIC: i32 = 793_712_314;

/// Errors loading a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be opened.
    #[error("{path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file ended early or could not be read.
    #[error("{path}: {source} (a fastText model cut short?)")]
    Read {
        /// The file.
        path: String,
        /// What was being read.
        #[source]
        source: ReadError,
    },
    /// Not a model fastText can read, or not a supervised one.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// How the output layer turns scores into probabilities.
#[derive(Debug, Clone)]
enum Loss {
    /// Hierarchical softmax over a Huffman tree of the labels (lid.176 uses it).
    Hierarchical(HuffmanTree),
    /// Softmax over every label.
    Softmax,
    /// A sigmoid per label (one-vs-all and negative sampling), through fastText's lookup table.
    Sigmoid(Box<[f32]>),
}

/// A node of the hierarchical softmax tree.
#[derive(Debug, Clone, Copy)]
struct Node {
    left: i32,
    right: i32,
}

/// The tree fastText builds from the label counts (`HierarchicalSoftmaxLoss::buildTree`).
#[derive(Debug, Clone)]
struct HuffmanTree {
    nodes: Vec<Node>,
    labels: usize,
}

impl HuffmanTree {
    fn build(counts: &[i64]) -> Self {
        let osz = counts.len();
        let total = (2 * osz).saturating_sub(1);
        let mut count: Vec<i64> = vec![1_000_000_000_000_000; total];
        let mut nodes = vec![Node { left: -1, right: -1 }; total];
        count[..osz].copy_from_slice(counts);
        let mut leaf = osz as i64 - 1;
        let mut node = osz;
        for i in osz..total {
            let mut mini = [0usize; 2];
            for slot in &mut mini {
                if leaf >= 0 && count[leaf as usize] < count[node] {
                    *slot = leaf as usize;
                    leaf -= 1;
                } else {
                    *slot = node;
                    node += 1;
                }
            }
            nodes[i] = Node { left: mini[0] as i32, right: mini[1] as i32 };
            count[i] = count[mini[0]] + count[mini[1]];
        }
        Self { nodes, labels: osz }
    }
}

/// fastText's `std_log`: computed in `f64`, kept as `f32`.
#[inline(always)]
fn std_log(x: f32) -> f32 {
    (f64::from(x) + 1e-5).ln() as f32
}

/// fastText's sigmoid lookup table (`SIGMOID_TABLE_SIZE` 512, `MAX_SIGMOID` 8).
fn sigmoid_table() -> Box<[f32]> {
    (0..=512)
        .map(|i| {
            let x = (i * 2 * 8) as f32 / 512.0 - 8.0;
            (1.0f64 / (1.0f64 + f64::from((-x).exp()))) as f32
        })
        .collect()
}

/// A loaded supervised fastText model.
#[derive(Debug, Clone)]
pub struct FastTextModel {
    dictionary: Dictionary,
    input: Matrix,
    output: Matrix,
    loss: Loss,
    labels: Vec<String>,
    /// Unique per load: the key of the words' sums a thread keeps for this model.
    id: u64,
}

/// Ids of loaded models.
static MODELS: AtomicU64 = AtomicU64::new(1);

/// Rows a workspace keeps room for between predictions: a long document's rows (about three
/// per character) are given back after it, so that every thread does not hold its largest
/// document's buffer for the rest of the run.
const KEPT_ROWS: usize = 1 << 16;

/// A prediction: a label's index and its probability.
pub type Prediction = (usize, f32);

/// Buffers one thread reuses across predictions.
#[derive(Debug, Default)]
pub struct Workspace {
    rows: Vec<i32>,
    scratch: Scratch,
    word_sums: PerModel,
    word_hashes: Vec<i32>,
    sum: Vec<f32>,
    hidden: Vec<f32>,
    output: Vec<f32>,
    best: Vec<(f32, usize)>,
}

impl Workspace {
    /// Gives back what a long document made the buffers grow to.
    fn trim(&mut self) {
        if self.rows.capacity() > KEPT_ROWS {
            self.rows = Vec::with_capacity(KEPT_ROWS);
        }
        if self.word_hashes.capacity() > KEPT_ROWS / 4 {
            self.word_hashes = Vec::with_capacity(KEPT_ROWS / 4);
        }
    }
}

impl FastTextModel {
    /// Loads a supervised model (`.bin` or `.ftz`).
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let name = path.display().to_string();
        let file =
            std::fs::File::open(path).map_err(|source| ModelError::Open { path: name.clone(), source })?;
        let mut r = Reader::new(std::io::BufReader::with_capacity(1 << 20, file));
        let read = |source| ModelError::Read { path: name.clone(), source };
        let invalid = |message: String| ModelError::Invalid { path: name.clone(), message };
        let magic = r.i32("magic number").map_err(read)?;
        let version = r.i32("version").map_err(read)?;
        if magic != MAGIC {
            return Err(invalid("not a fastText model (wrong magic number)".into()));
        }
        if version > 12 {
            return Err(invalid(format!("fastText format version {version} is newer than 12")));
        }
        // Args.
        let mut ints = [0i32; 12];
        for (v, what) in ints.iter_mut().zip([
            "dim",
            "ws",
            "epoch",
            "minCount",
            "neg",
            "wordNgrams",
            "loss",
            "model",
            "bucket",
            "minn",
            "maxn",
            "lrUpdateRate",
        ]) {
            *v = r.i32(what).map_err(read)?;
        }
        let _t = r.f64("t").map_err(read)?;
        let [_dim, _ws, _epoch, _min_count, _neg, word_ngrams, loss, model, bucket, minn, mut maxn, _lr] =
            ints;
        if model != 3 {
            return Err(invalid("not a supervised model (word vectors cannot predict labels)".into()));
        }
        if version == 11 {
            // fastText's own backward compatibility: old supervised models had no char n-grams.
            maxn = 0;
        }
        let params = InputParams { bucket, minn, maxn, word_ngrams };
        let dictionary = Dictionary::read(&mut r, params).map_err(read)?;
        let quant_input = r.bool("input quantization flag").map_err(read)?;
        let input = if quant_input { Matrix::read_quantized(&mut r) } else { Matrix::read_dense(&mut r) }
            .map_err(read)?;
        let qout = r.bool("output quantization flag").map_err(read)?;
        let output =
            if quant_input && qout { Matrix::read_quantized(&mut r) } else { Matrix::read_dense(&mut r) }
                .map_err(read)?;
        let labels = dictionary.labels();
        if output.rows() != labels.len() && loss != 1 {
            return Err(invalid(format!("{} output rows for {} labels", output.rows(), labels.len())));
        }
        if input.cols() != output.cols() {
            return Err(invalid(format!("input dimension {} but output {}", input.cols(), output.cols())));
        }
        let loss = match loss {
            1 => Loss::Hierarchical(HuffmanTree::build(&dictionary.label_counts())),
            2 | 4 => Loss::Sigmoid(sigmoid_table()),
            3 => Loss::Softmax,
            other => return Err(invalid(format!("unknown loss {other}"))),
        };
        Ok(Self { dictionary, input, output, loss, labels, id: MODELS.fetch_add(1, Ordering::Relaxed) })
    }

    /// The labels, in the model's order (with their `__label__` prefix).
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The `k` most probable labels of `line` (UTF-8 text) with their probabilities, most
    /// probable first, as fastText's `predict` gives them for the same line (end it with `\n`
    /// as its Python binding does). `None` when the line has no input row at all (fastText's
    /// average is NaN then).
    pub fn predict(&self, line: &[u8], k: usize, work: &mut Workspace) -> Option<Vec<Prediction>> {
        let k = k.max(1);
        let rows = self.hidden(line, work);
        if rows == 0 {
            return None;
        }
        let scale = (1.0f64 / rows as f64) as f32;
        for h in &mut work.hidden {
            *h *= scale;
        }
        work.best.clear();
        match &self.loss {
            Loss::Hierarchical(tree) => {
                let root = tree.nodes.len().checked_sub(1)?;
                self.dfs(tree, k, std_log(0.0), root, 0.0, &work.hidden, &mut work.best);
            }
            Loss::Softmax => {
                self.scores(&work.hidden, &mut work.output);
                let max = work.output.iter().copied().fold(work.output[0], f32::max);
                let mut z = 0.0f32;
                for o in &mut work.output {
                    *o = (*o - max).exp();
                    z += *o;
                }
                for o in &mut work.output {
                    *o /= z;
                }
                Self::k_best(&work.output, k, &mut work.best);
            }
            Loss::Sigmoid(table) => {
                self.scores(&work.hidden, &mut work.output);
                for o in &mut work.output {
                    *o = if *o < -8.0 {
                        0.0
                    } else if *o > 8.0 {
                        1.0
                    } else {
                        table[((*o + 8.0) * 512.0 / 8.0 / 2.0) as usize]
                    };
                }
                Self::k_best(&work.output, k, &mut work.best);
            }
        }
        if work.best.iter().any(|(s, _)| s.is_nan()) {
            work.trim();
            return None;
        }
        work.best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let out = Some(work.best.iter().map(|&(score, label)| (label, score.exp())).collect());
        work.trim();
        out
    }

    /// Sums the input rows of `line` into `work.hidden` (fastText's `computeHidden` before the
    /// average) and returns how many there are: each word's rows summed once per thread
    /// (`word_sums.rs`), then the word n-grams'.
    fn hidden(&self, line: &[u8], work: &mut Workspace) -> usize {
        let dim = self.input.cols();
        let Workspace { rows, scratch, word_sums, word_hashes, sum, hidden, .. } = work;
        let word_sums = word_sums.of(self.id, dim);
        hidden.clear();
        hidden.resize(dim, 0.0);
        word_hashes.clear();
        let mut count = 0usize;
        let add = |hidden: &mut Vec<f32>, vector: &[f32]| {
            for (x, v) in hidden.iter_mut().zip(vector) {
                *x += *v;
            }
        };
        let word_ngrams = self.dictionary.has_word_ngrams();
        Dictionary::tokens(line, |token| {
            match word_sums.get(token) {
                Some((_, _, false)) => return,
                Some((vector, n, true)) => {
                    add(hidden, vector);
                    count += n;
                    if word_ngrams {
                        word_hashes.push(fnv(token) as i32);
                    }
                    return;
                }
                None => {}
            }
            let h = fnv(token);
            rows.clear();
            let is_word = self.dictionary.token_rows(token, h, rows, scratch);
            sum.clear();
            sum.resize(dim, 0.0);
            for &row in rows.iter() {
                self.input.add_row(sum, row as usize);
            }
            word_sums.insert(token, sum, rows.len(), is_word);
            if is_word {
                add(hidden, sum);
                count += rows.len();
                word_hashes.push(h as i32);
            }
        });
        if word_ngrams {
            rows.clear();
            self.dictionary.word_ngrams(word_hashes, rows);
            for &row in rows.iter() {
                self.input.add_row(hidden, row as usize);
            }
            count += rows.len();
        }
        count
    }

    /// Every label's raw score (`output = wo · hidden`).
    fn scores(&self, hidden: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.extend((0..self.output.rows()).map(|i| self.output.dot_row(hidden, i)));
    }

    /// Keeps the best `k` of `(score, label)`: fastText's heap, as a small sorted list.
    #[inline]
    fn offer(best: &mut Vec<(f32, usize)>, k: usize, score: f32, label: usize) {
        best.push((score, label));
        if best.len() > k {
            // Drop the lowest score (the heap's front).
            let (at, _) =
                best.iter().enumerate().min_by(|a, b| a.1 .0.total_cmp(&b.1 .0)).expect("not empty");
            best.swap_remove(at);
        }
    }

    /// The lowest score kept, when `k` are kept.
    #[inline]
    fn floor(best: &[(f32, usize)], k: usize) -> Option<f32> {
        (best.len() == k).then(|| best.iter().map(|b| b.0).fold(f32::INFINITY, f32::min))
    }

    /// fastText's `findKBest` over probabilities (threshold 0).
    fn k_best(probabilities: &[f32], k: usize, best: &mut Vec<(f32, usize)>) {
        for (i, &p) in probabilities.iter().enumerate() {
            if p < 0.0 {
                continue;
            }
            let score = std_log(p);
            if Self::floor(best, k).is_some_and(|floor| score < floor) {
                continue;
            }
            Self::offer(best, k, score, i);
        }
    }

    /// fastText's `HierarchicalSoftmaxLoss::dfs`.
    #[allow(clippy::too_many_arguments)]
    fn dfs(
        &self,
        tree: &HuffmanTree,
        k: usize,
        min_score: f32,
        node: usize,
        score: f32,
        hidden: &[f32],
        best: &mut Vec<(f32, usize)>,
    ) {
        if score < min_score {
            return;
        }
        if Self::floor(best, k).is_some_and(|floor| score < floor) {
            return;
        }
        let Node { left, right } = tree.nodes[node];
        if left == -1 && right == -1 {
            Self::offer(best, k, score, node);
            return;
        }
        let dot = self.output.dot_row(hidden, node - tree.labels);
        let f = (1.0f64 / f64::from(1.0f32 + (-dot).exp())) as f32;
        self.dfs(
            tree,
            k,
            min_score,
            left as usize,
            score + std_log((1.0f64 - f64::from(f)) as f32),
            hidden,
            best,
        );
        self.dfs(tree, k, min_score, right as usize, score + std_log(f), hidden, best);
    }
}
