//! What a function's recorded calls say of its types: "a: str (1-14 chars)",
//! and the Rust signature they suggest for its port.

use serde::{Deserialize, Serialize};

/// One type seen at one position (an argument's index or name, or
/// "return"), with the range of its sizes (lengths, or magnitudes of ints).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    pub position: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub low: f64,
    pub high: f64,
}

/// "a: str (1-14 chars), b: str (2-11 chars) -> int (0-9)".
pub fn describe(params: &[String], seen: &[Seen]) -> String {
    let mut parts = Vec::new();
    for (i, name) in names(params, seen).iter().enumerate() {
        let kinds: Vec<String> = at(seen, &i.to_string(), name).map(one).collect();
        if kinds.is_empty() {
            parts.push(format!("{name}: never passed (its default)"));
        } else {
            parts.push(format!("{name}: {}", kinds.join(" | ")));
        }
    }
    let returns: Vec<String> = seen
        .iter()
        .filter(|s| s.position == "return")
        .map(one)
        .collect();
    format!("{} -> {}", parts.join(", "), returns.join(" | "))
}

/// `fn edit_distance(a: &str, b: &str) -> usize`.
pub fn rust(name: &str, params: &[String], seen: &[Seen]) -> String {
    let args: Vec<String> = names(params, seen)
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let kinds: Vec<&Seen> = at(seen, &i.to_string(), p).collect();
            format!("{p}: {}", rust_type(&kinds, true))
        })
        .collect();
    let returns: Vec<&Seen> = seen.iter().filter(|s| s.position == "return").collect();
    format!(
        "fn {name}({}) -> {}",
        args.join(", "),
        rust_type(&returns, false)
    )
}

/// The parameter names: the signature's, else one per position seen.
fn names(params: &[String], seen: &[Seen]) -> Vec<String> {
    if !params.is_empty() {
        return params.to_vec();
    }
    let count = seen
        .iter()
        .filter_map(|s| s.position.parse::<usize>().ok())
        .max()
        .map_or(0, |m| m + 1);
    (0..count).map(|i| format!("arg{i}")).collect()
}

/// What was seen at a parameter, by position or by keyword.
fn at<'s>(seen: &'s [Seen], index: &str, name: &str) -> impl Iterator<Item = &'s Seen> {
    let (index, name) = (index.to_owned(), name.to_owned());
    seen.iter()
        .filter(move |s| s.position == index || s.position == name)
}

fn one(s: &Seen) -> String {
    let unit = match s.kind.as_str() {
        "str" => " chars",
        "bytes" => " bytes",
        k if k.starts_with("list") || k.starts_with("tuple") || k.starts_with("dict") => " items",
        "int" | "float" => "",
        _ => return s.kind.clone(),
    };
    let number = |x: f64| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.3}")
        }
    };
    let range = if s.low == s.high {
        number(s.low)
    } else {
        format!("{}-{}", number(s.low), number(s.high))
    };
    format!("{} ({range}{unit})", s.kind)
}

/// A Rust type for what was seen: borrowed where an argument can be.
fn rust_type(kinds: &[&Seen], argument: bool) -> String {
    let some: Vec<&&Seen> = kinds.iter().filter(|s| s.kind != "NoneType").collect();
    let optional = some.len() < kinds.len();
    let base = match some.as_slice() {
        [] if kinds.is_empty() => return format!("Option<{}> /* never passed */", any(argument)),
        [] => return "()".to_owned(),
        [one] => scalar(one, argument),
        _ if some.iter().all(|s| s.kind == "int" || s.kind == "float") => "f64".into(),
        _ => any(argument),
    };
    if optional {
        format!("Option<{base}>")
    } else {
        base
    }
}

/// Any Python object: borrowed as an argument, owned as a result (which
/// outlives the call).
fn any(argument: bool) -> String {
    if argument {
        "Bound<'_, PyAny>".into()
    } else {
        "Py<PyAny>".into()
    }
}

fn scalar(s: &Seen, argument: bool) -> String {
    match s.kind.as_str() {
        "str" if argument => "&str".into(),
        "str" => "String".into(),
        "bytes" if argument => "&[u8]".into(),
        "bytes" => "Vec<u8>".into(),
        "bool" => "bool".into(),
        "float" => "f64".into(),
        // Python's int has no bound; a u64 or i64 holds what was seen, or
        // a u128 (PyO3 converts it), or it needs a big integer.
        "int" if s.high > u128::MAX as f64 => any(argument),
        "int" if s.high > u64::MAX as f64 || s.low < i64::MIN as f64 => "u128".into(),
        "int" if !argument && s.low >= 0.0 => "usize".into(),
        "int" => "i64".into(),
        k if k.starts_with("tuple(") => {
            // Its fields' sizes were not kept: an int may be negative.
            let fields: Vec<String> = k["tuple(".len()..k.len() - 1]
                .split(',')
                .map(|field| {
                    let seen = Seen {
                        position: String::new(),
                        kind: field.to_owned(),
                        low: -1.0,
                        high: 0.0,
                    };
                    scalar(&seen, argument)
                })
                .collect();
            match fields.as_slice() {
                [one] => format!("({one},)"),
                _ => format!("({})", fields.join(", ")),
            }
        }
        k => match k.split_once('[') {
            Some(("list" | "tuple", inner)) => {
                let inner = inner.trim_end_matches(']');
                let item = match inner {
                    "int" => "i64",
                    "float" => "f64",
                    "str" => "String",
                    "bool" => "bool",
                    _ => return format!("Vec<{}>", any(false)),
                };
                format!("Vec<{item}>")
            }
            _ => any(argument),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(position: &str, kind: &str, low: f64, high: f64) -> Seen {
        Seen {
            position: position.into(),
            kind: kind.into(),
            low,
            high,
        }
    }

    #[test]
    fn recorded_types_suggest_a_signature() {
        let calls = [
            seen("0", "str", 1.0, 14.0),
            seen("1", "str", 2.0, 11.0),
            seen("return", "int", 0.0, 9.0),
        ];
        let params = ["a".to_owned(), "b".to_owned()];
        assert_eq!(
            rust("edit_distance", &params, &calls),
            "fn edit_distance(a: &str, b: &str) -> usize"
        );
        assert_eq!(
            describe(&params, &calls),
            "a: str (1-14 chars), b: str (2-11 chars) -> int (0-9)"
        );
        let mixed = [
            seen("0", "list[float]", 0.0, 9.0),
            seen("0", "NoneType", 0.0, 0.0),
            seen("return", "int", 0.0, 1e30),
        ];
        assert_eq!(
            rust("f", &[], &mixed),
            "fn f(arg0: Option<Vec<f64>>) -> u128"
        );
        // A check that returns None, a default never passed, a float's range.
        let check = [
            seen("0", "str", 4.0, 12.0),
            seen("return", "NoneType", 0.0, 0.0),
        ];
        let params = ["s".to_owned(), "strict".to_owned()];
        assert_eq!(
            rust("check", &params, &check),
            "fn check(s: &str, strict: Option<Bound<'_, PyAny>> /* never passed */) -> ()"
        );
        assert_eq!(
            describe(&params, &check),
            "s: str (4-12 chars), strict: never passed (its default) -> NoneType"
        );
        let score = [seen("return", "float", 0.0, 0.9611111)];
        assert_eq!(describe(&[], &score), " -> float (0-0.961)");
        // A short tuple is a record of its fields, in order.
        let pair = [seen("return", "tuple(str,int)", 2.0, 2.0)];
        assert_eq!(rust("closest", &[], &pair), "fn closest() -> (String, i64)");
    }
}
