//! The help overlay, generated from the key map.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::pane;
use crate::tui::keys::BINDINGS;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, theme: &Theme) {
    let height = BINDINGS.len() as u16 + 8;
    let [area] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [area] = Layout::horizontal([Constraint::Max(100)])
        .flex(Flex::Center)
        .areas(area);
    frame.render_widget(Clear, area);
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:>6}  ", b.label), theme.key()),
                Span::raw(b.help),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Races time each lane inside its own worker process: real CPython, real extension.",
        theme.dim(),
    ));
    lines.push(Line::styled(
        "The chapter's PyO3 0.16 → today's 0.30:  Python::with_gil → Python::attach,",
        theme.dim(),
    ));
    lines.push(Line::styled(
        "  py.allow_threads → py.detach,  &PyList / &PyModule → Bound<'py, PyList> / Bound<'py, PyModule>",
        theme.dim(),
    ));
    lines.push(Line::styled("Press ? or Esc to close.", theme.dim()));
    frame.render_widget(Paragraph::new(lines).block(pane("Keys".into())), area);
}
