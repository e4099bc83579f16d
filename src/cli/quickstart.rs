//! `jitstore quickstart`: the full tour on the embedded default. It starts the local OSS server
//! in-process on a free loopback port, writes a temporary app folder with `storages.Default`
//! (DiskType) and `storages.MyOss` (OssType pointing at that server), and runs the main job
//! plus the seed workflows, printing each step and its result. Any failing step ends the tour
//! with a non-zero exit code.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use futures::TryStreamExt;
use jitstore::storages::workflows::OssWorkflows;
use jitstore::storages::workflows::{
    put_with_signed_headers, BatchStatus, ConflictStrategy, DifyFile, DifyUploadOptions,
    DirectoryMode, FilenameMode,
};
use jitstore::storages::OssStorage;
use jitstore_oss_server::{AccessKey, Server, ServerConfig};

use super::CliResult;

/// Arguments of `quickstart`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Keep the temporary app folder (and the server's data) instead of deleting them.
    #[arg(long)]
    keep: bool,
}

const STEPS: usize = 13;
const BUCKET: &str = "quickstart";
const AK: &str = "quickstart-access-key";
const KEY: &str = "quickstart/hello.txt";
const CONTENT: &[u8] = b"Hello from jitstore!\n";

type StepResult = Result<String, Box<dyn std::error::Error + Send + Sync>>;

struct Tour {
    done: usize,
}

impl Tour {
    fn report(&mut self, title: &str, outcome: StepResult) -> CliResult {
        self.done += 1;
        match outcome {
            Ok(text) => {
                // A closed stdout (`| head`) must not turn into a panic.
                let _ = writeln!(std::io::stdout(), "[{}/{STEPS}] {title}: {text}", self.done);
                Ok(())
            }
            Err(error) => {
                let _ = writeln!(
                    std::io::stdout(),
                    "[{}/{STEPS}] {title}: FAILED: {error}",
                    self.done
                );
                Err(format!("quickstart step {} ({title}) failed: {error}", self.done).into())
            }
        }
    }
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

fn check(condition: bool, what: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if condition {
        Ok(())
    } else {
        Err(what.to_owned().into())
    }
}

fn random_secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("qs-{:016x}", h.finish())
}

pub(crate) async fn run(args: Args) -> CliResult {
    let dir = tempfile::Builder::new()
        .prefix("jitstore-quickstart-")
        .tempdir()?;
    let root = dir.path().join("app");
    let data = dir.path().join("oss-data");
    let mut tour = Tour { done: 0 };

    // 1. The local OSS server.
    let secret = random_secret();
    let server = Server::start(
        ServerConfig::new(&data)
            .bucket(BUCKET)
            .credential(AccessKey::new(AK, secret.clone())),
    )
    .await;
    let server = match server {
        Ok(s) => s,
        Err(e) => {
            tour.report("start the local OSS server", Err(e.to_string().into()))?;
            unreachable!("report returns the error");
        }
    };
    let endpoint = server.endpoint();
    let region = server.region().to_owned();
    tour.report(
        "start the local OSS server",
        Ok(format!(
            "{endpoint} (region {}, bucket {BUCKET})",
            server.region()
        )),
    )?;
    let outcome = tour_steps(&mut tour, &root, &endpoint, server.region(), &secret).await;
    server.shutdown().await;
    outcome?;
    if args.keep {
        let kept = dir.keep();
        let server_port = endpoint.rsplit(':').next().unwrap_or("9000").to_owned();
        keep_instructions(&kept, &server_port, &region, &secret)?;
    } else {
        println!("quickstart finished: all {STEPS} steps passed; temporary app removed");
    }
    Ok(())
}

/// The variable `storages/MyOss/MyOss.json` reads its secret from.
const SECRET_VARIABLE: &str = "QUICKSTART_OSS_SECRET";

/// After `--keep`: writes `quickstart.env` (mode 0600: the secret is not printed) and prints
/// how to start the app's server again and use the app.
fn keep_instructions(kept: &Path, port: &str, region: &str, secret: &str) -> CliResult {
    let env_file = kept.join("quickstart.env");
    let text = format!(
        "# Written by `jitstore quickstart --keep`: the secret of storages.MyOss and of its server.\n\
         export {SECRET_VARIABLE}='{secret}'\n\
         export JITSTORE_SERVE_ACCESS_KEY_ID='{AK}'\n\
         export JITSTORE_SERVE_ACCESS_KEY_SECRET=\"${SECRET_VARIABLE}\"\n"
    );
    write_private(&env_file, &text)?;
    let app = kept.join("app");
    let data = kept.join("oss-data");
    println!(
        "quickstart finished; app and data kept at {}",
        kept.display()
    );
    println!(
        "  app:     {} (storages.Default: DiskType; storages.MyOss: OssType on the local server)",
        app.display()
    );
    println!(
        "  secret:  storages.MyOss reads it from {SECRET_VARIABLE}; `. {}` sets it (and the server's key)",
        env_file.display()
    );
    println!(
        "  server:  . {} && jitstore serve --data {} --addr 127.0.0.1:{port} --region {region} --bucket {BUCKET}",
        env_file.display(),
        data.display()
    );
    println!(
        "  then:    . {} && jitstore --app {} ls MyOss",
        env_file.display(),
        app.display()
    );
    Ok(())
}

/// Writes `text` to a new file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

async fn tour_steps(
    tour: &mut Tour,
    root: &Path,
    endpoint: &str,
    region: &str,
    secret: &str,
) -> CliResult {
    // 2. The app folder.
    let written: std::io::Result<()> = (|| {
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
        write(
            &root.join("storages/MyOss/e.json"),
            r#"{"title": "OSS on the local server", "type": "storages.OssType", "backendBundleEntry": "."}"#,
        )?;
        let config = serde_json::json!({
            "accessKeyId": AK,
            "accessKeySecret": format!("{{{{{SECRET_VARIABLE}}}}}"),
            "endPoint": endpoint,
            "bucketName": BUCKET,
            "region": region,
        });
        write(
            &root.join("storages/MyOss/MyOss.json"),
            &serde_json::to_string_pretty(&config).unwrap_or_default(),
        )
    })();
    tour.report(
        "write the app folder",
        written
            .map(|()| {
                format!(
                    "{} with storages.Default (storages.DiskType) and storages.MyOss (storages.OssType)",
                    root.display()
                )
            })
            .map_err(Into::into),
    )?;

    let app = jitstore::App::builder(root)
        .env([(SECRET_VARIABLE, secret)])
        .open()?;
    let disk = app.default_storage()?;
    let oss = app.get_element("storages.MyOss")?;

    // 3. The default DiskType storage.
    let chain = |name: &str| -> Result<String, jitstore::element::ElementError> {
        Ok(app
            .registry()
            .chain(name)?
            .iter()
            .map(|e| e.full_name())
            .collect::<Vec<&str>>()
            .join(" -> "))
    };
    let disk_chain = chain(disk.element())?;
    let oss_chain = chain(oss.element())?;
    let outcome: StepResult = async {
        let up = disk.upload_by_file(KEY, CONTENT.to_vec(), Some("text/plain")).await?;
        let back = disk.download(KEY).await?;
        check(back.as_ref() == CONTENT, "DiskType content differs")?;
        disk.delete(KEY).await?;
        Ok(format!(
            "{disk_chain}: upload_by_file, download (content verified), delete {KEY} ({} bytes, {})",
            up.size, up.url
        ))
    }
    .await;
    tour.report("storages.Default (DiskType)", outcome)?;

    // 4. upload_by_file on OSS.
    let outcome: StepResult = async {
        let up = oss
            .upload_by_file(KEY, CONTENT.to_vec(), Some("text/plain"))
            .await?;
        Ok(format!(
            "{} bytes, etag {}, crc64 {}, url {}",
            up.size,
            up.etag,
            up.crc64
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into()),
            up.url
        ))
    }
    .await;
    tour.report(&format!("{oss_chain}: upload_by_file {KEY}"), outcome)?;

    // 5. get_sign_url and a plain HTTP GET of it.
    let outcome: StepResult = async {
        let url = oss
            .get_sign_url(KEY, None, Some(Duration::from_secs(300)))
            .await?;
        let response = reqwest::get(&url).await?;
        let status = response.status();
        let body = response.bytes().await?;
        check(status.is_success(), &format!("GET answered {status}"))?;
        check(
            body.as_ref() == CONTENT,
            "the presigned GET returned other content",
        )?;
        let shown = url.split('?').next().unwrap_or_default();
        Ok(format!(
            "plain GET of {shown}?<V4 signature> -> {status}, {} bytes, content verified",
            body.len()
        ))
    }
    .await;
    tour.report("get_sign_url + plain HTTP GET", outcome)?;

    // 6. get_object.
    let outcome: StepResult = async {
        let info = oss.get_object(KEY).await?;
        Ok(format!(
            "{} bytes, content type {}, etag {}",
            info.size,
            info.content_type.as_deref().unwrap_or("-"),
            info.etag.as_deref().unwrap_or("-")
        ))
    }
    .await;
    tour.report("get_object", outcome)?;

    // 7. download.
    let outcome: StepResult = async {
        let data = oss.download(KEY).await?;
        check(data.as_ref() == CONTENT, "downloaded content differs")?;
        Ok(format!("{} bytes, content verified", data.len()))
    }
    .await;
    tour.report("download", outcome)?;

    let store = OssStorage::from_handle(&oss)
        .ok_or("storages.MyOss is not a storages.OssType")?
        .clone();
    let work = tempfile::tempdir()?;

    // 8. A Dify-mode upload.
    let outcome: StepResult = async {
        let path = work.path().join("Monthly Report.PDF");
        std::fs::write(&path, b"%PDF-1.7 monthly numbers")?;
        let options = DifyUploadOptions::new("reports")
            .directory_mode(DirectoryMode::YyyyMmDdHierarchy)
            .filename_mode(FilenameMode::FilenameTimestamp);
        let r = store.upload_file(&DifyFile::new(&path), &options).await?;
        Ok(format!(
            "{} ({} bytes, {}, crc64 {}) url {}",
            r.object_key,
            r.size,
            r.content_type,
            r.crc64.map(|c| c.to_string()).unwrap_or_default(),
            r.url
        ))
    }
    .await;
    tour.report(
        "Dify upload_file (yyyy_mm_dd_hierarchy + filename_timestamp)",
        outcome,
    )?;

    // 9-10. A directory upload and download.
    let tree: [(&str, &[u8]); 3] = [
        ("notes/a.txt", b"first"),
        ("notes/深层 目录/b.md", b"# second"),
        ("images/logo 😀.bin", &[0, 1, 2, 3, 255]),
    ];
    let src = work.path().join("tree");
    let outcome: StepResult = async {
        for (name, content) in tree {
            let p = src.join(name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(p, content)?;
        }
        let up = store.upload_local("backup/", &src).await?;
        check(
            up.status == BatchStatus::Completed,
            &format!("{} files failed", up.error_count),
        )?;
        Ok(format!(
            "{} files, {} bytes under backup/",
            up.success_count, up.bytes
        ))
    }
    .await;
    tour.report("directory upload", outcome)?;
    let outcome: StepResult = async {
        let dest = work.path().join("restored");
        let down = store.download_local("backup/", &dest).await?;
        check(
            down.status == BatchStatus::Completed,
            &format!("{} files failed", down.error_count),
        )?;
        for (name, content) in tree {
            check(
                std::fs::read(dest.join(name))? == content,
                &format!("{name} differs"),
            )?;
        }
        Ok(format!(
            "{} files, {} bytes, identical to the originals",
            down.success_count, down.bytes
        ))
    }
    .await;
    tour.report("directory download", outcome)?;

    // 11-12. DingTalk's three steps.
    let issued: Result<(String, String), Box<dyn std::error::Error + Send + Sync>> = async {
        let path = work.path().join("TestFile.xlsx");
        std::fs::write(&path, vec![7u8; 512])?;
        let ticket = store
            .issue_upload("kb", 512, Duration::from_secs(900))
            .await?;
        let header_names: Vec<&str> = ticket.headers.keys().map(String::as_str).collect();
        let url = ticket
            .resource_urls
            .first()
            .ok_or("the upload ticket names no URL to PUT to")?;
        let put = put_with_signed_headers(url, &ticket.headers, &path, None).await?;
        let text = format!(
            "PUT {} with headers [{}] and no Content-Type -> {} bytes staged (ticket valid {} s)",
            url,
            header_names.join(", "),
            put.size,
            ticket.expiration_seconds
        );
        Ok((text, ticket.upload_key))
    }
    .await;
    let (outcome, upload_key): (StepResult, Option<String>) = match issued {
        Ok((text, key)) => (Ok(text), Some(key)),
        Err(e) => (Err(e), None),
    };
    tour.report("DingTalk issue_upload + header-signed PUT", outcome)?;
    let outcome: StepResult = async {
        let key = upload_key.ok_or("no upload key")?;
        let done = store
            .commit(
                &key,
                "TestFile.xlsx",
                Some(512),
                ConflictStrategy::AutoRename,
            )
            .await?;
        Ok(format!(
            "{} ({} bytes, {})",
            done.key, done.size, done.content_type
        ))
    }
    .await;
    tour.report("DingTalk commit (AUTO_RENAME)", outcome)?;

    // 13. delete.
    let outcome: StepResult = async {
        let keys: Vec<String> = oss.list("").map_ok(|o| o.key).try_collect().await?;
        oss.delete(KEY).await?;
        check(!oss.exists(KEY).await?, "the object still exists")?;
        let rest: Vec<String> = keys.into_iter().filter(|k| k != KEY).collect();
        oss.delete_many(&rest).await?;
        let left: Vec<String> = oss.list("").map_ok(|o| o.key).try_collect().await?;
        check(left.is_empty(), &format!("left behind: {left:?}"))?;
        Ok(format!(
            "{KEY} and {} other objects deleted; bucket empty",
            rest.len()
        ))
    }
    .await;
    tour.report("delete", outcome)?;
    Ok(())
}
