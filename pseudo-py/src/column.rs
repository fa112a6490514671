//! One column of values in, the same kind of column out: a list (or any iterable of `str`), a
//! pandas Series, a polars Series or an Arrow array (the PyCapsule interface, zero-copy both ways).
//!
//! Missing values (None, NaN, pd.NA, NaT, Arrow and polars nulls) stay missing: they are left out
//! of the batches, counted, and come back missing. The rest is sent to the engine in chunks of at
//! most `max_items` (and `CHUNK_ITEMS`) values, so a caller's own data is not bounded by the
//! wire's limit and no copy of the whole column is made on the Rust side. A `str` is borrowed as
//! UTF-8 without a copy (abi3 for Python >= 3.10), an Arrow string array's buffers are read in
//! place.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, LargeStringArray, StringArray};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::DataType;
use pseudo_core as core;
use pseudo_core::{BatchMode, BatchOutput, Error, ItemFailure as CoreItemFailure, Operation, Timestamp};
use pyo3::exceptions::{PyImportError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyBytes, PyFloat, PyList, PyString, PyTuple};

use crate::arrow;
use crate::convert::type_name;
use crate::errors::{input_error, to_py, IntoPyResult, ItemFailure};

/// Values per engine call at most, whatever `max_items` allows: bounds the Rust-side memory of
/// one chunk (64 Ki values of at most `max_item_bytes`) and lets a progress bar move.
const CHUNK_ITEMS: usize = 1 << 16;

/// How to turn a numeric id column into text that joins with the same ids read as text.
const NUMBERS_HINT: &str = "convert numbers to text first, without a decimal point: \
     series.astype(\"Int64\").astype(\"string\") in pandas (\"1001.0\" would not join with \"1001\"), \
     series.cast(pl.String) in polars, pyarrow.compute.cast(array, pyarrow.string()), or str(value)";

/// What happened to one call's values (``report=True``).
///
/// ``items`` values came in; ``nulls`` of them were missing and stayed missing; ``failures``
/// lists the items that failed (their position in the input and code, never the value), which
/// come back missing with ``per_item=True``; ``transformed`` is the rest.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct Report {
    items: usize,
    nulls: usize,
    failures: Vec<ItemFailure>,
}

#[pymethods]
impl Report {
    /// Values in the input, missing ones included.
    #[getter]
    fn items(&self) -> usize {
        self.items
    }

    /// Missing values (None, NaN, pd.NA, NaT, Arrow or polars null): never sent, still missing.
    #[getter]
    fn nulls(&self) -> usize {
        self.nulls
    }

    /// Values that were pseudonymised or reversed.
    #[getter]
    fn transformed(&self) -> usize {
        self.items - self.nulls - self.failures.len()
    }

    /// The failed items (index in the input and code), ascending by index.
    #[getter]
    fn failures<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.failures.iter().cloned())
    }

    fn __repr__(&self) -> String {
        format!(
            "Report(items={}, transformed={}, nulls={}, failed={})",
            self.items,
            self.transformed(),
            self.nulls,
            self.failures.len()
        )
    }
}

/// A progress bar (tqdm) or a callback `progress(done, total)`.
enum Progress<'py> {
    Off,
    Bar(Bound<'py, PyAny>, usize),
    Call(Bound<'py, PyAny>),
}

impl<'py> Progress<'py> {
    fn new(py: Python<'py>, arg: Option<&Bound<'py, PyAny>>, total: Option<usize>, op: Operation) -> PyResult<Self> {
        let Some(arg) = arg else { return Ok(Progress::Off) };
        if arg.is_none() {
            return Ok(Progress::Off);
        }
        if let Ok(on) = arg.cast::<pyo3::types::PyBool>() {
            if !on.is_true() {
                return Ok(Progress::Off);
            }
            let tqdm = py.import("tqdm.auto").map_err(|e| {
                if e.is_instance_of::<PyImportError>(py) {
                    input_error(
                        py,
                        "progress=True shows a tqdm bar, and tqdm is not installed: pip install tqdm, \
                         or pass a function progress(done, total)",
                    )
                } else {
                    e
                }
            })?;
            let kwargs =
                [("total", total.into_pyobject(py)?.into_any()), ("unit", PyString::new(py, "values").into_any())]
                    .into_py_dict(py)?;
            kwargs.set_item("desc", op.as_str())?;
            return Ok(Progress::Bar(tqdm.getattr("tqdm")?.call((), Some(&kwargs))?, 0));
        }
        if arg.is_callable() {
            return Ok(Progress::Call(arg.clone()));
        }
        Err(PyTypeError::new_err(format!(
            "progress must be True (a tqdm bar) or a function progress(done, total), not {}",
            type_name(arg)
        )))
    }

    fn tick(&mut self, done: usize, total: Option<usize>) -> PyResult<()> {
        match self {
            Progress::Off => Ok(()),
            Progress::Bar(bar, shown) => {
                bar.call_method1("update", (done - *shown,))?;
                *shown = done;
                Ok(())
            }
            Progress::Call(f) => f.call1((done, total)).map(drop),
        }
    }

    fn close(&self) -> PyResult<()> {
        match self {
            Progress::Bar(bar, _) => bar.call_method0("close").map(drop),
            _ => Ok(()),
        }
    }
}

/// Runs one caller's values through the engine, chunk by chunk.
struct Runner<'a, 'py> {
    engine: &'a core::Engine,
    op: Operation,
    token: &'a str,
    chunk: usize,
    progress: Progress<'py>,
    total: Option<usize>,
    /// Items consumed so far, missing ones included.
    items: usize,
    nulls: usize,
    /// Failed items, at their positions in the caller's input.
    failures: Vec<CoreItemFailure>,
    calls: usize,
}

impl Runner<'_, '_> {
    /// One engine call (GIL released). Per-item mode: failures are collected, and raised at the
    /// end (`finish`) in strict mode, at the caller's positions.
    fn call(&mut self, py: Python<'_>, views: &[&str]) -> PyResult<BatchOutput> {
        let (engine, op, token) = (self.engine, self.op, self.token);
        let out = py.detach(|| engine.call(op, token, views, BatchMode::PerItem, Timestamp::now())).py_err(py)?;
        self.calls += 1;
        Ok(out)
    }

    fn tick(&mut self) -> PyResult<()> {
        self.progress.tick(self.items, self.total)
    }

    /// The report, or the error a strict call raises. An empty input gets the engine's own
    /// refusal; an input of missing values only still has its token checked.
    fn finish(&mut self, py: Python<'_>, per_item: bool) -> PyResult<Report> {
        if self.items == 0 {
            let none: [&str; 0] = [];
            self.call(py, &none)?;
        } else if self.calls == 0 {
            let (engine, op, token) = (self.engine, self.op, self.token);
            py.detach(|| engine.check_token(op, token, Timestamp::now())).py_err(py)?;
        }
        if !per_item && !self.failures.is_empty() {
            return Err(to_py(py, &Error::batch(std::mem::take(&mut self.failures))));
        }
        Ok(Report {
            items: self.items,
            nulls: self.nulls,
            failures: self.failures.iter().map(ItemFailure::from).collect(),
        })
    }
}

enum Item<'py> {
    Text(Bound<'py, PyString>),
    Null,
}

/// A `str`, a missing value, or the error naming the item's position and type, with a hint.
fn classify<'py>(i: usize, item: Bound<'py, PyAny>) -> PyResult<Item<'py>> {
    if let Ok(s) = item.cast::<PyString>() {
        return Ok(Item::Text(s.clone()));
    }
    if item.is_none() {
        return Ok(Item::Null);
    }
    if let Ok(f) = item.cast::<PyFloat>() {
        if f.value().is_nan() {
            return Ok(Item::Null);
        }
    }
    let ty = type_name(&item);
    if ty == "NAType" || ty == "NaTType" {
        return Ok(Item::Null);
    }
    let hint = if item.is_instance_of::<PyBytes>() || ty == "bytearray" {
        " (decode bytes first, e.g. value.decode(\"utf-8\"))".to_owned()
    } else if ty == "int"
        || ty == "float"
        || ty == "bool"
        || ty.starts_with("int")
        || ty.starts_with("uint")
        || ty.starts_with("float")
    {
        format!(" ({NUMBERS_HINT})")
    } else {
        String::new()
    };
    Err(PyTypeError::new_err(format!("values[{i}] is {ty}, not str: every value must be a str or missing{hint}")))
}

/// Sends the pending values (with their positions) to the engine and writes the results.
fn flush<'py>(
    py: Python<'py>,
    r: &mut Runner<'_, 'py>,
    pending: &mut Vec<(usize, Bound<'py, PyString>)>,
    out: &mut [Option<Bound<'py, PyString>>],
) -> PyResult<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let mut views = Vec::with_capacity(pending.len());
    for (i, s) in pending.iter() {
        views.push(s.to_str().map_err(|_| {
            input_error(py, format!("values[{i}] is not valid Unicode text (it holds a lone surrogate)"))
        })?);
    }
    let result = r.call(py, &views)?;
    for (k, (i, _)) in pending.iter().enumerate() {
        match result.get(k) {
            Some(Ok(s)) => out[*i] = Some(PyString::new(py, s)),
            Some(Err(code)) => r.failures.push(CoreItemFailure { index: *i, code }),
            None => {}
        }
    }
    pending.clear();
    r.tick()
}

/// Python items (str or missing) in, a list of results (None where missing or failed) out.
fn run_items<'py>(
    py: Python<'py>,
    r: &mut Runner<'_, 'py>,
    items: impl Iterator<Item = PyResult<Bound<'py, PyAny>>>,
) -> PyResult<Bound<'py, PyList>> {
    let mut out: Vec<Option<Bound<'py, PyString>>> = Vec::with_capacity(r.total.unwrap_or(0));
    let mut pending = Vec::with_capacity(r.chunk.min(r.total.unwrap_or(r.chunk)));
    for (i, item) in items.enumerate() {
        match classify(i, item?)? {
            Item::Null => r.nulls += 1,
            Item::Text(s) => pending.push((i, s)),
        }
        out.push(None);
        r.items = i + 1;
        if pending.len() == r.chunk {
            flush(py, r, &mut pending, &mut out)?;
        }
    }
    flush(py, r, &mut pending, &mut out)?;
    PyList::new(py, out)
}

/// The text of an Arrow string array, whatever its layout.
enum Strings<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    AllNull,
}

impl<'a> Strings<'a> {
    fn of(array: &'a ArrayRef) -> PyResult<Self> {
        let refuse = |hint: String| Err(PyTypeError::new_err(hint));
        match array.data_type() {
            DataType::Utf8 => Ok(Strings::Utf8(array.as_string::<i32>())),
            DataType::LargeUtf8 => Ok(Strings::Large(array.as_string::<i64>())),
            DataType::Utf8View => Ok(Strings::View(array.as_string_view())),
            DataType::Null => Ok(Strings::AllNull),
            t if t.is_numeric() || *t == DataType::Boolean => {
                refuse(format!("values is an Arrow array of {t}, not strings: {NUMBERS_HINT}"))
            }
            DataType::Dictionary(_, _) => refuse(
                "values is a dictionary-encoded (categorical) Arrow array: decode it first, e.g. \
                 array.dictionary_decode() or series.astype(\"string\")"
                    .to_owned(),
            ),
            DataType::Struct(_) => {
                refuse("values is a table or record batch: pass one column, e.g. table[\"pid\"]".to_owned())
            }
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
                refuse("values is an Arrow array of bytes: decode it to UTF-8 strings first".to_owned())
            }
            t => refuse(format!("values is an Arrow array of {t}: every value must be a string (utf8)")),
        }
    }

    fn get(&self, array: &dyn Array, i: usize) -> Option<&'a str> {
        if array.is_null(i) {
            return None;
        }
        match self {
            Strings::Utf8(a) => Some((*a).value(i)),
            Strings::Large(a) => Some((*a).value(i)),
            Strings::View(a) => Some((*a).value(i)),
            Strings::AllNull => None,
        }
    }
}

/// One Arrow string array in (read in place), a new string array out (`utf8`, or `large_utf8`
/// when the input was or the output needs it), nulls where the input was null or an item failed.
/// `base` is the array's first position in the caller's input (for chunked arrays).
fn run_arrow(py: Python<'_>, r: &mut Runner<'_, '_>, array: &ArrayRef, base: usize) -> PyResult<ArrayRef> {
    let strings = Strings::of(array)?;
    let len = array.len();
    let mut values: Vec<u8> = Vec::new();
    let mut offsets: Vec<i64> = Vec::with_capacity(len + 1);
    offsets.push(0);
    let mut valid: Vec<bool> = Vec::with_capacity(len);
    let mut views: Vec<&str> = Vec::with_capacity(r.chunk.min(len));
    let mut start = 0;
    while start < len {
        views.clear();
        let mut end = start;
        while end < len && views.len() < r.chunk {
            match strings.get(array.as_ref(), end) {
                Some(s) => views.push(s),
                None => r.nulls += 1,
            }
            end += 1;
        }
        let out = if views.is_empty() { None } else { Some(r.call(py, &views)?) };
        let mut k = 0;
        for j in start..end {
            let ok = match (&out, strings.get(array.as_ref(), j)) {
                (Some(out), Some(_)) => {
                    let item = out.get(k);
                    k += 1;
                    match item {
                        Some(Ok(s)) => {
                            values.extend_from_slice(s.as_bytes());
                            true
                        }
                        Some(Err(code)) => {
                            r.failures.push(CoreItemFailure { index: base + j, code });
                            false
                        }
                        None => false,
                    }
                }
                _ => false,
            };
            valid.push(ok);
            offsets.push(values.len() as i64);
        }
        r.items += end - start;
        r.tick()?;
        start = end;
    }
    let nulls = if valid.iter().all(|&v| v) { None } else { Some(NullBuffer::from(valid)) };
    let values = Buffer::from_vec(values);
    let bad = |e: arrow_schema::ArrowError| input_error(py, format!("cannot build the Arrow result: {e}"));
    let large = matches!(strings, Strings::Large(_)) || values.len() > i32::MAX as usize;
    if large {
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        Ok(Arc::new(LargeStringArray::try_new(offsets, values, nulls).map_err(bad)?))
    } else {
        // Every offset fits: the last (largest) one is values.len() <= i32::MAX.
        let offsets: Vec<i32> = offsets.into_iter().map(|o| o as i32).collect();
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        Ok(Arc::new(StringArray::try_new(offsets, values, nulls).map_err(bad)?))
    }
}

/// The root module and class name of `obj`'s type, e.g. `("pandas", "Series")`.
fn kind_of(obj: &Bound<'_, PyAny>) -> (String, String) {
    let ty = obj.get_type();
    let module = ty.module().map(|m| m.to_string()).unwrap_or_default();
    let root = module.split('.').next().unwrap_or("").to_owned();
    (root, ty.name().map(|n| n.to_string()).unwrap_or_default())
}

/// Refuses what is not one column of values, with a hint.
fn refuse_non_column(py: Python<'_>, values: &Bound<'_, PyAny>, root: &str, name: &str) -> PyResult<()> {
    if values.is_instance_of::<PyString>() || values.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "values must be a list (or another iterable) of str, not a single {}; wrap it: [value]",
            type_name(values)
        )));
    }
    let frame = match (root, name) {
        ("pandas", "DataFrame") => Some("a pandas DataFrame (it iterates over its column labels)"),
        ("polars", "DataFrame" | "LazyFrame") => Some("a polars DataFrame"),
        ("pyarrow", "Table" | "RecordBatch") => Some("an Arrow table"),
        _ => None,
    };
    if let Some(what) = frame {
        return Err(PyTypeError::new_err(format!(
            "values is {what}: pass one column, e.g. df[\"pid\"], or transform columns with \
             engine.pseudonymise_columns(token, df, [\"pid\"])"
        )));
    }
    let abc = py.import("collections.abc")?;
    if values.is_instance(&abc.getattr("Mapping")?)? {
        return Err(PyTypeError::new_err(format!(
            "values is a {}, not a column: pass its values, e.g. list(d.values()), or its keys, list(d)",
            type_name(values)
        )));
    }
    if values.is_instance(&abc.getattr("Set")?)? {
        return Err(PyTypeError::new_err(format!(
            "values is a {} (no order: the results could not be matched to the inputs): pass a list, \
             e.g. sorted(values)",
            type_name(values)
        )));
    }
    Ok(())
}

/// What a call does, beside its operation and token.
pub(crate) struct Options<'a, 'py> {
    pub(crate) per_item: bool,
    pub(crate) progress: Option<&'a Bound<'py, PyAny>>,
}

/// Transforms one column of values; the result is the same kind of column as `values`.
pub(crate) fn transform<'py>(
    py: Python<'py>,
    engine: &core::Engine,
    op: Operation,
    token: &str,
    values: &Bound<'py, PyAny>,
    options: &Options<'_, 'py>,
) -> PyResult<(Bound<'py, PyAny>, Report)> {
    let (root, name) = kind_of(values);
    refuse_non_column(py, values, &root, &name)?;
    let chunk = engine.options().limits.max_items.clamp(1, CHUNK_ITEMS);
    let mut r = Runner {
        engine,
        op,
        token,
        chunk,
        progress: Progress::Off,
        total: None,
        items: 0,
        nulls: 0,
        failures: Vec::new(),
        calls: 0,
    };
    let result = run_column(py, &mut r, values, &root, &name, options);
    let closed = r.progress.close();
    let out = result?;
    closed?;
    let report = r.finish(py, options.per_item)?;
    Ok((out, report))
}

fn run_column<'py>(
    py: Python<'py>,
    r: &mut Runner<'_, 'py>,
    values: &Bound<'py, PyAny>,
    root: &str,
    name: &str,
    options: &Options<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let start = |r: &mut Runner<'_, 'py>, total: Option<usize>| -> PyResult<()> {
        r.total = total;
        r.progress = Progress::new(py, options.progress, total, r.op)?;
        Ok(())
    };
    match (root, name) {
        ("pandas", "Series") => {
            let dtype = values.getattr("dtype")?;
            let kind: String = dtype.getattr("kind")?.extract()?;
            if "iufcb".contains(kind.as_str()) {
                return Err(PyTypeError::new_err(format!(
                    "values is a pandas Series of {}, not text: {NUMBERS_HINT}",
                    dtype.str()?
                )));
            }
            // Arrow-backed text (pandas 3's default `str`, `string[pyarrow]`, ArrowDtype): read the
            // Arrow buffers in place and hand new ones back, no Python `str` per value.
            let storage = dtype.getattr("storage").ok().map(|s| s.to_string());
            let arrow_dtype = type_name(&dtype) == "ArrowDtype";
            if storage.as_deref() == Some("pyarrow") || arrow_dtype {
                let chunked = values.getattr("array")?.call_method0("__arrow_array__")?;
                let pa = py.import("pyarrow")?;
                let out = run_chunked(py, r, &pa, &chunked, &start)?;
                let array = py.import("pandas")?.getattr("array")?;
                let kwargs = [("dtype", dtype)].into_py_dict(py)?;
                let out = array.call((out,), Some(&kwargs))?;
                let kwargs =
                    [("index", values.getattr("index")?), ("name", values.getattr("name")?)].into_py_dict(py)?;
                return values.get_type().call((out,), Some(&kwargs));
            }
            let items = values.call_method0("tolist")?;
            let items = items.cast::<PyList>()?;
            start(r, Some(items.len()))?;
            let list = run_items(py, r, items.iter().map(Ok))?;
            // Text dtypes ("string", ArrowDtype strings) stay; others come back as object (None
            // where a value is missing or failed).
            let keep = !matches!(dtype.str()?.to_str()?, "object" | "category");
            let out_dtype = if keep { dtype } else { PyString::new(py, "object").into_any() };
            let kwargs = [("index", values.getattr("index")?), ("name", values.getattr("name")?), ("dtype", out_dtype)]
                .into_py_dict(py)?;
            values.get_type().call((list,), Some(&kwargs))
        }
        ("polars", "Series") => {
            let dtype = values.getattr("dtype")?;
            if dtype.call_method0("is_numeric")?.is_truthy()? || dtype.str()?.to_str()? == "Boolean" {
                return Err(PyTypeError::new_err(format!(
                    "values is a polars Series of {}, not text: {NUMBERS_HINT}",
                    dtype.str()?
                )));
            }
            let pl = py.import("polars")?;
            // A String column goes through Arrow when pyarrow is there: read in place (polars
            // exports string views), no Python `str` per value.
            if dtype.str()?.to_str()? == "String" {
                if let Ok(pa) = py.import("pyarrow") {
                    let chunked = pa.getattr("chunked_array")?.call1((values,))?;
                    let out = run_chunked(py, r, &pa, &chunked, &start)?;
                    return pl.getattr("Series")?.call1((values.getattr("name")?, out));
                }
            }
            let items = values.call_method0("to_list")?;
            let items = items.cast::<PyList>()?;
            start(r, Some(items.len()))?;
            let list = run_items(py, r, items.iter().map(Ok))?;
            let kwargs = [("dtype", pl.getattr("String")?)].into_py_dict(py)?;
            pl.getattr("Series")?.call((values.getattr("name")?, list), Some(&kwargs))
        }
        _ if values.hasattr("__arrow_c_array__")? => {
            let array = arrow::import_array(values)?;
            start(r, Some(array.len()))?;
            let out = run_arrow(py, r, &array, 0)?;
            let out = arrow::export(py, out)?;
            match py.import("pyarrow") {
                Ok(pa) => pa.getattr("array")?.call1((out,)),
                Err(_) => Ok(out),
            }
        }
        _ if values.hasattr("__arrow_c_stream__")? => {
            let pa = py.import("pyarrow").map_err(|_| {
                PyTypeError::new_err(format!(
                    "values ({}) is an Arrow stream; reading one needs pyarrow (pip install pyarrow)",
                    type_name(values)
                ))
            })?;
            let chunked = if root == "pyarrow" && name == "ChunkedArray" {
                values.clone()
            } else {
                pa.getattr("chunked_array")?.call1((values,))?
            };
            run_chunked(py, r, &pa, &chunked, &start)
        }
        _ if values.is_instance_of::<PyList>() || values.is_instance_of::<PyTuple>() => {
            start(r, Some(values.len()?))?;
            let list = if let Ok(l) = values.cast::<PyList>() {
                run_items(py, r, l.iter().map(Ok))?
            } else {
                run_items(py, r, values.cast::<PyTuple>()?.iter().map(Ok))?
            };
            Ok(list.into_any())
        }
        _ => {
            let iter = values.try_iter().map_err(|_| {
                PyTypeError::new_err(format!(
                    "values must be a list, another iterable of str, a pandas or polars Series or an \
                     Arrow array, not {}",
                    type_name(values)
                ))
            })?;
            start(r, values.len().ok())?;
            Ok(run_items(py, r, iter)?.into_any())
        }
    }
}

/// A `pyarrow.ChunkedArray` of strings in, one of the results out, chunk for chunk.
fn run_chunked<'py>(
    py: Python<'py>,
    r: &mut Runner<'_, 'py>,
    pa: &Bound<'py, PyModule>,
    chunked: &Bound<'py, PyAny>,
    start: &dyn Fn(&mut Runner<'_, 'py>, Option<usize>) -> PyResult<()>,
) -> PyResult<Bound<'py, PyAny>> {
    let chunks = chunked.getattr("chunks")?;
    let chunks = chunks.cast::<PyList>()?;
    let mut arrays = Vec::with_capacity(chunks.len());
    for c in chunks.iter() {
        arrays.push(arrow::import_array(&c)?);
    }
    start(r, Some(arrays.iter().map(|a| a.len()).sum()))?;
    let mut outs = Vec::with_capacity(arrays.len());
    let mut base = 0;
    for a in &arrays {
        let out = run_arrow(py, r, a, base)?;
        base += a.len();
        outs.push(pa.getattr("array")?.call1((arrow::export(py, out)?,))?);
    }
    let ty = match chunked.getattr("type")?.str()?.to_str()? {
        "large_string" => pa.getattr("large_string")?.call0()?,
        _ => pa.getattr("string")?.call0()?,
    };
    pa.getattr("chunked_array")?.call1((PyList::new(py, outs)?, ty))
}
