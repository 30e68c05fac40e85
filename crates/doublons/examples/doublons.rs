//! Stand-alone `doublons` command (the same as `parcours doublons`), for benchmarks and batch use.

use clap::Parser;
use parcours_doublons::{run, DoublonsCommand};

/// Détection des doublons de personnes.
#[derive(Parser)]
#[command(name = "doublons")]
struct Cli {
    #[command(flatten)]
    cmd: DoublonsCommand,
}

fn main() -> anyhow::Result<()> {
    run(Cli::parse().cmd)
}
