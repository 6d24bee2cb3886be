//! The builds an experiment races: `variants` names (built-ins or its own)
//! and its `[[variant]]` tables, checked key by key.

use super::error::LoadError;
use serde::Deserialize;

use super::names::is_identifier;
use super::schema::VariantTable;
use crate::engine::types::{Variant, VariantSpec};
use crate::engine::variant::{BUILTIN, Variants};

/// Reads the builds an experiment races, by their names in `table`; the
/// error names the key.
pub fn parse_variants(
    names: &[String],
    key: &str,
    table: &Variants,
) -> Result<Vec<Variant>, LoadError> {
    if names.is_empty() {
        return Err(LoadError::Invalid(format!(
            "{key} is empty: name builds such as debug, release or both"
        )));
    }
    let mut out = Vec::new();
    for name in names {
        let v = table.named(name.trim()).cloned().ok_or_else(|| {
            LoadError::Invalid(format!(
                "{key}: {name:?} is not a build: use {}, or a [[variant]] of lab.toml",
                BUILTIN.join(", ")
            ))
        })?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out.sort();
    Ok(out)
}

/// Reads the `[[variant]]` tables, each checked on its own so the error
/// names which.
pub(super) fn own_variants(
    shown: &str,
    tables: Vec<toml::Value>,
) -> Result<Vec<Variant>, LoadError> {
    let mut names: Vec<String> = Vec::new();
    let mut own = Vec::new();
    for (i, table) in tables.into_iter().enumerate() {
        let key = format!("[[variant]] #{}", i + 1);
        let t = VariantTable::deserialize(table).map_err(|e| {
            LoadError::Invalid(format!(
                "{shown}: {key}: {}",
                e.to_string().trim_end().replace('\n', " ")
            ))
        })?;
        if !is_identifier(&t.name) {
            return Err(LoadError::Invalid(format!(
                "{shown}: {key} name = {:?}: use letters, digits and _ (it names lanes and folders)",
                t.name
            )));
        }
        if names.contains(&t.name) {
            return Err(LoadError::Invalid(format!(
                "{shown}: {key} name = {:?}: another [[variant]] has that name",
                t.name
            )));
        }
        let release = match t.profile.as_deref() {
            None | Some("release") => true,
            Some("debug") => false,
            Some(other) => {
                return Err(LoadError::Invalid(format!(
                    "{shown}: {key} profile = {other:?}: use \"debug\" or \"release\""
                )));
            }
        };
        if let Some(bad) = t.config.iter().find(|c| !c.contains('=')) {
            return Err(LoadError::Invalid(format!(
                "{shown}: {key} config = {bad:?}: give KEY=VALUE, e.g. profile.release.panic=\"abort\""
            )));
        }
        if BUILTIN.contains(&t.name.as_str()) {
            return Err(LoadError::Invalid(format!(
                "{shown}: {key} name: {:?} is a built-in variant: choose another name",
                t.name
            )));
        }
        own.push(Variant::own(VariantSpec {
            name: t.name.clone(),
            release,
            rustflags: t.rustflags,
            features: t.features,
            config: t.config,
            pgo: t.pgo,
        }));
        names.push(t.name);
    }
    Ok(own)
}
