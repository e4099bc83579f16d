//! What a storage Type can do: per-operation [`Capability`] flags plus the [`Limits`] a caller
//! plans with (object and part sizes, part count, presigned URL lifetime).

use std::fmt;
use std::time::Duration;

/// Something a storage Type may or may not be able to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Capability {
    /// `read` of whole objects, `stat`, `download`, `get_object`, `exists`, `download_to`
    Read = 0,
    /// `write`, `upload_by_file`, `upload_path`
    Write,
    /// `delete`
    Delete,
    /// `list` (recursive, from a prefix)
    List,
    /// `get_sign_url` and `sign_url` (presigned URLs)
    SignUrl,
    /// user metadata on upload (`upload_with`, `write`)
    UserMetadata,
    /// copy inside the storage
    Copy,
    /// `delete_many` in one request
    DeleteMany,
    /// `append`
    Append,
    /// multipart / parallel transfers for large objects; `write` becomes a multipart upload
    Multipart,
    /// resumable uploads
    Resume,
    /// CRC-64 integrity checks
    Crc64,
    /// content type stored with the object
    ContentType,
    /// `read` with a byte range, served without reading the bytes before it
    RangeRead,
    /// `read` with `If-Match` / `If-None-Match` on the ETag
    ConditionalRead,
    /// `list_with_delimiter` answered natively (common prefixes without listing everything)
    ListDelimiter,
    /// `list` with `start_after`
    ListStartAfter,
}

const ALL_CAPABILITIES: [Capability; 17] = [
    Capability::Read,
    Capability::Write,
    Capability::Delete,
    Capability::List,
    Capability::SignUrl,
    Capability::UserMetadata,
    Capability::Copy,
    Capability::DeleteMany,
    Capability::Append,
    Capability::Multipart,
    Capability::Resume,
    Capability::Crc64,
    Capability::ContentType,
    Capability::RangeRead,
    Capability::ConditionalRead,
    Capability::ListDelimiter,
    Capability::ListStartAfter,
];

impl Capability {
    /// A short name.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Read => "read",
            Capability::Write => "write",
            Capability::Delete => "delete",
            Capability::List => "list",
            Capability::SignUrl => "sign-url",
            Capability::UserMetadata => "user-metadata",
            Capability::Copy => "copy",
            Capability::DeleteMany => "delete-many",
            Capability::Append => "append",
            Capability::Multipart => "multipart",
            Capability::Resume => "resume",
            Capability::Crc64 => "crc64",
            Capability::ContentType => "content-type",
            Capability::RangeRead => "range-read",
            Capability::ConditionalRead => "conditional-read",
            Capability::ListDelimiter => "list-delimiter",
            Capability::ListStartAfter => "list-start-after",
        }
    }

    /// Every capability, in declaration order.
    pub fn all() -> impl Iterator<Item = Capability> {
        ALL_CAPABILITIES.into_iter()
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The numbers a caller plans with; `None` means "no limit known to jitstore".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest object the Type stores.
    pub max_object_size: Option<u64>,
    /// The largest object written in one request (above it `write` goes multipart).
    pub max_single_write_size: Option<u64>,
    /// The smallest part of a multipart upload (all parts but the last).
    pub min_part_size: Option<u64>,
    /// The largest part of a multipart upload.
    pub max_part_size: Option<u64>,
    /// The most parts a multipart upload may have.
    pub max_parts: Option<u32>,
    /// The longest validity of a presigned URL.
    pub max_presign_expiry: Option<Duration>,
    /// The largest batch of `delete_many` sent in one request.
    pub max_delete_batch: Option<u32>,
}

/// A set of [`Capability`] flags plus the Type's [`Limits`].
///
/// ```
/// use jitstore_storages::{Capabilities, Capability, Limits};
///
/// let mut limits = Limits::default();
/// limits.max_parts = Some(10_000);
/// let caps = Capabilities::of(&[Capability::Read, Capability::RangeRead]).with_limits(limits);
/// assert!(caps.contains(Capability::RangeRead));
/// assert_eq!(caps.limits().max_parts, Some(10_000));
/// assert_eq!(caps.to_string(), "read, range-read");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    flags: u32,
    limits: Limits,
}

impl Capabilities {
    /// The set holding `list`, with no known limits.
    pub fn of(list: &[Capability]) -> Capabilities {
        Capabilities {
            flags: list.iter().fold(0, |bits, c| bits | (1 << *c as u8)),
            limits: Limits::default(),
        }
    }

    /// True when `capability` is in the set.
    pub fn contains(self, capability: Capability) -> bool {
        self.flags & (1 << capability as u8) != 0
    }

    /// The set plus `capability`.
    pub fn with(self, capability: Capability) -> Capabilities {
        Capabilities {
            flags: self.flags | (1 << capability as u8),
            ..self
        }
    }

    /// The set without `capability`.
    pub fn without(self, capability: Capability) -> Capabilities {
        Capabilities {
            flags: self.flags & !(1 << capability as u8),
            ..self
        }
    }

    /// The set with `limits`.
    pub fn with_limits(self, limits: Limits) -> Capabilities {
        Capabilities { limits, ..self }
    }

    /// The Type's limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The members, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        ALL_CAPABILITIES
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Capability::as_str).collect();
        f.write_str(&names.join(", "))
    }
}
