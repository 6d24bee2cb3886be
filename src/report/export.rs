//! Every file and stream a `--check` report goes to, in one place (as
//! hyperfine's export manager): the text on stdout, coloured only for a
//! person, and the JSON, Markdown, CSV and SVG files asked for.

use super::error::FileError;
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

impl Outputs {
    /// Checks that every file asked for can be written, before anything
    /// runs: a sweep of minutes must not end in "cannot write". A file that
    /// was not there is not left behind.
    pub fn check_writable(&self) -> Result<(), FileError> {
        let asked = [
            ("--json", &self.json),
            ("--markdown", &self.markdown),
            ("--csv", &self.csv),
            ("--plot", &self.plot),
        ];
        for (flag, path) in asked {
            let Some(path) = path else { continue };
            let existed = path.exists();
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .map_err(|source| FileError::Unwritable {
                    flag,
                    path: path.clone(),
                    source,
                })?;
            if !existed {
                let _ = std::fs::remove_file(path);
            }
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_that_cannot_be_written_is_refused_and_nothing_is_left() {
        let dir = std::env::temp_dir().join(format!("pyo3-lab-outputs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fine = Outputs {
            json: Some(dir.join("r.json")),
            ..Outputs::default()
        };
        assert!(fine.check_writable().is_ok());
        assert!(!dir.join("r.json").exists(), "the probe leaves nothing");
        let bad = Outputs {
            plot: Some(dir.join("no/such/folder/p.svg")),
            ..Outputs::default()
        };
        let err = bad.check_writable().unwrap_err().to_string();
        assert!(
            err.starts_with("--plot ") && err.contains("cannot write there"),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
