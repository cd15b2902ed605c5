//! RDF plumbing that every pipeline shares: the IRIs trecrate names, SELECT runners, IRIs
//! relative to a crate, digests and timestamps. Nothing here imports the rest of the crate, so
//! every other module may use it.

pub mod dictionary;
pub mod digest;
pub mod frozen;
pub mod iri;
pub mod select;
pub mod source_graph;
pub mod timestamp;
pub mod vocab;
