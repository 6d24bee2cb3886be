//! What lab.toml may use as a name: Python identifiers and dotted module
//! paths, and what it may ask pip for (PEP 508 requirements). The loader
//! and the variant tables both check by these.

pub(super) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

pub(super) fn is_dotted_identifier(s: &str) -> bool {
    s.split('.').all(is_identifier)
}

/// Checks one requirement string (PEP 508) and gives it in its normal form;
/// the error says what is wrong.
pub(super) fn requirement(text: &str) -> Result<String, Pep508Error> {
    use std::str::FromStr;
    pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(text).map(|r| r.to_string())
}

pub(super) type Pep508Error = pep508_rs::Pep508Error<pep508_rs::VerbatimUrl>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_strings_are_checked_as_pep_508() {
        assert_eq!(requirement("numpy>=2").unwrap(), "numpy>=2");
        assert!(requirement("numpy >= 2, < 3; python_version >= '3.9'").is_ok());
        assert!(requirement("scipy[extra]==1.14.*").is_ok());
        assert!(requirement("numpy>>2").is_err());
        assert!(requirement("").is_err());
        assert!(requirement("num py").is_err());
    }
}
