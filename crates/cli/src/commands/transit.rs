//! `transit ...`: encryption as a service with keys that stay in the store.
//! `transit decrypt` prints the plaintext it was asked for; nothing else prints values.

use ironsecrets::{Ciphertext, Client, Error, KeyOptions, KeyType, Result, SecretValue};

use crate::error::CliResult;
use crate::{TransitCommand, input, output};

/// Runs a transit subcommand.
pub async fn run(client: &Client, command: TransitCommand) -> CliResult {
    let transit = client.transit();
    match command {
        TransitCommand::Keys => output::lines(transit.list_keys().await?),
        TransitCommand::Create { name, key_type } => {
            let options = KeyOptions {
                key_type: KeyType::parse(&key_type)?,
                ..KeyOptions::default()
            };
            let info = transit.create_key(name, options).await?;
            output::line(format!(
                "created transit key '{}' ({}, version {})",
                info.name, info.key_type, info.latest_version
            ))
        }
        TransitCommand::Rotate { name } => {
            let info = transit.rotate_key(name).await?;
            output::line(format!(
                "rotated transit key '{}'; new ciphertexts use version {}",
                info.name, info.latest_version
            ))
        }
        TransitCommand::Encrypt { name, plaintext } => {
            let plaintext = match plaintext.as_deref() {
                None | Some("-") => input::read_stdin()?,
                Some(text) => SecretValue::from(text),
            };
            let ciphertext = transit.encrypt(name, plaintext, None).await?;
            output::line(ciphertext.as_str())
        }
        TransitCommand::Decrypt { name, ciphertext } => {
            let plaintext = transit
                .decrypt(name, ciphertext_arg(ciphertext)?, None)
                .await?;
            output::raw_value(plaintext.expose())
        }
        TransitCommand::Rewrap { name, ciphertext } => {
            let rewrapped = transit
                .rewrap(name, ciphertext_arg(ciphertext)?, None)
                .await?;
            output::line(rewrapped.as_str())
        }
    }
}

/// A ciphertext argument, or stdin for `-` (surrounding whitespace trimmed).
fn ciphertext_arg(arg: String) -> Result<Ciphertext> {
    if arg != "-" {
        return Ok(Ciphertext::new(arg));
    }
    let text = input::read_stdin()?;
    let text = text
        .expose_str()
        .map_err(|_| Error::invalid_input("the ciphertext on stdin is not text"))?;
    Ok(Ciphertext::new(text.trim()))
}
