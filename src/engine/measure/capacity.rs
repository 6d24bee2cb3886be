//! Judging a parallel speed-up against what the machine gave at that moment.
//!
//! On a shared machine the cores may be busy with other programs: two threads
//! that release the GIL then reach 1.1x, not 2x, and that is no fault of the
//! extension. Every scaling batch therefore also runs `rust-native` (T OS
//! threads of the same spin, no Python; `worker::native`), and a contender
//! is judged by the share of that capacity it reaches.

/// Below this native speed-up at two threads, too little was free to tell
/// a function that releases the GIL from one that holds it. (At 1.31,
/// beside a build and a profile, CPython's two threads "reached 0.93 of it":
/// with 0.31 of a core to share out, a busy moment is all the difference.)
pub const MIN_CAPACITY: f64 = 1.5;
/// A failure ("does not run in parallel") is said only where the machine
/// gave at least this much: between `MIN_CAPACITY` and this, a short
/// speed-up may be a busy moment, and it is a warning. (At 1.5, two
/// programs spinning beside the run once let the yardstick's best batch
/// reach 1.51x while the released function's best got 0.99x: a lucky moment
/// of the yardstick's is no proof.)
pub const CLEAR_CAPACITY: f64 = 1.7;
/// The share of the capacity beyond one thread that a contender must reach
/// to count as scaling...
const SCALES: f64 = 0.6;
/// ...and the share it may reach at most to count as holding the GIL.
/// Between the two it is partly parallel.
const HOLDS: f64 = 0.25;

/// What one speed-up says beside the capacity measured with it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Judgement {
    /// The machine gave under `MIN_CAPACITY`: nothing can be said.
    CantTell {
        capacity: f64,
    },
    Scales {
        speedup: f64,
        capacity: f64,
    },
    Partly {
        speedup: f64,
        capacity: f64,
    },
    Holds {
        speedup: f64,
        capacity: f64,
    },
}

/// How much of what the machine gave beyond one thread a speed-up reached:
/// 1 when it matched the native threads, 0 when it stayed at one thread.
pub fn share(speedup: f64, capacity: f64) -> f64 {
    (speedup - 1.0) / (capacity - 1.0)
}

/// Judges `speedup` against `capacity`, the native speed-up at the same
/// thread count in the same run.
pub fn judge(speedup: f64, capacity: f64) -> Judgement {
    if capacity.is_nan() || capacity < MIN_CAPACITY {
        return Judgement::CantTell { capacity };
    }
    let share = share(speedup, capacity);
    if share >= SCALES {
        Judgement::Scales { speedup, capacity }
    } else if share <= HOLDS {
        Judgement::Holds { speedup, capacity }
    } else {
        Judgement::Partly { speedup, capacity }
    }
}

impl Judgement {
    /// "reaches 0.97 of what this machine gave (1.94x of 2.00x)" and the like.
    pub fn describe(&self) -> String {
        match *self {
            Judgement::CantTell { capacity } => cant_tell(capacity, None),
            Judgement::Scales { speedup, capacity } => format!(
                "reaches {:.2} of what this machine gave ({speedup:.2}x of {capacity:.2}x)",
                speedup / capacity
            ),
            Judgement::Partly { speedup, capacity } => format!(
                "reaches only {:.2} of what this machine gave ({speedup:.2}x of {capacity:.2}x)",
                speedup / capacity
            ),
            Judgement::Holds { speedup, capacity } => {
                format!("stays at {speedup:.2}x where this machine gave {capacity:.2}x")
            }
        }
    }
}

/// "can't tell: only 1.1 cores were free (rust-native reached 1.08x with 2
/// threads)", the thread count when known.
pub fn cant_tell(capacity: f64, threads: Option<u32>) -> String {
    let with = threads.map_or_else(String::new, |t| format!(" with {t} threads"));
    if capacity.is_finite() {
        format!(
            "can't tell: only {capacity:.1} cores were free (rust-native reached {capacity:.2}x{with})"
        )
    } else {
        "can't tell: the machine's capacity was not measured".into()
    }
}

/// The speed-up of T threads against one: T × wall(1) / wall(T).
pub fn speedup(threads: u32, one: f64, wall: f64) -> f64 {
    threads as f64 * one / wall
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_speedup_is_judged_by_the_share_of_what_the_machine_gave() {
        assert!(matches!(judge(1.94, 2.0), Judgement::Scales { .. }));
        assert_eq!(
            judge(1.94, 2.0).describe(),
            "reaches 0.97 of what this machine gave (1.94x of 2.00x)"
        );
        assert!(matches!(judge(1.01, 2.0), Judgement::Holds { .. }));
        assert!(matches!(judge(1.5, 2.0), Judgement::Partly { .. }));
        // Half the machine busy: 1.45x of 1.5x is all there was to have.
        assert!(matches!(judge(1.45, 1.5), Judgement::Scales { .. }));
    }

    #[test]
    fn too_little_free_capacity_says_so_instead_of_a_verdict() {
        let j = judge(1.01, 1.1);
        assert!(matches!(j, Judgement::CantTell { .. }));
        assert!(
            j.describe().contains("only 1.1 cores were free"),
            "{}",
            j.describe()
        );
        assert!(matches!(judge(1.0, f64::NAN), Judgement::CantTell { .. }));
    }
}
