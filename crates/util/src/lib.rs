//! Small helpers shared by every jitstore crate, kept dependency-free (std only) so that even a
//! plugin library can link them:
//!
//! - [`atomic_file`]: the one atomic file write (temporary file beside the target, fsync,
//!   rename, fsync of the folder);
//! - [`lock`]: the one rule for poisoned locks (recover the data: every lock in jitstore guards
//!   data that stays consistent between statements, so a panic elsewhere does not corrupt it).

pub mod atomic_file;
pub mod lock;
