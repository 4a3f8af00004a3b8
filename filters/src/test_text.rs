//! Real text for tests of fast paths against general ones.

/// The test sentences of lingua's language models, one text per language (75 languages, many
/// scripts), from the cargo registry: lingua is a dependency, so its crates are there.
pub(crate) fn lingua_sentences() -> Vec<String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo"));
    let mut texts = Vec::new();
    for registry in std::fs::read_dir(home.join("registry/src")).expect("cargo registry").flatten() {
        for entry in std::fs::read_dir(registry.path()).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with("lingua-") {
                if let Ok(text) = std::fs::read_to_string(entry.path().join("testdata/sentences.txt")) {
                    texts.push(text);
                }
            }
        }
    }
    assert!(texts.len() >= 75, "lingua test sentences of {} languages found", texts.len());
    texts
}
