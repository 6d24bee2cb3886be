//! What can be wrong with an experiment's folder or its `lab.toml`. Every
//! message names the file and the key, and says what would work.

use crate::engine::variant::VariantClash;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read it: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Not TOML, or a key of the wrong type: toml's message, on one line.
    #[error("{path}: {}", one_line(source))]
    Toml {
        path: String,
        #[source]
        source: toml::de::Error,
    },
    /// A `[[variant]]` whose name another experiment, or a built-in, has.
    #[error("{path}: [[variant]] name: {source}")]
    Variant {
        path: String,
        #[source]
        source: VariantClash,
    },
    /// A key whose value cannot be used, a file it names that is not
    /// there, a folder that holds no experiment.
    #[error("{0}")]
    Invalid(String),
}

fn one_line(e: &impl std::fmt::Display) -> String {
    e.to_string().trim_end().replace('\n', " ")
}

/// A size N that the experiment cannot take: the message names the range.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SizeError {
    #[error("{experiment} has no size knob to set")]
    NoKnob { experiment: String },
    #[error("{experiment} has no size knob to sweep (lab.toml [input] size)")]
    NoKnobToSweep { experiment: String },
    #[error("N = {size} is outside {min}..={max} for {experiment} (its [input] min and max)")]
    Outside {
        size: u64,
        min: u64,
        max: u64,
        experiment: String,
    },
    #[error("--sweep: N = {size} is outside {min}..={max} for {experiment}")]
    SweepOutside {
        size: u64,
        min: u64,
        max: u64,
        experiment: String,
    },
    #[error("--sweep: {0:?} is not a whole number")]
    NotANumber(String),
    #[error(
        "--sweep {spec}: a range goes from the smaller size to the larger: --sweep {low}..{high}"
    )]
    Backwards {
        spec: String,
        low: String,
        high: String,
    },
    #[error("--sweep names no size")]
    NoSize,
    #[error(transparent)]
    Fibonacci(#[from] crate::fibonacci::PastU64),
}
