//! Records which Python the embedded interpreter was built against, and makes the
//! binary find that libpython at run time.

fn main() {
    // The binary only records `NEEDED libpython3.x.so`; without a run path it may
    // load another install's libpython at run time (pyenv's vs the system's) and crash.
    pyo3_build_config::add_libpython_rpath_link_args();

    let config = pyo3_build_config::get();
    // The lab's venv and every extension it builds must match this Python.
    println!(
        "cargo:rustc-env=PYO3_LAB_EMBEDDED_PYTHON={}",
        config.version()
    );
    if let Some(exe) = config.executable() {
        println!("cargo:rustc-env=PYO3_LAB_BUILD_PYTHON={exe}");
    }
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
}
