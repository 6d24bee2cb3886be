//! A GIL pane: one run of the two-thread scenario. A timeline of what each
//! thread did (Python, sleeping, Rust with or without the GIL, waiting for
//! it), the printed lines with their timestamps, Python and Rust told apart
//! by column and colour, and the run's verdict.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::pane;
use crate::engine::gil::timeline;
use crate::engine::types::{Activity, GilMode, Thread};
use crate::tui::app::{GilPane, GilView};
use crate::tui::theme::Theme;

/// How an activity is drawn: a cell and its style (the cell alone under NO_COLOR).
fn cell(a: Option<Activity>, theme: &Theme) -> (&'static str, Style) {
    match a {
        Some(Activity::Python) => ("█", theme.python()),
        Some(Activity::Sleeping) => ("~", theme.dim()),
        Some(Activity::RustWithGil) => ("█", theme.rust()),
        Some(Activity::RustWithoutGil) => ("▒", theme.ok()),
        Some(Activity::WaitingForGil) => ("░", theme.busy()),
        None => (" ", Style::new()),
    }
}

/// The legend, wrapped between its entries (never inside one) to `width`.
fn legend(theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut entries: Vec<Vec<Span<'static>>> = [
        (Activity::Python, "Python"),
        (Activity::Sleeping, "sleep"),
        (Activity::RustWithGil, "Rust+GIL"),
        (Activity::RustWithoutGil, "Rust, no GIL"),
        (Activity::WaitingForGil, "waits for GIL"),
    ]
    .into_iter()
    .map(|(a, name)| {
        let (c, style) = cell(Some(a), theme);
        vec![
            Span::styled(c, style),
            Span::styled(format!(" {name}  "), theme.dim()),
        ]
    })
    .collect();
    entries.push(vec![Span::styled(
        "p r: a line printed by Python, Rust",
        theme.dim(),
    )]);
    let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut used = 0usize;
    for entry in entries {
        let w: usize = entry.iter().map(|s| s.content.chars().count()).sum();
        if used > 0 && used + w > width {
            lines.push(Vec::new());
            used = 0;
        }
        used += w;
        lines.last_mut().expect("a line").extend(entry);
    }
    lines.into_iter().map(Line::from).collect()
}

/// Two rows, one per thread, on the run's own time scale, with a marker under
/// each printed line's moment.
fn timeline_lines(view: &GilView, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let total = view.timeline.iter().map(|s| s.end).fold(0.0, f64::max);
    if total <= 0.0 || width < 8 {
        return Vec::new();
    }
    let cols = width.saturating_sub(6);
    let mut lines: Vec<Line> = [Thread::Python, Thread::Rust]
        .into_iter()
        .map(|thread| {
            let label = if thread == Thread::Python {
                "py   "
            } else {
                "rust "
            };
            let style = if thread == Thread::Python {
                theme.python()
            } else {
                theme.rust()
            };
            let mut spans = vec![Span::styled(label, style)];
            spans.extend(
                timeline::columns(&view.timeline, thread, cols, total)
                    .into_iter()
                    .map(|a| {
                        let (c, style) = cell(a, theme);
                        Span::styled(c, style)
                    }),
            );
            Line::from(spans)
        })
        .collect();
    let mut marks = vec![' '; cols];
    for l in &view.lines {
        let i = ((l.t / total) * cols as f64) as usize;
        if let Some(m) = marks.get_mut(i.min(cols - 1)) {
            *m = if l.thread == Thread::Python { 'p' } else { 'r' };
        }
    }
    lines.push(Line::styled(
        format!(
            "print {}  0–{total:.2} s",
            marks.into_iter().collect::<String>().trim_end()
        ),
        theme.dim(),
    ));
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, pane_state: &GilPane, mode: GilMode, theme: &Theme) {
    let block = pane(format!("GIL {}: gil.{}", mode.name(), mode.function()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let view = pane_state.runs.get(&mode).cloned().unwrap_or_default();
    let timeline = timeline_lines(&view, inner.width as usize, theme);
    let key = legend(theme, inner.width as usize);
    let key_lines = key.len() as u16;
    let text = match &view.verdict {
        Some((true, v)) => Line::styled(format!("✓ {v}"), theme.ok()),
        Some((false, v)) => Line::styled(format!("✗ {v}"), theme.bad()),
        None if view.running => Line::styled("running…", theme.busy()),
        None => Line::raw(""),
    };
    // The verdict gets the lines it wraps to (the log above gives way).
    let verdict_lines = wrapped_lines(&text.to_string(), inner.width as usize).clamp(1, 4) as u16;
    let verdict_text = Paragraph::new(text).wrap(Wrap { trim: true });
    let explain = match mode {
        GilMode::Held => "sleeps holding the GIL (PyO3 0.16: a plain #[pyfunction])",
        GilMode::Released => "py.detach(|| sleep): py.allow_threads in PyO3 0.16",
    };
    let about_lines = wrapped_lines(explain, inner.width as usize).clamp(1, 2) as u16;
    let [about, chart, key_area, log, verdict] = Layout::vertical([
        Constraint::Length(about_lines),
        Constraint::Length(timeline.len() as u16),
        Constraint::Length(if timeline.is_empty() { 0 } else { key_lines }),
        Constraint::Fill(1),
        Constraint::Length(verdict_lines),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::styled(explain, theme.dim())).wrap(Wrap { trim: true }),
        about,
    );
    if !timeline.is_empty() {
        frame.render_widget(Paragraph::new(timeline), chart);
        frame.render_widget(Paragraph::new(key), key_area);
    }

    let mut lines: Vec<Line> = view
        .lines
        .iter()
        .map(|l| {
            let (who, style) = match l.thread {
                Thread::Python => ("py  ", theme.python()),
                Thread::Rust => ("rust", theme.rust()),
            };
            Line::from(vec![
                Span::styled(format!("{:>6.3} s ", l.t), theme.dim()),
                Span::styled(format!("{who} "), style),
                Span::styled(l.text.clone(), style),
            ])
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled(
            if view.running {
                "starting…"
            } else {
                "press g to run the GIL demo"
            },
            theme.dim(),
        ));
    }
    let skip = lines.len().saturating_sub(log.height as usize);
    frame.render_widget(Paragraph::new(lines.split_off(skip)), log);

    frame.render_widget(verdict_text, verdict);
}

/// How many lines `text` takes, wrapped at word boundaries to `width`.
fn wrapped_lines(text: &str, width: usize) -> usize {
    let width = width.max(1);
    let (mut lines, mut used) = (1, 0usize);
    for word in text.split_whitespace() {
        let len = word.chars().count();
        let need = if used == 0 { len } else { used + 1 + len };
        if need <= width {
            used = need;
        } else {
            lines += 1 + (len.saturating_sub(1)) / width;
            used = len % width;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_verdict_gets_the_lines_it_wraps_to() {
        assert_eq!(super::wrapped_lines("one two three", 20), 1);
        assert_eq!(super::wrapped_lines("one two three", 8), 2);
        assert_eq!(super::wrapped_lines("", 8), 1);
    }
}
