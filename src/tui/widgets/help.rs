//! The help overlay, generated from the key map.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::pane;
use crate::tui::app::{App, ExpView};
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
    let step = if crate::engine::measure::sweep::is_fine(knob) {
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

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let selected = app.current();
    let [area] = Layout::horizontal([Constraint::Max(100)])
        .flex(Flex::Center)
        .areas(area);
    frame.render_widget(Clear, area);
    let block = pane("Keys".into());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    // Each key's sentence wraps under itself, past the key column.
    let mut lines: Vec<Line> = Vec::new();
    for b in BINDINGS {
        let text = knob_help(b.action, selected).unwrap_or_else(|| b.help.into());
        let words = textwrap_words(&text, width.saturating_sub(8).max(20));
        for (i, part) in words.into_iter().enumerate() {
            let key = if i == 0 { b.label } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{key:>6}  "), theme.key()),
                Span::raw(part),
            ]));
        }
    }
    lines.push(Line::raw(""));
    for text in [
        "Races time each lane inside its own worker process: real CPython, real extension.",
        "The chapter's PyO3 0.16 → today's 0.30: Python::with_gil → Python::attach, \
         py.allow_threads → py.detach, &PyList / &PyModule → Bound<'py, PyList> / Bound<'py, PyModule>",
    ] {
        for part in textwrap_words(text, width) {
            lines.push(Line::styled(part, theme.dim()));
        }
    }
    // The footer always shows: how to scroll and how to close.
    let [body, footer] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    let most = lines.len().saturating_sub(body.height as usize) as u16;
    let scroll = app.help_scroll.min(most);
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), body);
    let more = if most > 0 {
        format!("↑↓ scroll ({}/{})  ·  ", scroll, most)
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!("{more}Press ? or Esc to close."),
            theme.dim(),
        )),
        footer,
    );
}

/// `text` in lines of at most `width` characters, broken between words.
fn textwrap_words(text: &str, width: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    for word in text.split_whitespace() {
        let last = out.last_mut().expect("one line at least");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            out.push(word.to_owned());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    out
}
