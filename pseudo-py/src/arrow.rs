//! Arrow arrays in and out through the Arrow PyCapsule interface (the C data interface), without
//! copying: an imported array's buffers stay where the producer (pyarrow, polars, nanoarrow…) put
//! them, and an exported array hands its buffers to the consumer, which frees them through the
//! interface's `release` callback.

use std::ffi::CStr;

use arrow_array::ffi::{from_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::{make_array, ArrayRef};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyTuple};

use crate::convert::type_name;

const SCHEMA: &CStr = c"arrow_schema";
const ARRAY: &CStr = c"arrow_array";

/// Imports the array `obj` exports through `__arrow_c_array__`.
pub(crate) fn import_array(obj: &Bound<'_, PyAny>) -> PyResult<ArrayRef> {
    let pair = obj.call_method0("__arrow_c_array__")?;
    let pair = pair
        .cast::<PyTuple>()
        .map_err(|_| PyTypeError::new_err(format!("{}.__arrow_c_array__() did not return a tuple", type_name(obj))))?;
    let schema = pair.get_item(0)?;
    let array = pair.get_item(1)?;
    let schema = schema.cast::<PyCapsule>()?;
    let array = array.cast::<PyCapsule>()?;
    let schema_ptr = schema.pointer_checked(Some(SCHEMA))?.cast::<FFI_ArrowSchema>();
    let array_ptr = array.pointer_checked(Some(ARRAY))?.cast::<FFI_ArrowArray>();
    // SAFETY: the capsule named "arrow_array" holds a valid `ArrowArray` struct (the PyCapsule
    // interface's contract); `from_raw` moves it out and leaves a released struct behind, so the
    // capsule's destructor does not release the buffers we now own.
    let ffi_array = unsafe { FFI_ArrowArray::from_raw(array_ptr.as_ptr()) };
    // SAFETY: the capsule named "arrow_schema" holds a valid `ArrowSchema` struct that lives as
    // long as the capsule, which `schema` keeps alive for this borrow.
    let ffi_schema = unsafe { schema_ptr.as_ref() };
    // SAFETY: both structs follow the C data interface; `from_ffi` validates the layout against
    // the schema's type before any buffer is read.
    let data = unsafe { from_ffi(ffi_array, ffi_schema) }
        .map_err(|e| PyTypeError::new_err(format!("cannot read the Arrow array: {e}")))?;
    Ok(make_array(data))
}

/// An Arrow string array made by this module (the result of an Arrow input when pyarrow is not
/// installed), read by any consumer of the Arrow PyCapsule interface without a copy:
/// ``pyarrow.array(obj)``, ``polars.Series(obj)``, nanoarrow, arro3…
#[pyclass(frozen, module = "pseudo._pseudo", name = "ArrowArray")]
pub(crate) struct ArrowArray {
    array: ArrayRef,
}

impl ArrowArray {
    pub(crate) fn new(array: ArrayRef) -> Self {
        ArrowArray { array }
    }
}

#[pymethods]
impl ArrowArray {
    /// Exports the array (schema and array capsules). A requested schema is not honoured: the
    /// array is always a UTF-8 string array (``utf8`` or ``large_utf8``).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let _ = requested_schema;
        let data = self.array.to_data();
        let schema = FFI_ArrowSchema::try_from(data.data_type())
            .map_err(|e| PyTypeError::new_err(format!("cannot export the Arrow array: {e}")))?;
        let array = FFI_ArrowArray::new(&data);
        let schema = PyCapsule::new_with_value(py, schema, SCHEMA)?;
        let array = PyCapsule::new_with_value(py, array, ARRAY)?;
        PyTuple::new(py, [schema, array])
    }

    fn __len__(&self) -> usize {
        self.array.len()
    }

    fn __repr__(&self) -> String {
        format!("ArrowArray(type={}, len={})", self.array.data_type(), self.array.len())
    }
}

/// `array` as a Python object implementing the PyCapsule interface.
pub(crate) fn export(py: Python<'_>, array: ArrayRef) -> PyResult<Bound<'_, PyAny>> {
    Ok(Bound::new(py, ArrowArray::new(array))?.into_any())
}
