//! The `cutover` binary: all of it lives in the library's `cli` module.

/// mimalloc rather than the system allocator: a compilation makes hundreds of thousands of
/// small allocations (a node per YAML value, a string per field), and glibc's malloc and free
/// were a quarter of the instructions of `cutover check` (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cutover::cli::main()
}
