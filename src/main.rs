//! The `adql` command-line program; all of its logic lives in the `adql-cli` crate.

fn main() -> std::process::ExitCode {
    adql_cli::main()
}
