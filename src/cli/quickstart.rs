//! `jitstore quickstart`: the main job on the embedded default storage, in a temporary app
//! with `storages.Default` on `storages.DiskType`, printing each step.

use futures::TryStreamExt;

use super::CliResult;

/// Arguments of `quickstart`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Keep the temporary app folder instead of deleting it at the end.
    #[arg(long)]
    keep: bool,
}

const STEPS: usize = 7;
const KEY: &str = "quickstart/hello.txt";
const CONTENT: &[u8] = b"Hello from jitstore!\n";

fn step(number: usize, text: impl AsRef<str>) {
    println!("[{number}/{STEPS}] {}", text.as_ref());
}

fn write(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

pub(crate) async fn run(args: Args) -> CliResult {
    let dir = tempfile::Builder::new()
        .prefix("jitstore-quickstart-")
        .tempdir()?;
    let root = dir.path();
    write(
        &root.join("app.json"),
        r#"{"title": "jitstore quickstart", "settings": {"defaultElement": {"defaultStorage": "storages.Default"}}}"#,
    )?;
    write(
        &root.join("storages/Default/e.json"),
        r#"{"title": "Local files", "type": "storages.DiskType", "backendBundleEntry": "."}"#,
    )?;
    write(
        &root.join("storages/Default/Default.json"),
        r#"{"directory": "appData/storages/Default"}"#,
    )?;
    step(
        1,
        format!(
            "created app {} with storages/Default (storages.DiskType)",
            root.display()
        ),
    );

    let app = jitstore::App::open(root)?;
    let store = app.default_storage()?;
    let chain: Vec<&str> = app
        .registry()
        .chain(store.element())?
        .iter()
        .map(|e| e.full_name())
        .collect();
    step(
        2,
        format!(
            "opened the app; default storage {} ({}), capabilities: {}",
            chain.join(" -> "),
            store.type_name(),
            store.capabilities()
        ),
    );

    let uploaded = store
        .upload_by_file(KEY, CONTENT.to_vec(), Some("text/plain"))
        .await?;
    step(
        3,
        format!(
            "upload_by_file {KEY}: {} bytes, etag {}, url {}",
            uploaded.size, uploaded.etag, uploaded.url
        ),
    );

    let info = store.get_object(KEY).await?;
    step(
        4,
        format!(
            "get_object {KEY}: {} bytes, content type {}",
            info.size,
            info.content_type.as_deref().unwrap_or("-")
        ),
    );

    let keys: Vec<String> = store
        .list("quickstart/")
        .map_ok(|o| o.key)
        .try_collect()
        .await?;
    step(5, format!("list quickstart/: {}", keys.join(", ")));

    let downloaded = store.download(KEY).await?;
    if downloaded.as_ref() != CONTENT {
        return Err(format!("download {KEY}: content differs from what was uploaded").into());
    }
    step(
        6,
        format!(
            "download {KEY}: {} bytes, content verified",
            downloaded.len()
        ),
    );

    store.delete(KEY).await?;
    if store.exists(KEY).await? {
        return Err(format!("delete {KEY}: the object still exists").into());
    }
    step(7, format!("delete {KEY}: gone"));

    if args.keep {
        let kept = dir.keep();
        println!("quickstart finished; app kept at {}", kept.display());
    } else {
        println!("quickstart finished; temporary app removed");
    }
    Ok(())
}
