//! The local OSS server's integration tests, as modules of one test binary: one link instead
//! of one per file. Each module is one suite; `common` holds what they share (on top of the
//! `jitstore_testkit` crate).

mod common;

mod api_edge_cases;
mod auth;
mod conformance_anonymous;
mod conformance_append_multipart;
mod conformance_bucket;
mod conformance_object;
mod conformance_object_acl;
mod conformance_subresources;
mod conformance_symlink;
mod conformance_tagging;
mod hardening;
mod meta_update_crash;
mod multipart_by_reference;
mod object_reads;
mod post_object_skew;
mod storage_safety;
mod xml_whitespace;
