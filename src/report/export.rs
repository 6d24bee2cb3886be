//! Every file and stream a `--check` report goes to, in one place (as
//! hyperfine's export manager): the text on stdout, coloured only for a
//! person, and the JSON, Markdown, CSV and SVG files asked for.

use std::path::{Path, PathBuf};

use super::Report;

/// The files a report is written to; None where none was asked for.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    pub json: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
    pub csv: Option<PathBuf>,
    pub plot: Option<PathBuf>,
}

/// The text report on stdout.
pub fn print(report: &Report) {
    let text = super::text::render(report);
    print!(
        "{}",
        if colour() {
            super::text::coloured(&text)
        } else {
            text
        }
    );
}

/// Colour only for a person: stdout a terminal, no `NO_COLOR`, not `TERM=dumb`.
fn colour() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").is_ok_and(|t| t != "dumb")
}

/// Writes every file asked for; false if one could not be written (each
/// failure is said on stderr, naming the file).
pub fn save(outputs: &Outputs, report: &Report) -> bool {
    let mut ok = true;
    let mut write = |path: &Path, text: String| {
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            ok = false;
        }
    };
    if let Some(path) = &outputs.json {
        write(
            path,
            serde_json::to_string_pretty(report).expect("serialisable"),
        );
    }
    if let Some(path) = &outputs.markdown {
        write(path, super::markdown::render(report));
    }
    if let Some(path) = &outputs.csv {
        write(path, super::csv::render(report));
    }
    let mut plot_error = None;
    if let Some(path) = &outputs.plot {
        match super::plot::render(report) {
            Ok(svg) => write(path, svg),
            Err(e) => plot_error = Some(format!("cannot draw {}: {e}", path.display())),
        }
    }
    if let Some(e) = plot_error {
        eprintln!("error: {e}");
        ok = false;
    }
    ok
}
