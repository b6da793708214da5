//! The `kvp-scan` binary: everything happens in [`kvp_scan::cli`].

fn main() -> std::process::ExitCode {
    kvp_scan::cli::main()
}
