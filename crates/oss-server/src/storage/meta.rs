//! Object metadata and the on-disk object file format.
//!
//! An object is one file: its data, then its metadata as JSON, then the JSON length (u64 LE)
//! and an 8-byte magic. Data and metadata therefore change together with a single `rename`,
//! and a reader that opened the file keeps one consistent version however many writers follow.

use std::io::SeekFrom;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::now_ms;
use super::writer::DataDigest;

/// Marks the end of a complete object file.
pub const MAGIC: &[u8; 8] = b"JSOSS001";
/// Bytes after the metadata JSON: its length (u64 LE) and [`MAGIC`].
pub const TRAILER_LEN: u64 = 16;
/// Largest metadata block the reader accepts (user metadata is capped far below this).
const MAX_META_LEN: u64 = 1 << 20;

/// How an object came to be, as reported in `x-oss-object-type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectType {
    /// Written by PutObject, CopyObject or PostObject.
    Normal,
    /// Written by AppendObject; further appends are allowed.
    Appendable,
    /// Assembled by CompleteMultipartUpload.
    Multipart,
    /// Written by PutSymlink: no data of its own, GET/HEAD serve its target.
    Symlink,
}

impl ObjectType {
    /// The name OSS uses on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Normal => "Normal",
            ObjectType::Appendable => "Appendable",
            ObjectType::Multipart => "Multipart",
            ObjectType::Symlink => "Symlink",
        }
    }
}

/// Headers stored with an object and replayed on GET/HEAD.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentHeaders {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Expires`.
    pub expires: Option<String>,
    /// User metadata: lower-cased names without the `x-oss-meta-` prefix, sorted by name.
    pub user_meta: Vec<(String, String)>,
    /// `x-oss-storage-class` (defaults to `Standard`).
    pub storage_class: Option<String>,
    /// `x-oss-object-acl`, if one was set (`None`: `default`, the bucket's ACL applies).
    pub acl: Option<String>,
    /// Object tags (`x-oss-tagging`, PutObjectTagging) in the order given. Absent in metadata
    /// written before tagging existed, which therefore still loads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
}

/// Everything known about one stored object version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    /// The object key (UTF-8, as the client sent it).
    pub key: String,
    /// Data length in bytes.
    pub size: u64,
    /// ETag without quotes: upper-hex MD5, or `HEX-N` for multipart objects.
    pub etag: String,
    /// CRC-64/XZ of the data (`x-oss-hash-crc64ecma`).
    pub crc64: u64,
    /// Base64 MD5 of the data when the ETag is an MD5.
    pub content_md5: Option<String>,
    /// Last modification, milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
    /// Normal, Appendable or Multipart.
    pub object_type: ObjectType,
    /// Stored content headers and user metadata.
    pub headers: ContentHeaders,
    /// The key a [`ObjectType::Symlink`] object points at. Absent in metadata written before
    /// symlinks existed, which therefore still loads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symlink_target: Option<String>,
}

impl ObjectMeta {
    /// The metadata of a simple (non-multipart, non-appendable) object whose data has the
    /// hashes `digest`: MD5 ETag and `Content-MD5`, modified now.
    pub fn normal(key: String, digest: &DataDigest, headers: ContentHeaders) -> ObjectMeta {
        ObjectMeta {
            key,
            size: digest.size,
            etag: digest.md5_hex(),
            crc64: digest.crc64,
            content_md5: Some(digest.md5_base64()),
            last_modified_ms: now_ms(),
            object_type: ObjectType::Normal,
            headers,
            symlink_target: None,
        }
    }

    /// The ETag as sent on the wire: quoted.
    pub fn quoted_etag(&self) -> String {
        format!("\"{}\"", self.etag)
    }

    /// The storage class, `Standard` when none was given.
    pub fn storage_class(&self) -> &str {
        self.headers.storage_class.as_deref().unwrap_or("Standard")
    }
}

/// Encodes the trailer (metadata JSON + length + magic) appended after the data.
pub fn encode_trailer<T: Serialize>(meta: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = serde_json::to_vec(meta)?;
    let len = out.len() as u64;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(MAGIC);
    Ok(out)
}

/// Reads the metadata of an object file and returns it with the data length.
///
/// Fails with `InvalidData` when the file is not a complete object file.
pub async fn read_trailer<T: for<'de> Deserialize<'de>>(
    file: &mut tokio::fs::File,
) -> std::io::Result<(T, u64)> {
    let total = file.metadata().await?.len();
    if total < TRAILER_LEN {
        return Err(invalid("object file shorter than its trailer"));
    }
    file.seek(SeekFrom::Start(total - TRAILER_LEN)).await?;
    let mut tail = [0u8; TRAILER_LEN as usize];
    file.read_exact(&mut tail).await?;
    let (data_len, mut json) = locate_meta(&tail, total)?;
    file.seek(SeekFrom::Start(data_len)).await?;
    file.read_exact(&mut json).await?;
    Ok((parse_meta(&json)?, data_len))
}

/// Checks the trailer `tail` read from the end of an object file of `total` bytes; returns
/// where the metadata JSON starts (the data length) and a zeroed buffer of the JSON's length.
///
/// Fails with `InvalidData` when the magic is missing or the recorded length cannot fit in the
/// file or exceeds the 1 MiB metadata limit (a damaged file must not make us allocate its claim).
pub(crate) fn locate_meta(
    tail: &[u8; TRAILER_LEN as usize],
    total: u64,
) -> std::io::Result<(u64, Vec<u8>)> {
    let (len_bytes, magic) = tail.split_at(8);
    if magic != MAGIC {
        return Err(invalid("object file trailer magic missing"));
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(len_bytes);
    let meta_len = u64::from_le_bytes(len);
    let room = total
        .checked_sub(TRAILER_LEN)
        .ok_or_else(|| invalid("object file shorter than its trailer"))?;
    if meta_len > MAX_META_LEN || meta_len > room {
        return Err(invalid("object file metadata length out of range"));
    }
    let json_len = usize::try_from(meta_len)
        .map_err(|_| invalid("object file metadata length out of range"))?;
    Ok((room - meta_len, vec![0u8; json_len]))
}

/// Parses the metadata JSON of an object file.
pub(crate) fn parse_meta<T: for<'de> Deserialize<'de>>(json: &[u8]) -> std::io::Result<T> {
    serde_json::from_slice(json)
        .map_err(|e| invalid(&format!("object metadata is not valid JSON: {e}")))
}

fn invalid(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail(meta_len: u64, magic: &[u8; 8]) -> [u8; TRAILER_LEN as usize] {
        let mut tail = [0u8; TRAILER_LEN as usize];
        tail[..8].copy_from_slice(&meta_len.to_le_bytes());
        tail[8..].copy_from_slice(magic);
        tail
    }

    #[test]
    fn locate_meta_finds_the_json_before_the_trailer() {
        let (data_len, json) = locate_meta(&tail(10, MAGIC), 100).expect("valid trailer");
        assert_eq!(data_len, 74);
        assert_eq!(json.len(), 10);
    }

    #[test]
    fn locate_meta_rejects_damaged_trailers() {
        let err = |t, total| locate_meta(&t, total).expect_err("damaged trailer accepted");
        assert_eq!(
            err(tail(10, b"NOTJSOSS"), 100).kind(),
            std::io::ErrorKind::InvalidData
        );
        // The recorded length claims more than the file holds.
        assert_eq!(
            err(tail(85, MAGIC), 100).kind(),
            std::io::ErrorKind::InvalidData
        );
        // A huge claim must be refused before anything is allocated.
        assert_eq!(
            err(tail(u64::MAX, MAGIC), u64::MAX).kind(),
            std::io::ErrorKind::InvalidData
        );
        assert_eq!(
            err(tail(0, MAGIC), 8).kind(),
            std::io::ErrorKind::InvalidData
        );
    }

    #[test]
    fn metadata_written_before_tags_and_symlinks_still_loads() {
        // The exact JSON an object file carried before tags and symlinks existed.
        let old = br#"{"key":"old/key","size":3,"etag":"900150983CD24FB0D6963F7D28E17F72","crc64":2886186017117290412,"content_md5":"kAFQmDzST7DWlj99KOF/cg==","last_modified_ms":1700000000000,"object_type":"Normal","headers":{"content_type":"text/plain","cache_control":null,"content_disposition":null,"content_encoding":null,"content_language":null,"expires":null,"user_meta":[["a","1"]],"storage_class":null,"acl":"public-read"}}"#;
        let meta: ObjectMeta = parse_meta(old).expect("old metadata loads");
        assert_eq!(meta.key, "old/key");
        assert_eq!(meta.headers.acl.as_deref(), Some("public-read"));
        assert!(meta.headers.tags.is_empty());
        assert_eq!(meta.symlink_target, None);
        assert_eq!(meta.object_type, ObjectType::Normal);
        // Untagged, non-link metadata is written exactly as before (no new keys).
        let again = serde_json::to_value(&meta).expect("serialises");
        assert!(again.get("symlink_target").is_none());
        assert!(again["headers"].get("tags").is_none());
    }

    #[test]
    fn tags_and_symlink_targets_round_trip() {
        let mut meta: ObjectMeta = parse_meta(
            br#"{"key":"l","size":0,"etag":"E","crc64":0,"content_md5":null,"last_modified_ms":1,"object_type":"Symlink","headers":{"content_type":null,"cache_control":null,"content_disposition":null,"content_encoding":null,"content_language":null,"expires":null,"user_meta":[],"storage_class":null,"acl":null}}"#,
        )
        .expect("parses");
        meta.symlink_target = Some("target/key".into());
        meta.headers.tags = vec![("k".into(), "v".into())];
        let json = serde_json::to_vec(&meta).expect("serialises");
        let back: ObjectMeta = parse_meta(&json).expect("parses back");
        assert_eq!(back, meta);
    }

    #[test]
    fn encoded_trailers_round_trip() {
        let encoded = encode_trailer(&serde_json::json!({"k": 1})).expect("encodes");
        let total = 5 + encoded.len() as u64;
        let mut tail = [0u8; TRAILER_LEN as usize];
        tail.copy_from_slice(&encoded[encoded.len() - TRAILER_LEN as usize..]);
        let (data_len, _) = locate_meta(&tail, total).expect("own trailer");
        assert_eq!(data_len, 5);
        let json = &encoded[..encoded.len() - TRAILER_LEN as usize];
        let value: serde_json::Value = parse_meta(json).expect("own JSON");
        assert_eq!(value["k"], 1);
    }
}
