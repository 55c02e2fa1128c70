//! The `phe-migrate` binary: parses arguments, runs the command, maps errors to exit codes.

use clap::Parser;

/// Parsing and converting pages makes many small, short-lived allocations, which mimalloc
/// serves faster than the system allocator, from both worker threads at once.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = phe_migrate::cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::LineWriter::new(stdout.lock());
    let code = match phe_migrate::cli::run(cli, &mut out) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    };
    drop(out);
    std::process::exit(code);
}
