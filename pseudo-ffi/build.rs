//! Gives the shared library its SONAME, `libpseudo.so.0`: programs record that name (not a path),
//! so they keep working when the library moves, and the major number changes only with the ABI.
//! `make install` installs `libpseudo.so.MAJOR.MINOR.PATCH` with the `libpseudo.so.MAJOR` and `libpseudo.so` links.
fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    // ELF platforms only: macOS uses install names, Windows import libraries.
    if matches!(target_os.as_str(), "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libpseudo.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
