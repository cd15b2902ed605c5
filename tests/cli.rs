//! The command line itself: help that teaches, and usage errors.

mod common;

use common::{stderr, trecrate};

#[test]
fn release_help_documents_outputs_and_exit_codes() {
    let output = trecrate(&["release", "--help"]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for needle in [
        "--quarantine <DIR|S3_URL>",
        "--out <DIR|S3_URL>",
        "--s3-endpoint-url <URL>",
        "AWS_SECRET_ACCESS_KEY",
        "--force",
        "ro-crate-ID/data/OBJECT_vN.EXT",
        "ro-crate-ID.release.json",
        "Exit status:",
        "  1  the release was refused",
        "  2  trecrate could not run",
        "Examples:",
        "--out s3://release-bucket/releases/",
    ] {
        assert!(help.contains(needle), "{needle:?} missing from:\n{help}");
    }
}

#[test]
fn a_usage_error_is_reported_by_clap_with_exit_code_2() {
    let output = trecrate(&["release", "release.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--quarantine"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn run_crate_help_documents_the_layout_profiles_and_exit_codes() {
    let output = trecrate(&["run-crate", "--help"]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for needle in [
        "RUN_DIR",
        "run_request.json",
        "Workflow Run Crate 0.5",
        "--on-error-write-stub",
        "--out <FILE>",
        "Exit status:",
        "  2  no run_request.json",
    ] {
        assert!(help.contains(needle), "{needle:?} missing from:\n{help}");
    }
}
