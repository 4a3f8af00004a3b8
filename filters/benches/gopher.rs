//! Gopher quality and repetition throughput on real text, one core:
//! `cargo bench -p curate-filters --bench gopher`.
//!
//! Reads State of the Union speeches and Moby-Dick chapters from `$CURATE_DATA` (what
//! `scripts/fetch-data.sh` fetched) and reports MB/s for each filter's `check`.

mod common;

use std::sync::Arc;

use common::{measure, texts};
use curate_filters::gopher_quality::GopherQualityConfig;
use curate_filters::gopher_repetition::GopherRepetitionConfig;
use curate_filters::{Document, FilterConfig};

fn main() {
    let texts = texts();
    let source: Arc<str> = Arc::from("bench");
    let filters = [
        ("gopher_quality check", GopherQualityConfig::default().build().unwrap()),
        ("gopher_repetition check", GopherRepetitionConfig::default().build().unwrap()),
    ];
    for (label, filter) in &filters {
        measure(label, &texts, |t| {
            let mut doc = Document::new("x", t, source.clone(), 1);
            filter.check(&mut doc).iter().filter(|c| c.passed).count()
        });
    }
}
