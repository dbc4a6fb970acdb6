//! `LeaseManager`: one task and a timer heap for any number of leases, and
//! `ManagedLease`, a handle on one of them.
//!
//! - `handle`: the public handles, which talk to the scheduler by commands;
//! - `scheduler`: the actor loop owning every lease;
//! - `entry`: one lease's state;
//! - `timers`: the timer heap;
//! - `call`: a call to a source, bounded by the call timeout.

mod call;
mod entry;
mod handle;
mod scheduler;
mod timers;

#[cfg(test)]
mod tests;

pub use handle::{LeaseManager, ManagedLease};
