use clap::Parser;

fn main() -> std::process::ExitCode {
    writeback_setup::ui::startup::mark_launch();
    writeback_setup::cli::run(writeback_setup::cli::Cli::parse())
}
