//! `ironsecrets mcp`: a Model Context Protocol server on stdio for AI agents. Its tools
//! list secrets, show metadata and rotation status, store a generated secret and run a
//! command with references resolved — and no tool ever returns a secret value: results
//! hold paths, versions and metadata, and a command's output comes back masked.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::sync::Arc;
use std::time::Duration;

use ironsecrets::delivery::Resolver;
use ironsecrets::{Cas, Client, PutOptions};
use rand::Rng;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::json;

use super::run::{patterns, resolve_environment, scrub};
use crate::error::CliResult;
use crate::mask::redact;

/// Serves MCP on stdin/stdout until the client closes it.
pub async fn run(resolver: Resolver) -> CliResult {
    let server = Server {
        resolver: Arc::new(resolver),
        tool_router: Server::tool_router(),
    };
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| ironsecrets::Error::unexpected(format!("MCP session did not start: {e}")))?;
    running
        .waiting()
        .await
        .map_err(|e| ironsecrets::Error::unexpected(format!("MCP session failed: {e}")))?;
    Ok(())
}

#[derive(Clone)]
struct Server {
    resolver: Arc<Resolver>,
    #[expect(dead_code, reason = "read by the code #[tool_handler] generates")]
    tool_router: ToolRouter<Server>,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct PrefixArgs {
    /// Only secrets under this prefix (e.g. `app/`); all when empty.
    #[serde(default)]
    prefix: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct PathArgs {
    /// The secret path, e.g. `app/db/password`.
    path: String,
}

/// The characters a generated secret is drawn from.
#[derive(Deserialize, schemars::JsonSchema, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Alphabet {
    /// Letters and digits.
    #[default]
    Alphanumeric,
    /// 0-9 and a-f.
    Hex,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct GenerateArgs {
    /// Where to store it.
    path: String,
    /// How many characters (16 to 256, default 32).
    #[serde(default = "default_length")]
    length: usize,
    /// Which characters (default alphanumeric).
    #[serde(default)]
    alphabet: Alphabet,
    /// Write a new version when the secret exists (default: refuse).
    #[serde(default)]
    overwrite: bool,
}

fn default_length() -> usize {
    32
}

#[derive(Deserialize, schemars::JsonSchema)]
struct RunArgs {
    /// The program and its arguments, e.g. ["psql", "-c", "select 1"].
    command: Vec<String>,
    /// Environment variables to set; isec:// values are resolved, e.g.
    /// {"PGPASSWORD": "isec:///app/db#password"}.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Seconds before the command is killed (default 60).
    #[serde(default)]
    timeout_seconds: Option<u64>,
}

/// A failed call as a tool error the model can read (our messages hold no values).
fn failed(err: impl std::fmt::Display) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(err.to_string())])
}

fn answer(value: serde_json::Value) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(value.to_string())])
}

impl Server {
    async fn client(&self) -> Result<Client, CallToolResult> {
        self.resolver.client(None).await.map_err(failed)
    }
}

/// A store call's outcome as the tool's JSON answer or error.
fn answer_with<T: serde::Serialize>(outcome: ironsecrets::Result<T>) -> CallToolResult {
    match outcome {
        Ok(found) => serde_json::to_value(&found).map_or_else(failed, answer),
        Err(err) => failed(err),
    }
}

#[tool_router]
impl Server {
    #[tool(description = "List secret paths under a prefix (never values).")]
    async fn list_secrets(&self, Parameters(args): Parameters<PrefixArgs>) -> CallToolResult {
        match self.client().await {
            Ok(client) => answer_with(client.list(args.prefix).await),
            Err(err) => err,
        }
    }

    #[tool(
        description = "Show a secret's metadata: versions, tags, rotation policy, times (never the value)."
    )]
    async fn secret_metadata(&self, Parameters(args): Parameters<PathArgs>) -> CallToolResult {
        match self.client().await {
            Ok(client) => answer_with(client.metadata(args.path).await),
            Err(err) => err,
        }
    }

    #[tool(
        description = "Show where each secret stands against its rotation policy: Healthy, Expiring soon or Expired."
    )]
    async fn rotation_status(&self, Parameters(args): Parameters<PrefixArgs>) -> CallToolResult {
        match self.client().await {
            Ok(client) => answer_with(client.rotation_status(args.prefix).await),
            Err(err) => err,
        }
    }

    #[tool(
        description = "Store a newly generated random secret at a path and return its version. The value is never returned; reference it as isec:///<path>."
    )]
    async fn generate_secret(&self, Parameters(args): Parameters<GenerateArgs>) -> CallToolResult {
        if !(16..=256).contains(&args.length) {
            return failed("length must be between 16 and 256");
        }
        let client = match self.client().await {
            Ok(client) => client,
            Err(err) => return err,
        };
        let charset: &[u8] = match args.alphabet {
            Alphabet::Alphanumeric => {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            }
            Alphabet::Hex => b"0123456789abcdef",
        };
        let mut rng = rand::rngs::OsRng;
        let value: Vec<u8> = (0..args.length)
            .map(|_| charset[rng.gen_range(0..charset.len())])
            .collect();
        let options = PutOptions {
            cas: (!args.overwrite).then_some(Cas::MustNotExist),
            ..PutOptions::default()
        };
        match client.put_with(args.path.clone(), value, options).await {
            Ok(info) => answer(json!({
                "path": args.path,
                "version": info.version.to_string(),
                "reference": format!("isec:///{}", args.path),
            })),
            Err(err) => failed(err),
        }
    }

    #[tool(
        description = "Run a command with isec:// references in its environment resolved. Returns the exit code and the output with every resolved value (and its base64/URL-encoded forms) replaced by [REDACTED]. Credentials of the store itself are removed from the command's environment."
    )]
    async fn run_command(&self, Parameters(args): Parameters<RunArgs>) -> CallToolResult {
        let Some(program) = args.command.first() else {
            return failed("command is empty");
        };
        let mut environment: Vec<(OsString, OsString)> = std::env::vars_os().collect();
        environment.extend(args.env.into_iter().map(|(k, v)| (k.into(), v.into())));
        let resolved = match resolve_environment(&self.resolver, environment).await {
            Ok(resolved) => resolved,
            Err(err) => return failed(err),
        };
        let mut environment = resolved.environment;
        scrub(&mut environment, &[]);
        let child = tokio::process::Command::new(program)
            .args(&args.command[1..])
            .env_clear()
            .envs(environment)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let timeout = Duration::from_secs(args.timeout_seconds.unwrap_or(60));
        let output = match tokio::time::timeout(timeout, child).await {
            Err(_) => {
                return failed(format!(
                    "{program} did not finish within {}s and was killed",
                    timeout.as_secs()
                ));
            }
            Ok(Err(err)) => return failed(format!("{program}: {err}")),
            Ok(Ok(output)) => output,
        };
        let patterns = patterns(&resolved.values);
        let masked = |bytes: &[u8]| redact(&patterns, bytes);
        answer(json!({
            "exit_code": output.status.code(),
            "stdout": masked(&output.stdout),
            "stderr": masked(&output.stderr),
        }))
    }
}

#[tool_handler]
impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "ironsecrets",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "Secrets are referenced, never read: pass isec:///<path> (or isec:///<path>#field) \
                 in run_command's env and the command receives the value; you see [REDACTED].",
            )
    }
}
