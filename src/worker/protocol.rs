//! The worker protocol: one JSON object per line, requests on the worker's
//! stdin, replies on a descriptor of their own (never the stdout that Python's
//! `print` and the extensions' `println!` write to).

use serde::{Deserialize, Serialize};

pub use super::call::{Call, Callee, Code};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    /// Import what `call` calls (and its setup) before any run. With
    /// `compiled`, refuse a function or factory written in Python: a Rust
    /// lane must run compiled code.
    Load { call: Call, compiled: bool },
    /// Make `call` and time the call alone (its setup is untimed). With
    /// `chunks`, call it once per chunk instead and add up the results,
    /// reporting after each call (never from inside one).
    Race {
        call: Call,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chunks: Option<Vec<u64>>,
        /// What the result must agree with (`compare.py`), if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expect: Option<Expect>,
        /// How closely floats must agree with `expect`.
        #[serde(default, skip_serializing_if = "Tolerance::is_exact")]
        tolerance: Tolerance,
        /// Calls per timed run; the time reported is per call. Above 1 for
        /// calls too fast to time one by one.
        #[serde(default = "one")]
        repeat: u32,
        /// Also trace Python's allocations (tracemalloc): slower, so never
        /// on a timed run.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        trace: bool,
    },
    /// Make `call` once and return its result.
    Call { call: Call },
    /// Call `inputs(random.Random(seed))` for each seed: each call returns
    /// one list of arguments. The reply's `json` is the list of them.
    Inputs { inputs: Code, seeds: Vec<u64> },
    /// Make `call` from T Python threads at once (each its own call, so a
    /// scenario's thread has its own object), for each T of `counts`, in
    /// `batches` rounds that take every T in turn, each followed by T native
    /// Rust threads (the machine's capacity at that moment). The reply's
    /// `json` is `[[T, [wall per call], [native wall], [cores busy]], ...]`.
    Threads {
        call: Call,
        counts: Vec<u32>,
        batches: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expect: Option<Expect>,
        #[serde(default, skip_serializing_if = "Tolerance::is_exact")]
        tolerance: Tolerance,
    },
    /// Make `call` once under cProfile, untimed; the reply's `json` is
    /// `[[function, cumulative seconds, share], ...]`, the top Python
    /// functions by cumulative time.
    Profile { call: Call },
    /// Call `function(1)` `calls` times; the time reported is per call.
    Overhead { function: Code, calls: u64 },
    /// Run `scenario(function)`, timestamping every line it prints.
    Gil { scenario: Code, function: Code },
}

/// The answer a result must agree with. A long one is sent to a worker once
/// and kept: a million floats are 20 MB of JSON, which cost more to send,
/// read and convert with every run than many a run itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// The answer's JSON.
    Json(String),
    /// The answer this worker was sent last.
    Kept,
}

impl Expect {
    /// The answer's JSON, where this request carries it.
    pub fn json(&self) -> Option<&str> {
        match self {
            Expect::Json(json) => Some(json),
            Expect::Kept => None,
        }
    }
}

impl Request {
    /// The JSON of the answer this request checks against, if it carries one.
    pub fn expected_json(&self) -> Option<&str> {
        match self {
            Request::Race { expect, .. } | Request::Threads { expect, .. } => {
                expect.as_ref().and_then(Expect::json)
            }
            _ => None,
        }
    }

    /// This request, checking against the answer its worker kept instead of
    /// carrying it again.
    pub fn with_kept_answer(&self) -> Request {
        match self {
            Request::Race {
                call,
                chunks,
                expect: Some(_),
                tolerance,
                repeat,
                trace,
            } => Request::Race {
                call: call.clone(),
                chunks: chunks.clone(),
                expect: Some(Expect::Kept),
                tolerance: *tolerance,
                repeat: *repeat,
                trace: *trace,
            },
            Request::Threads {
                call,
                counts,
                batches,
                expect: Some(_),
                tolerance,
            } => Request::Threads {
                call: call.clone(),
                counts: counts.clone(),
                batches: *batches,
                expect: Some(Expect::Kept),
                tolerance: *tolerance,
            },
            other => other.clone(),
        }
    }
}

fn one() -> u32 {
    1
}

/// How closely a result must agree with the expected one: `[check]` in
/// lab.toml. Exact by default; floats within `math.isclose`'s rule otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    pub rel_tol: f64,
    pub abs_tol: f64,
    pub equal_nan: bool,
}

impl Tolerance {
    pub fn is_exact(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum Reply {
    /// The interpreter is up; sent once, before any request is read.
    Ready { python: String },
    /// Progress of the current request: `done` chunks finished (one call per
    /// run), or `done` repetitions (several).
    Progress { done: usize },
    /// A JIT-compiled function's first call, made before the request's own
    /// calls: its compile time and one run, never in a timing.
    FirstCall { seconds: f64 },
    /// A line printed on stdout, `t` seconds after the request started.
    Line { t: f64, text: String },
    /// A phase mark a thread left (`start`, `sleep`, `attach`, ...), on the
    /// same clock as `Line`.
    Mark {
        t: f64,
        thread: String,
        what: String,
    },
    /// The request finished: time of the work alone, `repr()` of its result
    /// (kept short), the result as JSON when nothing was expected of it (it
    /// is then the answer others are checked against), and whether it agrees
    /// with `expect`, with where it differs when it does not.
    Finished {
        seconds: f64,
        result: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        json: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        correct: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mismatch: Option<String>,
        /// A scenario's phases in the order they first ran, each with its
        /// seconds per call; empty for a plain call.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        phases: Vec<(String, f64)>,
    },
    /// Memory of the run that is about to finish: the resident peak above
    /// the level before the calls, and tracemalloc's peak when traced.
    Memory {
        peak: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        traced: Option<u64>,
    },
    /// The request raised. The worker goes on serving requests.
    Failed { kind: FailKind, message: String },
}

impl Reply {
    /// A request's end that checks nothing: its time, what it gave, and the
    /// JSON it carries (rows, inputs), if any.
    pub fn unchecked(seconds: f64, result: String, json: Option<String>) -> Self {
        Reply::Finished {
            seconds,
            result,
            json,
            correct: None,
            mismatch: None,
            phases: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailKind {
    /// The module or function could not be loaded.
    Import,
    /// A Rust panic, surfaced by PyO3 as `PanicException`.
    Panic,
    Overflow,
    Exception,
    /// A Rust lane's function turned out to be Python code.
    NotCompiled,
    /// The function that makes the call's arguments is missing, raised, or
    /// returned no argument list.
    Setup,
}

impl FailKind {
    /// Sorts a Python exception by its type name.
    pub fn of_exception(type_name: &str) -> Self {
        match type_name {
            "PanicException" => FailKind::Panic,
            "OverflowError" => FailKind::Overflow,
            "ImportError" | "ModuleNotFoundError" | "AttributeError" => FailKind::Import,
            "SetupError" => FailKind::Setup,
            _ => FailKind::Exception,
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            FailKind::Import => "could not load",
            FailKind::Panic => "panicked",
            FailKind::Overflow => "overflowed",
            FailKind::Exception => "raised",
            FailKind::NotCompiled => "is not compiled code",
            FailKind::Setup => "could not make its arguments",
        }
    }
}

pub fn encode<T: Serialize>(msg: &T) -> String {
    let mut line = serde_json::to_string(msg).expect("protocol messages always serialise");
    line.push('\n');
    line
}

pub fn decode<'a, T: Deserialize<'a>>(line: &'a str) -> Result<T, serde_json::Error> {
    serde_json::from_str(line.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_round_trip_as_one_line_each() {
        let replies = [
            Reply::Ready {
                python: "3.11.7".into(),
            },
            Reply::Progress { done: 3 },
            Reply::Line {
                t: 0.25,
                text: "Py: Exit...".into(),
            },
            Reply::Finished {
                seconds: 1.5,
                result: "9227465".into(),
                json: Some("9227465".into()),
                correct: Some(true),
                mismatch: None,
                phases: vec![("insert".into(), 0.5), ("lookup".into(), 1.0)],
            },
            Reply::Failed {
                kind: FailKind::Panic,
                message: "boom".into(),
            },
        ];
        for reply in replies {
            let line = encode(&reply);
            assert_eq!(line.matches('\n').count(), 1, "{line}");
            assert_eq!(decode::<Reply>(&line).unwrap(), reply);
        }
    }

    #[test]
    fn the_wire_format_is_tagged_json() {
        let line = encode(&Reply::Progress { done: 2 });
        assert_eq!(line, "{\"ev\":\"progress\",\"done\":2}\n");
        let req: Request = decode(
            r#"{"cmd":"race","call":{"callee":{"kind":"function","function":{"module":"m","name":"f"}},"args":[5]},"chunks":[3,2]}"#,
        )
        .unwrap();
        assert_eq!(
            req,
            Request::Race {
                call: Call::function("m", "f", vec![5.into()]),
                chunks: Some(vec![3, 2]),
                expect: None,
                tolerance: Tolerance::default(),
                repeat: 1,
                trace: false,
            }
        );
    }

    #[test]
    fn a_request_names_the_kept_answer_instead_of_carrying_it_again() {
        let request = Request::Race {
            call: Call::function("m", "f", vec![5.into()]),
            chunks: None,
            expect: Some(Expect::Json("[0.5, 0.25]".into())),
            tolerance: Tolerance::default(),
            repeat: 3,
            trace: false,
        };
        assert_eq!(request.expected_json(), Some("[0.5, 0.25]"));
        let kept = request.with_kept_answer();
        assert_eq!(kept.expected_json(), None);
        let line = encode(&kept);
        assert!(line.contains(r#""expect":"kept""#), "{line}");
        assert!(!line.contains("0.25"), "{line}");
        assert_eq!(decode::<Request>(&line).unwrap(), kept);
        let Request::Race { repeat, call, .. } = kept else {
            panic!("still a race")
        };
        assert_eq!((repeat, call.args.len()), (3, 1));
    }

    #[test]
    fn a_broken_line_is_an_error_not_a_panic() {
        assert!(decode::<Reply>("{\"ev\":\"progress\"").is_err());
        assert!(decode::<Reply>("Rust: Enter double_list...").is_err());
    }

    #[test]
    fn exceptions_are_sorted_by_type() {
        assert_eq!(FailKind::of_exception("PanicException"), FailKind::Panic);
        assert_eq!(FailKind::of_exception("OverflowError"), FailKind::Overflow);
        assert_eq!(
            FailKind::of_exception("ModuleNotFoundError"),
            FailKind::Import
        );
        assert_eq!(FailKind::of_exception("ValueError"), FailKind::Exception);
    }
}
