//! `-` as a file argument: stdin spooled to a temporary file for the verbs that need a sized
//! file (uploads), and objects written to stdout.

use std::io::Write;

use jitstore::storages::workflows::OssWorkflows;
use jitstore::storages::OssStorage;
use jitstore::StorageError;

use super::progress::progress_bar;

/// True when a file argument means stdin or stdout.
pub(crate) fn is_stdio(arg: &std::ffi::OsStr) -> bool {
    arg == "-"
}

/// Copies stdin into a temporary file (deleted when dropped): bounded memory, and a length
/// the upload can announce.
pub(crate) async fn spool_stdin(
) -> Result<tempfile::NamedTempFile, Box<dyn std::error::Error + Send + Sync>> {
    let spooled = tokio::task::spawn_blocking(|| {
        let mut file = tempfile::Builder::new()
            .prefix(".jitstore-stdin-")
            .tempfile()?;
        std::io::copy(&mut std::io::stdin().lock(), file.as_file_mut())?;
        file.as_file_mut().flush()?;
        Ok::<_, std::io::Error>(file)
    })
    .await??;
    Ok(spooled)
}

/// Streams the object `key` of `oss` to stdout (bounded memory), with a progress bar.
pub(crate) async fn object_to_stdout(oss: &OssStorage, key: &str) -> Result<u64, StorageError> {
    let (bar, progress) = progress_bar("get");
    let mut stdout = tokio::io::stdout();
    let result = oss
        .download_to_writer(key, &mut stdout, Some(progress))
        .await;
    bar.finish_and_clear();
    result
}
