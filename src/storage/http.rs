//! What every HTTP client of trecrate (S3 storage, `push`) needs before its first request.

/// reqwest is built without a default TLS provider (aws-lc-rs would add a C library to the
/// build); ring is the one this build already carries. Every HTTP client calls this first.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
