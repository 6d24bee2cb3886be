//! The race pane: a bar per lane that grows with the worker's real progress,
//! then times, results and speed-ups, and the finishing order.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};

use super::pane;
use crate::engine::race::Lane;
use crate::report::text::seconds;
use crate::tui::app::{App, LaneState};
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, now: Instant, theme: &Theme) {
    let size = |n: Option<u64>| n.map(|n| format!(" (N = {n})")).unwrap_or_default();
    let raced = app.raced();
    let mut title = match raced {
        Some(e) => format!("Race: {}{}", e.name, size(app.race_size)),
        None => "Race: no experiment found".into(),
    };
    if let Some(sel) = app.current()
        && (app.selected != app.race_exp || sel.size != app.race_size)
    {
        title.push_str(&format!("  [next: {}{}]", sel.name, size(sel.size)));
    }
    let block = pane(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut rows = vec![Constraint::Length(1)];
    rows.extend(app.lanes.iter().map(|_| Constraint::Length(2)));
    rows.push(Constraint::Fill(1));
    let areas = Layout::vertical(rows).split(inner);
    let about = match (raced, app.expected()) {
        (Some(e), Some(answer)) => format!("{}; expect {answer}", e.description),
        (Some(e), None) => e.description.clone(),
        (None, _) => "add a lab.toml (pyo3-lab new NAME) or pass --lab DIR".into(),
    };
    frame.render_widget(Paragraph::new(Line::styled(about, theme.dim())), areas[0]);
    for (i, (lane, state)) in app.lanes.iter().enumerate() {
        lane_row(frame, areas[i + 1], app, *lane, state, now, theme);
    }
    finish(frame, areas[app.lanes.len() + 1], app, theme);
}

/// Two lines per lane: name, bar and time; then the result, or why it stopped.
fn lane_row(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    lane: Lane,
    state: &LaneState,
    now: Instant,
    theme: &Theme,
) {
    let [top, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let [name, bar, time] = Layout::horizontal([
        Constraint::Length(13),
        Constraint::Fill(1),
        Constraint::Length(13),
    ])
    .areas(top);
    let [_, detail] =
        Layout::horizontal([Constraint::Length(13), Constraint::Fill(1)]).areas(bottom);
    let style = if lane == Lane::Python {
        theme.python()
    } else {
        theme.rust()
    };
    frame.render_widget(Paragraph::new(Span::styled(lane.name(), style)), name);
    let (ratio, clock, text) = match state {
        LaneState::Idle => (
            0.0,
            Span::raw(""),
            Span::styled("press r to race", theme.dim()),
        ),
        LaneState::Waiting => (
            0.0,
            Span::raw(""),
            Span::styled("waiting for its turn", theme.dim()),
        ),
        LaneState::Running { since, fraction } => (
            *fraction,
            Span::styled(
                format!("{} …", seconds(now.duration_since(*since).as_secs_f64())),
                theme.busy(),
            ),
            Span::styled(
                format!("running: {:.0}% of the calls done", fraction * 100.0),
                theme.busy(),
            ),
        ),
        LaneState::Done {
            seconds: s,
            result,
            correct,
        } => {
            let speed = match app.python_time() {
                Some(p) if lane != Lane::Python => format!("   {:.1}x faster than python", p / s),
                _ => String::new(),
            };
            let verdict = if *correct {
                Span::styled(format!("✓ {result}{speed}"), theme.ok())
            } else {
                let wanted = app.expected().unwrap_or_else(|| "the python lane's".into());
                Span::styled(format!("✗ {result} ≠ {wanted} (wrong result)"), theme.bad())
            };
            (1.0, Span::styled(seconds(*s), style), verdict)
        }
        LaneState::Failed(why) => (
            0.0,
            Span::raw(""),
            Span::styled(format!("✗ {why}"), theme.bad()),
        ),
    };
    frame.render_widget(
        Gauge::default()
            .gauge_style(theme.bar())
            .ratio(ratio.clamp(0.0, 1.0))
            .label(format!("{:.0}%", ratio.clamp(0.0, 1.0) * 100.0))
            .use_unicode(true),
        bar,
    );
    frame.render_widget(Paragraph::new(clock).right_aligned(), time);
    frame.render_widget(Paragraph::new(text), detail);
}

fn finish(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let order = app.finishing_order();
    if order.len() < 2
        || app
            .lanes
            .iter()
            .any(|(_, s)| matches!(s, LaneState::Running { .. } | LaneState::Waiting))
    {
        return;
    }
    let mut spans = vec![Span::styled("finishing order: ", theme.title())];
    for (i, (lane, s)) in order.iter().enumerate() {
        spans.push(Span::raw(format!(
            "{}. {} {}  ",
            i + 1,
            lane.name(),
            seconds(*s)
        )));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).wrap(Wrap { trim: true }),
        area,
    );
}
