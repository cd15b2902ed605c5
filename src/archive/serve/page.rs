//! `/`: the auditors' page (`templates/serve/`): the releases with links to their crates, the
//! built-in queries as forms, a SPARQL box, results as a table with a CSV download. It is
//! shipped in the binary and loads nothing from elsewhere: its Content-Security-Policy allows
//! only this server's own script, style and responses.

use super::{full, Body};
use crate::archive::query;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{Response, StatusCode};
use serde_json::json;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
img-src 'self' blob:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The page's files, by path; `None` for any other path.
pub(super) fn static_file(path: &str, builtins: &[query::Builtin]) -> Option<Response<Body>> {
    let (media_type, body) = match path {
        "/" => ("text/html; charset=utf-8", index(builtins)),
        "/app.js" => (
            "text/javascript; charset=utf-8",
            crate::assets::document(crate::assets::SERVE_SCRIPT).to_owned(),
        ),
        "/app.css" => (
            "text/css; charset=utf-8",
            crate::assets::document(crate::assets::SERVE_STYLE).to_owned(),
        ),
        _ => return None,
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, media_type)
        .header("Content-Security-Policy", CSP)
        .header("X-Content-Type-Options", "nosniff")
        .header(CACHE_CONTROL, "no-cache")
        .body(full(body))
        .ok()
}

/// The page, with the built-in queries and their parameters as a JSON data island (read by
/// the script, never run).
fn index(builtins: &[query::Builtin]) -> String {
    let data: Vec<_> = builtins
        .iter()
        .map(|b| {
            json!({
                "name": b.name,
                "summary": b.summary,
                "params": b.params.iter().map(|p| json!({
                    "name": p.name,
                    "kind": p.kind.name(),
                    "optional": p.optional,
                    "doc": p.doc,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    // `</` could end the data island's script element early.
    let island = serde_json::to_string(&data)
        .unwrap_or_else(|_| "[]".into())
        .replace("</", "<\\/");
    crate::assets::document(crate::assets::SERVE_PAGE).replace("{{BUILTINS}}", &island)
}
