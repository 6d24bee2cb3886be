//! The help overlay, generated from the key map.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::pane;
use crate::tui::app::ExpView;
use crate::tui::keys::{Action, BINDINGS};
use crate::tui::theme::Theme;

/// What `+` and `-` change on the selected experiment, in words.
fn knob_help(action: Action, selected: Option<&ExpView>) -> Option<String> {
    let exp = selected?;
    let knob = match &exp.exp.knob {
        Some(k) => k,
        None if matches!(action, Action::NUp | Action::NDown) => {
            return Some(format!("{} has no size knob", exp.name()));
        }
        None => return None,
    };
    let step = if crate::engine::sweep::is_fine(knob) {
        "by one"
    } else {
        "doubling / halving"
    };
    match action {
        Action::NUp => Some(format!(
            "raise N, the size knob of {} ({step}, up to {}; range {}..={})",
            exp.name(),
            knob.max,
            knob.min,
            knob.max
        )),
        Action::NDown => Some(format!("lower N (down to {})", knob.min)),
        _ => None,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, selected: Option<&ExpView>, theme: &Theme) {
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
                Span::raw(knob_help(b.action, selected).unwrap_or_else(|| b.help.into())),
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
