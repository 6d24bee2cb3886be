//! The bottom lines: the latest message, the keys that apply now, and versions.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::engine::bootstrap::MATURIN_VERSION;
use crate::report::PYO3_VERSION;
use crate::tui::app::{App, Job, Level};
use crate::tui::keys::{Action, BINDINGS, Binding};
use crate::tui::theme::Theme;

/// The latest message (wrapped over the lines it has), with versions at the right.
pub fn draw_message(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut versions = match &app.toolchain {
        Some(tc) => format!(
            "Python {} · pyo3 {PYO3_VERSION} · maturin {}",
            tc.python_version, tc.maturin_version
        ),
        None => format!("pyo3 {PYO3_VERSION} · maturin {MATURIN_VERSION}"),
    };
    if let Some(w) = &app.watch {
        let round = match w.last {
            Some((at, took)) => format!(
                ", last round {} s ago ({took:.1} s)",
                at.elapsed().as_secs()
            ),
            None => String::new(),
        };
        // Watching says more than the versions do while it lasts.
        versions = format!("watching {}{round}", w.experiment);
    }
    let [text, right] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(versions.chars().count() as u16 + 2),
    ])
    .areas(area);
    let line = match (&app.message, &app.running) {
        (Some((Level::Error, m)), _) => Line::styled(format!("✗ {m}"), theme.bad()),
        (Some((Level::Info, m)), _) => Line::raw(m.as_str()),
        // Set-up says which step it is on: making a venv, installing maturin.
        (None, Some((Job::Setup, _))) => {
            Line::styled(format!("set-up: {}…", app.setup_status), theme.busy())
        }
        (None, Some((job, _))) => {
            Line::styled(format!("running the {}…", job.describe()), theme.busy())
        }
        (None, None) if app.toolchain.is_none() => {
            Line::styled(format!("set-up: {}", app.setup_status), theme.busy())
        }
        (None, None) => Line::styled("ready", theme.dim()),
    };
    frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), text);
    frame.render_widget(
        Paragraph::new(Line::styled(versions, theme.dim())).right_aligned(),
        right,
    );
}

fn applies(action: Action, app: &App) -> bool {
    match action {
        Action::Cancel => app.is_busy(),
        Action::ScrollDown => false,
        Action::ScrollUp => !app.builds.log.is_empty(),
        _ => true,
    }
}

/// The keys that apply now, from the key map.
pub fn draw_keys(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // Cancel, help and quit first: they must stay visible when the line is cut.
    let first = |b: &&Binding| matches!(b.action, Action::Quit | Action::Help | Action::Cancel);
    let ordered = BINDINGS
        .iter()
        .filter(first)
        .chain(BINDINGS.iter().filter(|b| !first(b)));
    let mut spans = Vec::new();
    for b in ordered.filter(|b| applies(b.action, app) && !b.short.is_empty()) {
        spans.push(Span::styled(b.label, theme.key()));
        spans.push(Span::raw(format!(" {}  ", b.short)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
