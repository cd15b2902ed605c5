//! `trecrate serve` and `trecrate push` against real peers: an HTTP client, the SPARQLWrapper
//! library, and an `oxigraph serve` triple store started here, each on an ephemeral port.

mod common;

use common::{command, free_port, python, root, rows, stderr, Archive, Server};
use std::path::Path;
use std::time::{Duration, Instant};

fn serve(archive: &Archive, extra: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = command();
    cmd.args(["serve", "--store"])
        .arg(archive.store())
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .args(extra);
    Server::start(cmd, port)
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn with_query(url: &str, query: &str) -> String {
    format!("{url}?query={}", encode(query))
}

fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::new()
}

fn audit_query(name: &str) -> String {
    std::fs::read_to_string(root().join(format!("queries/audit/{name}.rq"))).unwrap()
}

#[test]
fn the_endpoint_speaks_the_sparql_protocol() {
    let archive = Archive::new("endpoint-protocol");
    archive.release_all();
    let token_file = archive.scratch.join("token");
    std::fs::write(&token_file, "s3cret-token\n").unwrap();
    let query = audit_query("releases");
    let expected = archive.builtin("releases", &[]);
    assert_eq!(expected.len(), 4);
    let server = serve(&archive, &["--token-file", token_file.to_str().unwrap()]);
    let http = client();

    // While it serves, the archive is locked, and other commands say so.
    let locked = archive.run(&["releases"]);
    assert_eq!(locked.status.code(), Some(2));
    assert!(
        stderr(&locked).contains("locked by another process"),
        "{}",
        stderr(&locked)
    );

    // No token, a wrong token: 401 with a challenge.
    for auth in [None, Some("Bearer wrong")] {
        let mut request = http.get(with_query(&server.url("/query"), &query));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let response = request.send().unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    let bearer = "Bearer s3cret-token";

    // GET, POST form, POST sparql-query: the CLI's answer each time.
    let get = http
        .get(with_query(&server.url("/query"), &query))
        .header("Authorization", bearer)
        .send()
        .unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(
        get.headers()["content-type"],
        "application/sparql-results+json"
    );
    assert_eq!(rows(&get.bytes().unwrap()), expected);
    let form = http
        .post(server.url("/query"))
        .header("Authorization", bearer)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("query={}", encode(&query)))
        .send()
        .unwrap();
    assert_eq!(rows(&form.bytes().unwrap()), expected);
    let direct = http
        .post(server.url("/query"))
        .header("Authorization", bearer)
        .header("Content-Type", "application/sparql-query")
        .body(query.clone())
        .send()
        .unwrap();
    assert_eq!(rows(&direct.bytes().unwrap()), expected);

    // Content negotiation.
    let negotiate = |q: &str, accept: &str| {
        let response = http
            .get(with_query(&server.url("/query"), q))
            .header("Authorization", bearer)
            .header("Accept", accept)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, kind, response.text().unwrap())
    };
    let (_, kind, body) = negotiate(&query, "text/csv");
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert!(body.starts_with("request,releasedAt,files,"), "{body}");
    assert_eq!(body.lines().count(), 5);
    let (_, kind, body) = negotiate(
        &query,
        "application/sparql-results+xml;q=0.9, text/tab-separated-values;q=0.5",
    );
    assert_eq!(kind, "application/sparql-results+xml");
    assert!(body.contains("<sparql"), "{body}");
    let construct = "PREFIX trecrate: <https://w3id.org/trecrate/archive#> CONSTRUCT { ?g a trecrate:Release } WHERE { ?g a trecrate:Release }";
    let (_, kind, body) = negotiate(construct, "application/n-triples");
    assert_eq!(kind, "application/n-triples");
    assert_eq!(body.lines().count(), 4, "{body}");
    let (_, kind, _) = negotiate(construct, "*/*");
    assert_eq!(kind, "text/turtle");
    let (status, _, body) = negotiate(construct, "application/sparql-results+json");
    assert_eq!(status, 406, "{body}");

    // Read-only, whichever way an update comes.
    let update = "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }";
    let as_update = http
        .post(server.url("/query"))
        .header("Authorization", bearer)
        .header("Content-Type", "application/sparql-update")
        .body(update)
        .send()
        .unwrap();
    assert_eq!(as_update.status(), 403);
    let as_form = http
        .post(server.url("/update"))
        .header("Authorization", bearer)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("update={}", encode(update)))
        .send()
        .unwrap();
    assert_eq!(as_form.status(), 403);
    let (status, _, body) = negotiate(update, "*/*");
    assert_eq!(status, 403);
    assert!(body.contains("SPARQL Update is refused"), "{body}");
    let (status, _, body) = negotiate("SELECT * WHERE { ?s ?p }", "*/*");
    assert_eq!(status, 400);
    assert!(body.contains("SPARQL syntax error"), "{body}");
    assert_eq!(archive_count(&server, bearer), 4, "nothing deleted");

    // A standard SPARQL client library.
    let script = root().join("tests/peers/sparqlwrapper_query.py");
    let output = std::process::Command::new(python())
        .arg(&script)
        .arg(server.url("/query"))
        .arg("s3cret-token")
        .arg(&query)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(rows(&output.stdout), expected);
}

fn archive_count(server: &Server, bearer: &str) -> usize {
    let response = client()
        .get(with_query(&server.url("/query"), "PREFIX trecrate: <https://w3id.org/trecrate/archive#> SELECT ?g WHERE { ?g a trecrate:Release }"))
        .header("Authorization", bearer)
        .send()
        .unwrap();
    rows(&response.bytes().unwrap()).len()
}

#[test]
fn the_endpoint_enforces_its_limits() {
    let archive = Archive::new("endpoint-limits");
    archive.release_all();
    let server = serve(&archive, &["--timeout", "0.5", "--max-results", "5"]);
    let http = client();
    let get = |q: &str| {
        let response = http
            .get(with_query(&server.url("/query"), q))
            .send()
            .unwrap();
        (response.status().as_u16(), response.text().unwrap())
    };
    let (status, body) = get("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }");
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("more than 5 results"), "{body}");
    let start = Instant::now();
    let (status, body) =
        get("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("limit of 0.5 s"), "{body}");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "stopped, not run to the end"
    );
    let (status, _) = get("ASK { ?s ?p ?o }");
    assert_eq!(status, 200, "still serving");
}

#[test]
fn exposing_the_archive_needs_a_token() {
    let archive = Archive::new("endpoint-exposed");
    archive.release("release-AR-2025-0042", &["--quiet"]);
    let output = command()
        .args(["serve", "--store"])
        .arg(archive.store())
        .args(["--bind", &format!("0.0.0.0:{}", free_port())])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("without a token"),
        "{}",
        stderr(&output)
    );
}

fn oxigraph_server(dir: &Path) -> Server {
    let oxigraph = python().parent().unwrap().join("oxigraph");
    assert!(
        oxigraph.exists(),
        "{} missing: run scripts/setup",
        oxigraph.display()
    );
    let port = free_port();
    let mut cmd = std::process::Command::new(oxigraph);
    cmd.args(["serve", "--location"]).arg(dir).args([
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--union-default-graph",
    ]);
    Server::start(cmd, port)
}

#[test]
fn pushed_archives_answer_the_same_on_a_triple_store_server() {
    let archive = Archive::new("endpoint-push");
    archive.release_all();
    // Newer versions of two releases in other formats: a push carries every version and kind.
    for (example, format) in [
        (
            "release-AR-2024-0107",
            &["--ro-crate-version", "1.3", "--bagit"][..],
        ),
        ("release-AR-2025-0042", &["--ro-crate-version", "1.2"][..]),
    ] {
        let output = archive.release(example, &[&["--quiet", "--force"], format].concat());
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let remote = oxigraph_server(&archive.scratch.join("oxigraph"));
    let push = archive.run(&["push", "--endpoint", &remote.url("/store")]);
    assert!(push.status.success(), "{}", stderr(&push));
    // Pushing twice gives the same server state (PUT replaces each graph).
    let again = archive.run(&["push", "--endpoint", &remote.url("/store")]);
    assert!(again.status.success(), "{}", stderr(&again));

    let http = client();
    let remote_rows = |query: &str| {
        let response = http
            .post(remote.url("/query"))
            .header("Content-Type", "application/sparql-query")
            .header("Accept", "application/sparql-results+json")
            .body(query.to_owned())
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        rows(&response.bytes().unwrap())
    };
    // Each built-in, its parameters bound by `--show` into a query any SPARQL server takes.
    let cases: [(&str, &[&str]); 8] = [
        ("releases", &[]),
        ("releases-by-checker", &["checker=Tomás Reyes"]),
        (
            "releases-by-project",
            &["project=PRJ-017", "from=2025-06-01"],
        ),
        (
            "files-by-statbarn",
            &["statbarn=frequencies", "project=PRJ-017"],
        ),
        ("files-by-statbarn", &["statbarn=frequencies"]),
        ("approval-anomalies", &[]),
        ("request-timeline", &["request=AR-2026-0003"]),
        ("release-by-checksum", &["sha256=0000"]),
    ];
    for (name, params) in cases {
        let local = archive.builtin(name, params);
        let mut args = vec!["query", "--builtin", name, "--show"];
        for p in params {
            args.extend(["--param", p]);
        }
        let shown = archive.run(&args);
        assert!(shown.status.success(), "{}", stderr(&shown));
        let there = remote_rows(&String::from_utf8(shown.stdout).unwrap());
        assert_eq!(there, local, "{name} {params:?}");
        if name != "approval-anomalies" && name != "release-by-checksum" {
            assert!(!local.is_empty(), "{name} answers something");
        }
    }

    // One release only, into another server: its graphs and its record.
    let second = oxigraph_server(&archive.scratch.join("oxigraph-2"));
    let one = archive.run(&[
        "push",
        "--endpoint",
        &second.url("/store"),
        "--release",
        "AR-2025-0115",
    ]);
    assert!(one.status.success(), "{}", stderr(&one));
    let response = http
        .post(second.url("/query"))
        .header("Content-Type", "application/sparql-query")
        .header("Accept", "application/sparql-results+json")
        .body(audit_query("releases"))
        .send()
        .unwrap();
    let there = rows(&response.bytes().unwrap());
    assert_eq!(there.len(), 1);
    assert_eq!(there[0][0], "AR-2025-0115");

    // A server that is not there: a clear error, exit 2.
    let gone = format!("http://127.0.0.1:{}/store", free_port());
    let failed = archive.run(&["push", "--endpoint", &gone]);
    assert_eq!(failed.status.code(), Some(2));
    assert!(stderr(&failed).contains(&gone), "{}", stderr(&failed));
}

/// `Repr-Digest`'s value for a file, computed by Python's hashlib and base64.
fn repr_digest(path: &Path) -> String {
    const CODE: &str = "import base64, hashlib, sys; \
        print(base64.b64encode(hashlib.sha256(open(sys.argv[1], 'rb').read()).digest()).decode())";
    let output = common::run_peer(
        &python(),
        &[
            std::ffi::OsStr::new("-c"),
            std::ffi::OsStr::new(CODE),
            path.as_os_str(),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    format!(
        "sha-256=:{}:",
        String::from_utf8_lossy(&output.stdout).trim()
    )
}

/// The crates routes: the list, each version's metadata byte for byte, the zip streamed and
/// checked, the token, and every error case.
#[test]
fn the_archived_crates_are_served_as_released() {
    let archive = Archive::new("endpoint-crates");
    archive.release_all();
    let out = archive.out();
    let first = std::fs::read(out.join("ro-crate-AR-2025-0042/ro-crate-metadata.json")).unwrap();
    let first_sha = trecrate::rdf::digest::sha256_hex(&first);
    // A newer version, a 1.2 bag: the current one.
    let newer = archive.release(
        "release-AR-2025-0042",
        &["--quiet", "--force", "--ro-crate-version", "1.2", "--bagit"],
    );
    assert!(newer.status.success(), "{}", stderr(&newer));
    let listed = archive.run(&["releases", "--format", "json"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();

    let token_file = archive.scratch.join("token");
    std::fs::write(&token_file, "crates-token\n").unwrap();
    let server = serve(
        &archive,
        &[
            "--token-file",
            token_file.to_str().unwrap(),
            "--max-upload-bytes",
            "100000",
        ],
    );
    let http = client();
    let bearer = "Bearer crates-token";
    let get = |path: &str| {
        http.get(server.url(path))
            .header("Authorization", bearer)
            .send()
            .unwrap()
    };

    // Without the token: 401 on every data route; the page's own files load.
    for path in ["/releases", "/releases/AR-2025-0042/ro-crate"] {
        assert_eq!(
            http.get(server.url(path)).send().unwrap().status(),
            401,
            "{path}"
        );
    }
    let unauthorized = http
        .post(server.url("/validate"))
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    for path in ["/", "/app.js", "/app.css"] {
        let response = http.get(server.url(path)).send().unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'"));
    }

    // The list is what `trecrate releases --format json` says.
    let response = get("/releases");
    assert_eq!(response.status(), 200);
    let served: serde_json::Value = serde_json::from_slice(&response.bytes().unwrap()).unwrap();
    assert_eq!(served, listed);
    assert_eq!(served["results"]["bindings"].as_array().unwrap().len(), 5);

    // The current version is the bag's metadata; the first is there by its sha256.
    let current =
        std::fs::read(out.join("ro-crate-AR-2025-0042/data/ro-crate-metadata.json")).unwrap();
    let response = get("/releases/AR-2025-0042/ro-crate");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    assert_eq!(response.bytes().unwrap(), current);
    let older = get(&format!(
        "/releases/AR-2025-0042/ro-crate?version={first_sha}"
    ));
    assert_eq!(older.status(), 200);
    assert_eq!(older.bytes().unwrap(), first);
    for (path, status) in [
        ("/releases/AR-2025-0042/ro-crate?version=0000", 404),
        ("/releases/AR-9999-0000/ro-crate", 404),
        ("/releases/AR-2025-0042/ro-crate?download=maybe", 400),
        ("/releases/AR-2025-0042", 404),
    ] {
        let response = get(path);
        assert_eq!(response.status(), status, "{path}");
        assert!(!response.text().unwrap().is_empty());
    }
    let post = http
        .post(server.url("/releases"))
        .header("Authorization", bearer)
        .send()
        .unwrap();
    assert_eq!(post.status(), 405);

    // The zip, with its length and digest; byte for byte the released one.
    let zip_path = out.join("ro-crate-AR-2025-0042.zip");
    let response = get("/releases/AR-2025-0042/ro-crate?download=true");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let length: u64 = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(length, std::fs::metadata(&zip_path).unwrap().len());
    assert_eq!(
        response.headers()["repr-digest"],
        repr_digest(&zip_path).as_str()
    );
    assert_eq!(response.bytes().unwrap(), std::fs::read(&zip_path).unwrap());

    // A zip changed since it was recorded is never served whole; one gone is 410.
    let other = out.join("ro-crate-AR-2025-0115.zip");
    let kept = std::fs::read(&other).unwrap();
    let mut changed = kept.clone();
    changed[100] ^= 1;
    std::fs::write(&other, &changed).unwrap();
    let cut = http
        .get(server.url("/releases/AR-2025-0115/ro-crate?download=true"))
        .header("Authorization", bearer)
        .send()
        .and_then(|r| r.bytes());
    assert!(
        cut.as_ref().map_or(true, |b| b.len() < kept.len()),
        "served whole"
    );
    assert!(
        server.log().contains("is not the recorded one"),
        "{}",
        server.log()
    );
    std::fs::remove_file(&other).unwrap();
    assert_eq!(
        get("/releases/AR-2025-0115/ro-crate?download=true").status(),
        410
    );
    std::fs::write(&other, &kept).unwrap();

    // POST /validate: the command line's report, for a zip and for a metadata document.
    let cli = common::trecrate(&[
        "validate",
        zip_path.to_str().unwrap(),
        "--format",
        "json",
        "--level",
        "recommended",
    ]);
    let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap();
    let validated = |body: Vec<u8>, query: &str| {
        http.post(server.url(&format!("/validate{query}")))
            .header("Authorization", bearer)
            .body(body)
            .send()
            .unwrap()
    };
    let response = validated(std::fs::read(&zip_path).unwrap(), "?level=recommended");
    assert_eq!(response.status(), 200);
    let report: serde_json::Value = serde_json::from_slice(&response.bytes().unwrap()).unwrap();
    assert_eq!(report["passed"], cli["passed"]);
    assert_eq!(report["findings"], cli["findings"]);
    assert_eq!(report["profile"], cli["profile"]);
    let mut broken: serde_json::Value = serde_json::from_slice(&first).unwrap();
    broken["@graph"][1]
        .as_object_mut()
        .unwrap()
        .remove("datePublished");
    let response = validated(serde_json::to_vec(&broken).unwrap(), "");
    assert_eq!(response.status(), 200);
    let report: serde_json::Value = serde_json::from_slice(&response.bytes().unwrap()).unwrap();
    assert_eq!(report["passed"], false);
    assert!(report["findings"].to_string().contains("datePublished"));
    let response = validated(
        std::fs::read(&zip_path).unwrap(),
        "?profile=process-run-crate",
    );
    let report: serde_json::Value = serde_json::from_slice(&response.bytes().unwrap()).unwrap();
    assert!(
        report["profile"].to_string().contains("process-run-crate"),
        "{report}"
    );
    assert_eq!(validated(b"{}".to_vec(), "?profile=nonsense").status(), 400);
    assert_eq!(validated(b"{}".to_vec(), "?level=loud").status(), 400);
    // Not JSON: a finding; a zip that is no crate: 422, with the reason.
    let response = validated(b"not a crate".to_vec(), "");
    assert_eq!(response.status(), 200);
    let report: serde_json::Value = serde_json::from_slice(&response.bytes().unwrap()).unwrap();
    assert_eq!(report["passed"], false);
    assert!(
        report["findings"].to_string().contains("Metadata: JSON"),
        "{report}"
    );
    let response = validated(b"PK\x03\x04 no zip at all".to_vec(), "");
    assert_eq!(response.status(), 422);
    assert!(!response.text().unwrap().is_empty());
    assert_eq!(validated(Vec::new(), "").status(), 400);
    // Over the limit: refused from the announced length, before any of the body is read.
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    std::io::Write::write_all(
        &mut stream,
        format!(
            "POST /validate HTTP/1.1\r\nHost: x\r\nAuthorization: {bearer}\r\n\
             Content-Length: 100001\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut stream, &mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // And when the length is not announced, as the body arrives.
    let chunked = http
        .post(server.url("/validate"))
        .header("Authorization", bearer)
        .body(reqwest::blocking::Body::new(std::io::Cursor::new(
            vec![b' '; 100_001],
        )))
        .send();
    assert!(chunked.map_or(true, |r| r.status() == 413));
    let wrong = get("/validate");
    assert_eq!(wrong.status(), 405);
    // Nothing of the uploads is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains(&format!("upload-{}", server.pid()))
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The auditors' page in a real browser: the releases listed, a built-in query run from the
/// link's parameters, and no error (a Content-Security-Policy violation would be one).
#[test]
fn the_auditors_page_works_in_chromium() {
    let archive = Archive::new("endpoint-page");
    archive.release_all();
    let server = serve(&archive, &[]);
    let (dom, console) =
        common::chromium(&server.url("/#builtin=releases-by-checker&checker=Grace%20Mensah"));
    assert!(console.is_empty(), "{console:?}");
    for id in [
        "AR-2024-0107",
        "AR-2025-0042",
        "AR-2025-0115",
        "AR-2026-0003",
    ] {
        assert!(
            dom.contains(&format!("<td>{id}</td>")),
            "{id} missing: {dom}"
        );
    }
    assert!(dom.contains("4 archived version(s)"), "{dom}");
    assert!(dom.contains("<td>Grace Mensah</td>"), "{dom}");
    assert!(dom.contains("row(s)"), "{dom}");
    assert!(
        dom.contains("id=\"results-csv\" download=\"results.csv\" href=\"blob:"),
        "{dom}"
    );
}
