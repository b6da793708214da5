//! The `kvp-scan` binary: everything happens in [`kvp_scan::cli`].

/// mimalloc instead of the system allocator: the scan allocates many small strings and Arrow
/// buffers from several threads at once, where glibc's malloc made the national scan about
/// 50 % slower (benches/RESULTS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kvp_scan::cli::main()
}
