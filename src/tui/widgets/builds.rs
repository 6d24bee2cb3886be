//! The build pane: each crate in each variant, then the live maturin/cargo log.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{pane, spinner, wrap_chars};
use crate::tui::app::{BuildState, BuildsPane};
use crate::tui::theme::Theme;
use crate::units::{bytes, seconds};

pub fn draw(frame: &mut Frame, area: Rect, builds: &BuildsPane, now: Instant, theme: &Theme) {
    let home = builds
        .home_bytes
        .map(|b| format!("  home {}", bytes(b)))
        .unwrap_or_default();
    let block = pane(format!(
        "Builds  [selected: {}]{home}",
        builds.variant.name()
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = builds.states.len() as u16;
    let [table, log] =
        Layout::vertical([Constraint::Length(rows), Constraint::Fill(1)]).areas(inner);
    draw_table(frame, table, builds, now, theme);

    // Each failure's first compiler error, whole, above the log.
    let errors: Vec<Line> = builds
        .states
        .iter()
        .filter_map(|(t, state)| match state {
            BuildState::Failed(e, _) => Some(Line::styled(format!("✗ {t}: {e}"), theme.bad())),
            _ => None,
        })
        .collect();
    let [errors_area, log] = Layout::vertical([
        Constraint::Length(errors.len() as u16 * 2),
        Constraint::Fill(1),
    ])
    .areas(log);
    frame.render_widget(
        Paragraph::new(errors).wrap(Wrap { trim: false }),
        errors_area,
    );
    draw_log(frame, log, builds, theme);
}

/// A row per build: its crate and variant (the selected one marked), its state.
fn draw_table(frame: &mut Frame, area: Rect, builds: &BuildsPane, now: Instant, theme: &Theme) {
    // The name column fits the longest crate name, so names never run into the variant.
    let width = builds
        .states
        .keys()
        .map(|t| t.krate.chars().count())
        .max()
        .unwrap_or(0)
        + 1;
    let lines: Vec<Line> = builds
        .states
        .iter()
        .map(|(target, state)| {
            let marker = if target.variant == builds.variant {
                "▸"
            } else {
                " "
            };
            let name = Span::raw(format!(
                "{marker}{:<width$}{:<8}",
                target.krate,
                target.variant.name()
            ));
            Line::from(vec![name, status(state, now, theme)])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// A build's state in a few words: building for how long, built (how fast,
/// how big), failed.
fn status(state: &BuildState, now: Instant, theme: &Theme) -> Span<'static> {
    match state {
        BuildState::Unknown => Span::styled("…", theme.dim()),
        BuildState::NotBuilt => Span::styled("· not built", theme.dim()),
        BuildState::Building { since, .. } => Span::styled(
            format!(
                "{} building {:.1} s",
                spinner(*since, now),
                now.duration_since(*since).as_secs_f64()
            ),
            theme.busy(),
        ),
        BuildState::Ready(info) => Span::styled(
            format!(
                "✓ {} {}{}  {}{}",
                if info.fresh { "up to date" } else { "built" },
                seconds(info.seconds),
                // A relink is not comparable with a clean build.
                if info.clean == Some(false) {
                    " incr."
                } else {
                    ""
                },
                bytes(info.shipped_bytes()),
                other_pyo3(info.pyo3.as_deref())
            ),
            theme.ok(),
        ),
        BuildState::Failed(_, last) => Span::styled(
            format!(
                "✗ failed{}",
                if last.is_some() {
                    ", last good kept"
                } else {
                    ""
                }
            ),
            theme.bad(),
        ),
    }
}

/// The build log under its title: the last lines that fit, each wrapped
/// whole (a line keeps its end), or as far up as scrolled.
fn draw_log(frame: &mut Frame, area: Rect, builds: &BuildsPane, theme: &Theme) {
    let title = match &builds.log_target {
        Some(t) => format!("log: {t}"),
        None => "log: (no build yet)".into(),
    };
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let scrolled = if builds.log_scroll > 0 {
        format!(
            "  (scrolled up {} lines, PgDn to follow)",
            builds.log_scroll
        )
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(Line::styled(format!("── {title}{scrolled}"), theme.dim())),
        head,
    );
    let height = body.height as usize;
    let end = builds.log.len().saturating_sub(builds.log_scroll);
    let mut log_lines: Vec<Line> = Vec::new();
    for l in builds.log[..end].iter().rev() {
        let style = if l.starts_with("error") {
            theme.bad()
        } else if l.starts_with("warning") {
            theme.busy()
        } else {
            ratatui::style::Style::default()
        };
        for part in wrap_chars(l, body.width as usize).into_iter().rev() {
            log_lines.push(Line::styled(part, style));
        }
        if log_lines.len() >= height {
            break;
        }
    }
    log_lines.truncate(height);
    log_lines.reverse();
    frame.render_widget(Paragraph::new(log_lines), body);
}

/// One line of builds over the race: each build's crate, variant and state,
/// cut with an ellipsis when the screen is narrow.
pub fn draw_strip(frame: &mut Frame, area: Rect, builds: &BuildsPane, now: Instant, theme: &Theme) {
    let mut spans = vec![Span::styled("builds ", theme.title())];
    let mut used = 7usize;
    let width = area.width as usize;
    for (target, state) in &builds.states {
        let (mark, style) = match state {
            BuildState::Unknown => ("…".to_owned(), theme.dim()),
            BuildState::NotBuilt => ("·".to_owned(), theme.dim()),
            BuildState::Building { since, .. } => {
                (format!("{} building", spinner(*since, now)), theme.busy())
            }
            BuildState::Ready(_) => ("✓".to_owned(), theme.ok()),
            BuildState::Failed(..) => ("✗".to_owned(), theme.bad()),
        };
        let text = format!("{} {} {mark}  ", target.krate, target.variant.name());
        let n = text.chars().count();
        if used + n > width {
            spans.push(Span::styled("…", theme.dim()));
            break;
        }
        used += n;
        spans.push(Span::styled(text, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The crate's PyO3 when it is not the one the lab embeds: worth a look.
fn other_pyo3(version: Option<&str>) -> String {
    match version {
        Some(v) if crate::report::other_pyo3(v) => format!("  {v}!"),
        _ => String::new(),
    }
}
