//! `trecrate release`: the stages of the release pipeline.

pub mod export;
pub mod load;
pub mod package;
pub mod preview;
pub mod quarantine;
