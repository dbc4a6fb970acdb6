//! `ironsecrets`, the command line of the ironsecrets SDK. This file holds the argument
//! definitions (clap) and the dispatch; each command lives in `commands/`.
//!
//! Only `get` and `transit decrypt` ever print a secret value; every other command
//! prints paths, versions, metadata or ciphertexts.

mod child_output;
mod client;
mod commands;
mod ctmpl;
mod error;
mod exit_code;
mod fs;
mod input;
mod mask;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;
use ironsecrets::Client;
use ironsecrets::delivery::{Config, Resolver};

use crate::client::Target;
use crate::error::CliResult;

const ABOUT: &str = "Secrets, rotation status, audit trail and encryption as a service over \
                     an embedded encrypted store, Vault/OpenBao or a cloud provider";

const ENVIRONMENT: &str = "\
Environment:
  IRONSECRETS_STORE              store URI, like --store (default: the local store in the
                                 platform data directory, e.g. ~/.local/share/ironsecrets)
  IRONSECRETS_MASTER_KEY         master key that unlocks a local store (required)
  IRONSECRETS_PRINCIPAL          principal a local store is used as (default: admin)
  IRONSECRETS_BUNDLE_PASSPHRASE  passphrase of the bundle for `export` and `import`

Only `get` and `transit decrypt` print secret values.
";

/// The `--help` text after the options: environment and exit codes.
fn long_help() -> String {
    format!("{ENVIRONMENT}\n{}", exit_code::help_section())
}

/// The command line.
#[derive(Parser)]
#[command(
    name = "ironsecrets",
    version,
    about = ABOUT,
    after_help = "Run `ironsecrets --help` for environment variables and exit codes.",
    after_long_help = long_help(),
)]
struct Cli {
    /// Store URI, e.g. local:///var/lib/app/secrets.db or vault://127.0.0.1:8200
    #[arg(
        long,
        global = true,
        env = ironsecrets::STORE_ENV,
        hide_env_values = true,
        value_name = "URI"
    )]
    store: Option<String>,

    /// Config file naming the stores isec:// references use (default: $IRONSECRETS_CONFIG,
    /// else ./ironsecrets.toml when present)
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a local store and print its file path (fails if it exists)
    Init,
    #[command(flatten)]
    Store(StoreCommand),
    /// Run a command with the isec:// references in its environment resolved and its
    /// output masked
    Run(commands::run::RunArgs),
    /// Render templates with isec:// references to files (atomically, all or nothing)
    Render(commands::render::RenderArgs),
    /// Keep templates and a process's environment current: leases renewed, stored
    /// secrets polled, the process restarted on change (Vault Agent over every backend)
    Agent(commands::agent::AgentArgs),
    /// Serve the Model Context Protocol on stdio for AI agents (no tool returns a value)
    Mcp,
    /// Print a shell completion script
    #[command(
        after_long_help = "Example: ironsecrets completions bash > ~/.local/share/bash-completion/completions/ironsecrets"
    )]
    Completions(CompletionsArgs),
}

/// Commands that run against an opened store.
#[derive(Subcommand)]
enum StoreCommand {
    /// Write a new version of a secret and print its version (never the value)
    Put(PutArgs),
    /// Print a secret's value (the only command that reads secret values)
    Get(GetArgs),
    /// List secret paths under a prefix
    List(ListArgs),
    /// Soft-delete versions (the newest when --versions is not given)
    Delete(DeleteArgs),
    /// Restore soft-deleted versions
    Undelete(VersionListArgs),
    /// Erase versions' values for good, keeping their metadata
    Destroy(VersionListArgs),
    /// Remove a secret with all its versions and metadata, for good
    Purge(PathArgs),
    /// Show a secret's versions: number, creation time, state
    Versions(PathJsonArgs),
    /// Show a secret's metadata, or change tags, rotation policy and version limit
    Metadata(MetadataArgs),
    /// Show where each secret stands against its rotation policy
    Status(StatusArgs),
    /// Read and verify the audit trail (local stores)
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Encryption as a service with keys that never leave the store
    #[command(subcommand)]
    Transit(TransitCommand),
    /// Manage principals' roles (local stores)
    #[command(subcommand)]
    Role(RoleCommand),
    /// Export every readable secret version to a passphrase-protected bundle
    Export(ExportArgs),
    /// Import a bundle made by `export` (refuses if any path exists already)
    Import(ImportArgs),
    /// Find the store's secret values in files or stdin (never printing them)
    Scan(commands::scan::ScanArgs),
}

#[derive(Args)]
struct PathArgs {
    /// Secret path, e.g. app/db/password
    path: String,
}

#[derive(Args)]
struct PathJsonArgs {
    /// Secret path, e.g. app/db/password
    path: String,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
}

/// `--rotate-days` / `--remind-days`, shared by `put` and `metadata`.
#[derive(Args)]
struct RotationArgs {
    /// Rotation period: the value should change at least every N days
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    rotate_days: Option<u64>,
    /// Start reporting "Expiring soon" N days before the period ends (default 14)
    #[arg(long, value_name = "N")]
    remind_days: Option<u64>,
}

#[derive(Args)]
struct PutArgs {
    /// Secret path, e.g. app/db/password
    path: String,
    /// The value, in one form: key=value pairs (a key/value secret), @FILE (the file's
    /// bytes, binary is fine) or - (read stdin)
    #[arg(required = true, value_name = "VALUE")]
    value: Vec<String>,
    /// Write only if the current version is VERSION; 0 means the secret must not exist
    #[arg(long, value_name = "VERSION")]
    cas: Option<String>,
    /// Set a tag (repeatable); replaces the secret's tags
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = input::tag)]
    tags: Vec<(String, String)>,
    #[command(flatten)]
    rotation: RotationArgs,
}

#[derive(Args)]
struct GetArgs {
    /// Secret path, e.g. app/db/password
    path: String,
    /// Read this version instead of the newest
    #[arg(long, value_name = "N")]
    version: Option<String>,
    /// Print one field of a key/value secret
    #[arg(long, value_name = "NAME")]
    field: Option<String>,
    /// Print {"path","version","created_at","value","encoding"}; binary values are base64
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ListArgs {
    /// Only paths starting with this prefix
    prefix: Option<String>,
    /// Print a JSON array
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct DeleteArgs {
    /// Secret path, e.g. app/db/password
    path: String,
    /// Comma-separated versions (default: the newest)
    #[arg(long, value_name = "N,...", value_delimiter = ',')]
    versions: Vec<String>,
}

#[derive(Args)]
struct VersionListArgs {
    /// Secret path, e.g. app/db/password
    path: String,
    /// Comma-separated versions
    #[arg(long, value_name = "N,...", value_delimiter = ',', required = true)]
    versions: Vec<String>,
}

#[derive(Args)]
struct MetadataArgs {
    /// Secret path, e.g. app/db/password
    path: String,
    /// Print JSON instead of a list
    #[arg(long)]
    json: bool,
    /// Set a tag, keeping the others (repeatable)
    #[arg(long = "set-tag", visible_alias = "tag", value_name = "KEY=VALUE", value_parser = input::tag)]
    set_tags: Vec<(String, String)>,
    /// Remove a tag (repeatable)
    #[arg(long = "remove-tag", value_name = "KEY")]
    remove_tags: Vec<String>,
    #[command(flatten)]
    rotation: RotationArgs,
    /// Remove the rotation policy (status then applies the default: 90 days, remind 14)
    #[arg(long, conflicts_with_all = ["rotate_days", "remind_days"])]
    no_rotation: bool,
    /// Keep at most N versions
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_versions: Option<u32>,
}

#[derive(Args)]
#[command(after_long_help = "\
Status is Healthy, \"Expiring soon (N days)\" within the reminder window, or \
\"Expired (N days ago)\" past the rotation period. Secrets without a policy use the \
default: 90 days, remind 14 days before.

The exit code is 0 even when secrets are expired, unless --check is given: then it is \
20 (RotationExpired) if any secret is expired, so a CI job or cron entry can alert:

  ironsecrets status --check app/ || notify-team")]
struct StatusArgs {
    /// Only secrets under this prefix
    prefix: Option<String>,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
    /// Exit with code 20 if any secret is past its rotation period
    #[arg(long)]
    check: bool,
    /// Judge the status as of this time instead of now (RFC 3339, e.g.
    /// 2027-01-31T00:00:00Z): what will be expired by then
    #[arg(long, value_name = "TIME")]
    at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Print the newest audit rows, oldest first
    Tail {
        /// How many rows
        #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 20)]
        lines: u64,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Check the HMAC chain, the metadata MACs and the sealed state; exits 13 (Integrity)
    /// naming what failed
    Verify {
        /// Also require the audit row an earlier `audit anchor` printed, so a restored
        /// older copy of the whole store is found
        #[arg(long, value_name = "SEQ:MAC")]
        anchor: Option<String>,
    },
    /// Print an anchor (`<seq>:<mac>`) to keep outside the store for `verify --anchor`
    Anchor,
}

#[derive(Subcommand)]
enum TransitCommand {
    /// List transit key names
    Keys,
    /// Create a transit key
    Create {
        /// Key name
        name: String,
        /// Key type
        #[arg(
            long = "type",
            value_name = "TYPE",
            default_value = "aes256-gcm96",
            value_parser = PossibleValuesParser::new(["aes256-gcm96", "chacha20-poly1305", "ed25519", "ecdsa-p256", "rsa-2048"])
        )]
        key_type: String,
    },
    /// Add a new key version; new ciphertexts use it
    Rotate {
        /// Key name
        name: String,
    },
    /// Encrypt and print the ciphertext
    Encrypt {
        /// Key name
        name: String,
        /// The plaintext, or - (the default) to read stdin
        plaintext: Option<String>,
    },
    /// Decrypt and print the plaintext
    Decrypt {
        /// Key name
        name: String,
        /// The ciphertext (e.g. local:v1:...), or - to read stdin
        ciphertext: String,
    },
    /// Re-encrypt under the newest key version without revealing the plaintext
    Rewrap {
        /// Key name
        name: String,
        /// The ciphertext, or - to read stdin
        ciphertext: String,
    },
}

#[derive(Subcommand)]
enum RoleCommand {
    /// Give a principal a role (replacing any role it had)
    Grant {
        /// The principal, as given in IRONSECRETS_PRINCIPAL
        principal: String,
        /// admin: everything; agent: reads values under its prefixes; viewer: metadata only
        #[arg(long, value_parser = PossibleValuesParser::new(["admin", "agent", "viewer"]))]
        role: String,
        /// A path prefix an agent may read (repeatable)
        #[arg(long = "prefix", value_name = "PREFIX")]
        prefixes: Vec<String>,
    },
    /// Remove a principal's role
    Revoke {
        /// The principal
        principal: String,
    },
    /// List principals and their roles
    List {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct ExportArgs {
    /// The bundle file to write (created readable by its owner only)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Overwrite FILE if it exists
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct ImportArgs {
    /// The bundle file
    file: PathBuf,
}

#[derive(Args)]
struct CompletionsArgs {
    /// The shell
    shell: Shell,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => ExitCode::from(code),
        Err(err) => err.report(),
    }
}

/// Runs the command; the exit code is 0 unless `run` mirrors its child's.
async fn run(cli: Cli) -> CliResult<u8> {
    let target = Target::new(cli.store);
    let resolver = || -> CliResult<Resolver> {
        Ok(Resolver::new(Config::discover(cli.config.as_deref())?)
            .with_default_store(target.given()))
    };
    let done = match cli.command {
        Command::Init => commands::init::run(&target).await,
        Command::Completions(args) => commands::completions::run(args.shell),
        Command::Store(command) => dispatch(&target.open().await?, command).await,
        Command::Run(args) => return commands::run::run(&resolver()?, args).await,
        Command::Render(args) => commands::render::run(&resolver()?, args).await,
        Command::Agent(args) => {
            return commands::agent::run(cli.config.as_deref(), target.given(), args).await;
        }
        Command::Mcp => commands::mcp::run(resolver()?).await,
    };
    done.map(|()| exit_code::SUCCESS)
}

async fn dispatch(client: &Client, command: StoreCommand) -> CliResult {
    use commands::{audit, bundle, metadata, role, secrets, status, transit};
    match command {
        StoreCommand::Put(args) => secrets::put(client, args).await,
        StoreCommand::Get(args) => secrets::get(client, args).await,
        StoreCommand::List(args) => secrets::list(client, args).await,
        StoreCommand::Delete(args) => secrets::delete(client, args).await,
        StoreCommand::Undelete(args) => secrets::undelete(client, args).await,
        StoreCommand::Destroy(args) => secrets::destroy(client, args).await,
        StoreCommand::Purge(args) => secrets::purge(client, args).await,
        StoreCommand::Versions(args) => metadata::versions(client, args).await,
        StoreCommand::Metadata(args) => metadata::metadata(client, args).await,
        StoreCommand::Status(args) => status::run(client, args).await,
        StoreCommand::Audit(command) => audit::run(client, command).await,
        StoreCommand::Transit(command) => transit::run(client, command).await,
        StoreCommand::Role(command) => role::run(client, command).await,
        StoreCommand::Export(args) => bundle::export(client, args).await,
        StoreCommand::Import(args) => bundle::import(client, args).await,
        StoreCommand::Scan(args) => commands::scan::run(client, args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn long_help_documents_exit_codes_and_environment() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("Exit codes:"), "{help}");
        assert!(help.contains("PermissionDenied"));
        assert!(help.contains("IRONSECRETS_MASTER_KEY"));
    }
}
