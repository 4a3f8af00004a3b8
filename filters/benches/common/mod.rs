//! What the filter benches share: real text from `$CURATE_DATA` and a MB/s loop.

use std::path::PathBuf;
use std::time::Instant;

/// State of the Union speeches and Moby-Dick chapters, as `scripts/fetch-data.sh` fetched them.
pub fn texts() -> Vec<String> {
    let data = std::env::var_os("CURATE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/curate-data"));
    let mut out = Vec::new();
    for dataset in ["sotu", "moby-dick"] {
        let dir = data.join("stdlib").join(dataset).join("data");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}; run scripts/fetch-data.sh", dir.display()))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        files.sort();
        out.extend(files.iter().map(|p| std::fs::read_to_string(p).unwrap()));
    }
    out
}

/// Runs `f` over `texts` for about 3 s and prints MB/s on one core.
pub fn measure(label: &str, texts: &[String], mut f: impl FnMut(&str) -> usize) {
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut sink = 0;
    let start = Instant::now();
    let mut rounds = 0;
    while start.elapsed().as_secs_f64() < 3.0 {
        for t in texts {
            sink += f(t);
        }
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label:<44} {:>7.1} MB/s on one core ({} MB of real text x {rounds}, checksum {sink})",
        (bytes * rounds) as f64 / 1e6 / secs,
        bytes / 1_000_000
    );
}
