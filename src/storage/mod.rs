//! Where bytes live: a local directory or an S3 prefix.

pub mod s3;
