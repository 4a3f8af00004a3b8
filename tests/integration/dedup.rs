//! Deduplication on real text with known duplicates: exact copies with trivial differences,
//! and near-duplicates made by controlled edits of real documents (a changed sentence, two
//! paragraphs swapped), mixed with unrelated real documents. Precision and recall are asserted.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::common::*;

/// Real originals: State of the Union speeches and Moby-Dick chapters.
fn originals() -> Vec<(String, String)> {
    let mut docs = Vec::new();
    for (i, t) in stdlib_texts("sotu", 120).into_iter().enumerate() {
        docs.push((format!("sotu-{i}"), t));
    }
    for (i, t) in stdlib_texts("moby-dick", 80).into_iter().enumerate() {
        docs.push((format!("moby-{i}"), t));
    }
    docs
}

/// `text` with its middle sentence rewritten: a near-duplicate.
pub(crate) fn change_a_sentence(text: &str) -> String {
    let sentences: Vec<&str> = text.split_inclusive(". ").collect();
    let mid = sentences.len() / 2;
    sentences
        .iter()
        .enumerate()
        .map(|(i, s)| if i == mid { "This one sentence was rewritten for the test. " } else { s })
        .collect()
}

fn swap_paragraphs(text: &str) -> String {
    let mut paragraphs: Vec<&str> = text.split('\n').collect();
    if paragraphs.len() >= 3 {
        paragraphs.swap(0, 2);
    } else {
        // One long paragraph: swap its first and last thirds instead.
        let third = text.len() / 3;
        let a = text.char_indices().map(|(i, _)| i).find(|&i| i >= third).unwrap_or(0);
        let b = text.char_indices().map(|(i, _)| i).find(|&i| i >= 2 * third).unwrap_or(a);
        return format!("{}{}{}", &text[b..], &text[a..b], &text[..a]);
    }
    paragraphs.join("\n")
}

struct Corpus {
    /// Ids of documents that are duplicates of an earlier one, with the original's id.
    exact: HashMap<String, String>,
    near: HashMap<String, String>,
}

fn write_corpus(path: &Path) -> Corpus {
    let originals = originals();
    let mut lines = Vec::new();
    let mut corpus = Corpus { exact: HashMap::new(), near: HashMap::new() };
    for (id, text) in &originals {
        lines.push(serde_json::json!({"id": id, "text": text}).to_string());
    }
    for (i, (id, text)) in originals.iter().enumerate() {
        match i % 5 {
            0 => {
                let copy = format!("  {}  ", text.to_uppercase().replace(". ", ".   "));
                let cid = format!("{id}-copy");
                lines.push(serde_json::json!({"id": cid, "text": copy}).to_string());
                corpus.exact.insert(cid, id.clone());
            }
            1 => {
                let eid = format!("{id}-edited");
                lines.push(serde_json::json!({"id": eid, "text": change_a_sentence(text)}).to_string());
                corpus.near.insert(eid, id.clone());
            }
            2 => {
                let sid = format!("{id}-swapped");
                lines.push(serde_json::json!({"id": sid, "text": swap_paragraphs(text)}).to_string());
                corpus.near.insert(sid, id.clone());
            }
            _ => {}
        }
    }
    std::fs::write(path, lines.join("\n")).unwrap();
    corpus
}

fn dedup_only(config: &Path, steps: &str) {
    std::fs::write(config, format!("stage = \"pretrain\"\n{steps}")).unwrap();
}

/// (rejected id -> representative id) for the given step.
fn rejected_by(run: &Path, step: &str) -> HashMap<String, String> {
    sql(run, &format!("select id, duplicate_of from rejected where step = '{step}'"))
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

fn precision_recall(found: &HashMap<String, String>, truth: &HashMap<String, String>) -> (f64, f64) {
    let right = found.iter().filter(|(id, rep)| truth.get(*id) == Some(*rep)).count();
    let precision = if found.is_empty() { 1.0 } else { right as f64 / found.len() as f64 };
    (precision, right as f64 / truth.len() as f64)
}

/// Runs `exact_dedup` then `near_step` alone over the corpus; returns the run and the truth.
fn run_dedup(near_step: &str) -> (tempfile::TempDir, PathBuf, Corpus) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    let corpus = write_corpus(&input);
    let config = dir.path().join("c.toml");
    dedup_only(
        &config,
        &format!("[[steps]]\nfilter = \"exact_dedup\"\n\n[[steps]]\nfilter = \"{near_step}\"\n"),
    );
    let run = dir.path().join("run");
    curate_ok(&[
        "--config",
        config.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
    ]);
    (dir, run, corpus)
}

#[test]
fn minhash_finds_copies_and_edits_of_real_documents() {
    let (_dir, run, corpus) = run_dedup("minhash_dedup");

    let exact = rejected_by(&run, "exact_dedup");
    let (p, r) = precision_recall(&exact, &corpus.exact);
    eprintln!("exact_dedup: precision {p:.3}, recall {r:.3} ({} pairs)", corpus.exact.len());
    assert_eq!((p, r), (1.0, 1.0));

    let near = rejected_by(&run, "minhash_dedup");
    let (p, r) = precision_recall(&near, &corpus.near);
    eprintln!("minhash_dedup: precision {p:.3}, recall {r:.3} ({} pairs)", corpus.near.len());
    assert!(p >= 0.99 && r >= 0.95, "precision {p}, recall {r}");

    // Every original stays; rejected rows carry their cluster and the decision explains them.
    let kept: HashSet<String> = sql(&run, "select id from kept").into_iter().map(|r| r[0].clone()).collect();
    assert!(originals().iter().all(|(id, _)| kept.contains(id)));
    let unexplained = sql_count(
        &run,
        "select count(*) from rejected where cluster_id is null or reason not like '%duplicate%'",
    );
    assert_eq!(unexplained, 0);
}

#[test]
fn simhash_is_an_alternative() {
    let (_dir, run, corpus) = run_dedup("simhash_dedup");
    let near = rejected_by(&run, "simhash_dedup");
    let (p, r) = precision_recall(&near, &corpus.near);
    eprintln!("simhash_dedup: precision {p:.3}, recall {r:.3} ({} pairs)", corpus.near.len());
    assert!(p >= 0.99 && r >= 0.8, "precision {p}, recall {r}");
}

#[test]
fn dedup_spans_shards_and_spills_under_a_small_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    let corpus = write_corpus(&input);
    // The same corpus split over three shards, the last one compressed.
    let text = std::fs::read_to_string(&input).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let third = lines.len() / 3;
    let shards = [&lines[..third], &lines[third..2 * third], &lines[2 * third..]];
    let mut args = Vec::new();
    for (i, shard) in shards.iter().enumerate() {
        let path = dir.path().join(format!("shard-{i}.jsonl"));
        std::fs::write(&path, shard.join("\n")).unwrap();
        args.push(path.to_string_lossy().to_string());
    }
    let config = dir.path().join("c.toml");
    dedup_only(
        &config,
        "[run]\ndedup_memory = \"64MB\"\n\n[[steps]]\nfilter = \"exact_dedup\"\n\n[[steps]]\nfilter = \"minhash_dedup\"\n",
    );
    let run = dir.path().join("run");
    let mut cmd = vec!["--config", config.to_str().unwrap(), "--output", run.to_str().unwrap(), "--input"];
    cmd.extend(args.iter().map(String::as_str));
    curate_ok(&cmd);
    let exact = rejected_by(&run, "exact_dedup");
    let near = rejected_by(&run, "minhash_dedup");
    assert_eq!(precision_recall(&exact, &corpus.exact), (1.0, 1.0));
    let (p, r) = precision_recall(&near, &corpus.near);
    assert!(p >= 0.99 && r >= 0.95, "precision {p}, recall {r}");
}

#[test]
fn the_duplicates_do_not_depend_on_the_number_of_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    let corpus = write_corpus(&input);
    // Exact, MinHash and SimHash in one run, the buckets phase in 1, 5 and 13 parts.
    let decided = |buckets: usize| {
        let config = dir.path().join(format!("c{buckets}.toml"));
        dedup_only(
            &config,
            &format!(
                "[run]\ndedup_buckets = {buckets}\n\n[[steps]]\nfilter = \"exact_dedup\"\n\n[[steps]]\n\
                 filter = \"minhash_dedup\"\n\n[[steps]]\nfilter = \"simhash_dedup\"\n"
            ),
        );
        let run = dir.path().join(format!("run{buckets}"));
        curate_ok(&[
            "--config",
            config.to_str().unwrap(),
            "--output",
            run.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
        ]);
        sql(&run, "select id, step, duplicate_of, score from rejected order by all")
    };
    let one = decided(1);
    assert!(one.len() >= corpus.exact.len() + corpus.near.len() * 9 / 10, "{} rejected", one.len());
    assert_eq!(decided(5), one);
    assert_eq!(decided(13), one);
}

/// Distinct 5-word shingles of a text, computed here independently of curate's code: lowercase,
/// every character that is not a letter or digit a space, words split on whitespace, each
/// shingle hashed with the standard library's hasher.
fn shingle_set(text: &str) -> Vec<u64> {
    use std::hash::{Hash, Hasher};
    let cleaned: String =
        text.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { ' ' }).collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let mut v: Vec<u64> = words
        .windows(5.min(words.len().max(1)))
        .map(|w| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        1.0
    } else {
        both as f64 / union as f64
    }
}

#[test]
fn minhash_on_real_spam_against_exact_jaccard() {
    // Real near-duplicates no one made for this test: the SpamAssassin spam folders, where one
    // campaign sends the same mail with small changes. The truth is the exact Jaccard similarity
    // of every pair, computed by brute force.
    let mut mails: Vec<(String, String)> = Vec::new();
    for folder in ["spam-1", "spam-2"] {
        let dir = data_dir().join("stdlib/spam-assassin/data").join(folder);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
        files.retain(|p| p.extension().is_some_and(|e| e == "json"));
        files.sort();
        for p in files {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            mails.push((
                format!("{folder}/{}", v["id"].as_str().unwrap()),
                v["text"].as_str().unwrap().to_string(),
            ));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("spam.jsonl");
    let lines: Vec<String> =
        mails.iter().map(|(id, t)| serde_json::json!({"id": id, "text": t}).to_string()).collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let config = dir.path().join("c.toml");
    dedup_only(&config, "[[steps]]\nfilter = \"minhash_dedup\"\n");
    let run = dir.path().join("run");
    curate_ok(&[
        "--config",
        config.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
    ]);
    let found = rejected_by(&run, "minhash_dedup");
    let cluster = |id: &String| found.get(id).cloned().unwrap_or_else(|| id.clone());

    let sets: Vec<Vec<u64>> = mails.iter().map(|(_, t)| shingle_set(t)).collect();
    let index: HashMap<&String, usize> = mails.iter().enumerate().map(|(i, (id, _))| (id, i)).collect();
    // Precision: a rejected mail is really similar to the mail kept in its place: Jaccard at
    // least the threshold 0.7 less 0.1 (two standard errors of a 112-hash MinHash estimate near
    // 0.7 are 0.09; normalization here differs a little from curate's).
    let threshold = 0.7 - 0.1;
    let similar =
        found.iter().filter(|(id, rep)| jaccard(&sets[index[id]], &sets[index[rep]]) >= threshold).count();
    let precision = similar as f64 / found.len().max(1) as f64;
    // Recall: pairs well above the threshold end up in one cluster.
    let (mut pairs, mut together) = (0, 0);
    for i in 0..mails.len() {
        for j in i + 1..mails.len() {
            if jaccard(&sets[i], &sets[j]) >= 0.85 {
                pairs += 1;
                together += usize::from(cluster(&mails[i].0) == cluster(&mails[j].0));
            }
        }
    }
    let recall = together as f64 / pairs.max(1) as f64;
    eprintln!(
        "minhash_dedup on {} spam mails: {} rejected, precision {precision:.3} (Jaccard >= {threshold} with the kept mail), \
         recall {recall:.3} ({pairs} pairs with Jaccard >= 0.85)",
        mails.len(),
        found.len()
    );
    assert!(pairs >= 20, "the spam folders hold near-duplicates: {pairs}");
    assert!(precision >= 0.95 && recall >= 0.9, "precision {precision}, recall {recall}");
}
