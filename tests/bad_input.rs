//! Every bad input is refused with a non-zero exit code, a message naming the cause, and
//! nothing left at the output path: no directory, no zip, no staging files.

mod common;

use common::{list_files, stderr, Fixture};
use serde_json::{json, Value};

/// Runs a release of a fixture changed by `prepare` and checks the refusal.
fn refused(name: &str, prepare: impl FnOnce(&Fixture), code: i32, expected: &[&str]) {
    refused_with(name, prepare, |_| Vec::new(), code, expected)
}

/// [`refused`], the release given the options `args` makes for the fixture.
fn refused_with(
    name: &str,
    prepare: impl FnOnce(&Fixture),
    args: impl FnOnce(&Fixture) -> Vec<String>,
    code: i32,
    expected: &[&str],
) {
    let f = Fixture::new(name);
    prepare(&f);
    let args = args(&f);
    let output = f.release(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{name}: {err}");
    for text in expected {
        assert!(err.contains(text), "{name}: stderr lacks {text:?}:\n{err}");
    }
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(!f.out.exists(), "{name}: left {:?}", list_files(&f.out));
}

fn edit(f: &Fixture, change: impl FnOnce(&mut Value)) {
    f.edit(change);
}

#[test]
fn malformed_json_gives_line_and_column() {
    refused(
        "truncated",
        |f| {
            let text = std::fs::read_to_string(&f.export).unwrap();
            std::fs::write(&f.export, &text[..text.len() / 2]).unwrap();
        },
        1,
        &["release.json:", "malformed JSON"],
    );
    refused(
        "syntax",
        |f| {
            std::fs::write(
                &f.export,
                "{\n  \"format\": \"trevor-release/1\",\n  oops\n}",
            )
            .unwrap()
        },
        1,
        &["release.json:3:3: malformed JSON"],
    );
    refused(
        "not-utf8",
        |f| std::fs::write(&f.export, b"{\"format\": \"\xff\xfe\"}").unwrap(),
        1,
        &["release.json:1:", "malformed JSON"],
    );
    refused(
        "array",
        |f| std::fs::write(&f.export, "[]").unwrap(),
        1,
        &["expected an object, found an array"],
    );
}

#[test]
fn an_unreadable_export_is_an_error_of_its_own() {
    refused(
        "missing-export",
        |f| std::fs::remove_file(&f.export).unwrap(),
        2,
        &["cannot read", "release.json"],
    );
}

#[test]
fn unknown_format_is_refused() {
    refused(
        "format",
        |f| edit(f, |v| v["format"] = "trevor-release/2".into()),
        1,
        &["format: unknown export format \"trevor-release/2\""],
    );
}

#[test]
fn missing_and_mistyped_fields_are_named() {
    refused(
        "missing-path",
        |f| {
            edit(f, |v| {
                v["objects"][3]["versions"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("path");
            })
        },
        1,
        &["objects[3].versions[1].path: missing required field"],
    );
    refused(
        "missing-title",
        |f| {
            edit(f, |v| {
                v["request"].as_object_mut().unwrap().remove("title");
            })
        },
        1,
        &["request.title: missing required field"],
    );
    refused(
        "size-type",
        |f| edit(f, |v| v["objects"][0]["versions"][1]["size"] = "211".into()),
        1,
        &["objects[0].versions[1].size: expected a non-negative integer, found a string"],
    );
    refused(
        "bad-sha",
        |f| {
            edit(f, |v| {
                v["objects"][1]["versions"][0]["sha256"] = "abc".into()
            })
        },
        1,
        &["objects[1].versions[0].sha256", "64 hexadecimal digits"],
    );
    refused(
        "bad-id",
        |f| edit(f, |v| v["objects"][1]["id"] = "../obj".into()),
        1,
        &["objects[1].id", "identifiers must be"],
    );
}

#[test]
fn bad_timestamps_are_named() {
    refused(
        "timestamp",
        |f| edit(f, |v| v["request"]["approved_at"] = "5 March 2025".into()),
        1,
        &["request.approved_at: \"5 March 2025\" is not an RFC 3339 timestamp"],
    );
    refused(
        "review-timestamp",
        |f| {
            edit(f, |v| {
                v["reviews"][1]["completed_at"] = "2025-02-30T10:00:00Z".into()
            })
        },
        1,
        &["reviews[1].completed_at"],
    );
}

#[test]
fn paths_may_not_leave_the_quarantine() {
    refused(
        "absolute",
        |f| {
            edit(f, |v| {
                v["objects"][0]["versions"][1]["path"] = "/etc/passwd".into()
            })
        },
        1,
        &["objects[0].versions[1].path", "absolute paths are refused"],
    );
    refused(
        "dotdot",
        |f| {
            edit(f, |v| {
                v["objects"][0]["versions"][0]["path"] = "obj-001/../../release.json".into()
            })
        },
        1,
        &["objects[0].versions[0].path", "`..`"],
    );
    refused(
        "symlink",
        |f| {
            let outside = f.scratch.join("secret.csv");
            std::fs::write(&outside, "secret").unwrap();
            let link = f.quarantine.join("obj-002/v1/hba1c_model.csv");
            std::fs::remove_file(&link).unwrap();
            std::os::unix::fs::symlink(&outside, &link).unwrap();
        },
        1,
        &["objects[1].versions[0].path", "outside the quarantine root"],
    );
    refused(
        "missing-file",
        |f| std::fs::remove_file(f.quarantine.join("obj-003/v1/cohort_summary.md")).unwrap(),
        1,
        &["objects[2].versions[0].path", "not found in the quarantine"],
    );
    refused(
        "directory",
        |f| {
            edit(f, |v| {
                v["objects"][2]["versions"][0]["path"] = "obj-003/v1".into()
            })
        },
        1,
        &["objects[2].versions[0].path", "not a regular file"],
    );
}

#[test]
fn duplicates_are_refused() {
    refused(
        "dup-object",
        |f| edit(f, |v| v["objects"][2]["id"] = "obj-001".into()),
        1,
        &["objects[2].id: duplicate object id \"obj-001\""],
    );
    refused(
        "dup-version",
        |f| edit(f, |v| v["objects"][0]["versions"][1]["version"] = 1.into()),
        1,
        &["objects[0].versions[1].version: duplicate version \"1\""],
    );
}

#[test]
fn the_two_person_rule_is_enforced() {
    refused(
        "one-checker",
        |f| {
            edit(f, |v| {
                v["reviews"][1]["checker"] = v["reviews"][0]["checker"].clone()
            })
        },
        1,
        &["#approval", "at least two distinct checkers", "found 1"],
    );
    refused(
        "one-approval",
        |f| {
            edit(f, |v| {
                v["reviews"][1]["decision"] = "changes_requested".into()
            })
        },
        1,
        &["at least two distinct checkers"],
    );
    refused(
        "self-approval",
        |f| {
            edit(f, |v| {
                v["reviews"][1]["checker"] = json!({"id": "u-1042", "name": "Ada Okafor"});
            })
        },
        1,
        &["#review-", "#person-u-1042", "is the researcher"],
    );
    refused(
        "self-approval-by-orcid",
        |f| {
            edit(f, |v| {
                v["reviews"][0]["checker"]["orcid"] =
                    "https://orcid.org/0000-0002-1825-0097".into();
            })
        },
        1,
        &[
            "#review-",
            "https://orcid.org/0000-0002-1825-0097",
            "is the researcher",
        ],
    );
}

#[test]
fn checksums_and_sizes_must_match_the_export() {
    refused(
        "sha-mismatch",
        |f| {
            let path = f.quarantine.join("obj-002/v1/hba1c_model.csv");
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[0] ^= 1;
            std::fs::write(&path, bytes).unwrap();
        },
        1,
        &[
            "objects[1].versions[0]",
            "sha256 mismatch for object obj-002 version 1",
            "f59c1ace922e4c02ee14b1905e3ad5e37450cb97cf7ebf5dc5da5ce6181008b0",
        ],
    );
    refused(
        "size-mismatch",
        |f| {
            let path = f.quarantine.join("obj-003/v1/cohort_summary.md");
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.push(b'\n');
            std::fs::write(&path, bytes).unwrap();
        },
        1,
        &[
            "size mismatch for object obj-003 version 1",
            "331 bytes",
            "332 bytes",
        ],
    );
}

#[test]
fn a_release_without_approved_files_fails_its_shapes() {
    refused(
        "nothing-approved",
        |f| {
            edit(f, |v| {
                for object in v["objects"].as_array_mut().unwrap() {
                    for version in object["versions"].as_array_mut().unwrap() {
                        version["state"] = "rejected".into();
                    }
                }
            })
        },
        1,
        &["REQUIRED", "at least one file", "nothing was written"],
    );
}

#[test]
fn a_failure_leaves_an_existing_output_directory_as_it_was() {
    let f = Fixture::new("existing-out");
    std::fs::create_dir_all(&f.out).unwrap();
    std::fs::write(f.out.join("keep.txt"), "mine").unwrap();
    let path = f.quarantine.join("obj-004/v1/admissions_chart.png");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let output = f.release(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(list_files(&f.out), ["keep.txt"]);
    let hidden: Vec<_> = std::fs::read_dir(&f.out).unwrap().collect();
    assert_eq!(hidden.len(), 1, "no staging directory is left");
}

#[test]
fn an_output_path_that_is_a_file_is_an_error() {
    let f = Fixture::new("out-is-file");
    std::fs::write(&f.out, "not a directory").unwrap();
    let output = f.release(&[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert_eq!(std::fs::read_to_string(&f.out).unwrap(), "not a directory");
    // Said in words, not as the operating system's "File exists (os error 17)".
    assert!(err.contains("--out") && err.contains("is a file"), "{err}");
    assert!(!err.contains("os error"), "{err}");
}

#[test]
fn a_missing_quarantine_root_is_an_error_of_the_invocation() {
    let f = Fixture::new("no-quarantine");
    std::fs::remove_dir_all(&f.quarantine).unwrap();
    let output = f.release(&[]);
    let err = stderr(&output);
    // Exit 2 (could not run), not 1 (refused): the README's rule for unreadable inputs.
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("quarantine root"), "{err}");
    assert!(!f.out.exists());
}

#[test]
fn a_cause_is_printed_once() {
    let f = Fixture::new("cause-once");
    std::fs::remove_file(&f.export).unwrap();
    let output = f.release(&[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot read") && err.contains("release.json"),
        "{err}"
    );
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
}

#[test]
fn new_output_directories_are_removed_on_failure() {
    let f = Fixture::new("nested-out");
    let nested = f.scratch.join("a/b/c");
    f.edit(|v| v["objects"][1]["versions"][0]["size"] = 1.into());
    let output = common::trecrate(&[
        "release",
        f.export.to_str().unwrap(),
        "--quarantine",
        f.quarantine.to_str().unwrap(),
        "--out",
        nested.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        !f.scratch.join("a").exists(),
        "a/b/c was created by the run and must go"
    );
}

#[test]
fn a_killed_release_leaves_no_release_and_the_next_run_cleans_up() {
    let scratch = common::Scratch::new("killed");
    let export = common::synthetic_export(scratch.path(), 3000);
    let out = scratch.join("out");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "release".to_owned(),
            export.display().to_string(),
            "--quarantine".into(),
            scratch.join("quarantine").display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--quiet".into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let mut child = common::command().args(args(&[])).spawn().unwrap();
    // Kill it once it is writing the payload, i.e. once its staging directory exists.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let staging = std::fs::read_dir(&out)
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().contains("trecrate-tmp"))
            })
            .unwrap_or(false);
        if staging || child.try_wait().unwrap().is_some() || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let killed = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        killed,
        "the release finished before it could be killed; make the export bigger"
    );
    for target in [
        "ro-crate-AR-SYNTH",
        "ro-crate-AR-SYNTH.zip",
        "ro-crate-AR-SYNTH.release.json",
    ] {
        assert!(!out.join(target).exists(), "{target} exists after a kill");
    }
    // A staging directory of a live process is left alone...
    let live = out.join(format!(
        ".ro-crate-AR-SYNTH.trecrate-tmp-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&live).unwrap();
    // ...and the killed run's is removed by the next run.
    let output = common::trecrate(&args(&[]));
    assert!(output.status.success(), "{}", stderr(&output));
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            live.file_name().unwrap().to_string_lossy().into_owned(),
            "ro-crate-AR-SYNTH".to_owned(),
            "ro-crate-AR-SYNTH.release.json".to_owned(),
            "ro-crate-AR-SYNTH.zip".to_owned(),
        ]
    );
}

/// The payload is written while the graph is checked: a REQUIRED finding that comes after
/// files were copied and zipped still leaves nothing behind (here a shapes directory that
/// asks every file for a property none has).
#[test]
fn a_refusal_of_the_checks_beside_the_payload_leaves_nothing() {
    refused_with(
        "refused-beside-payload",
        |f| {
            let shapes = f.scratch.join("shapes");
            std::fs::create_dir_all(&shapes).unwrap();
            std::fs::write(
                shapes.join("strict.ttl"),
                "@prefix sh: <http://www.w3.org/ns/shacl#> .\n\
                 @prefix schema: <http://schema.org/> .\n\
                 <urn:x:Strict> a sh:NodeShape ; sh:targetClass schema:MediaObject ;\n\
                 sh:property [ sh:path schema:funder ; sh:minCount 1 ;\n\
                 sh:name \"funder of every file\" ] .\n",
            )
            .unwrap();
        },
        |f| {
            vec![
                "--shapes".into(),
                f.scratch.join("shapes").display().to_string(),
            ]
        },
        1,
        &["REQUIRED", "funder of every file", "nothing was written"],
    );
}
