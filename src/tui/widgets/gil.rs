//! A GIL pane: the interleaving log of one run of the two-thread scenario,
//! Python and Rust lines told apart by column and colour, and its verdict.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::pane;
use crate::engine::gil::{GilMode, Thread};
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, mode: GilMode, theme: &Theme) {
    let block = pane(format!("GIL {}: gil.{}", mode.name(), mode.function()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [about, log, verdict] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(2),
    ])
    .areas(inner);
    let explain = match mode {
        GilMode::Held => "thread::sleep holding the GIL (PyO3 0.16: plain #[pyfunction])",
        GilMode::Released => "py.detach(|| sleep) — py.allow_threads in PyO3 0.16",
    };
    frame.render_widget(Paragraph::new(Line::styled(explain, theme.dim())), about);

    let view = app.gil.get(&mode).cloned().unwrap_or_default();
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

    let text = match &view.verdict {
        Some((true, v)) => Line::styled(format!("✓ {v}"), theme.ok()),
        Some((false, v)) => Line::styled(format!("✗ {v}"), theme.bad()),
        None if view.running => Line::styled("running…", theme.busy()),
        None => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), verdict);
}
