//! What lab.toml may use as a name: Python identifiers and dotted module
//! paths. The loader and the variant tables both check names by these.

pub(super) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

pub(super) fn is_dotted_identifier(s: &str) -> bool {
    s.split('.').all(is_identifier)
}
