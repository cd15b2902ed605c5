//! trecrate turns an approved airlock request of a Trusted Research Environment into an
//! RO-Crate release package, validates any RO-Crate, and keeps every release queryable with
//! SPARQL. See README.md for the user's guide.
//!
//! One folder per pipeline: [`release`], [`validate`], [`run_crate`] and [`archive`] (ingest,
//! query, serve, push). They share the stages [`shape`] (SPARQL CONSTRUCT), [`shacl`] (SHACL
//! shapes) and [`jsonld`] (flattened, compacted JSON-LD), the documents of [`assets`], the
//! storage of [`storage`], and the RDF plumbing of [`rdf`], which imports nothing else.

pub mod archive;
pub mod assets;
pub mod event;
pub mod file;
pub mod finding;
pub mod jsonld;
pub mod package;
pub mod parallel;
pub mod profile;
pub mod rdf;
pub mod release;
pub mod run_crate;
pub mod shacl;
pub mod shape;
pub mod storage;
pub mod validate;

pub use event::Event;
pub use release::{build, release, Built, Delivered, Error, ReleaseOptions, Released};
