//! Colours, or none: `NO_COLOR` (any value) turns every colour off and keeps
//! only bold and reverse, which read on any terminal.

use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn from_env() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    /// A colour, or none under NO_COLOR.
    pub fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn bad(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn busy(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn python(&self) -> Style {
        self.fg(Color::Cyan)
    }
    pub fn rust(&self) -> Style {
        self.fg(Color::LightRed)
    }
    /// A lane's colour and glyph, the same in every pane: the glyph tells
    /// lanes apart under `NO_COLOR`. Known names keep their colour across
    /// experiments; any other name gets one from its letters.
    pub fn lane(&self, name: &str) -> (Style, char) {
        const OTHERS: [(Color, char); 6] = [
            (Color::Magenta, '▚'),
            (Color::LightBlue, '▞'),
            (Color::Green, '▌'),
            (Color::LightYellow, '▐'),
            (Color::LightMagenta, '▙'),
            (Color::LightCyan, '▟'),
        ];
        let (color, glyph) = match name {
            "python" => (Color::Cyan, '░'),
            "rust-debug" => (Color::Yellow, '▒'),
            "rust-release" => (Color::LightRed, '█'),
            "rust-native" | "native" => (Color::White, '▓'),
            "rust-gil-held" => (Color::LightRed, '▒'),
            "rust-gil-released" => (Color::Green, '█'),
            _ => {
                let sum = name
                    .bytes()
                    .fold(0usize, |a, b| a.wrapping_mul(31).wrapping_add(b as usize));
                OTHERS[sum % OTHERS.len()]
            }
        };
        (self.fg(color), glyph)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn bar(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Green).bg(Color::Black)
        } else {
            Style::new()
        }
    }
}
