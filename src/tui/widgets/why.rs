//! The "why" pane: each lane's instructions per call as one stacked bar,
//! a segment per category (who spent them), a legend, and each Rust lane's
//! diagnosis and hottest lines of its crate under the bars. Made from the instruction counts (`I`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::pane;
use crate::engine::types::{Breakdown, Category, Lane};
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::units::count;

/// A category's look: a colour, and a glyph that tells it apart without colour.
fn look(c: Category, theme: &Theme) -> (Style, char) {
    let (color, glyph) = match c {
        Category::Crate => (Color::Green, '█'),
        Category::Pyo3 => (Color::Yellow, '▓'),
        Category::RustStd => (Color::Blue, '▞'),
        Category::Cpython => (Color::Magenta, '▒'),
        Category::Interpreter => (Color::Cyan, '░'),
        Category::Allocator => (Color::Red, '▚'),
        Category::Other => (Color::DarkGray, '·'),
        Category::Jit => (Color::LightGreen, '▙'),
    };
    (theme.fg(color), glyph)
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = pane("Why: where each lane's instructions go, per call, to one scale".into());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lanes: Vec<_> = app
        .race
        .lanes
        .iter()
        .filter_map(|(lane, _)| {
            let extras = app.race.extras.get(&lane.name)?;
            Some((lane, extras.breakdown.as_ref()?, extras.diagnosis.as_ref()))
        })
        .collect();
    if lanes.is_empty() {
        let text = if app.race.counting {
            "race (r) to count each lane's instructions: the bars come from them"
        } else {
            "instruction counting is off: press I, then r; the bars come from the counts"
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme.dim())), inner);
        return;
    }
    let mut lines = bars(&lanes, inner.width as usize, theme);
    let mut legend = Vec::new();
    for c in Category::columns(lanes.iter().map(|(_, b, _)| &b.categories)) {
        let (style, glyph) = look(c, theme);
        legend.push(Span::styled(format!("{glyph}{glyph} "), style));
        legend.push(Span::raw(format!("{}  ", c.name())));
    }
    lines.push(Line::from(legend));
    for (lane, b, diagnosis) in &lanes {
        if let Some(d) = diagnosis {
            lines.push(Line::styled(d.to_string(), theme.title()));
        }
        // Where in the crate: its hottest lines, as the porter asks next.
        for l in b.hot_lines.iter().take(3) {
            lines.push(Line::from(vec![
                Span::styled(
                    format!(
                        "  {} {}:{} {:>3.0}%  ",
                        lane.name,
                        l.file,
                        l.line,
                        l.share * 100.0
                    ),
                    theme.dim(),
                ),
                Span::raw(l.text.clone()),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// A lane's counted instructions: its breakdown and its diagnosis.
type Counted<'a> = (&'a Lane, &'a Breakdown, Option<&'a String>);

/// A bar a lane, on one scale for all: as long as its instructions are many,
/// in segments by whose code they are, its count after it.
fn bars(lanes: &[Counted], width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let name_width = lanes
        .iter()
        .map(|(l, _, _)| l.name.chars().count())
        .max()
        .unwrap_or(4)
        + 1;
    // Room for the name before the bar and the count after it.
    let bar_width = width.saturating_sub(name_width + 11).max(10);
    let mut lines = Vec::new();
    // One scale for all: a lane's bar is as long as its instructions are
    // many (two cells at least, so its make-up still shows).
    let most = lanes
        .iter()
        .map(|(_, b, _)| b.total())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    for (lane, b, _) in lanes {
        let (style, _) = theme.lane(&lane.name);
        let mut spans = vec![Span::styled(format!("{:<name_width$}", lane.name), style)];
        let length = ((b.total() / most * bar_width as f64).round() as usize).clamp(2, bar_width);
        let mut drawn = 0usize;
        let mut acc = 0.0;
        for c in Category::ALL {
            acc += b.share(c);
            // Segments end where the running share ends: they fill the lane's bar.
            let end = (acc * length as f64).round() as usize;
            let (style, glyph) = look(c, theme);
            if end > drawn {
                spans.push(Span::styled(glyph.to_string().repeat(end - drawn), style));
                drawn = end;
            }
        }
        spans.push(Span::raw(" ".repeat(bar_width - drawn.min(bar_width))));
        spans.push(Span::styled(
            format!(" {:>9}", count(b.total())),
            theme.dim(),
        ));
        lines.push(Line::from(spans));
    }
    lines
}
