//! Timing and judging: the race, the differential check, sweeps, thread
//! sweeps, and the statistics they share. Imports the seams and shared types.

pub mod capacity;
pub mod race;
pub mod significance;
pub mod stats;
pub mod sweep;
pub mod threads;
pub mod vary;
pub mod verify;
