//! The benchmark run: one `jitstore serve`, one random file, every contender in alternating
//! rounds, every result's bytes checked, then the table.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jitstore_oss::client::{Body, Client, GetObjectOptions, PresignOptions, PutObjectOptions};
use jitstore_oss::credentials::StaticProvider;

use crate::measure;
use crate::report::{self, Category, Sample};
use crate::workers::REGION;

/// The flags of `peer-bench run`.
pub const FLAGS_HELP: &str = "\
  --size-mib N      file size (default 512)
  --rounds N        rounds; every contender runs once per round, order rotated (default 5)
  --part-mib N      part / range size of the multipart and ranged rows (default 8)
  --concurrency N   parts / ranges in flight in those rows (default 4)
  --jitstore PATH   the jitstore binary (default: target/release/jitstore of the repo)
  --python PATH     a python with oss2 installed (default: bench/peer/.venv/bin/python)
  --work DIR        scratch folder, on tmpfs for stable figures (default /dev/shm)
  --out FILE        also write the Markdown table to FILE
  --only TEXT       run only the rows whose name contains TEXT (repeatable)";

const BUCKET: &str = "bench";
const ACCESS_KEY_ID: &str = "peer-bench-ak";
const ACCESS_KEY_SECRET: &str = "peer-bench-secret-for-the-local-server";
/// Key of the object every download row reads.
const SOURCE_KEY: &str = "peer/source.bin";

struct Settings {
    size_mib: u64,
    rounds: usize,
    part_mib: u64,
    concurrency: usize,
    jitstore: PathBuf,
    python: PathBuf,
    work: PathBuf,
    out: Option<PathBuf>,
    only: Vec<String>,
}

fn parse(args: &[String]) -> Result<Settings, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut s = Settings {
        size_mib: 512,
        rounds: 5,
        part_mib: 8,
        concurrency: 4,
        jitstore: root.join("target/release/jitstore"),
        python: Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"),
        work: if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        },
        out: None,
        only: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value\n{FLAGS_HELP}"))
        };
        let num = |v: String| {
            v.parse::<u64>()
                .map_err(|e| format!("{flag} {v:?}: {e}"))
                .and_then(|n| {
                    if n == 0 {
                        Err(format!("{flag} must be at least 1"))
                    } else {
                        Ok(n)
                    }
                })
        };
        match flag.as_str() {
            "--size-mib" => s.size_mib = num(value()?)?,
            "--rounds" => s.rounds = usize::try_from(num(value()?)?).unwrap_or(usize::MAX),
            "--part-mib" => s.part_mib = num(value()?)?,
            "--concurrency" => s.concurrency = usize::try_from(num(value()?)?).unwrap_or(64),
            "--jitstore" => s.jitstore = PathBuf::from(value()?),
            "--python" => s.python = PathBuf::from(value()?),
            "--work" => s.work = PathBuf::from(value()?),
            "--out" => s.out = Some(PathBuf::from(value()?)),
            "--only" => s.only.push(value()?),
            other => return Err(format!("unknown flag {other:?}\n{FLAGS_HELP}")),
        }
    }
    Ok(s)
}

/// What a row produces and how it is checked.
enum Target {
    /// An object the row uploaded (checked by size and the server's CRC-64, then deleted).
    Object(String),
    /// A file the row downloaded (checked by size and CRC-64, then removed).
    File(PathBuf),
}

/// One contender in one category.
struct Row {
    name: String,
    category: Category,
    command: Command,
    target: Target,
}

/// Everything the rows share.
struct Env {
    settings: Settings,
    dir: PathBuf,
    source: PathBuf,
    size: u64,
    crc: u64,
    endpoint: String,
    me: PathBuf,
    app: PathBuf,
    oss2_script: PathBuf,
}

/// Runs the whole benchmark.
pub fn run(args: &[String]) -> Result<(), String> {
    let settings = parse(args)?;
    for (what, path) in [
        ("jitstore binary", &settings.jitstore),
        ("python with oss2", &settings.python),
    ] {
        if !path.exists() {
            return Err(format!(
                "{what} not found at {path:?} (scripts/bench_peer.sh builds and installs both)"
            ));
        }
    }
    which("curl")?;
    let dir = settings
        .work
        .join(format!("jitstore-peer-bench.{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {dir:?}: {e}"))?;
    let result = run_in(settings, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn which(program: &str) -> Result<(), String> {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join(program).is_file()))
        .unwrap_or(false);
    if found {
        Ok(())
    } else {
        Err(format!("{program} is not on PATH"))
    }
}

fn run_in(settings: Settings, dir: &Path) -> Result<(), String> {
    let size = settings.size_mib * 1024 * 1024;
    let source = dir.join("source.bin");
    eprintln!(
        "writing {} MiB of random bytes to {source:?}",
        settings.size_mib
    );
    let crc = write_random(&source, size)?;
    let mut server = Server::start(&settings.jitstore, &dir.join("data"))?;
    let result = (|| {
        let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("runtime: {e}"))?;
        let client = Client::builder()
            .endpoint(server.endpoint.as_str())
            .bucket(BUCKET)
            .region(REGION)
            .credentials(StaticProvider::from_keys(ACCESS_KEY_ID, ACCESS_KEY_SECRET))
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            client
                .put_object(
                    SOURCE_KEY,
                    Body::from_file(&source),
                    PutObjectOptions::default(),
                )
                .await
                .map_err(|e| format!("uploading the source object: {e}"))
        })?;
        let env = Env {
            app: write_app(dir, &server.endpoint)?,
            oss2_script: write_oss2_script(dir)?,
            me: std::env::current_exe().map_err(|e| format!("own path: {e}"))?,
            endpoint: server.endpoint.clone(),
            settings,
            dir: dir.to_owned(),
            source: source.clone(),
            size,
            crc,
        };
        let get_url = runtime
            .block_on(client.presign(SOURCE_KEY, presign(http::Method::GET)))
            .map_err(|e| e.to_string())?
            .url;
        let put_url = runtime
            .block_on(client.presign("peer/put-curl", presign(http::Method::PUT)))
            .map_err(|e| e.to_string())?
            .url;
        let samples = rounds(&env, &runtime, &client, get_url.as_str(), put_url.as_str())?;
        let table = report::render(&samples, &Header::of(&env));
        println!("{table}");
        if let Some(out) = &env.settings.out {
            std::fs::write(out, &table).map_err(|e| format!("writing {out:?}: {e}"))?;
        }
        Ok(())
    })();
    server.stop();
    result
}

fn presign(method: http::Method) -> PresignOptions {
    PresignOptions {
        method,
        expires: Duration::from_secs(6 * 3600),
        ..PresignOptions::default()
    }
}

/// The facts printed above the table.
pub struct Header {
    /// File size, MiB.
    pub size_mib: u64,
    /// Rounds run.
    pub rounds: usize,
    /// Part size of the multipart and ranged rows, MiB.
    pub part_mib: u64,
    /// Concurrency of those rows.
    pub concurrency: usize,
}

impl Header {
    fn of(env: &Env) -> Header {
        Header {
            size_mib: env.settings.size_mib,
            rounds: env.settings.rounds,
            part_mib: env.settings.part_mib,
            concurrency: env.settings.concurrency,
        }
    }
}

/// Builds the rows afresh (a `Command` runs once) and runs them round after round.
fn rounds(
    env: &Env,
    runtime: &tokio::runtime::Runtime,
    client: &Client,
    get_url: &str,
    put_url: &str,
) -> Result<Vec<Sample>, String> {
    let mut samples = Vec::new();
    for round in 0..env.settings.rounds {
        let mut rows = rows(env, get_url, put_url);
        if !env.settings.only.is_empty() {
            rows.retain(|r| {
                env.settings
                    .only
                    .iter()
                    .any(|o| r.name.contains(o.as_str()))
            });
        }
        if rows.is_empty() {
            return Err("no row matches --only".into());
        }
        let n = rows.len();
        rows.rotate_left(round % n);
        for mut row in rows {
            let log = env.dir.join("client.log");
            let measured = measure::run(&mut row.command, &log)
                .map_err(|e| format!("{} (round {}): {e}", row.name, round + 1))?;
            check(env, runtime, client, &row.target)
                .map_err(|e| format!("{} (round {}): {e}", row.name, round + 1))?;
            let mbps = env.size as f64 / measured.secs / 1e6;
            eprintln!(
                "round {}/{}: {:<55} {:>8.1} MB/s  {:>6.1} MiB RSS",
                round + 1,
                env.settings.rounds,
                row.name,
                mbps,
                measured.peak_rss_kib as f64 / 1024.0
            );
            samples.push(Sample {
                round,
                name: row.name,
                category: row.category,
                mbps,
                peak_rss_mib: measured.peak_rss_kib as f64 / 1024.0,
            });
        }
    }
    Ok(samples)
}

/// Checks what a row produced against the source, then removes it.
fn check(
    env: &Env,
    runtime: &tokio::runtime::Runtime,
    client: &Client,
    target: &Target,
) -> Result<(), String> {
    match target {
        Target::File(path) => {
            let (len, crc) = file_crc(path)?;
            let _ = std::fs::remove_file(path);
            if len != env.size || crc != env.crc {
                return Err(format!(
                    "downloaded file differs: {len} bytes, CRC-64 {crc} (expected {} bytes, {})",
                    env.size, env.crc
                ));
            }
        }
        Target::Object(key) => runtime.block_on(async {
            let meta = client
                .head_object(key, GetObjectOptions::default())
                .await
                .map_err(|e| format!("HEAD {key}: {e}"))?;
            client
                .delete_object(key, None)
                .await
                .map_err(|e| format!("DELETE {key}: {e}"))?;
            if meta.content_length != Some(env.size) || meta.crc64 != Some(env.crc) {
                return Err(format!(
                    "uploaded object differs: {:?} bytes, CRC-64 {:?} (expected {} bytes, {})",
                    meta.content_length, meta.crc64, env.size, env.crc
                ));
            }
            Ok(())
        })?,
    }
    Ok(())
}

fn file_crc(path: &Path) -> Result<(u64, u64), String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("{path:?}: {e}"))?;
    let mut crc = jitstore_oss::crc64::Crc64::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| format!("{path:?}: {e}"))?;
        if n == 0 {
            break;
        }
        crc.update(&buf[..n]);
    }
    Ok((crc.len(), crc.finish()))
}

fn write_random(path: &Path, size: u64) -> Result<u64, String> {
    let mut random =
        std::fs::File::open("/dev/urandom").map_err(|e| format!("/dev/urandom: {e}"))?;
    let mut out = std::fs::File::create(path).map_err(|e| format!("{path:?}: {e}"))?;
    let mut crc = jitstore_oss::crc64::Crc64::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        random
            .read_exact(&mut buf[..want])
            .map_err(|e| format!("/dev/urandom: {e}"))?;
        out.write_all(&buf[..want])
            .map_err(|e| format!("{path:?}: {e}"))?;
        crc.update(&buf[..want]);
        left -= want as u64;
    }
    Ok(crc.finish())
}

/// An app folder whose `storages.Bench` element points at the server (for the CLI rows).
fn write_app(dir: &Path, endpoint: &str) -> Result<PathBuf, String> {
    let app = dir.join("app");
    let element = app.join("storages/Bench");
    std::fs::create_dir_all(&element).map_err(|e| format!("{element:?}: {e}"))?;
    let write = |name: &str, text: String| {
        std::fs::write(element.join(name), text).map_err(|e| format!("{name}: {e}"))
    };
    write(
        "e.json",
        r#"{"title": "peer bench", "type": "storages.OssType", "backendBundleEntry": "."}"#.into(),
    )?;
    write(
        "Bench.json",
        format!(
            r#"{{"accessKeyId": "{ACCESS_KEY_ID}", "accessKeySecret": "{ACCESS_KEY_SECRET}", "endPoint": "{endpoint}", "bucketName": "{BUCKET}", "region": "{REGION}", "addressingStyle": "path", "checkpointDir": ""}}"#
        ),
    )?;
    Ok(app)
}

fn write_oss2_script(dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join("oss2_worker.py");
    std::fs::write(&path, include_str!("../oss2_worker.py"))
        .map_err(|e| format!("{path:?}: {e}"))?;
    Ok(path)
}

/// All rows of one round, in their base order.
fn rows(env: &Env, get_url: &str, put_url: &str) -> Vec<Row> {
    let s = &env.settings;
    let part = (s.part_mib * 1024 * 1024).to_string();
    let conc = s.concurrency.to_string();
    let shape = format!("{} MiB x {}", s.part_mib, s.concurrency);
    let src = env.source.to_string_lossy().into_owned();
    let out = |name: &str| env.dir.join(format!("out-{name}.bin"));
    let worker = |lib: &str, op: &str, key: &str, file: &str, extra: &[&str]| {
        let mut c = Command::new(&env.me);
        c.args(["worker", lib, op, &env.endpoint, BUCKET, key, file])
            .args(extra)
            .env("PEER_BENCH_AK", ACCESS_KEY_ID)
            .env("PEER_BENCH_SK", ACCESS_KEY_SECRET);
        c
    };
    let oss2 = |op: &str, key: &str, file: &str, extra: &[&str]| {
        let mut c = Command::new(&s.python);
        c.arg(&env.oss2_script)
            .args([op, &env.endpoint, BUCKET, key, file])
            .args(extra)
            .env("PEER_BENCH_AK", ACCESS_KEY_ID)
            .env("PEER_BENCH_SK", ACCESS_KEY_SECRET)
            .env("PEER_BENCH_REGION", REGION);
        c
    };
    let cli = |args: &[&str]| {
        let mut c = Command::new(&s.jitstore);
        c.arg("--app").arg(&env.app).args(args);
        c
    };
    let mut rows = Vec::new();
    let mut push = |name: String, category: Category, command: Command, target: Target| {
        rows.push(Row {
            name,
            category,
            command,
            target,
        })
    };
    // PUT, one request.
    let mut curl_put = Command::new("curl");
    curl_put
        .args(["-sS", "-f", "-X", "PUT", "-H", "Content-Type:", "-T", &src])
        .arg(put_url);
    push(
        "curl PUT (presigned)".into(),
        Category::Put,
        curl_put,
        Target::Object("peer/put-curl".into()),
    );
    push(
        "jitstore lib put_object (streamed from the file)".into(),
        Category::Put,
        worker("jitstore", "put", "peer/put-jit", &src, &[]),
        Target::Object("peer/put-jit".into()),
    );
    push(
        "OpenDAL write (whole file in one buffer)".into(),
        Category::Put,
        worker("opendal", "put", "peer/put-opendal", &src, &[]),
        Target::Object("peer/put-opendal".into()),
    );
    push(
        "oss2 put_object_from_file".into(),
        Category::Put,
        oss2("put", "peer/put-oss2", &src, &[]),
        Target::Object("peer/put-oss2".into()),
    );
    // Multipart PUT.
    push(
        format!("jitstore lib upload_file ({shape})"),
        Category::Multipart,
        worker(
            "jitstore",
            "multipart",
            "peer/mp-jit",
            &src,
            &[&part, &conc],
        ),
        Target::Object("peer/mp-jit".into()),
    );
    push(
        "jitstore CLI put (defaults)".into(),
        Category::Multipart,
        cli(&["put", "Bench", &src, "peer/mp-cli"]),
        Target::Object("peer/mp-cli".into()),
    );
    push(
        format!("OpenDAL writer chunk/concurrent ({shape})"),
        Category::Multipart,
        worker(
            "opendal",
            "multipart",
            "peer/mp-opendal",
            &src,
            &[&part, &conc],
        ),
        Target::Object("peer/mp-opendal".into()),
    );
    push(
        format!("oss2 resumable_upload ({shape})"),
        Category::Multipart,
        oss2("multipart", "peer/mp-oss2", &src, &[&part, &conc]),
        Target::Object("peer/mp-oss2".into()),
    );
    // GET, one stream.
    let f = out("curl");
    let mut curl_get = Command::new("curl");
    curl_get.args(["-sS", "-f", "-o"]).arg(&f).arg(get_url);
    push(
        "curl GET (presigned)".into(),
        Category::Get,
        curl_get,
        Target::File(f),
    );
    let f = out("jit-single");
    push(
        "jitstore lib download_file (concurrency 1)".into(),
        Category::Get,
        worker(
            "jitstore",
            "get",
            SOURCE_KEY,
            &f.to_string_lossy(),
            &["0", "1"],
        ),
        Target::File(f),
    );
    let f = out("opendal-stream");
    push(
        "OpenDAL reader, streamed".into(),
        Category::Get,
        worker("opendal", "get", SOURCE_KEY, &f.to_string_lossy(), &[]),
        Target::File(f),
    );
    let f = out("oss2-get");
    push(
        "oss2 get_object_to_file".into(),
        Category::Get,
        oss2("get", SOURCE_KEY, &f.to_string_lossy(), &[]),
        Target::File(f),
    );
    // Ranged GET.
    let f = out("jit-fixed");
    push(
        format!("jitstore lib download_file ({shape}, fixed)"),
        Category::Ranged,
        worker(
            "jitstore",
            "get",
            SOURCE_KEY,
            &f.to_string_lossy(),
            &[&part, &conc, "fixed"],
        ),
        Target::File(f),
    );
    let f = out("jit-adaptive");
    push(
        format!(
            "jitstore lib download_file (adaptive, up to {})",
            s.concurrency
        ),
        Category::Ranged,
        worker(
            "jitstore",
            "get",
            SOURCE_KEY,
            &f.to_string_lossy(),
            &["0", &conc],
        ),
        Target::File(f),
    );
    let f = out("jit-cli");
    push(
        "jitstore CLI get (defaults)".into(),
        Category::Ranged,
        cli(&["get", "Bench", SOURCE_KEY, &f.to_string_lossy()]),
        Target::File(f),
    );
    let f = out("opendal-ranged");
    push(
        format!("OpenDAL reader chunk/concurrent ({shape})"),
        Category::Ranged,
        worker(
            "opendal",
            "ranged",
            SOURCE_KEY,
            &f.to_string_lossy(),
            &[&part, &conc],
        ),
        Target::File(f),
    );
    let f = out("oss2-ranged");
    push(
        format!("oss2 resumable_download ({shape})"),
        Category::Ranged,
        oss2("ranged", SOURCE_KEY, &f.to_string_lossy(), &[&part, &conc]),
        Target::File(f),
    );
    rows
}

/// The `jitstore serve` child process.
struct Server {
    child: Child,
    endpoint: String,
}

impl Server {
    fn start(binary: &Path, data: &Path) -> Result<Server, String> {
        let mut child = Command::new(binary)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--bucket",
                BUCKET,
                "--data",
            ])
            .arg(data)
            .env("JITSTORE_SERVE_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("JITSTORE_SERVE_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {binary:?} serve: {e}"))?;
        let stdout = child.stdout.take().ok_or("no server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let endpoint = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(ep) = line.strip_prefix("jitstore OSS server listening on ") {
                        break ep.trim().to_owned();
                    }
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err("the server exited before saying where it listens".into());
                }
            }
        };
        // Keep draining its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        eprintln!("jitstore serve at {endpoint} (V4/V1 signatures checked), data in {data:?}");
        Ok(Server { child, endpoint })
    }

    fn stop(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: signalling our own child process.
            unsafe {
                libc::kill(pid, libc::SIGINT);
            }
        }
        let _ = self.child.wait();
    }
}
