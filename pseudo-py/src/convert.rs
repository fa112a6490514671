//! Conversions between Python values (`datetime`, `timedelta`, `uuid.UUID`, paths) and core types.
//!
//! Instants go through the `datetime` module's own methods so the abi3 build needs no C date API.

use std::time::Duration;

use pseudo_core::{OrgId, OutputFormat, ProjectId, Timestamp, Treatment};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyBytes, PyString};
use zeroize::Zeroizing;

use crate::errors::{input_error, IntoPyResult};

/// The name of `obj`'s type, for error messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".to_owned())
}

fn utc<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    py.import("datetime")?.getattr("timezone")?.getattr("utc")
}

/// A `datetime.datetime` (naive ones are taken as UTC) or a `datetime.date` (midnight UTC).
pub(crate) fn to_timestamp(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<Timestamp> {
    let py = obj.py();
    let dt = py.import("datetime")?;
    let aware = if obj.is_instance(&dt.getattr("datetime")?)? {
        if obj.getattr("tzinfo")?.is_none() {
            obj.call_method("replace", (), Some(&[("tzinfo", utc(py)?)].into_py_dict(py)?))?
        } else {
            obj.clone()
        }
    } else if obj.is_instance(&dt.getattr("date")?)? {
        let midnight = dt.getattr("time")?.call0()?;
        dt.getattr("datetime")?.getattr("combine")?.call1((obj, midnight, utc(py)?))?
    } else {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a datetime.datetime or datetime.date, not {}",
            type_name(obj)
        )));
    };
    let secs: f64 = aware.call_method0("timestamp")?.extract()?;
    Ok(Timestamp::from_unix(secs.floor() as i64))
}

/// A timezone-aware UTC `datetime.datetime`.
pub(crate) fn from_timestamp(py: Python<'_>, t: Timestamp) -> PyResult<Py<PyAny>> {
    let datetime = py.import("datetime")?.getattr("datetime")?;
    Ok(datetime.call_method1("fromtimestamp", (t.unix(), utc(py)?))?.unbind())
}

/// A positive `datetime.timedelta`, in whole seconds (at least one).
pub(crate) fn to_duration(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let py = obj.py();
    if !obj.is_instance(&py.import("datetime")?.getattr("timedelta")?)? {
        return Err(PyTypeError::new_err(format!("{what} must be a datetime.timedelta, not {}", type_name(obj))));
    }
    let secs: f64 = obj.call_method0("total_seconds")?.extract()?;
    if !secs.is_finite() || secs < 1.0 {
        return Err(input_error(py, format!("{what} must be at least one second")));
    }
    Ok(Duration::from_secs(secs.floor() as u64))
}

/// A `uuid.UUID` or its text.
pub(crate) fn to_org(obj: &Bound<'_, PyAny>) -> PyResult<OrgId> {
    let py = obj.py();
    let text = if let Ok(s) = obj.cast::<PyString>() {
        s.to_cow()?.into_owned()
    } else if obj.is_instance(&py.import("uuid")?.getattr("UUID")?)? {
        obj.str()?.to_cow()?.into_owned()
    } else {
        return Err(PyTypeError::new_err(format!(
            "organisation must be a uuid.UUID or its text, not {}",
            type_name(obj)
        )));
    };
    OrgId::parse_str(text.trim()).map_err(|_| input_error(py, "organisation must be a UUID"))
}

/// The organisation as a `uuid.UUID`.
pub(crate) fn from_org(py: Python<'_>, org: &OrgId) -> PyResult<Py<PyAny>> {
    Ok(py.import("uuid")?.getattr("UUID")?.call1((org.to_string(),))?.unbind())
}

pub(crate) fn to_project(py: Python<'_>, id: &str) -> PyResult<ProjectId> {
    ProjectId::new(id).py_err(py)
}

pub(crate) fn to_treatment(py: Python<'_>, s: &str) -> PyResult<Treatment> {
    s.parse().py_err(py)
}

pub(crate) fn treatment_str(t: Treatment) -> &'static str {
    match t {
        Treatment::Same => "same",
        Treatment::Different => "different",
    }
}

pub(crate) fn to_format(py: Python<'_>, s: &str) -> PyResult<OutputFormat> {
    s.parse().py_err(py)
}

/// Text given as `str`, or as `bytes` holding UTF-8 (PEM files are often read as bytes). The
/// copy is wiped on drop; the caller's Python object is not (Python strings cannot be zeroized).
pub(crate) fn text_arg(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<Zeroizing<String>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Zeroizing::new(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        let text = std::str::from_utf8(b.as_bytes())
            .map_err(|_| input_error(obj.py(), format!("{what} is not valid UTF-8 text")))?;
        return Ok(Zeroizing::new(text.to_owned()));
    }
    Err(PyTypeError::new_err(format!("{what} must be str or bytes, not {}", type_name(obj))))
}

/// Formats a string as Python's `repr` does (for `__repr__` methods).
pub(crate) struct Q<'a>(pub(crate) &'a str);

impl std::fmt::Display for Q<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        let quote = if self.0.contains('\'') && !self.0.contains('"') { '"' } else { '\'' };
        f.write_char(quote)?;
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if c == quote => write!(f, "\\{c}")?,
                c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(f, "\\x{:02x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        f.write_char(quote)
    }
}
