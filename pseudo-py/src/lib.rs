//! Python bindings of pseudo-core (work in progress).
