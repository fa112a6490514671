//! C ABI of pseudo-core (work in progress).
