//! A problem in words: one line, naming the experiment, the lane and the
//! size it happened at, and what to do where there is something to do.

use super::shorten;
use crate::engine::problem::{Problem, ProblemKind};

pub fn describe(p: &Problem) -> String {
    let exp = p.experiment.as_deref().unwrap_or("");
    let lane = p.lane.as_deref().unwrap_or("");
    let line = match &p.kind {
        ProblemKind::Build { target, error } => format!("build {target} failed: {error}"),
        ProblemKind::LaneFailed(why) => format!("{exp} lane {lane} {why}"),
        ProblemKind::Wrong {
            mismatch: Some(why),
            ..
        } => format!("{exp} lane {lane} returned a wrong result: {why}"),
        ProblemKind::Wrong {
            result, expected, ..
        } => format!(
            "{exp} lane {lane} returned {}, expected {}",
            result.as_deref().unwrap_or("nothing"),
            shorten(expected)
        ),
        ProblemKind::Unchecked => format!(
            "{exp} lane {lane} could not be checked: the reference lane gave no result to compare with"
        ),
        ProblemKind::Instructions(why) if lane.is_empty() => format!("{exp}: instructions: {why}"),
        ProblemKind::Instructions(why) => format!("{exp} lane {lane}: instructions: {why}"),
        ProblemKind::Threads {
            threads: Some(t),
            why,
        } => format!("{exp} lane {lane} with {t} threads {why}"),
        ProblemKind::Threads { threads: None, why } if lane.is_empty() => {
            format!("{exp}: threads: {why}")
        }
        ProblemKind::Threads { threads: None, why } => format!("{exp} lane {lane} threads: {why}"),
        ProblemKind::WrongWithThreads(t) => {
            format!("{exp} lane {lane} returned a wrong result from up to {t} threads at once")
        }
        ProblemKind::Disagrees(v) => disagreement(v),
        ProblemKind::Verify(why) => format!("{exp}: verify: {why}"),
        ProblemKind::Gil { mode, verdict } => format!("GIL {}: {verdict}", mode.name()),
        ProblemKind::Scaling(why) => format!("GIL scaling: {why}"),
        ProblemKind::Trace(why) => format!("tracemalloc: {why}"),
        ProblemKind::Step(why) | ProblemKind::Packages(why) if exp.is_empty() => why.clone(),
        ProblemKind::Step(why) | ProblemKind::Packages(why) => format!("{exp}: {why}"),
    };
    match p.size {
        Some(n) => format!("N = {n}: {line}"),
        None => line,
    }
}

/// Every problem in words, in order.
pub fn describe_all(problems: &[Problem]) -> Vec<String> {
    problems.iter().map(describe).collect()
}

/// A lane that disagreed with the reference, in one line: how often, the
/// first input, both answers and the seed that replays it.
fn disagreement(v: &crate::engine::types::VerifyRecord) -> String {
    let mut line = format!(
        "{} lane {} disagrees with the reference on {} of {} inputs",
        v.experiment,
        v.lane,
        v.tried - v.agreed,
        v.tried
    );
    if let Some(d) = v.disagreements.first() {
        line.push_str(&format!(
            "; first: {}: reference {}, {} {} (replay: --verify 1 --verify-seed {})",
            d.input, d.reference, v.lane, d.lane, d.seed
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::types::GilMode;

    #[test]
    fn a_problem_names_where_it_happened() {
        let wrong = Problem::in_lane(
            "fibonacci",
            "rust-release",
            ProblemKind::Wrong {
                result: Some("41".into()),
                expected: "42".into(),
                mismatch: None,
            },
        );
        assert_eq!(
            describe(&wrong),
            "fibonacci lane rust-release returned 41, expected 42"
        );
        assert_eq!(
            describe(&wrong.at_size(30)),
            "N = 30: fibonacci lane rust-release returned 41, expected 42"
        );
        let gil = Problem::of(ProblemKind::Gil {
            mode: GilMode::Held,
            verdict: "no \"Py: Exit...\" line".into(),
        });
        assert_eq!(describe(&gil), "GIL held: no \"Py: Exit...\" line");
    }
}
