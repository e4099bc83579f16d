//! `-` as a file argument: stdin spooled to a temporary file for the verbs that need a sized
//! file (uploads), and objects written to stdout.

use std::io::Write;

use jitstore::storages::OssStorage;
use jitstore::Storage;

use super::CliResult;

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

/// Writes the object `key` of `oss` to stdout.
pub(crate) async fn object_to_stdout(oss: &OssStorage, key: &str) -> CliResult {
    let data = Storage::download(oss, key).await?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&data)?;
    stdout.flush()?;
    Ok(())
}
