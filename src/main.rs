//! The `kvp-scan` binary: everything happens in [`kvp_scan::cli`].

/// mimalloc instead of the system allocator: the scan allocates many small strings and
/// Arrow buffers, and glibc's malloc/free took about a sixth of a national scan's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kvp_scan::cli::main()
}
