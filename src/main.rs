use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    #[cfg(feature = "desktop")]
    writeback_setup::ui::startup::mark_launch();
    match writeback_setup::cli::Cli::try_parse() {
        Ok(cli) => writeback_setup::cli::run(cli),
        Err(error) => print_usage_error(&error),
    }
}

/// clap's own message (usage errors quote the arguments they did not expect, which may be a
/// token pasted without its flag), printed with tokens hidden and control characters escaped.
fn print_usage_error(error: &clap::Error) -> ExitCode {
    let text = writeback_setup::echo::for_terminal(&error.render().to_string());
    let written = if error.use_stderr() {
        write!(std::io::stderr(), "{text}")
    } else {
        write!(std::io::stdout(), "{text}")
    };
    drop(written);
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}
