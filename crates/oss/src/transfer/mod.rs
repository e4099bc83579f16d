//! Transfer managers built on the per-call client: multipart uploads with parallel parts and
//! resume, parallel ranged downloads, progress reporting.
