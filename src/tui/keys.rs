//! The key map: the one list the keys are handled from and the help overlay
//! and status bar are drawn from, so they cannot drift apart.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Build,
    BuildAll,
    ToggleVariant,
    ToggleDebugLanes,
    ToggleVerify,
    ToggleInstructions,
    Why,
    ToggleWatch,
    Sweep,
    SweepView,
    NextExperiment,
    NextView,
    PreviousView,
    Race,
    Gil,
    NUp,
    NDown,
    ScrollUp,
    ScrollDown,
    /// The program view: the function above or below, and what to do with it.
    SelectUp,
    SelectDown,
    Open,
    Swap,
    Cancel,
    Help,
    Quit,
}

pub struct Binding {
    pub key: KeyCode,
    /// How the key is written on screen.
    pub label: &'static str,
    pub action: Action,
    /// A word or two for the status bar.
    pub short: &'static str,
    /// A sentence for the help overlay.
    pub help: &'static str,
}

const fn bind(
    key: KeyCode,
    label: &'static str,
    action: Action,
    short: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        key,
        label,
        action,
        short,
        help,
    }
}

pub const BINDINGS: &[Binding] = &[
    bind(
        KeyCode::Char('b'),
        "b",
        Action::Build,
        "build",
        "build every crate in the selected variant (skipped when up to date)",
    ),
    bind(
        KeyCode::Char('B'),
        "B",
        Action::BuildAll,
        "both",
        "build every crate in debug and release",
    ),
    bind(
        KeyCode::Char('v'),
        "v",
        Action::ToggleVariant,
        "variant",
        "toggle the selected variant (what b builds, g loads): debug <-> release",
    ),
    bind(
        KeyCode::Char('e'),
        "e",
        Action::NextExperiment,
        "next",
        "pick the next experiment to race (every lab.toml found)",
    ),
    bind(
        KeyCode::Tab,
        "Tab",
        Action::NextView,
        "view",
        "the next view: race, builds, sweep, GIL, why (Shift-Tab: the one before)",
    ),
    bind(
        KeyCode::BackTab,
        "S-Tab",
        Action::PreviousView,
        "",
        "the view before",
    ),
    bind(
        KeyCode::Char('r'),
        "r",
        Action::Race,
        "race",
        "race the selected experiment: every implementation in every build raced (builds first)",
    ),
    bind(
        KeyCode::Char('s'),
        "s",
        Action::Sweep,
        "sweep",
        "sweep the selected experiment over a range of N: time against size, as curves",
    ),
    bind(
        KeyCode::Char('x'),
        "x",
        Action::SweepView,
        "",
        "the sweep chart: time against size <-> speed-up against size",
    ),
    bind(
        KeyCode::Char('g'),
        "g",
        Action::Gil,
        "GIL",
        "run the two-thread GIL demo, GIL held and released side by side, then the scaling batches",
    ),
    bind(
        KeyCode::Char('+'),
        "+",
        Action::NUp,
        "N+1",
        "raise N, the size knob (fib: up to 93, the largest that fits u64)",
    ),
    bind(KeyCode::Char('-'), "-", Action::NDown, "N-1", "lower N"),
    bind(
        KeyCode::Char('w'),
        "w",
        Action::ToggleWatch,
        "watch",
        "watch the selected experiment: each save rebuilds and re-races it, no key needed",
    ),
    bind(
        KeyCode::Char('V'),
        "V",
        Action::ToggleVerify,
        "verify",
        "verify on/off: after each race, check every lane against the reference on generated inputs",
    ),
    bind(
        KeyCode::Char('I'),
        "I",
        Action::ToggleInstructions,
        "instr.",
        "count each lane's instructions per call under callgrind after each race (slower)",
    ),
    bind(
        KeyCode::Char('d'),
        "d",
        Action::ToggleDebugLanes,
        "builds",
        "race the debug builds too, or release only (debug lanes are slow)",
    ),
    bind(
        KeyCode::Char('y'),
        "y",
        Action::Why,
        "why",
        "why each lane is as fast as it is: where its instructions go (after I), and what to try",
    ),
    bind(
        KeyCode::PageUp,
        "PgUp",
        Action::ScrollUp,
        "scroll",
        "scroll up: the build log, or this help",
    ),
    bind(
        KeyCode::PageDown,
        "PgDn",
        Action::ScrollDown,
        "",
        "scroll down: the build log (back to following it), or this help",
    ),
    bind(
        KeyCode::Char('S'),
        "S",
        Action::Swap,
        "swap",
        "program view: the profiled program as it is and with the Rust ports swapped in",
    ),
    bind(
        KeyCode::Up,
        "↑",
        Action::SelectUp,
        "",
        "program view: the function above",
    ),
    bind(
        KeyCode::Down,
        "↓",
        Action::SelectDown,
        "",
        "program view: the function below",
    ),
    bind(
        KeyCode::Enter,
        "Enter",
        Action::Open,
        "race it",
        "program view: race the selected function on its recorded calls",
    ),
    bind(
        KeyCode::Esc,
        "Esc",
        Action::Cancel,
        "cancel",
        "cancel what is running (kills the build or worker at once)",
    ),
    bind(
        KeyCode::Char('?'),
        "?",
        Action::Help,
        "help",
        "show or hide this help",
    ),
    bind(
        KeyCode::Char('q'),
        "q",
        Action::Quit,
        "quit",
        "quit (Ctrl-C too); anything running is stopped",
    ),
];

/// Extra keys that mean the same as a listed one.
fn alias(key: &KeyEvent) -> Option<Action> {
    match key.code {
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Some(Action::Quit),
        KeyCode::Char('=') => Some(Action::NUp),
        KeyCode::Up => Some(Action::ScrollUp),
        KeyCode::Down => Some(Action::ScrollDown),
        _ => None,
    }
}

pub fn action_for(key: &KeyEvent) -> Option<Action> {
    alias(key).or_else(|| {
        BINDINGS
            .iter()
            .find(|b| b.key == key.code)
            .map(|b| b.action)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_exactly_one_binding() {
        let actions = [
            Action::Build,
            Action::BuildAll,
            Action::ToggleVariant,
            Action::ToggleDebugLanes,
            Action::ToggleVerify,
            Action::ToggleInstructions,
            Action::Why,
            Action::ToggleWatch,
            Action::Sweep,
            Action::SweepView,
            Action::NextExperiment,
            Action::NextView,
            Action::PreviousView,
            Action::Race,
            Action::Gil,
            Action::NUp,
            Action::NDown,
            Action::ScrollUp,
            Action::ScrollDown,
            Action::Cancel,
            Action::Help,
            Action::Quit,
        ];
        for a in actions {
            assert_eq!(
                BINDINGS.iter().filter(|b| b.action == a).count(),
                1,
                "{a:?}"
            );
        }
    }

    #[test]
    fn ctrl_c_quits_and_plain_c_does_nothing() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_c), Some(Action::Quit));
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(action_for(&c), None);
        let b = KeyEvent::new(KeyCode::Char('B'), KeyModifiers::SHIFT);
        assert_eq!(action_for(&b), Some(Action::BuildAll));
    }
}
