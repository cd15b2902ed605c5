//! Where bytes live: a local directory or an S3 prefix.

pub mod http;
pub mod location;
pub mod s3;
pub mod scratch;

pub use location::{BucketUrl, Location, LocationError};
