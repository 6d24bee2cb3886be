//! The whole screen: the layout of the panes, or a plain request to enlarge a
//! terminal too small for it.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, Lower};
use super::theme::Theme;
use super::widgets::{builds, gil, help, race, scaling, status, sweep, why};
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
    let [main, message, keys] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let [top, bottom, scaling_area] = Layout::vertical([
        Constraint::Percentage(42),
        Constraint::Fill(1),
        // A head, four contenders and a verdict of up to two lines.
        Constraint::Length(9),
    ])
    .areas(main);
    let [build_area, race_area] =
        Layout::horizontal([Constraint::Percentage(48), Constraint::Percentage(52)]).areas(top);
    let [held, released] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);

    builds::draw(frame, build_area, &app.builds, now, theme);
    race::draw(frame, race_area, app, now, theme);
    match app.lower {
        Lower::Gil => {
            gil::draw(frame, held, &app.gil, GilMode::Held, theme);
            gil::draw(frame, released, &app.gil, GilMode::Released, theme);
        }
        Lower::Sweep => sweep::draw(frame, bottom, &app.sweep, now, theme),
        Lower::Why => why::draw(frame, bottom, app, theme),
    }
    scaling::draw(frame, scaling_area, &app.gil.scaling, theme);
    status::draw_message(frame, message, app, theme);
    status::draw_keys(frame, keys, app, theme);
    if app.show_help {
        help::draw(frame, main, app.current(), theme);
    }
}
