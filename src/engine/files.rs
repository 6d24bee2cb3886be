//! Two small facts about files that builds, the home, the lessons' archive,
//! `init` and the file watch all share.

/// Whether a file or folder of that name is built, cached or hidden (cargo's
/// `target`, Python's `__pycache__`, dot-folders), never a source: what
/// builds, the lessons' archive, `init` and the file watch all skip.
pub fn is_output(name: &str) -> bool {
    name.starts_with('.') || name == "target" || name == "__pycache__"
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
