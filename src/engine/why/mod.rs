//! Why a lane is as fast as it is: instructions under callgrind, read back
//! and charged to whose code they are. Imports the seams and shared types.

pub mod breakdown;
pub mod callgraph;
pub mod instructions;
mod sources;
