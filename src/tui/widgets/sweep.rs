//! The sweep pane: time against size (or speed-up against size), one series
//! per lane on log axes, growing point by point as sizes finish; with the
//! sweep's estimate while it runs and each lane's growth once it has three
//! points.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};

use super::{fit, pane};
use crate::engine::measure::stats::Summary;
use crate::engine::measure::sweep;
use crate::tui::app::SweepPane;
use crate::tui::theme::Theme;
use crate::units::seconds;

/// Each lane's points: (log10 N or N, log10 of the value).
type Series = Vec<(String, Vec<(f64, f64)>)>;

fn series(s: &SweepPane) -> Series {
    let mut out: Series = Vec::new();
    let x = |n: u64| {
        if s.geometric {
            (n.max(1) as f64).log10()
        } else {
            n as f64
        }
    };
    for p in &s.points {
        let reference = p
            .records
            .iter()
            .find(|r| r.lane.reference)
            .and_then(|r| Summary::of(&r.times));
        for r in &p.records {
            let Some(t) = Summary::of(&r.times).filter(|_| r.problem().is_none()) else {
                continue;
            };
            let value = if s.show_speedup {
                if r.lane.reference {
                    continue;
                }
                match reference {
                    Some(rt) => rt.median / t.median,
                    None => continue,
                }
            } else {
                t.median
            };
            let point = (x(p.size), value.max(1e-12).log10());
            match out.iter_mut().find(|(name, _)| *name == r.lane.name) {
                Some((_, pts)) => pts.push(point),
                None => out.push((r.lane.name.clone(), vec![point])),
            }
        }
    }
    out
}

/// Labels for a log10 axis: the values at its ends and middle.
fn log_labels(lo: f64, hi: f64, time: bool) -> Vec<String> {
    [lo, (lo + hi) / 2.0, hi]
        .iter()
        .map(|v| {
            let v = 10f64.powf(*v);
            if time { seconds(v) } else { format!("{v:.2}x") }
        })
        .collect()
}

fn status(s: &SweepPane, now: Instant) -> String {
    let done = format!("{} of {} sizes", s.points.len(), s.sizes.len());
    let elapsed = s.started.map(|t| now.duration_since(t).as_secs_f64());
    match (s.running, s.estimate, elapsed) {
        (true, Some(total), Some(e)) => {
            format!(
                "{done}, {e:.0} s so far, about {:.0} s in all (estimate)",
                total.max(e)
            )
        }
        (true, None, _) => format!("{done}; the estimate comes with the first size"),
        (false, _, _) if s.points.len() < s.sizes.len() => {
            format!("{done}: stopped, the points measured are kept")
        }
        _ => done,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, s: &SweepPane, now: Instant, theme: &Theme) {
    let view = if s.show_speedup {
        "speed-up over the reference"
    } else {
        "time per call"
    };
    let block = pane(format!(
        "Sweep: {} — {view} against N, log axes (x: switch view)",
        s.experiment
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let trends = sweep::trends(&s.experiment, &s.points, s.geometric);
    // A line a lane for its growth and crossovers, each kept whole or cut
    // with an ellipsis.
    let growth_lines = trends.iter().filter(|t| t.growth.is_some()).count().min(6) as u16;
    let [head, legend_area, chart_area, growth_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(growth_lines),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::styled(status(s, now), theme.dim())),
        head,
    );
    let data = series(s);
    if data.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "no point yet: s sweeps the selected experiment",
                theme.dim(),
            )),
            chart_area,
        );
        return;
    }
    frame.render_widget(Paragraph::new(legend(&data, theme)), legend_area);
    frame.render_widget(chart(s, &data, theme), chart_area);
    let width = growth_area.width as usize;
    let words: Vec<Line> = trends
        .iter()
        .filter_map(|t| {
            let mut w = format!("{}: {}", t.lane, t.growth.as_ref()?.describe());
            for c in &t.crossovers {
                w.push_str(&format!("; {}", c.describe()));
            }
            for c in &t.phase_crossovers {
                w.push_str(&format!("; {}", c.describe()));
            }
            Some(Line::styled(fit(&w, width), theme.lane(&t.lane).0))
        })
        .collect();
    frame.render_widget(Paragraph::new(words), growth_area);
}

/// Under NO_COLOR each lane draws with a marker of its own, and the legend
/// shows it.
const PLAIN: [Marker; 4] = [Marker::Dot, Marker::Block, Marker::Bar, Marker::HalfBlock];
const PLAIN_GLYPHS: [char; 4] = ['•', '█', '▄', '▀'];

/// Each lane's glyph and name in its colour, on one line above the chart.
fn legend(data: &Series, theme: &Theme) -> Line<'static> {
    let mut legend = Vec::new();
    for (i, (name, _)) in data.iter().enumerate() {
        let (style, glyph) = theme.lane(name);
        let mark = if theme.color {
            glyph
        } else {
            PLAIN_GLYPHS[i % PLAIN_GLYPHS.len()]
        };
        legend.push(Span::styled(format!("{mark}{mark} {name}  "), style));
    }
    Line::from(legend)
}

/// The curves on log axes: N along (log10 on a geometric sweep), the time
/// or speed-up up.
fn chart<'a>(s: &SweepPane, data: &'a Series, theme: &Theme) -> Chart<'a> {
    let xs = s.sizes.iter().map(|&n| {
        if s.geometric {
            (n.max(1) as f64).log10()
        } else {
            n as f64
        }
    });
    let (x_lo, x_hi) = xs.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let ys = data.iter().flat_map(|(_, p)| p.iter().map(|(_, y)| *y));
    let (mut y_lo, mut y_hi) = ys.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    if y_hi - y_lo < 0.1 {
        (y_lo, y_hi) = (y_lo - 0.5, y_hi + 0.5);
    }
    let x_label = |v: f64| {
        if s.geometric {
            format!("{:.0}", 10f64.powf(v))
        } else {
            format!("{v:.0}")
        }
    };
    let datasets: Vec<Dataset> = data
        .iter()
        .enumerate()
        .map(|(i, (name, points))| {
            Dataset::default()
                .name(name.clone())
                .marker(if theme.color {
                    Marker::Braille
                } else {
                    PLAIN[i % PLAIN.len()]
                })
                .graph_type(GraphType::Line)
                .style(theme.lane(name).0)
                .data(points)
        })
        .collect();
    Chart::new(datasets)
        .x_axis(
            Axis::default()
                .title("N")
                .bounds([x_lo, x_hi.max(x_lo + 1e-9)])
                .labels([x_label(x_lo), x_label((x_lo + x_hi) / 2.0), x_label(x_hi)]),
        )
        .y_axis(Axis::default().bounds([y_lo, y_hi]).labels(log_labels(
            y_lo,
            y_hi,
            !s.show_speedup,
        )))
        // The legend is the line above: over the chart it hid the curves.
        .legend_position(None)
}
