//! `trecrate._native`, the extension module behind the Python package `trecrate`: the same
//! library calls the command line makes, with Python values in and out. The package's
//! `__init__.py` documents and wraps the functions; `_native.pyi` types the module.
//!
//! Long work runs without the GIL. Its progress events go to `on_progress`, and each event is
//! also where a pending Ctrl-C is noticed: the run is then cancelled between two stages or two
//! files (nothing half-written, as for any failure) and `KeyboardInterrupt` raised.

use pyo3::exceptions::{PyException, PyKeyboardInterrupt};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::PathBuf;
use std::sync::Mutex;
use trecrate::archive::query::{self, Answer, Format, Limits};
use trecrate::event::{error_chain as chain, Cancel, Event};
use trecrate::finding::{Finding, Level};
use trecrate::release::load::{DEFAULT_PUBLISHER_NAME, DEFAULT_PUBLISHER_URL};
use trecrate::validate::{report, Profiles, ValidateOptions};

pyo3::create_exception!(
    _native,
    TrecrateError,
    PyException,
    "Base of trecrate's errors; `exit_code` is what the command line would exit with."
);
pyo3::create_exception!(
    _native,
    RefusedError,
    TrecrateError,
    "The work was refused on its merits (exit status 1): an invalid export, a checksum that \
     does not match, a failed REQUIRED check (see `findings`), a release already there."
);
pyo3::create_exception!(
    _native,
    InputError,
    TrecrateError,
    "trecrate could not run (exit status 2): a file that cannot be read or is not what it \
     should be, a bad option, storage that fails. The message names the file and field."
);

/// Python values from JSON text: the same dicts the command line's JSON output gives.
fn from_json<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

fn input_error(py: Python<'_>, message: String) -> PyErr {
    exception::<InputError>(py, message, 2, &[])
}

/// An exception of class `E` with `exit_code` and `findings` set.
fn exception<E: pyo3::PyTypeInfo>(
    py: Python<'_>,
    message: String,
    exit_code: u8,
    findings: &[Finding],
) -> PyErr {
    let error = PyErr::from_type(py.get_type::<E>(), message);
    let value = error.value(py);
    let findings = serde_json::to_string(findings)
        .ok()
        .and_then(|text| from_json(py, &text).ok());
    let _ = value.setattr("exit_code", exit_code);
    let _ = match findings {
        Some(findings) => value.setattr("findings", findings),
        None => value.setattr("findings", PyList::empty(py)),
    };
    error
}

/// A run's failure as its exception: refused (1) or impossible (2).
fn failure(
    py: Python<'_>,
    error: &dyn std::error::Error,
    refusal: bool,
    findings: &[Finding],
) -> PyErr {
    match refusal {
        true => exception::<RefusedError>(py, chain(error), 1, findings),
        false => exception::<InputError>(py, chain(error), 2, findings),
    }
}

fn event_dict<'py>(py: Python<'py>, event: &Event) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    match event {
        Event::Stage(stage) => {
            dict.set_item("event", "stage")?;
            dict.set_item("stage", *stage)?;
        }
        Event::Warning(message) => {
            dict.set_item("event", "warning")?;
            dict.set_item("message", message)?;
        }
        Event::Payload(done, total, bytes) => {
            dict.set_item("event", "payload")?;
            dict.set_item("done", done)?;
            dict.set_item("total", total)?;
            dict.set_item("bytes", bytes)?;
        }
    }
    Ok(dict)
}

/// Runs `work` without the GIL. Each of its events goes to `on_progress` and is a moment to
/// notice Ctrl-C; either that or an exception of `on_progress` cancels the run, and is what
/// this returns once the run has stopped.
fn detached<T: Send>(
    py: Python<'_>,
    cancel: &Cancel,
    on_progress: Option<Py<PyAny>>,
    work: impl FnOnce(&mut dyn FnMut(Event)) -> T + Send,
) -> PyResult<T> {
    let interrupted: Mutex<Option<PyErr>> = Mutex::new(None);
    let result = py.detach(|| {
        let mut on_event = |event: Event| {
            Python::attach(|py| {
                let outcome = py.check_signals().and_then(|()| match &on_progress {
                    Some(callback) => callback.call1(py, (event_dict(py, &event)?,)).map(|_| ()),
                    None => Ok(()),
                });
                if let Err(error) = outcome {
                    cancel.cancel();
                    let mut slot = interrupted.lock().unwrap_or_else(|e| e.into_inner());
                    slot.get_or_insert(error);
                }
            })
        };
        work(&mut on_event)
    });
    if let Some(error) = interrupted.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(error);
    }
    py.check_signals()?;
    Ok(result)
}

fn location(py: Python<'_>, what: &str, path: PathBuf) -> PyResult<trecrate::storage::Location> {
    trecrate::storage::Location::parse(&path.to_string_lossy())
        .map_err(|e| input_error(py, format!("{what}: {e}")))
}

/// `trecrate.release`, documented in `trecrate/__init__.py`.
#[pyfunction]
#[pyo3(signature = (
    export, quarantine, out, *, store=None, force=false, publisher_name=None,
    publisher_url=None, tre_namespace=None, deflate_level=6, on_progress=None,
    ro_crate_version=None, bagit=false
))]
#[allow(clippy::too_many_arguments)]
fn release<'py>(
    py: Python<'py>,
    export: PathBuf,
    quarantine: PathBuf,
    out: PathBuf,
    store: Option<PathBuf>,
    force: bool,
    publisher_name: Option<String>,
    publisher_url: Option<String>,
    tre_namespace: Option<String>,
    deflate_level: u32,
    on_progress: Option<Py<PyAny>>,
    ro_crate_version: Option<String>,
    bagit: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let version = match ro_crate_version {
        Some(v) => v
            .parse()
            .map_err(|e: String| input_error(py, format!("ro_crate_version: {e}")))?,
        None => Default::default(),
    };
    let cancel = Cancel::new();
    let options = trecrate::ReleaseOptions {
        export,
        quarantine: location(py, "quarantine", quarantine)?,
        out: location(py, "out", out)?,
        s3: Default::default(),
        force,
        publisher: trecrate::release::load::Publisher {
            name: publisher_name.unwrap_or_else(|| DEFAULT_PUBLISHER_NAME.into()),
            url: publisher_url.unwrap_or_else(|| DEFAULT_PUBLISHER_URL.into()),
        },
        tre_namespace: tre_namespace.unwrap_or_else(|| trecrate::rdf::vocab::TRE.into()),
        assets: Default::default(),
        deflate_level,
        store,
        ro_crate_version: version,
        bagit,
        cancel: cancel.clone(),
    };
    let released = detached(py, &cancel, on_progress, |on_event| {
        trecrate::release(&options, on_event)
    })?;
    match released {
        Ok(released) => from_json(py, &released.delivered.record().to_json()),
        Err(error) => {
            let findings = match &error {
                trecrate::Error::Refused(findings) => findings.as_slice(),
                _ => &[],
            };
            Err(failure(py, &error, error.is_refusal(), findings))
        }
    }
}

/// `trecrate.validate`, documented in `trecrate/__init__.py`.
#[pyfunction]
#[pyo3(signature = (path, *, profiles=None, level="required", metadata_only=false))]
fn validate<'py>(
    py: Python<'py>,
    path: PathBuf,
    profiles: Option<Vec<String>>,
    level: &str,
    metadata_only: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let level = Level::parse(level).ok_or_else(|| {
        input_error(
            py,
            format!("level {level:?}: give required, recommended or optional"),
        )
    })?;
    let known = Profiles::builtin().map_err(|e| input_error(py, chain(&e)))?;
    let mut chosen = Vec::new();
    for name in profiles.unwrap_or_default() {
        let profile = known
            .named(&name)
            .map_err(|e| input_error(py, format!("profiles: {e}")))?;
        chosen.push(profile.clone());
    }
    let options = ValidateOptions {
        profiles: chosen,
        metadata_only,
        ..Default::default()
    };
    let checked = py.detach(|| trecrate::validate::validate(&path, &options));
    py.check_signals()?;
    match checked {
        Ok(crate_report) => from_json(py, &report::json(&[crate_report], level)),
        Err(error) => Err(failure(py, &error, false, &[])),
    }
}

fn run_crate_options(
    run_dir: PathBuf,
    out: Option<PathBuf>,
    license: Option<String>,
    store: Option<PathBuf>,
    bagit: bool,
) -> trecrate::run_crate::RunCrateOptions {
    trecrate::run_crate::RunCrateOptions {
        dir: run_dir,
        out,
        license,
        store,
        bagit,
        cancel: Cancel::new(),
        ..Default::default()
    }
}

/// `trecrate.run_crate`, documented in `trecrate/__init__.py`.
#[pyfunction]
#[pyo3(signature = (
    run_dir, *, out=None, license=None, on_error_write_stub=false, store=None, bagit=false,
    on_progress=None
))]
#[allow(clippy::too_many_arguments)]
fn run_crate(
    py: Python<'_>,
    run_dir: PathBuf,
    out: Option<PathBuf>,
    license: Option<String>,
    on_error_write_stub: bool,
    store: Option<PathBuf>,
    bagit: bool,
    on_progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let options = run_crate_options(run_dir, out, license, store, bagit);
    let written = detached(py, &options.cancel, on_progress, |on_event| {
        trecrate::run_crate::run_crate(&options, on_event)
    });
    let error = match written {
        Ok(Ok(written)) => return Ok(written.path.display().to_string()),
        Ok(Err(error)) => {
            let findings = match &error {
                trecrate::run_crate::RunCrateError::Refused(findings) => findings.as_slice(),
                _ => &[],
            };
            failure(py, &error, error.is_refusal(), findings)
        }
        Err(interrupted) => interrupted,
    };
    if on_error_write_stub && !error.is_instance_of::<PyKeyboardInterrupt>(py) {
        let cause = error.value(py).to_string();
        if let Err(stub) = trecrate::run_crate::write_stub(&options, &cause) {
            return Err(failure(py, &stub, false, &[]));
        }
    }
    Err(error)
}

/// The archive of releases, open for queries; it holds the archive's lock until closed.
#[pyclass(name = "Archive", module = "trecrate")]
struct PyArchive {
    /// `None` once closed: RocksDB lets one process hold the archive, so it is let go of
    /// explicitly (or at the end of a `with` block).
    archive: Option<trecrate::archive::Archive>,
    path: PathBuf,
    /// The auditors' library, read once.
    builtins: Vec<query::Builtin>,
}

impl PyArchive {
    fn open(&self, py: Python<'_>) -> PyResult<&trecrate::archive::Archive> {
        self.archive.as_ref().ok_or_else(|| {
            input_error(
                py,
                format!("{}: the archive was closed", self.path.display()),
            )
        })
    }

    fn answer<'py>(
        &self,
        py: Python<'py>,
        prepared: PyResult<query::Prepared>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let store = self.open(py)?.store();
        let prepared = prepared?;
        let answer = py
            .detach(|| query::evaluate(store, prepared, Limits::default()))
            .map_err(|e| failure(py, &e, e.is_refusal(), &[]))?;
        py.check_signals()?;
        match answer {
            Answer::Boolean(b) => Ok(b.into_pyobject(py)?.to_owned().into_any()),
            Answer::Graph(_) => {
                let mut turtle = Vec::new();
                query::write(&answer, Format::Turtle, &mut turtle)
                    .map_err(|e| failure(py, &e, false, &[]))?;
                Ok(String::from_utf8_lossy(&turtle)
                    .into_pyobject(py)?
                    .into_any())
            }
            Answer::Solutions { variables, rows } => {
                let list = PyList::empty(py);
                for row in rows {
                    let dict = PyDict::new(py);
                    for variable in &variables {
                        dict.set_item(variable.as_str(), term(py, row.get(variable))?)?;
                    }
                    list.append(dict)?;
                }
                Ok(list.into_any())
            }
        }
    }
}

/// A result value as Python has it: numbers and booleans typed, IRIs and other literals as
/// their text, unbound as `None`.
fn term<'py>(py: Python<'py>, term: Option<&oxigraph::model::Term>) -> PyResult<Bound<'py, PyAny>> {
    use oxigraph::model::vocab::xsd;
    use oxigraph::model::Term;
    Ok(match term {
        None => py.None().into_bound(py),
        Some(Term::NamedNode(n)) => n.as_str().into_pyobject(py)?.into_any(),
        Some(Term::BlankNode(b)) => format!("_:{}", b.as_str()).into_pyobject(py)?.into_any(),
        Some(Term::Literal(l)) => {
            let value = l.value();
            let datatype = l.datatype();
            if datatype == xsd::INTEGER || datatype == xsd::LONG || datatype == xsd::INT {
                match value.parse::<i64>() {
                    Ok(n) => n.into_pyobject(py)?.into_any(),
                    Err(_) => value.into_pyobject(py)?.into_any(),
                }
            } else if datatype == xsd::BOOLEAN {
                (value == "true" || value == "1")
                    .into_pyobject(py)?
                    .to_owned()
                    .into_any()
            } else if datatype == xsd::DOUBLE || datatype == xsd::DECIMAL || datatype == xsd::FLOAT
            {
                match value.parse::<f64>() {
                    Ok(n) => n.into_pyobject(py)?.into_any(),
                    Err(_) => value.into_pyobject(py)?.into_any(),
                }
            } else {
                value.into_pyobject(py)?.into_any()
            }
        }
        #[allow(unreachable_patterns)]
        Some(other) => other.to_string().into_pyobject(py)?.into_any(),
    })
}

/// A keyword argument's value as an RDF term to bind: text, a number or a boolean.
fn bound_term(value: &Bound<'_, PyAny>) -> PyResult<oxigraph::model::Term> {
    use oxigraph::model::Literal;
    if let Ok(b) = value.extract::<bool>() {
        return Ok(Literal::from(b).into());
    }
    if let Ok(n) = value.extract::<i64>() {
        return Ok(Literal::from(n).into());
    }
    if let Ok(x) = value.extract::<f64>() {
        return Ok(Literal::from(x).into());
    }
    Ok(Literal::new_simple_literal(value.str()?.to_cow()?).into())
}

fn builtins_of(py: Python<'_>) -> PyResult<Vec<query::Builtin>> {
    let assets = trecrate::assets::audit_queries(None).map_err(|e| input_error(py, chain(&e)))?;
    query::builtins(&assets, trecrate::rdf::vocab::TRE).map_err(|e| input_error(py, chain(&e)))
}

#[pymethods]
impl PyArchive {
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let archive = trecrate::archive::Archive::open(&path, false)
            .map_err(|e| failure(py, &e, e.is_refusal(), &[]))?;
        Ok(PyArchive {
            archive: Some(archive),
            path,
            builtins: builtins_of(py)?,
        })
    }

    /// Every archived version, as `trecrate releases --format json` lists them.
    fn releases<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.builtin(py, "releases", None)
    }

    /// A SPARQL query; keyword arguments bind its variables (`?name`) before evaluation.
    #[pyo3(signature = (sparql, **params))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        sparql: &str,
        params: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut prepared =
            query::prepare(sparql, "the query").map_err(|e| failure(py, &e, false, &[]))?;
        if let Some(params) = params {
            for (name, value) in params.iter() {
                let name: String = name.extract()?;
                let variable = oxigraph::model::Variable::new(&name)
                    .map_err(|e| input_error(py, format!("{name}: {e}")))?;
                prepared = prepared.bind(variable, Some(bound_term(&value)?));
            }
        }
        self.answer(py, Ok(prepared))
    }

    /// One of the auditors' built-in queries, its parameters as keyword arguments.
    #[pyo3(signature = (name, **params))]
    fn builtin<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        params: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut values = Vec::new();
        if let Some(params) = params {
            for (key, value) in params.iter() {
                values.push((key.extract::<String>()?, value.str()?.to_string()));
            }
        }
        let prepared = query::prepare_builtin(&self.builtins, name, &values)
            .map_err(|e| failure(py, &e, false, &[]));
        self.answer(py, prepared)
    }

    /// Lets go of the archive (its lock), so another process may record into it.
    fn close(&mut self) {
        self.archive = None;
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("TrecrateError", py.get_type::<TrecrateError>())?;
    m.add("RefusedError", py.get_type::<RefusedError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add_function(wrap_pyfunction!(release, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(run_crate, m)?)?;
    m.add_class::<PyArchive>()?;
    Ok(())
}
