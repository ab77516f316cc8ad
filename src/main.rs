//! The `textdup` binary: see [`cli`] and the library crate for the work.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
