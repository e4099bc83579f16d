//! Listing: [`ListOptions`] (prefix, start-after) for the recursive
//! [`list_with`](crate::Storage::list_with), and [`ListResult`] (objects plus common prefixes)
//! for [`list_with_delimiter`](crate::Storage::list_with_delimiter).

use futures::stream::{BoxStream, TryStreamExt};

use crate::error::StorageError;
use crate::types::ObjectInfo;

/// The delimiter of [`list_with_delimiter`](crate::Storage::list_with_delimiter): `/`.
pub const DELIMITER: char = '/';

/// A stream of object metadata, in key order (byte-wise UTF-8 order).
pub type ObjectStream = BoxStream<'static, Result<ObjectInfo, StorageError>>;

/// Options of [`list_with`](crate::Storage::list_with).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListOptions {
    /// Only keys starting with this (byte-wise, not per path segment).
    pub prefix: String,
    /// Only keys strictly greater than this one (to resume a listing).
    pub start_after: Option<String>,
}

impl ListOptions {
    /// Every object under `prefix`.
    pub fn prefix(prefix: impl Into<String>) -> ListOptions {
        ListOptions {
            prefix: prefix.into(),
            start_after: None,
        }
    }

    /// Only keys after `key`.
    pub fn start_after(mut self, key: impl Into<String>) -> ListOptions {
        self.start_after = Some(key.into());
        self
    }

    /// True when `key` belongs to this listing.
    pub fn admits(&self, key: &str) -> bool {
        key.starts_with(&self.prefix) && self.start_after.as_deref().is_none_or(|after| key > after)
    }
}

/// One level of a listing: the objects directly under a prefix, and the "folders" below it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListResult {
    /// Objects whose key has no `/` after the prefix, in key order.
    pub objects: Vec<ObjectInfo>,
    /// Distinct `prefix + segment + "/"` of deeper keys, in order.
    pub common_prefixes: Vec<String>,
}

impl ListResult {
    /// Adds `info` to the level under `prefix`: an object when no `/` follows the prefix,
    /// else (once) its common prefix. Feed keys in order.
    pub fn push(&mut self, prefix: &str, info: ObjectInfo) {
        let rest = info.key.get(prefix.len()..).unwrap_or_default();
        match rest.find(DELIMITER) {
            Some(slash) => {
                let common = &info.key[..prefix.len() + slash + 1];
                if self.common_prefixes.last().map(String::as_str) != Some(common) {
                    self.common_prefixes.push(common.to_owned());
                }
            }
            None => self.objects.push(info),
        }
    }

    /// Groups a recursive listing of `prefix` into one level (what Types without a native
    /// delimiter listing do).
    pub async fn from_stream(
        prefix: &str,
        stream: ObjectStream,
    ) -> Result<ListResult, StorageError> {
        stream
            .try_fold(ListResult::default(), |mut level, info| async move {
                level.push(prefix, info);
                Ok(level)
            })
            .await
    }
}
