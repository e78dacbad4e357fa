use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    strata_server::main(strata_server::config::Cli::parse())
}
