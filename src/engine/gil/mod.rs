//! The chapter's GIL experiments: two threads interleaving, their timeline,
//! and parallel scaling. Imports the seams, `measure`'s judging and shared types.

pub mod demo;
pub mod scaling;
pub mod timeline;
