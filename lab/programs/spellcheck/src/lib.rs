//! The port of `spellcheck.pure.edit_distance`, the function the program
//! spends most of its time in (`pyo3-lab profile -- python app.py` says so).

use pyo3::prelude::*;

/// Levenshtein distance between `a` and `b`, by characters (not bytes, so a
/// word with an accent counts as Python counts it), in one row of the table.
#[pyfunction]
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(edit_distance, m)?)
}
