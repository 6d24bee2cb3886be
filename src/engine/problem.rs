//! What went wrong inside a job, as data: which experiment, which lane, at
//! which size, and what. The sentences are made in `report::problems`, at
//! the edge, for the text report, the JSON and the terminal alike.

use super::types::{GilMode, LaneRecord, Target, VerifyRecord};

#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub experiment: Option<String>,
    pub lane: Option<String>,
    /// The sweep size it happened at, in a sweep.
    pub size: Option<u64>,
    pub kind: ProblemKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ProblemKind {
    /// A build the job needed failed: the compiler's first error.
    Build {
        target: Target,
        error: String,
    },
    /// A lane failed to load or run (a panic, a crash, a time limit).
    LaneFailed(String),
    /// A lane answered, but not what the reference or `[expect]` says.
    Wrong {
        result: Option<String>,
        expected: String,
        /// Where and by how much it differs, when the comparison said.
        mismatch: Option<String>,
    },
    /// A lane answered, and nothing was known to check it against.
    Unchecked,
    Instructions(String),
    /// The thread sweep of a lane could not run (at this thread count).
    Threads {
        threads: Option<u32>,
        why: String,
    },
    /// A lane called from threads at once (up to this many) answered wrong.
    WrongWithThreads(u32),
    /// The differential check found inputs where the lane disagrees.
    Disagrees(VerifyRecord),
    /// The differential check itself could not run (a bad `[verify]`).
    Verify(String),
    /// A GIL scenario did not show the order it must.
    Gil {
        mode: GilMode,
        verdict: String,
    },
    /// The scaling check failed, or could not run.
    Scaling(String),
    /// The untimed tracemalloc run could not run.
    Trace(String),
    /// The Python packages an experiment asks for could not be installed:
    /// one problem for the experiment, however many of its builds needed them.
    Packages(String),
    /// A step of the job failed as a whole (a bad experiment, a worker that
    /// would not start), said in the error's own words.
    Step(String),
}

impl Problem {
    /// A problem of the job as a whole.
    pub fn of(kind: ProblemKind) -> Self {
        Self {
            experiment: None,
            lane: None,
            size: None,
            kind,
        }
    }

    /// A problem of one experiment.
    pub fn in_experiment(experiment: &str, kind: ProblemKind) -> Self {
        Self {
            experiment: Some(experiment.to_owned()),
            ..Self::of(kind)
        }
    }

    /// A problem of one lane of an experiment.
    pub fn in_lane(experiment: &str, lane: &str, kind: ProblemKind) -> Self {
        Self {
            lane: Some(lane.to_owned()),
            ..Self::in_experiment(experiment, kind)
        }
    }

    /// The same problem, found at one size of a sweep.
    pub fn at_size(self, size: u64) -> Self {
        Self {
            size: Some(size),
            ..self
        }
    }
}

impl LaneRecord {
    /// What is wrong with this lane; None when it ran and was right.
    pub fn problem(&self) -> Option<Problem> {
        let kind = match (&self.failure, self.correct, &self.expected) {
            (Some(f), _, _) => ProblemKind::LaneFailed(f.clone()),
            (None, true, _) => return None,
            (None, false, Some(expected)) => ProblemKind::Wrong {
                result: self.result.clone(),
                expected: expected.clone(),
                mismatch: self.mismatch.clone(),
            },
            // The reference checks itself against its first answer.
            (None, false, None) if self.mismatch.is_some() => ProblemKind::Wrong {
                result: self.result.clone(),
                expected: "its own first answer".into(),
                mismatch: self.mismatch.clone(),
            },
            (None, false, None) => ProblemKind::Unchecked,
        };
        Some(Problem::in_lane(&self.experiment, &self.lane.name, kind))
    }
}
