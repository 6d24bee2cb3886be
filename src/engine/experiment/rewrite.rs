//! Whether a route needed its code changed: a route lane's function set
//! against the reference's, line by line. Cython's pure mode, mypyc and
//! Numba take the reference's file as it stands; a `.pyx` with C types or a
//! file decorated by hand is a rewrite, and how much of one is its cost.

use serde::{Deserialize, Serialize};

use super::{Experiment, Implementation};

/// A route lane's code beside the reference's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rewrite {
    /// The lane's label.
    pub lane: String,
    /// The file it is made from, as lab.toml names it (`fib_typed.pyx`).
    pub file: String,
    /// The lines of its function (comments and blank lines left out).
    pub lines: usize,
    /// Of those, the lines not in the reference's function: 0 when the
    /// route took the reference as it stands.
    pub changed: usize,
}

impl Rewrite {
    /// Beside a lane in the terminal: "code as is" or "rewrote 1/4 lines".
    pub fn short(&self) -> String {
        if self.changed == 0 {
            "code as is".into()
        } else {
            format!("rewrote {}/{} lines", self.changed, self.lines)
        }
    }

    /// "as it stands (fib.py)" or "rewritten: 1 of 4 lines (fib_typed.pyx)".
    pub fn describe(&self) -> String {
        if self.changed == 0 {
            format!("as it stands ({})", self.file)
        } else {
            format!(
                "rewritten: {} of {} lines ({})",
                self.changed, self.lines, self.file
            )
        }
    }
}

impl Experiment {
    /// Each route lane's code against the reference's; a lane whose file
    /// can't be read is left out (its load or build says why).
    pub fn rewrites(&self) -> Vec<Rewrite> {
        // Most experiments have no route: their files are not read.
        if self.python.iter().all(|p| p.route.is_none()) {
            return Vec::new();
        }
        let Some(reference) = self.python.first().and_then(function_lines) else {
            return Vec::new();
        };
        self.python
            .iter()
            .filter(|p| p.route.is_some())
            .filter_map(|p| {
                let lines = function_lines(p)?;
                let file = p.source.as_deref()?.file_name()?.to_string_lossy();
                Some(Rewrite {
                    lane: p.label.clone(),
                    file: file.into_owned(),
                    changed: changed_lines(&reference, &lines),
                    lines: lines.len(),
                })
            })
            .collect()
    }
}

/// The lines of `imp`'s function in its file, trimmed.
fn function_lines(imp: &Implementation) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(imp.source.as_deref()?).ok()?;
    let lines = function_in(&text, &imp.function);
    (!lines.is_empty()).then_some(lines)
}

/// The function `name` of a `.py` or `.pyx` text, with its decorators: from
/// its `def`, `cpdef` or `cdef` line to the next line back at its indentation.
fn function_in(text: &str, name: &str) -> Vec<String> {
    let code: Vec<(usize, &str)> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| (l.len() - l.trim_start().len(), l.trim()))
        .collect();
    let defines = |line: &str| {
        let words = line.split(|c: char| !c.is_alphanumeric() && c != '_');
        let mut words = words.filter(|w| !w.is_empty());
        let first = words.next();
        matches!(first, Some("def" | "cpdef" | "cdef"))
            && line.split('(').next().is_some_and(|head| {
                head.split_whitespace()
                    .last()
                    .is_some_and(|w| w.trim_start_matches('*') == name)
            })
    };
    let Some(at) = code.iter().position(|(_, l)| defines(l)) else {
        return Vec::new();
    };
    let indent = code[at].0;
    let start = code[..at]
        .iter()
        .rposition(|(i, l)| *i != indent || !l.starts_with('@'))
        .map_or(0, |p| p + 1);
    let end = code[at + 1..]
        .iter()
        .position(|(i, _)| *i <= indent)
        .map_or(code.len(), |p| at + 1 + p);
    code[start..end]
        .iter()
        .map(|(_, l)| l.to_string())
        .collect()
}

/// The lines of `new` that a line diff against `old` does not keep.
fn changed_lines(old: &[String], new: &[String]) -> usize {
    let old: Vec<&str> = old.iter().map(String::as_str).collect();
    let new: Vec<&str> = new.iter().map(String::as_str).collect();
    similar::TextDiff::from_slices(&old, &new)
        .iter_all_changes()
        .filter(|c| c.tag() == similar::ChangeTag::Insert)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PY: &str = "\"\"\"Doc.\"\"\"\n\n\ndef fib(n: int) -> int:\n    # base case\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\n\ndef other():\n    pass\n";

    #[test]
    fn a_function_is_found_with_its_decorators_and_without_the_rest_of_its_file() {
        assert_eq!(
            function_in(PY, "fib"),
            [
                "def fib(n: int) -> int:",
                "if n < 2:",
                "return n",
                "return fib(n - 1) + fib(n - 2)"
            ]
        );
        let jitted = "import numba\n\n@numba.njit(nogil=True)\ndef fib(n):\n    return n\n";
        assert_eq!(
            function_in(jitted, "fib"),
            ["@numba.njit(nogil=True)", "def fib(n):", "return n"]
        );
        let typed =
            "cpdef long fib(long n):\n    return n\ncdef int fibber(int n):\n    return n\n";
        assert_eq!(
            function_in(typed, "fib"),
            ["cpdef long fib(long n):", "return n"]
        );
        assert!(function_in(typed, "fi").is_empty());
    }

    #[test]
    fn the_lines_a_route_changed_are_counted_and_none_when_it_took_the_file_as_it_stands() {
        let reference = function_in(PY, "fib");
        assert_eq!(changed_lines(&reference, &reference), 0);
        let typed = function_in(
            "cpdef long fib(long n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
            "fib",
        );
        assert_eq!(changed_lines(&reference, &typed), 1);
        let rewrite = Rewrite {
            lane: "cython-typed".into(),
            file: "fib_typed.pyx".into(),
            lines: 4,
            changed: 1,
        };
        assert_eq!(
            rewrite.describe(),
            "rewritten: 1 of 4 lines (fib_typed.pyx)"
        );
    }
}
