use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    strata_server::main(strata_server::cli::args::Cli::parse())
}
