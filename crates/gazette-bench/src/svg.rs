//! The report's two charts, drawn as plain SVG: a bar chart (latency distribution) and a line chart (throughput against workers).
//!
//! Hand-written rather than plotted with a charting crate: two chart kinds
//! of a few dozen shapes need no font rasteriser, and the output stays
//! byte-for-byte reproducible for the same figures.

use std::fmt::Write;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 400.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const COLOURS: [&str; 4] = ["#1f5fa8", "#c0392b", "#27864a", "#8a5a00"];

/// Labels for a chart.
#[derive(Debug, Clone, Copy)]
pub struct Axes<'a> {
    pub title: &'a str,
    pub x: &'a str,
    pub y: &'a str,
}

/// A named line of `(x, y)` points.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// Bars of `(label, value)`, in order; every `label_every`th label is shown.
pub fn bar_chart(axes: Axes<'_>, bars: &[(String, f64)], label_every: usize) -> String {
    let y_max = nice_ceiling(bars.iter().map(|(_, v)| *v).fold(0.0, f64::max));
    let mut svg = open(axes, y_max);
    let slot = plot_width() / bars.len().max(1) as f64;
    for (i, (label, value)) in bars.iter().enumerate() {
        let x = LEFT + slot * i as f64;
        let height = plot_height() * value / y_max;
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{height:.1}" fill="{}"><title>{}: {value}</title></rect>"#,
            x + 1.0,
            HEIGHT - BOTTOM - height,
            (slot - 2.0).max(1.0),
            COLOURS[0],
            escape(label),
        );
        if i % label_every.max(1) == 0 {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text>"#,
                x + slot / 2.0,
                HEIGHT - BOTTOM + 16.0,
                escape(label)
            );
        }
    }
    close(svg)
}

/// Lines with markers; `x` values are shown as given (e.g. worker counts).
pub fn line_chart(axes: Axes<'_>, series: &[Series]) -> String {
    let all = || series.iter().flat_map(|s| s.points.iter().copied());
    let y_max = nice_ceiling(all().map(|(_, y)| y).fold(0.0, f64::max));
    let (x_min, x_max) = all().fold((f64::MAX, f64::MIN), |(lo, hi), (x, _)| {
        (lo.min(x), hi.max(x))
    });
    let x_span = if x_max > x_min { x_max - x_min } else { 1.0 };
    let to_x = |x: f64| LEFT + 20.0 + (plot_width() - 40.0) * (x - x_min) / x_span;
    let to_y = |y: f64| HEIGHT - BOTTOM - plot_height() * y / y_max;
    let mut svg = open(axes, y_max);
    let mut ticks: Vec<f64> = all().map(|(x, _)| x).collect();
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    for x in ticks {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{x}</text>"#,
            to_x(x),
            HEIGHT - BOTTOM + 16.0
        );
    }
    for (i, line) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let path: Vec<String> = line
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", to_x(x), to_y(y)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for &(x, y) in &line.points {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{colour}"><title>{}: {y:.1}</title></circle>"#,
                to_x(x),
                to_y(y),
                escape(&line.name)
            );
        }
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="12" height="12" fill="{colour}"/><text x="{:.1}" y="{:.1}" font-size="12">{}</text>"#,
            LEFT + 10.0,
            TOP + 6.0 + 18.0 * i as f64,
            LEFT + 28.0,
            TOP + 16.0 + 18.0 * i as f64,
            escape(&line.name)
        );
    }
    close(svg)
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// The document, title, axes, axis labels and five horizontal grid lines.
fn open(axes: Axes<'_>, y_max: f64) -> String {
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" role="img" aria-label="{title}"><rect width="100%" height="100%" fill="white"/><text x="{cx}" y="24" font-size="15" text-anchor="middle" font-weight="bold">{title}</text>"#,
        title = escape(axes.title),
        cx = WIDTH / 2.0,
    );
    for step in 0..=5 {
        let value = y_max * f64::from(step) / 5.0;
        let y = HEIGHT - BOTTOM - plot_height() * f64::from(step) / 5.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            trim(value)
        );
    }
    let _ = write!(
        svg,
        r#"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}" stroke="black"/><line x1="{LEFT}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="black"/><text x="{cx}" y="{xl}" font-size="12" text-anchor="middle">{x}</text><text transform="translate(16 {cy}) rotate(-90)" font-size="12" text-anchor="middle">{y}</text>"#,
        bottom = HEIGHT - BOTTOM,
        right = WIDTH - RIGHT,
        cx = LEFT + plot_width() / 2.0,
        xl = HEIGHT - 18.0,
        cy = TOP + plot_height() / 2.0,
        x = escape(axes.x),
        y = escape(axes.y),
    );
    svg
}

fn close(mut svg: String) -> String {
    svg.push_str("</svg>\n");
    svg
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `value`, so grid lines fall on round numbers.
fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 || !value.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&candidate| candidate >= value)
        .unwrap_or(10.0 * magnitude)
}

fn trim(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_lines_fall_on_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(130.0), 200.0);
        assert_eq!(nice_ceiling(500.0), 500.0);
    }

    #[test]
    fn charts_hold_one_shape_per_value_and_escape_labels() {
        let axes = Axes {
            title: "a <b> & c",
            x: "x",
            y: "y",
        };
        let bars = bar_chart(axes, &[("0".into(), 1.0), ("5".into(), 3.0)], 1);
        assert_eq!(bars.matches("<rect x=").count(), 2);
        assert!(bars.contains("a &lt;b&gt; &amp; c") && bars.ends_with("</svg>\n"));
        let series = [Series {
            name: "p".into(),
            points: vec![(1.0, 2.0), (2.0, 4.0), (3.0, 5.0)],
        }];
        assert_eq!(line_chart(axes, &series).matches("<circle").count(), 3);
    }
}
