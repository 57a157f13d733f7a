//! Rebuild when embedded assets change (include_dir cannot tell cargo itself).
fn main() {
    for dir in [
        "rules",
        "templates",
        "fixtures/apiservice-discovery-timeout/seed-loose-files",
        "collect",
    ] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
