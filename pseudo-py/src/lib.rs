//! Python bindings of pseudo-core: the `pseudo._pseudo` extension module behind `import pseudo`.
//!
//! Only the core's public API is used; no cryptography or token logic lives here. Every call
//! that verifies a token or works through a batch releases the GIL.

mod arrow;
mod authority;
mod column;
mod convert;
mod engine;
mod errors;
mod keys;
mod records;
mod registry;

use pyo3::prelude::*;

/// Pseudonymisation engine and token authority (Rust core).
///
/// Python ``bytes`` and ``str`` objects that hold secrets (key material handed in or exported,
/// PEM text, tokens) cannot be zeroized: they stay in the interpreter's memory until it reuses
/// it. The copies held by this module's objects are wiped when they are freed.
#[pymodule]
fn _pseudo(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", pseudo_core::VERSION)?;
    m.add_class::<keys::MasterKey>()?;
    m.add_class::<keys::Keyring>()?;
    m.add_class::<keys::SigningKey>()?;
    m.add_class::<keys::VerifyingKey>()?;
    m.add_class::<authority::ProjectConfig>()?;
    m.add_class::<authority::SourceRef>()?;
    m.add_class::<authority::IssuedToken>()?;
    m.add_class::<authority::Authority>()?;
    m.add_class::<authority::Grant>()?;
    m.add_class::<engine::Engine>()?;
    m.add_class::<errors::ItemFailure>()?;
    m.add_class::<column::Report>()?;
    m.add_class::<arrow::ArrowArray>()?;
    m.add_class::<registry::Principal>()?;
    m.add_class::<registry::Registry>()?;
    m.add_class::<registry::NewAccessToken>()?;
    m.add_class::<records::Project>()?;
    m.add_class::<records::Collaborator>()?;
    m.add_class::<records::Request>()?;
    m.add_class::<records::RequestEvent>()?;
    m.add_class::<records::TokenRecord>()?;
    m.add_class::<records::AccessTokenRecord>()?;
    m.add_class::<records::AuditEvent>()?;
    m.add_class::<records::RecordList>()?;
    // A RecordList behaves as a read-only list: make isinstance(x, Sequence) say so.
    py.import("collections.abc")?.getattr("Sequence")?.call_method1("register", (m.getattr("RecordList")?,))?;
    for (name, class) in errors::exceptions(py)?.all() {
        m.add(name, class.clone_ref(py))?;
    }
    Ok(())
}
