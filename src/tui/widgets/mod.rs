//! One module per pane.

pub mod builds;
pub mod gil;
pub mod help;
pub mod race;
pub mod scaling;
pub mod status;
pub mod sweep;
pub mod why;

use std::time::Instant;

use ratatui::widgets::{Block, BorderType};

/// A braille spinner that turns with wall time, so it moves at any frame rate.
pub fn spinner(since: Instant, now: Instant) -> char {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    FRAMES[(now.saturating_duration_since(since).as_millis() / 100) as usize % FRAMES.len()]
}

pub fn pane(title: String) -> Block<'static> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .title(format!(" {title} "))
}
