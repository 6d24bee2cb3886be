//! One module per pane.

pub mod builds;
pub mod gil;
pub mod help;
pub mod program;
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

pub use crate::units::fit;

/// `text` split into lines of at most `width` characters, for a log whose
/// lines must keep their ends.
pub fn wrap_chars(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() || width == 0 {
        return vec![String::new()];
    }
    chars.chunks(width).map(|c| c.iter().collect()).collect()
}

pub fn pane(title: String) -> Block<'static> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .title(format!(" {title} "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_line_ends_in_an_ellipsis_and_a_wrapped_one_keeps_its_end() {
        assert_eq!(fit("fibonacci", 20), "fibonacci");
        assert_eq!(fit("fibonacci", 5), "fibo…");
        assert_eq!(
            wrap_chars("Finished release profile in 1.2s", 12),
            ["Finished rel", "ease profile", " in 1.2s"]
        );
    }
}
