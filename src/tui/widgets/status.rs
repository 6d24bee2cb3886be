//! The bottom lines: the latest message, the keys that apply now, and versions.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::engine::compile::bootstrap::MATURIN_VERSION;
use crate::report::PYO3_VERSION;
use crate::tui::app::{App, Job, Level, View};
use crate::tui::keys::{Action, BINDINGS, Binding};
use crate::tui::theme::Theme;
use crate::tui::widgets::fit;

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
    let (line, style) = match (&app.message, &app.running) {
        (Some((Level::Error, m)), _) => (format!("✗ {m}"), theme.bad()),
        (Some((Level::Info, m)), _) => (m.clone(), ratatui::style::Style::default()),
        // Set-up says which step it is on: making a venv, installing maturin.
        (None, Some((Job::Setup, _))) => (format!("set-up: {}…", app.setup_status), theme.busy()),
        (None, Some((job, _))) => (format!("running the {}…", job.describe()), theme.busy()),
        (None, None) if app.toolchain.is_none() => {
            (format!("set-up: {}", app.setup_status), theme.busy())
        }
        (None, None) => ("ready".to_owned(), theme.dim()),
    };
    // The message first: the versions give way when it needs the room
    // (what is watched does not: it is the state of the lab).
    let width = area.width as usize;
    let needed = line.chars().count() + versions.chars().count() + 2;
    let right_width = if needed <= width || app.watch.is_some() {
        versions.chars().count() as u16 + 2
    } else {
        0
    };
    let [text, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(
        Paragraph::new(Line::styled(fit(&line, text.width as usize), style)),
        text,
    );
    frame.render_widget(
        Paragraph::new(Line::styled(versions, theme.dim())).right_aligned(),
        right,
    );
}

/// The tab line: each view by name, the one on screen lit; a mark on a
/// view whose job is running.
pub fn draw_tabs(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let busy = |v: View| {
        matches!(
            (&app.running, v),
            (Some((Job::Race(_), _)), View::Race)
                | (Some((Job::Build(_), _)), View::Builds)
                | (Some((Job::Sweep { .. }, _)), View::Sweep)
                | (Some((Job::Gil { .. }, _)), View::Gil)
        )
    };
    let mut spans = Vec::new();
    for v in View::ALL {
        let text = format!(" {}{} ", v.title(), if busy(v) { " ●" } else { "" });
        if v == app.view {
            spans.push(Span::styled(
                text,
                theme.title().add_modifier(Modifier::REVERSED),
            ));
        } else {
            spans.push(Span::styled(text, theme.dim()));
        }
        spans.push(Span::raw(" "));
    }
    let experiment = app
        .current()
        .map(|e| match e.size {
            Some(n) => format!("{} (N = {n})", e.name()),
            None => e.name().to_owned(),
        })
        .unwrap_or_default();
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let room = (area.width as usize).saturating_sub(used + 2);
    if room > 3 && !experiment.is_empty() {
        spans.push(Span::styled(
            format!("  {}", fit(&experiment, room)),
            theme.title(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Whether a key means something on the view on screen now.
/// Whether `action` is a key of one view alone.
fn view_only(action: Action) -> bool {
    matches!(
        action,
        Action::Swap
            | Action::Open
            | Action::SelectUp
            | Action::SelectDown
            | Action::SweepView
            | Action::ToggleVariant
            | Action::BuildAll
    )
}

fn applies(action: Action, app: &App) -> bool {
    if app.show_help {
        return matches!(
            action,
            Action::Help | Action::Quit | Action::ScrollUp | Action::ScrollDown
        );
    }
    match action {
        Action::Cancel => app.is_busy(),
        Action::ScrollDown | Action::ScrollUp => {
            app.view == View::Builds && !app.builds.log.is_empty()
        }
        Action::SweepView => app.view == View::Sweep,
        Action::Swap | Action::Open | Action::SelectUp | Action::SelectDown => {
            app.view == View::Program
        }
        Action::NUp | Action::NDown | Action::NextExperiment => app.view != View::Builds,
        Action::ToggleVariant | Action::BuildAll => app.view == View::Builds,
        _ => true,
    }
}

/// The keys that apply now, from the key map, as many as fit whole; the
/// line always ends with `?` for the rest.
pub fn draw_keys(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // Cancel and quit first: they must stay on the line whatever is cut.
    // Then the view's own keys: what this screen is for comes before what
    // every screen has.
    let first = |b: &&Binding| matches!(b.action, Action::Quit | Action::Cancel);
    let own = |b: &&Binding| !first(b) && view_only(b.action);
    let ordered = BINDINGS
        .iter()
        .filter(first)
        .chain(BINDINGS.iter().filter(own))
        .chain(BINDINGS.iter().filter(|b| !first(b) && !own(b)))
        .filter(|b| b.action != Action::Help);
    let help = if app.show_help { "close" } else { "more keys" };
    let tail = format!("? {help}");
    let mut room = (area.width as usize).saturating_sub(tail.chars().count());
    let mut spans = Vec::new();
    for b in ordered.filter(|b| applies(b.action, app) && !b.short.is_empty()) {
        let width = b.label.chars().count() + b.short.chars().count() + 3;
        if width > room {
            continue;
        }
        room -= width;
        spans.push(Span::styled(b.label, theme.key()));
        spans.push(Span::raw(format!(" {}  ", b.short)));
    }
    spans.push(Span::styled("?", theme.key()));
    spans.push(Span::raw(format!(" {help}")));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
