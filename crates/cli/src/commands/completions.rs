//! `completions SHELL`: a completion script generated from the clap definitions.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::error::CliResult;
use crate::{Cli, output};

/// Prints the completion script for `shell`.
pub fn run(shell: Shell) -> CliResult {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ironsecrets", &mut script);
    output::bytes(&script)
}
