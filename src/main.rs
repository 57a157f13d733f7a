//! The `bundle-doctor` binary: all behaviour lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    bundle_doctor::cli::main()
}
