//! The report's charts: inline SVG drawn by `plotters` (its SVG backend escapes the text it
//! writes). Two kinds: a histogram of a measurement (kept and dropped stacked, the threshold
//! drawn) and horizontal bars per category.

use anyhow::{anyhow, Result};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// Kept records.
const KEPT: RGBColor = RGBColor(0x2f, 0x6d, 0xb5);
/// Dropped records.
const DROPPED: RGBColor = RGBColor(0xe8, 0x8d, 0x3a);
/// Thresholds.
const THRESHOLD: RGBColor = RGBColor(0xb3, 0x1b, 0x1b);
/// Width of every chart, in pixels.
const WIDTH: u32 = 540;

/// One bar of a histogram: `[lo, hi)` and the records in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// Lower edge.
    pub lo: f64,
    /// Upper edge.
    pub hi: f64,
    /// Records of the first series (kept) in the bin.
    pub kept: u64,
    /// Records of the second series (dropped) in the bin.
    pub dropped: u64,
}

/// How the two series of a chart are named in its legend.
#[derive(Debug, Clone, Copy)]
pub struct Legend<'a> {
    /// The first series (drawn blue).
    pub first: &'a str,
    /// The second series (drawn orange, stacked on the first).
    pub second: &'a str,
}

impl Legend<'static> {
    /// Kept and rejected records.
    pub const KEPT_REJECTED: Legend<'static> = Legend { first: "kept", second: "rejected" };
}

fn draw_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing a chart: {e}")
}

/// Height of the legend strip above a chart.
const LEGEND_HEIGHT: u32 = 22;

/// Draws `entries` (name, colour) as swatches and names in a row.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(&str, RGBColor)],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let mut x = 60i32;
    for (name, colour) in entries {
        area.draw(&Rectangle::new([(x, 6), (x + 11, 17)], colour.filled())).map_err(draw_err)?;
        area.draw(&Text::new(
            name.to_string(),
            (x + 16, 5),
            ("sans-serif", 13).into_font().color(&BLACK.mix(0.75)),
        ))
        .map_err(draw_err)?;
        x += 34 + 7 * name.chars().count() as i32;
    }
    Ok(())
}

/// A histogram of `bins` (in order, adjacent) with the two series stacked, the threshold as a
/// vertical line, x values written by `x_label`.
pub fn histogram(
    bins: &[Bin],
    threshold: Option<f64>,
    x_desc: &str,
    x_label: &dyn Fn(f64) -> String,
    legend: Legend,
) -> Result<String> {
    let (Some(first), Some(last)) = (bins.first(), bins.last()) else { return Ok(String::new()) };
    let mut x0 = first.lo;
    let mut x1 = last.hi;
    if let Some(t) = threshold.filter(|t| t.is_finite()) {
        x0 = x0.min(t);
        x1 = x1.max(t);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    let top = bins.iter().map(|b| b.kept + b.dropped).max().unwrap_or(0).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 250)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let (strip, body) = root.split_vertically(LEGEND_HEIGHT);
        let threshold_label =
            threshold.filter(|t| t.is_finite()).map(|t| format!("threshold {}", x_label(t)));
        let mut entries = vec![(legend.first, KEPT), (legend.second, DROPPED)];
        if let Some(label) = &threshold_label {
            entries.push((label.as_str(), THRESHOLD));
        }
        draw_legend(&strip, &entries)?;
        let mut chart = ChartBuilder::on(&body)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, 0u64..top + top / 8 + 1)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_desc(x_desc)
            .y_desc("records")
            .x_labels(7)
            .y_labels(5)
            .x_label_formatter(&|v| x_label(*v))
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(
                bins.iter()
                    .map(|b| Rectangle::new([(b.lo, 0), (b.hi, b.kept + b.dropped)], DROPPED.filled())),
            )
            .map_err(draw_err)?;
        chart
            .draw_series(bins.iter().map(|b| Rectangle::new([(b.lo, 0), (b.hi, b.kept)], KEPT.filled())))
            .map_err(draw_err)?;
        if let Some(t) = threshold.filter(|t| t.is_finite()) {
            chart
                .draw_series(LineSeries::new([(t, 0), (t, top + top / 8)], THRESHOLD.stroke_width(2)))
                .map_err(draw_err)?;
        }
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// One category of a bar chart: its label and the two series' values.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The category.
    pub label: String,
    /// The first series.
    pub first: u64,
    /// The second series (stacked after the first).
    pub second: u64,
}

/// Horizontal bars, one per category in the order given, the two series stacked.
pub fn bars(rows: &[Bar], legend: Legend) -> Result<String> {
    if rows.is_empty() {
        return Ok(String::new());
    }
    let n = rows.len();
    let top = rows.iter().map(|r| r.first + r.second).max().unwrap_or(0).max(1);
    let labels: Vec<String> = rows.iter().map(|r| super::db::cut(&r.label, 28)).collect();
    let mut svg = String::new();
    {
        let height = 60 + LEGEND_HEIGHT + 22 * n as u32;
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let (strip, body) = root.split_vertically(LEGEND_HEIGHT);
        let entries: Vec<(&str, RGBColor)> = [(legend.first, KEPT), (legend.second, DROPPED)]
            .into_iter()
            .filter(|(l, _)| !l.is_empty())
            .collect();
        draw_legend(&strip, &entries)?;
        let mut chart = ChartBuilder::on(&body)
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(150)
            .build_cartesian_2d(0u64..top + top / 8 + 1, (0..n).into_segmented())
            .map_err(draw_err)?;
        // The first category on top: position n - 1 - i.
        let at = |i: usize| n - 1 - i;
        let label = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(p) if *p < n => labels[at(*p)].clone(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .y_labels(n)
            .x_labels(6)
            .y_label_formatter(&label)
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(
                Histogram::horizontal(&chart)
                    .style(DROPPED.filled())
                    .margin(3)
                    .data(rows.iter().enumerate().map(|(i, r)| (at(i), r.first + r.second))),
            )
            .map_err(draw_err)?;
        chart
            .draw_series(
                Histogram::horizontal(&chart)
                    .style(KEPT.filled())
                    .margin(3)
                    .data(rows.iter().enumerate().map(|(i, r)| (at(i), r.first))),
            )
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// A number for an axis: integers as they are, others with three significant digits.
pub fn axis_number(v: f64) -> String {
    if (v == v.trunc() && v.abs() < 1e9) || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// Bytes, 10^`v` of them, as a short size ("1.2 kB").
pub fn log_bytes(v: f64) -> String {
    human_bytes(10f64.powf(v))
}

/// A size in bytes, short.
pub fn human_bytes(b: f64) -> String {
    match b {
        b if b >= 1e9 => format!("{:.1} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.1} MB", b / 1e6),
        b if b >= 1e3 => format!("{:.1} kB", b / 1e3),
        b => format!("{b:.0} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_draws_bars_threshold_and_escaped_labels() {
        let bins =
            [Bin { lo: 0.0, hi: 0.5, kept: 10, dropped: 0 }, Bin { lo: 0.5, hi: 1.0, kept: 2, dropped: 7 }];
        let legend = Legend { first: "kept <b>", second: "dropped & gone" };
        let svg = histogram(&bins, Some(0.5), "score", &|v| axis_number(v), legend).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("threshold 0.500"), "{svg}");
        assert!(svg.contains("kept &lt;b&gt;") && svg.contains("dropped &amp; gone"), "{svg}");
        assert!(!svg.contains("<b>"));
        // Four bars (two series) plus the legend's three swatches.
        assert!(svg.matches("<rect").count() >= 4, "{svg}");
    }

    #[test]
    fn bars_name_every_category() {
        let rows: Vec<Bar> =
            ["en", "de", "fr"].iter().map(|l| Bar { label: l.to_string(), first: 5, second: 1 }).collect();
        let svg = bars(&rows, Legend::KEPT_REJECTED).unwrap();
        let label = |l: &str| format!(">\n{l}\n</text>");
        for l in ["en", "de", "fr"] {
            assert!(svg.contains(&label(l)), "{l} missing: {svg}");
        }
        // The first category is drawn on top (its label comes first in the SVG's y order).
        let y_of = |l: &str| {
            let at = svg.find(&label(l)).unwrap();
            let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
            let y = tag.split("y=\"").nth(1).unwrap().split('"').next().unwrap();
            y.parse::<f64>().unwrap()
        };
        assert!(y_of("en") < y_of("de") && y_of("de") < y_of("fr"));
        assert!(bars(&[], Legend::KEPT_REJECTED).unwrap().is_empty());
    }

    #[test]
    fn sizes_are_short() {
        assert_eq!(human_bytes(1234.0), "1.2 kB");
        assert_eq!(log_bytes(6.0), "1.0 MB");
        assert_eq!(axis_number(3.0), "3");
        assert_eq!(axis_number(0.25), "0.250");
    }
}
