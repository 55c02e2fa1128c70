//! The `phe-migrate` binary: parses arguments, runs the command, maps errors to exit codes.

use clap::Parser;

/// Parsing and converting pages makes many small, short-lived allocations, which mimalloc
/// serves faster than the system allocator, from both worker threads at once.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    without_transparent_huge_pages();
    let cli = phe_migrate::cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::LineWriter::new(stdout.lock());
    let code = match phe_migrate::cli::run(cli, &mut out) {
        Ok(code) => code,
        Err(e) => {
            match e {
                // Each diagnostic says `error:` or `warning:` after its file:line:column.
                phe_migrate::error::Error::Invalid(_) => eprintln!("{e}"),
                _ => eprintln!("error: {e}"),
            }
            e.exit_code()
        }
    };
    drop(out);
    std::process::exit(code);
}

/// mimalloc asks for transparent huge pages on its arenas, so the first touch of each 2 MB
/// zeroes all of it: with two transform workers that took a tenth of the CPU. Small pages
/// are faulted in as they are used.
fn without_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process; it reads no memory.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
