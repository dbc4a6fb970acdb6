//! `role grant|revoke|list`: principals' roles in a local store.

use ironsecrets::Client;
use ironsecrets_local::{Grant, Role};

use crate::error::CliResult;
use crate::output::{self, Table};
use crate::{RoleCommand, client};

/// Runs a role subcommand (local stores only).
pub async fn run(client: &Client, command: RoleCommand) -> CliResult {
    let store = client::local(client, "roles")?;
    match command {
        RoleCommand::Grant {
            principal,
            role,
            prefixes,
        } => {
            let role: Role = role.parse()?;
            if role == Role::Agent && prefixes.is_empty() {
                output::note("note: an agent without --prefix can read no secret values");
            }
            let scope = if prefixes.is_empty() {
                String::new()
            } else {
                format!(" under {}", prefixes.join(", "))
            };
            let message = format!("granted role {role} to '{principal}'{scope}");
            store
                .grant(Grant {
                    principal,
                    role,
                    prefixes,
                })
                .await?;
            output::line(message)
        }
        RoleCommand::Revoke { principal } => {
            store.revoke_grant(&principal).await?;
            output::line(format!("revoked the role of '{principal}'"))
        }
        RoleCommand::List { json } => {
            let grants = store.grants().await?;
            if json {
                return output::json(&grants);
            }
            let mut table = Table::new(&["PRINCIPAL", "ROLE", "PREFIXES"]);
            for grant in grants {
                let prefixes = match grant.role {
                    Role::Agent if grant.prefixes.is_empty() => "(none)".to_owned(),
                    Role::Agent => grant.prefixes.join(", "),
                    _ => "(all)".to_owned(),
                };
                table.row(vec![grant.principal, grant.role.to_string(), prefixes]);
            }
            table.print()
        }
    }
}
