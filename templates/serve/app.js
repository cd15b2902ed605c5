// The auditors' page: the releases, the built-in queries as forms, a SPARQL box. Everything
// is fetched from this server, with the bearer token when one is given; values are written
// as text, never as markup.
"use strict";

const tokenKey = "trecrate-token";

function headers(accept) {
  const h = { Accept: accept };
  const token = sessionStorage.getItem(tokenKey);
  if (token) h.Authorization = "Bearer " + token;
  return h;
}

function cell(row, value) {
  const td = document.createElement("td");
  if (value instanceof Node) td.append(value); else td.textContent = value ?? "";
  row.append(td);
  return td;
}

async function fetchOk(url, options) {
  const response = await fetch(url, options);
  if (!response.ok) throw new Error(response.status + " " + (await response.text()).trim());
  return response;
}

// A link that downloads with the token: the browser would not send it on its own.
function download(label, url, name) {
  const a = document.createElement("a");
  a.href = url;
  a.textContent = label;
  a.addEventListener("click", async (event) => {
    if (!sessionStorage.getItem(tokenKey)) return;
    event.preventDefault();
    const blob = await (await fetchOk(url, { headers: headers("*/*") })).blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.click();
  });
  return a;
}

function values(results) {
  const vars = results.head.vars;
  return results.results.bindings.map((b) => vars.map((v) => (b[v] ? b[v].value : "")));
}

async function loadReleases() {
  const status = document.getElementById("access-status");
  const body = document.querySelector("#releases tbody");
  try {
    const results = await (await fetchOk("/releases", { headers: headers("application/json") })).json();
    const vars = results.head.vars;
    const at = (name) => vars.indexOf(name);
    body.replaceChildren();
    for (const v of values(results)) {
      const row = document.createElement("tr");
      const id = v[at("request")];
      const sha = v[at("graph")].split(":").pop();
      const crate = "/releases/" + encodeURIComponent(id) + "/ro-crate?version=" + sha;
      cell(row, id);
      cell(row, v[at("releasedAt")]);
      cell(row, v[at("files")]);
      cell(row, v[at("packaging")]);
      cell(row, v[at("current")]);
      const links = document.createElement("span");
      links.append(download("metadata", crate, "ro-crate-metadata.json"));
      if (v[at("zipLocation")]) {
        links.append(" · ", download("zip", crate + "&download=true", "ro-crate-" + id + ".zip"));
      }
      cell(row, links);
      body.append(row);
    }
    status.textContent = results.results.bindings.length + " archived version(s)";
    status.className = "";
  } catch (error) {
    status.textContent = "Cannot list the releases: " + error.message;
    status.className = "error";
  }
}

function showResults(results) {
  const table = document.getElementById("results");
  const head = document.createElement("tr");
  for (const v of results.head.vars) {
    const th = document.createElement("th");
    th.textContent = v;
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const v of values(results)) {
    const row = document.createElement("tr");
    v.forEach((value) => cell(row, value));
    body.append(row);
  }
  return results.results.bindings.length;
}

async function run(url, init) {
  const status = document.getElementById("results-status");
  const csv = document.getElementById("results-csv");
  csv.hidden = true;
  status.textContent = "Running…";
  status.className = "";
  try {
    const json = await fetchOk(url, { ...init, headers: { ...init.headers, ...headers("application/sparql-results+json") } });
    if (!(json.headers.get("Content-Type") || "").includes("json")) {
      throw new Error("this page shows SELECT and ASK answers; use /query for graphs");
    }
    const results = await json.json();
    const rows = results.boolean === undefined ? showResults(results) : showResults({ head: { vars: ["answer"] }, results: { bindings: [{ answer: { value: String(results.boolean) } }] } });
    status.textContent = rows + " row(s)";
    const text = await (await fetchOk(url, { ...init, headers: { ...init.headers, ...headers("text/csv") } })).blob();
    csv.href = URL.createObjectURL(text);
    csv.hidden = false;
  } catch (error) {
    status.textContent = error.message;
    status.className = "error";
  }
}

function builtinForm(builtins, params) {
  const select = document.getElementById("builtin-name");
  const fields = document.getElementById("builtin-params");
  const summary = document.getElementById("builtin-summary");
  for (const b of builtins) {
    const option = document.createElement("option");
    option.value = option.textContent = b.name;
    select.append(option);
  }
  const render = () => {
    const b = builtins.find((x) => x.name === select.value);
    summary.textContent = b.summary;
    fields.replaceChildren();
    for (const p of b.params) {
      const label = document.createElement("label");
      label.textContent = p.name + " (" + p.kind + (p.optional ? ", optional" : "") + ") ";
      const input = document.createElement("input");
      input.name = p.name;
      input.title = p.doc;
      input.required = !p.optional;
      input.value = params.get(p.name) || "";
      label.append(input);
      fields.append(label);
    }
  };
  select.addEventListener("change", render);
  if (params.get("builtin")) select.value = params.get("builtin");
  render();
  const submit = () => {
    const query = new URLSearchParams({ builtin: select.value });
    for (const input of fields.querySelectorAll("input")) {
      if (input.value) query.append(input.name, input.value);
    }
    return run("/query?" + query, { headers: {} });
  };
  document.getElementById("builtin").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  return submit;
}

document.addEventListener("DOMContentLoaded", () => {
  const builtins = JSON.parse(document.getElementById("builtins").textContent);
  // #builtin=NAME&param=value runs that query on load: a link an auditor can share.
  const params = new URLSearchParams(location.hash.slice(1));
  const runBuiltin = builtinForm(builtins, params);
  document.getElementById("access").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(tokenKey, document.getElementById("token").value);
    loadReleases();
  });
  document.getElementById("sparql").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = new URLSearchParams({ query: document.getElementById("sparql-text").value });
    run("/query", { method: "POST", body, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
  });
  loadReleases();
  if (params.get("builtin")) runBuiltin();
});
