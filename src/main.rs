//! The `route` command: see `route --help` and docs/cli.md.
#![deny(clippy::string_slice, clippy::indexing_slicing)] // as in lib.rs

/// mimalloc rather than the system allocator: a batch run allocates a few
/// small strings per lead (its text values, its decision's names) and
/// frees them soon after, often on another thread with `--jobs`, which is
/// where glibc's allocator spends most (docs/performance.md, "End to end").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (the option just before
/// `mi_option_use_numa_nodes`, in mimalloc 2 and 3 alike); the Rust
/// bindings do not name it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = libmimalloc_sys::mi_option_use_numa_nodes - 1;

fn main() -> std::process::ExitCode {
    // Keep freed memory rather than hand it back to the system after
    // 10 ms (mimalloc's default): compiling the DAG frees and allocates
    // again a hundred megabytes at that rhythm, and faulting the same
    // pages in again took half of a 1,000-rule compile. Memory is bounded
    // by the compile budgets, not by giving pages back.
    // SAFETY: sets a plain integer option; mimalloc reads it when it purges.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    no_huge_pages();
    route::cli::main()
}

/// Asks the kernel not to back this process's memory with transparent huge
/// pages. mimalloc reserves its arenas in large aligned blocks, and where
/// the system enables huge pages (`always`, or `madvise` as mimalloc asks),
/// the first touch of each 2 MiB block zeroes all of it: a `--jobs` run
/// touches tens of such blocks for a few hundred kilobytes each, and the
/// zeroing was a tenth of its time (docs/performance.md).
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and only
    // changes how later page faults of this process are served.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
