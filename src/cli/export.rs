//! `writeback-setup export-metadata --out DIR`: the fix plan as Salesforce DX source. With a
//! connection it exports what that org is missing; without one, everything the profile needs.

use super::connect::{self, fail, say, BAD_INPUT, COULD_NOT_RUN};
use super::ConnectionArgs;
use crate::fix::{self, metadata};
use crate::profile;
use crate::readiness::{self, CheckRequest};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Folder to write the source into (created if missing; the app's files in it are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Integration profile: a built-in name or a .toml file.
    #[arg(long, default_value = crate::profile::DEFAULT_PROFILE, value_name = "NAME|FILE")]
    pub profile: String,
    /// Username of the integration user (with a connection).
    #[arg(long, value_name = "USERNAME")]
    pub integration_user: Option<String>,
    /// Without a connection: the integration user has the Salesforce Integration licence, so the
    /// permission set carries the Salesforce API Integration permission set licence.
    #[arg(long)]
    pub integration_license: bool,
    /// API version of package.xml (without a connection; with one, the org's).
    #[arg(long, default_value = "66.0", value_name = "VERSION")]
    pub api_version: String,
}

pub fn run(args: ExportArgs) -> ExitCode {
    // Said before connecting: the export could not be kept.
    if let Err(e) = crate::files::check_folder_target(&args.out) {
        return fail(BAD_INPUT, e);
    }
    let profile = match profile::resolve(&args.profile) {
        Ok(p) => p,
        Err(e) => return fail(BAD_INPUT, e),
    };
    if !args
        .api_version
        .split_once('.')
        .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok())
    {
        return fail(
            BAD_INPUT,
            format!(
                "--api-version: '{}' is not an API version like 66.0",
                args.api_version
            ),
        );
    }
    // An org to compare with (given, or a saved login named with --login): export only what it lacks.
    let files = if args.connection.is_given() || args.connection.login.is_some() {
        let runtime = match super::runtime() {
            Ok(rt) => rt,
            Err(e) => return fail(COULD_NOT_RUN, e),
        };
        let exported = runtime.block_on(async {
            let connected =
                connect::connect(&args.connection, args.integration_user.clone()).await?;
            let client = &connected.client;
            let request = CheckRequest {
                profile: profile.clone(),
                integration_user: connected.integration_user.clone(),
                record_id: None,
            };
            let report = readiness::run_as(client, &connected.identity, &request, &|_| {})
                .await
                .map_err(|e| (COULD_NOT_RUN, format!("could not check the org: {e}")))?;
            let plan = fix::plan_for(
                client,
                &profile,
                connected.integration_user.as_deref(),
                &report.checks,
            )
            .await
            .map_err(|e| (COULD_NOT_RUN, format!("could not plan: {e}")))?;
            for note in &plan.notes {
                eprintln!("note: {note}");
            }
            if plan.changes.is_empty() {
                return Err((
                    0,
                    "the org already has the fields and access; nothing to export".to_string(),
                ));
            }
            metadata::export_plan(&plan, client.api_version()).map_err(|e| (BAD_INPUT, e))
        });
        match exported {
            Ok(f) => f,
            Err((0, message)) => {
                say!("{message}");
                return ExitCode::SUCCESS;
            }
            Err((code, message)) => return fail(code, message),
        }
    } else {
        match metadata::export_profile(&profile, args.integration_license, &args.api_version) {
            Ok(f) => f,
            Err(e) => return fail(BAD_INPUT, e),
        }
    };
    let contents = files.iter().map(|f| (f.path.as_path(), f.text.as_bytes()));
    match crate::files::write_in_folder(&args.out, contents) {
        Ok(written) => {
            for path in written {
                say!("wrote {}", path.display());
            }
        }
        // Unwritable output is bad input, exit 2, as for `report --out`.
        Err(e) => return fail(BAD_INPUT, e),
    }
    say!(
        "\nDeploy with the Salesforce CLI: cd {} && sf project deploy start --manifest package.xml --target-org ALIAS",
        args.out.display()
    );
    say!("Assigning the permission set (and its licence) to the integration user is data, not metadata: do it in Setup after the deploy, or run `writeback-setup fix`.");
    ExitCode::SUCCESS
}
