//! Where things live: the lab home, the project tree, the lessons the binary
//! carries, and cleaning the home. Imports the engine's shared types only.

pub mod clean;
mod lessons;
pub mod places;
