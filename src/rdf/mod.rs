//! RDF plumbing that every pipeline shares: the IRIs trecrate names, SELECT runners and
//! timestamps.

pub mod select;
pub mod timestamp;
pub mod vocab;
