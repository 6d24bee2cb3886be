//! Arguments varied from the ones a lab.toml gives, for a differential
//! check without a size knob: one input agreeing proves little (hamming,
//! levenshtein and damerau all give 3 on "kitten", "sitting"). Each value
//! is varied within its own kind and never grows past what was given, so
//! no varied call costs more than the given one: a string gets edits (a
//! swap of neighbours, a deletion, an insertion, a replacement) or is
//! emptied or drawn anew from the characters given; a number is drawn
//! between 0 and itself; a list is cut and its items varied.

use serde_json::Value;

/// The given arguments varied by `rng`.
pub fn varied(args: &[Value], rng: &mut fastrand::Rng) -> Vec<Value> {
    let alphabet = alphabet(args);
    args.iter().map(|a| vary(a, &alphabet, rng)).collect()
}

/// Every character of the arguments' strings, for edits that stay in the
/// same script (a port of a word function is tried on words).
fn alphabet(args: &[Value]) -> Vec<char> {
    fn walk(v: &Value, out: &mut Vec<char>) {
        match v {
            Value::String(s) => out.extend(s.chars()),
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    args.iter().for_each(|a| walk(a, &mut out));
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        out.extend('a'..='e');
    }
    out
}

fn vary(v: &Value, alphabet: &[char], rng: &mut fastrand::Rng) -> Value {
    match v {
        Value::String(s) => Value::from(string(s, alphabet, rng)),
        Value::Bool(_) => Value::from(rng.bool()),
        Value::Number(n) => number(n, rng),
        Value::Array(items) if !items.is_empty() => {
            let len = rng.usize(0..=items.len());
            Value::Array(
                (0..len)
                    .map(|_| vary(&items[rng.usize(..items.len())], alphabet, rng))
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

fn number(n: &serde_json::Number, rng: &mut fastrand::Rng) -> Value {
    if let Some(u) = n.as_u64() {
        Value::from(rng.u64(0..=u))
    } else if let Some(i) = n.as_i64() {
        Value::from(rng.i64(i..=0))
    } else {
        let f = n.as_f64().unwrap_or(0.0);
        Value::from(f * rng.f64())
    }
}

fn string(s: &str, alphabet: &[char], rng: &mut fastrand::Rng) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let pick = |rng: &mut fastrand::Rng| alphabet[rng.usize(..alphabet.len())];
    match rng.u8(0..10) {
        0 => return String::new(),
        1 => {
            let len = rng.usize(0..=chars.len());
            return (0..len).map(|_| pick(rng)).collect();
        }
        _ => {}
    }
    for _ in 0..rng.usize(1..=3) {
        let len = chars.len();
        match rng.u8(0..4) {
            0 if len >= 2 => {
                let i = rng.usize(..len - 1);
                chars.swap(i, i + 1);
            }
            1 if len >= 1 => {
                chars.remove(rng.usize(..len));
            }
            2 if len >= 1 => chars[rng.usize(..len)] = pick(rng),
            // An insertion keeps the length: it replaces the last character.
            _ if len >= 1 => {
                chars.pop();
                chars.insert(rng.usize(..len), pick(rng));
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varied_arguments_keep_their_kinds_and_never_grow() {
        let args = vec![
            Value::from("kitten"),
            Value::from(40),
            Value::from(vec![1, 2, 3]),
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        let mut distinct = std::collections::HashSet::new();
        for _ in 0..50 {
            let v = varied(&args, &mut rng);
            let s = v[0].as_str().unwrap();
            assert!(s.chars().count() <= 6 && s.chars().all(|c| "kitten".contains(c)));
            assert!(v[1].as_u64().unwrap() <= 40);
            assert!(v[2].as_array().unwrap().len() <= 3);
            distinct.insert(v[0].to_string());
        }
        assert!(distinct.len() > 20, "{distinct:?}");
        let again = varied(&args, &mut fastrand::Rng::with_seed(7));
        assert_eq!(again, varied(&args, &mut fastrand::Rng::with_seed(7)));
    }
}
