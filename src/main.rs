//! The `kvp-scan` binary: everything happens in [`kvp_scan::cli`].

/// mimalloc instead of the system allocator: the scan allocates many small strings and Arrow
/// buffers from several threads at once, where glibc's malloc made the national scan about
/// 50 % slower (benches/RESULTS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    no_huge_pages();
    let code = kvp_scan::cli::main();
    exit_now(code)
}

/// Ends the process with `code` once everything is done (every output written and renamed,
/// every temporary folder removed, the runtime shut down): stdout and stderr flushed, then
/// `_exit`, which skips the allocator's exit handler. mimalloc gives its arenas back to the
/// kernel page by page there — ~40 ms after a national scan, for memory the kernel frees at
/// exit anyway (benches/RESULTS.md, "Eleventh session").
#[cfg(unix)]
fn exit_now(code: u8) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // An instrumented build (dist/build.sh) writes its counts here, as `_exit` skips the exit
    // handler that would.
    #[cfg(kvp_pgo_instrument)]
    // SAFETY: the profiling runtime linked by `-Cprofile-generate` defines it; it only writes
    // the counts file.
    unsafe {
        __llvm_profile_write_file();
    }
    // SAFETY: `_exit` ends the process; nothing of ours is left to run (all our values were
    // dropped when `cli::main` returned, and the streams are flushed above).
    unsafe { libc::_exit(code.into()) }
}

#[cfg(kvp_pgo_instrument)]
unsafe extern "C" {
    fn __llvm_profile_write_file() -> i32;
}

#[cfg(not(unix))]
fn exit_now(code: u8) -> ! {
    std::process::exit(code.into())
}

/// Transparent huge pages off for this process. mimalloc asks for them on its arenas, and then
/// the first touch of any 2 MiB stretch has the kernel zero all of it: a third of a national
/// scan's samples were that zeroing. Without them the national scan's peak RSS is about 13 %
/// lower and its system time a third lower (benches/RESULTS.md, "Eighth session").
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes plain integers and only sets a flag on this
    // process's memory; if the kernel refuses it, the default stays, which is harmless.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() {}
