//! The `adql` command-line program; all of its logic lives in the `adql-cli` crate.

/// mimalloc instead of the system allocator: glibc keeps freed memory in per-thread arenas, which more
/// than doubles the peak resident size of a crossmatch over its live heap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    adql_cli::main()
}
