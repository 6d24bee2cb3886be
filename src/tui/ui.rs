//! The whole screen: a tab line, the main view (the race, the builds, the
//! sweep, the GIL demo or the why pane) with the room it needs, the message
//! and the keys; or a plain request to enlarge a terminal too small for it.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, ScalingView, View};
use super::theme::Theme;
use super::widgets::{builds, gil, help, program, race, scaling, status, sweep, why};
use crate::engine::types::GilMode;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn draw(frame: &mut Frame, app: &App, now: Instant, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "Terminal too small ({}x{}): enlarge it to at least {MIN_WIDTH}x{MIN_HEIGHT}. \
             Work goes on meanwhile; q quits.",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.bad())).wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let [tabs, main, message, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    status::draw_tabs(frame, tabs, app, theme);
    match app.view {
        View::Race => {
            // The builds as a strip over the race: what is built, what runs.
            let [strip, race_area] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(main);
            builds::draw_strip(frame, strip, &app.builds, now, theme);
            race::draw(frame, race_area, app, now, theme);
        }
        View::Builds => builds::draw(frame, main, &app.builds, now, theme),
        View::Sweep => sweep::draw(frame, main, &app.sweep, now, theme),
        View::Gil => {
            // The scaling pane takes its rows once it has something to show.
            let scaling_rows = if app.gil.scaling == ScalingView::NotRun {
                4
            } else {
                9
            };
            let [demo, scaling_area] =
                Layout::vertical([Constraint::Fill(1), Constraint::Length(scaling_rows)])
                    .areas(main);
            // Side by side when each half is wide enough for its lines,
            // else one over the other, each the full width.
            let halves = if demo.width >= 120 {
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            } else {
                Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
            };
            let [held, released] = halves.areas(demo);
            gil::draw(frame, held, &app.gil, GilMode::Held, theme);
            gil::draw(frame, released, &app.gil, GilMode::Released, theme);
            scaling::draw(frame, scaling_area, &app.gil.scaling, theme);
        }
        View::Why => why::draw(frame, main, app, theme),
        View::Program => program::draw(frame, main, &app.program, now, theme),
    }
    status::draw_message(frame, message, app, theme);
    status::draw_keys(frame, keys, app, theme);
    if app.show_help {
        help::draw(frame, main, app, theme);
    }
}
