//! Plugin Types end to end: the `jitstore-plugin-example` cdylib is built (with cargo, into a
//! target folder of its own under this workspace's target dir), copied into an app folder
//! (`tests/fixtures/plugin_apps/memory`), loaded by the registry when an instance of its Type is
//! first built, and used through `get_element` as a storage. Deliberately broken variants of the
//! library (cargo features of the example crate) check each loading error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use futures::{StreamExt, TryStreamExt};
use jitstore_element::{
    App, BoxError, BuildContext, ElementError, ElementObject, Implementation, ImplementationOrigin,
    PluginError, PluginProblem,
};
use jitstore_storages::{ByteRange, ReadOptions, StorageHandle, UploadOptions};
use jitstore_storages_plugin::CHUNK_SIZE;

const FIXTURE: &str = "tests/fixtures/plugin_apps/memory";
const LIBRARY_ENTRY: &str = "lib/libjitstore_plugin_example";

/// A build of the example plugin: its cargo features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Variant {
    Good,
    AbiMismatch,
    NoEntry,
    WrongTypeName,
    PanicInFactory,
    OssType,
    PanicInCall,
    RetiredInterface,
}

impl Variant {
    fn feature(self) -> Option<&'static str> {
        match self {
            Variant::Good => None,
            Variant::AbiMismatch => Some("abi-mismatch"),
            Variant::NoEntry => Some("no-entry"),
            Variant::WrongTypeName => Some("wrong-type-name"),
            Variant::PanicInFactory => Some("panic-in-factory"),
            Variant::OssType => Some("oss-type"),
            Variant::PanicInCall => Some("panic-in-call"),
            Variant::RetiredInterface => Some("retired-interface"),
        }
    }
}

fn library_file_name() -> String {
    format!(
        "{}jitstore_plugin_example.{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_EXTENSION
    )
}

/// Builds `variant` once per test process and returns a private copy of the library.
///
/// The build uses its own `--target-dir` so it neither waits for nor disturbs the `cargo test`
/// that runs this file; variants are built one after the other into it and copied out.
fn plugin_library(variant: Variant) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<Variant, PathBuf>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    let mut built = built.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(path) = built.get(&variant) {
        return path.clone();
    }
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let target_dir = tmp.join("plugin-example-build");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "-p", "jitstore-plugin-example", "--lib"])
        .arg("--target-dir")
        .arg(&target_dir);
    if let Some(feature) = variant.feature() {
        command.args(["--features", feature]);
    }
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "building the example plugin ({variant:?}) failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let built_file = target_dir.join("debug").join(library_file_name());
    let copy_dir = tmp
        .join("plugin-example-variants")
        .join(format!("{variant:?}"));
    std::fs::create_dir_all(&copy_dir).expect("variant folder");
    let copy = copy_dir.join(library_file_name());
    std::fs::copy(&built_file, &copy).expect("copies the library");
    built.insert(variant, copy.clone());
    copy
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creates folder");
    for entry in std::fs::read_dir(from).expect("reads fixture") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copies fixture file");
        }
    }
}

/// A temporary copy of the fixture app, with `library` (if any) installed as the plugin.
struct PluginApp {
    dir: tempfile::TempDir,
}

impl PluginApp {
    fn new(library: Option<&Path>) -> PluginApp {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE),
            dir.path(),
        );
        if let Some(library) = library {
            std::fs::copy(library, dir.path().join(Self::library_path_in_app()))
                .expect("installs the plugin");
        }
        PluginApp { dir }
    }

    fn with_variant(variant: Variant) -> PluginApp {
        PluginApp::new(Some(&plugin_library(variant)))
    }

    fn library_path_in_app() -> PathBuf {
        Path::new("storages/MemoryType").join(format!("lib/{}", library_file_name()))
    }

    fn library_path(&self) -> PathBuf {
        self.dir.path().join(Self::library_path_in_app())
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
        std::fs::write(path, text).expect("writes");
    }

    fn open(&self) -> App {
        assert!(
            jitstore_storages_plugin::adapter_installed(),
            "the storages.Meta/1 adapter is linked"
        );
        App::open(self.dir.path()).expect("app opens")
    }
}

fn storage(app: &App, name: &str) -> StorageHandle {
    let loaded = app.get_element(name).expect("element builds");
    StorageHandle::from_loaded(&loaded).expect("the plugin object is adapted into a storage")
}

/// The plugin error of a failed build, checked to name the element, the Type and the library.
fn plugin_error(app: &App, element: &str, library: &Path) -> PluginError {
    let error = app.get_element(element).expect_err("the build fails");
    let text = error.to_string();
    assert!(text.contains(element), "names the element: {text}");
    assert!(
        text.contains("storages.MemoryType"),
        "names the Type: {text}"
    );
    assert!(
        text.contains(&library.display().to_string()),
        "names the library {}: {text}",
        library.display()
    );
    match error {
        ElementError::Plugin(error) => *error,
        other => panic!("expected a plugin error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_type_passes_the_behaviour_suite() {
    let app_dir = PluginApp::with_variant(Variant::Good);
    let app = app_dir.open();
    jitstore_storages::testkit::run(&storage(&app, "storages.Notes")).await;
}

#[tokio::test]
async fn plugin_storage_is_loaded_from_the_app_folder_and_used_through_get_element() {
    let app_dir = PluginApp::with_variant(Variant::Good);
    let app = app_dir.open();

    let scratch = storage(&app, "storages.Scratch");
    assert_eq!(scratch.type_name(), "storages.MemoryType");
    let uploaded = scratch
        .upload_by_file("docs/a.txt", b"hello plugin".to_vec(), Some("text/plain"))
        .await
        .expect("upload");
    assert_eq!(uploaded.size, 12);
    assert_eq!(uploaded.key, "docs/a.txt");
    assert!(
        !uploaded.etag.is_empty() && !uploaded.etag.starts_with('"'),
        "ETags are reported bare: {}",
        uploaded.etag
    );
    assert_eq!(
        &scratch.download("docs/a.txt").await.expect("download")[..],
        b"hello plugin"
    );
    let info = scratch.get_object("docs/a.txt").await.expect("stat");
    assert_eq!(info.size, 12);
    assert_eq!(info.content_type.as_deref(), Some("text/plain"));
    assert_eq!(info.etag.as_deref(), Some(uploaded.etag.as_str()));
    assert!(info.last_modified.is_some());
    scratch
        .upload_by_file("docs/b.txt", b"b".to_vec(), None)
        .await
        .expect("second upload");
    scratch
        .upload_by_file("other", b"o".to_vec(), None)
        .await
        .expect("third upload");
    let listed: Vec<String> = scratch
        .list("docs/")
        .map_ok(|info| info.key)
        .try_collect()
        .await
        .expect("list");
    assert_eq!(listed, ["docs/a.txt", "docs/b.txt"]);

    // Errors from inside the plugin come back typed and named.
    let missing = scratch.download("nope").await.expect_err("missing");
    assert!(missing.is_not_found(), "{missing}");
    assert!(!scratch.exists("nope").await.expect("exists works"));
    let full = scratch
        .upload_by_file("big", vec![0u8; 100], None)
        .await
        .expect_err("maxBytes 64 from Scratch.json");
    let text = full.to_string();
    assert!(
        text.contains("storages.Scratch") && text.contains("storages.MemoryType"),
        "{text}"
    );
    assert!(text.contains("maxBytes 64"), "{text}");

    scratch.delete("docs/a.txt").await.expect("delete");
    assert!(!scratch.exists("docs/a.txt").await.expect("exists"));

    // One library, one store per instance; get_element is cached.
    let notes = storage(&app, "storages.Notes");
    assert!(!notes.exists("other").await.expect("exists"));
    let again = app.get_element("storages.Scratch").expect("cached");
    assert!(Arc::ptr_eq(
        &again,
        &app.get_element("storages.Scratch").expect("cached")
    ));

    // The library stays loaded as long as anything built from it lives, even past the App.
    drop(again);
    drop(app);
    assert_eq!(
        &scratch.download("other").await.expect("still usable")[..],
        b"o"
    );
}

#[test]
fn plugin_types_are_listed_but_not_loaded_until_first_use() {
    // No library at all: opening, listing and describing work; only building needs it.
    let app_dir = PluginApp::new(None);
    let app = app_dir.open();
    let instances: Vec<&str> = app
        .instances_of("storages.MemoryType")
        .into_iter()
        .map(|e| e.full_name())
        .collect();
    assert_eq!(instances, ["storages.Notes", "storages.Scratch"]);
    assert!(!app.is_loaded("storages.Scratch"));
}

#[test]
fn missing_library_is_a_clear_error() {
    let app_dir = PluginApp::new(None);
    let app = app_dir.open();
    let error = plugin_error(&app, "storages.Scratch", &app_dir.library_path());
    assert_eq!(
        error.problem,
        PluginProblem::MissingLibrary {
            entry: LIBRARY_ENTRY.to_owned()
        }
    );
    assert_eq!(error.type_name, "storages.MemoryType");
    // A failed load is not cached: installing the library makes the next call work.
    std::fs::copy(plugin_library(Variant::Good), app_dir.library_path()).expect("installs");
    assert!(app.get_element("storages.Scratch").is_ok());
}

#[test]
fn a_file_that_is_not_a_library_is_a_clear_error() {
    let app_dir = PluginApp::new(None);
    app_dir.write(
        &PluginApp::library_path_in_app().display().to_string(),
        "not an ELF file",
    );
    let app = app_dir.open();
    let error = plugin_error(&app, "storages.Scratch", &app_dir.library_path());
    assert!(
        matches!(error.problem, PluginProblem::LoadFailed { .. }),
        "{error}"
    );
}

#[test]
fn missing_entry_point_is_a_clear_error() {
    let app_dir = PluginApp::with_variant(Variant::NoEntry);
    let app = app_dir.open();
    let error = plugin_error(&app, "storages.Scratch", &app_dir.library_path());
    assert_eq!(
        error.problem,
        PluginProblem::MissingSymbol {
            symbol: "jitstore_plugin_entry".to_owned()
        }
    );
    assert!(error.to_string().contains("jitstore_plugin_entry"));
}

#[test]
fn abi_mismatch_is_refused_before_any_plugin_code_runs() {
    let app_dir = PluginApp::with_variant(Variant::AbiMismatch);
    let app = app_dir.open();
    let error = plugin_error(&app, "storages.Scratch", &app_dir.library_path());
    let expected = jitstore_element::plugin_abi::PLUGIN_ABI_VERSION;
    match &error.problem {
        PluginProblem::AbiMismatch {
            found,
            expected: host,
            ..
        } => {
            assert_eq!(*found, expected + 1);
            assert_eq!(*host, expected);
        }
        other => panic!("expected an ABI mismatch, got {other:?}"),
    }
    assert!(error.to_string().contains("ABI mismatch"), "{error}");
}

#[test]
fn a_library_registering_another_type_is_refused() {
    let app_dir = PluginApp::with_variant(Variant::WrongTypeName);
    let app = app_dir.open();
    let error = plugin_error(&app, "storages.Scratch", &app_dir.library_path());
    assert_eq!(
        error.problem,
        PluginProblem::WrongType {
            expected: "storages.MemoryType".to_owned(),
            registered: vec!["storages.OtherMemoryType".to_owned()],
        }
    );
    assert!(
        error.to_string().contains("storages.OtherMemoryType"),
        "{error}"
    );
}

#[test]
fn a_failing_plugin_factory_is_a_clear_error() {
    let app_dir = PluginApp::with_variant(Variant::Good);
    app_dir.write("storages/Scratch/Scratch.json", r#"{"maxBytes": "lots"}"#);
    let app = app_dir.open();
    let error = plugin_error(&app, "storages.Scratch", &app_dir.library_path());
    match &error.problem {
        PluginProblem::FactoryFailed { message } => {
            assert!(message.contains("storages.Scratch config"), "{message}");
            assert!(message.contains("invalid type"), "{message}");
        }
        other => panic!("expected a factory failure, got {other:?}"),
    }
    // The library itself is fine: other instances of the Type still build.
    assert!(app.get_element("storages.Notes").is_ok());
}

#[test]
fn a_panicking_plugin_factory_does_not_crash_the_host() {
    let app_dir = PluginApp::with_variant(Variant::PanicInFactory);
    let app = app_dir.open();
    let error = plugin_error(&app, "storages.Scratch", &app_dir.library_path());
    match &error.problem {
        PluginProblem::FactoryPanicked { message } => {
            assert!(message.contains("deliberate panic"), "{message}");
        }
        other => panic!("expected a caught panic, got {other:?}"),
    }
    // The host carries on: the same call fails again, cleanly.
    assert!(matches!(
        app.get_element("storages.Notes"),
        Err(ElementError::Plugin(_))
    ));
}

#[test]
fn a_plugin_and_a_host_registration_for_one_type_conflict_by_name() {
    fn host_factory(_ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
        Ok(Arc::new("host-built".to_owned()))
    }
    let app_dir = PluginApp::with_variant(Variant::Good);
    let app = App::builder(app_dir.dir.path())
        .implementation(Implementation::new(
            "storages.MemoryType",
            ImplementationOrigin::Runtime("plugin_loading test".to_owned()),
            Arc::new(host_factory),
        ))
        .open()
        .expect("opens");
    let text = app
        .get_element("storages.Scratch")
        .expect_err("two non-built-in implementations")
        .to_string();
    assert!(text.contains("storages.MemoryType"), "{text}");
    assert!(text.contains("plugin_loading test"), "{text}");
    assert!(
        text.contains(&app_dir.library_path().display().to_string()),
        "{text}"
    );
}

#[test]
fn plugins_can_be_disabled() {
    let app_dir = PluginApp::with_variant(Variant::Good);
    let app = App::builder(app_dir.dir.path())
        .plugins(false)
        .open()
        .expect("opens");
    assert!(matches!(
        app.get_element("storages.Scratch"),
        Err(ElementError::NoImplementation { .. })
    ));
}

#[tokio::test]
async fn the_jitstore_facade_returns_plugin_storages() {
    let app_dir = PluginApp::with_variant(Variant::Good);
    assert!(jitstore_storages_plugin::adapter_installed());
    let app = jitstore::App::open(app_dir.dir.path()).expect("opens");
    let notes = app.get_element("storages.Notes").expect("a storage");
    notes
        .upload_by_file("n.txt", b"note".to_vec(), None)
        .await
        .expect("upload");
    assert_eq!(
        &notes.download("n.txt").await.expect("download")[..],
        b"note"
    );
}

#[tokio::test]
async fn an_app_folder_plugin_override_of_oss_type_wins_over_the_built_in() {
    let app_dir = PluginApp::new(None);
    let library = plugin_library(Variant::OssType);
    app_dir.write(
        "storages/OssType/e.json",
        r#"{"title": "OSS served from memory", "type": "storages.Meta", "backendBundleEntry": "lib/libjitstore_plugin_example.so"}"#,
    );
    let lib_dir = app_dir.dir.path().join("storages/OssType/lib");
    std::fs::create_dir_all(&lib_dir).expect("lib folder");
    std::fs::copy(&library, lib_dir.join(library_file_name())).expect("installs the plugin");
    app_dir.write(
        "storages/MyOss/e.json",
        r#"{"title": "My OSS", "type": "storages.OssType", "backendBundleEntry": "."}"#,
    );
    app_dir.write("storages/MyOss/MyOss.json", r#"{"maxBytes": 1024}"#);
    let app = app_dir.open();
    let loaded = app.get_element("storages.MyOss").expect("builds");
    assert_eq!(&**loaded.type_name(), "storages.OssType");
    let oss = StorageHandle::from_loaded(&loaded).expect("a storage");
    assert!(
        !oss.capabilities()
            .contains(jitstore_storages::Capability::SignUrl),
        "served by the plugin's memory store, not the built-in OssType"
    );
    oss.upload_by_file("k", b"v".to_vec(), None)
        .await
        .expect("upload without any OSS endpoint");
    assert_eq!(&oss.download("k").await.expect("download")[..], b"v");
}

#[tokio::test]
async fn a_folder_entry_is_not_a_library() {
    // JitAI's front+back elements use `"backendBundleEntry": "./backend"`: not a plugin.
    let app_dir = PluginApp::new(None);
    app_dir.write(
        "storages/FolderType/e.json",
        r#"{"title": "Disk with a backend folder", "type": "storages.DiskType", "backendBundleEntry": "./backend"}"#,
    );
    app_dir.write("storages/FolderType/backend/README.md", "not a library");
    app_dir.write(
        "storages/Files/e.json",
        r#"{"title": "Files", "type": "storages.FolderType"}"#,
    );
    app_dir.write("storages/Files/Files.json", "{}");
    let app = app_dir.open();
    let files = storage(&app, "storages.Files");
    assert_eq!(files.type_name(), "storages.DiskType");
    files
        .upload_by_file("a", b"a".to_vec(), None)
        .await
        .expect("DiskType serves it");
}

#[tokio::test]
async fn a_panic_inside_a_plugin_call_is_an_error_not_a_crash() {
    let app_dir = PluginApp::with_variant(Variant::PanicInCall);
    let app = app_dir.open();
    let scratch = storage(&app, "storages.Scratch");
    scratch
        .upload_by_file("k", b"v".to_vec(), None)
        .await
        .expect("upload");
    let error = scratch.download("k").await.expect_err("get panics");
    let text = error.to_string();
    assert!(text.contains("storages.Scratch"), "{text}");
    assert!(text.contains("panicked"), "{text}");
    assert!(text.contains("deliberate panic while reading k"), "{text}");
    // The instance and the host carry on.
    assert_eq!(scratch.get_object("k").await.expect("stat").size, 1);
}

#[test]
fn concurrent_first_use_loads_and_builds_once() {
    let app_dir = PluginApp::with_variant(Variant::Good);
    let app = app_dir.open();
    let built: Vec<Arc<jitstore_element::LoadedElement>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| app.get_element("storages.Scratch").expect("builds")))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert!(built.iter().all(|b| Arc::ptr_eq(b, &built[0])));
    // Each instance of the Type gets its own object from the one library.
    let scratch = built[0]
        .downcast_ref::<Arc<dyn jitstore_storages::Storage>>()
        .expect("a storage")
        .clone();
    let notes = StorageHandle::from_loaded(&app.get_element("storages.Notes").expect("builds"))
        .expect("a storage");
    assert!(!Arc::ptr_eq(&scratch, notes.storage()));
    let plugin_of = |storage: &Arc<dyn jitstore_storages::Storage>| {
        storage
            .as_any()
            .and_then(|any| any.downcast_ref::<jitstore_storages_plugin::PluginStorageAdapter>())
            .expect("the plugin adapter")
            .object()
            .clone()
    };
    let (a, b) = (plugin_of(&scratch), plugin_of(notes.storage()));
    assert_eq!(a.element(), "storages.Scratch");
    assert_eq!(b.element(), "storages.Notes");
    assert_eq!(a.library_path(), app_dir.library_path());
    assert_eq!(a.library_path(), b.library_path());
    assert_eq!(a.interface(), jitstore_storages_plugin::STORAGE_INTERFACE);
}

#[test]
fn a_library_built_for_the_retired_interface_is_refused_naming_both_versions() {
    let app_dir = PluginApp::with_variant(Variant::RetiredInterface);
    let app = app_dir.open();
    let error = plugin_error(&app, "storages.Scratch", &app_dir.library_path());
    let text = error.to_string();
    match &error.problem {
        PluginProblem::AdapterFailed { interface, message } => {
            assert_eq!(interface, "storages.Meta/1");
            assert!(message.contains("storages.Meta/1"), "{message}");
            assert!(
                message.contains(jitstore_storages_plugin::STORAGE_INTERFACE),
                "{message}"
            );
            assert!(message.contains("rebuild the plugin"), "{message}");
        }
        other => panic!("expected the retired interface to be refused, got {other:?}"),
    }
    assert_eq!(
        jitstore_storages_plugin::STORAGE_INTERFACE,
        "storages.Meta/2"
    );
    assert!(text.contains("storages.Meta/2"), "{text}");
}

/// What the example plugin's store saw of the transfers (its `x-transfer-stats` extension).
fn transfer_stats(store: &StorageHandle) -> serde_json::Value {
    let adapter = store
        .storage()
        .as_any()
        .and_then(|any| any.downcast_ref::<jitstore_storages_plugin::PluginStorageAdapter>())
        .expect("the plugin adapter");
    let output = adapter
        .object()
        .call("x-transfer-stats", &[])
        .expect("the example plugin answers its stats");
    serde_json::from_slice(&output).expect("stats are JSON")
}

fn stat(stats: &serde_json::Value, name: &str) -> u64 {
    stats[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no {name} in {stats}"))
}

/// Byte `i` of the generated test objects.
fn pattern(i: u64) -> u8 {
    (i % 251) as u8 ^ (i >> 20) as u8
}

fn generated(range: std::ops::Range<u64>) -> Vec<u8> {
    range.map(pattern).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_cross_the_plugin_boundary_in_chunks_and_ranges_read_only_their_bytes() {
    let app_dir = PluginApp::with_variant(Variant::Good);
    let app = app_dir.open();
    let notes = storage(&app, "storages.Notes");
    let size = 5 * CHUNK_SIZE as u64 + 123;
    let data = generated(0..size);

    let before = transfer_stats(&notes);
    let mut writer = notes
        .write("big/object.bin", &UploadOptions::default())
        .await
        .expect("writer");
    writer.put(data.clone()).await.expect("one 5 MiB put");
    let uploaded = writer.finish().await.expect("finish");
    assert_eq!(uploaded.size, size);
    let after = transfer_stats(&notes);
    let write_chunks = stat(&after, "writeChunks") - stat(&before, "writeChunks");
    assert!(
        write_chunks >= 6,
        "a 5 MiB body crossed in {write_chunks} chunk(s)"
    );
    assert!(
        stat(&after, "largestWriteChunk") <= CHUNK_SIZE as u64,
        "{after}"
    );

    let read = notes
        .read("big/object.bin", &ReadOptions::new())
        .await
        .expect("read");
    assert_eq!(read.info.size, size);
    let chunks: Vec<bytes::Bytes> = read.stream.try_collect().await.expect("stream");
    assert!(chunks.len() >= 6, "{} chunks", chunks.len());
    assert!(chunks.iter().all(|c| c.len() <= CHUNK_SIZE));
    assert!(chunks.concat() == data, "the streamed bytes are the object");
    let after_read = transfer_stats(&notes);
    assert!(
        stat(&after_read, "readChunks") - stat(&after, "readChunks") >= 6,
        "{after_read}"
    );
    assert!(stat(&after_read, "largestReadChunk") <= CHUNK_SIZE as u64);
    assert_eq!(
        stat(&after_read, "liveReaders"),
        0,
        "the finished read is closed"
    );

    // A range is passed to the plugin as offsets: only its own bytes are read.
    let tail = notes
        .read("big/object.bin", &ReadOptions::range(ByteRange::Last(1000)))
        .await
        .expect("ranged read");
    assert_eq!(tail.range, size - 1000..size);
    assert!(tail.bytes().await.expect("tail") == generated(size - 1000..size));
    let after_tail = transfer_stats(&notes);
    assert_eq!(
        stat(&after_tail, "readBytes") - stat(&after_read, "readBytes"),
        1000,
        "the plugin read the range's bytes only: {after_tail}"
    );
    assert!(
        stat(&after_tail, "readChunks") - stat(&after_read, "readChunks") <= 2,
        "{after_tail}"
    );
    let middle = notes
        .read(
            "big/object.bin",
            &ReadOptions::range(CHUNK_SIZE as u64 - 10..CHUNK_SIZE as u64 + 10),
        )
        .await
        .expect("ranged read")
        .bytes()
        .await
        .expect("middle");
    assert!(middle == generated(CHUNK_SIZE as u64 - 10..CHUNK_SIZE as u64 + 10));
}

/// Polls the plugin's stats until `name` is 0 (closing a dropped transfer runs in the
/// background).
async fn wait_until_zero(store: &StorageHandle, name: &str) {
    for _ in 0..200 {
        if stat(&transfer_stats(store), name) == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{name} stayed open: {}", transfer_stats(store));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_streams_and_writers_release_their_plugin_transfers() {
    let app_dir = PluginApp::with_variant(Variant::Good);
    let app = app_dir.open();
    let notes = storage(&app, "storages.Notes");
    notes
        .upload_by_file("o", generated(0..3 * CHUNK_SIZE as u64), None)
        .await
        .expect("upload");

    let mut read = notes.read("o", &ReadOptions::new()).await.expect("read");
    let first = read.stream.next().await.expect("a chunk").expect("ok");
    assert_eq!(first.len(), CHUNK_SIZE);
    assert_eq!(stat(&transfer_stats(&notes), "liveReaders"), 1);
    drop(read);
    wait_until_zero(&notes, "liveReaders").await;

    let mut writer = notes
        .write("unfinished", &UploadOptions::default())
        .await
        .expect("writer");
    writer.put(vec![7u8; 10]).await.expect("put");
    assert_eq!(stat(&transfer_stats(&notes), "liveWriters"), 1);
    drop(writer);
    wait_until_zero(&notes, "liveWriters").await;
    assert!(!notes.exists("unfinished").await.expect("exists"));

    let writer = notes
        .write("aborted", &UploadOptions::default())
        .await
        .expect("writer");
    writer.abort().await.expect("abort");
    assert_eq!(stat(&transfer_stats(&notes), "liveWriters"), 0);
    assert!(!notes.exists("aborted").await.expect("exists"));
}

/// Adds `storages.FolderType` (the example library's folder store) and an instance of it,
/// `storages.Files`, keeping its objects in `root`.
fn add_folder_type(app_dir: &PluginApp, root: &Path) {
    app_dir.write(
        "storages/FolderType/e.json",
        r#"{"title": "Objects as files (plugin)", "type": "storages.Meta", "backendBundleEntry": "../MemoryType/lib/libjitstore_plugin_example"}"#,
    );
    app_dir.write(
        "storages/Files/e.json",
        r#"{"title": "Files", "type": "storages.FolderType", "backendBundleEntry": "."}"#,
    );
    let config = serde_json::json!({ "root": root });
    app_dir.write("storages/Files/Files.json", &config.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_folder_plugin_type_passes_the_behaviour_suite() {
    let app_dir = PluginApp::with_variant(Variant::Good);
    let objects = tempfile::tempdir().expect("tempdir");
    add_folder_type(&app_dir, objects.path());
    let app = app_dir.open();
    let files = storage(&app, "storages.Files");
    assert_eq!(files.type_name(), "storages.FolderType");
    jitstore_storages::testkit::run(&files).await;
}

/// The resident set of this process, in bytes (Linux; `None` elsewhere).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// An object larger than the 256 MiB the whole-object `storages.Meta/1` protocol could carry
/// goes through a plugin storage and back a chunk at a time: the folder store keeps it on
/// disk, and the process's resident memory grows by far less than the object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_over_the_old_256_mib_limit_streams_through_the_plugin_in_bounded_memory() {
    const SIZE: u64 = 300 << 20;
    const RSS_GROWTH_BOUND: u64 = 96 << 20;
    let app_dir = PluginApp::with_variant(Variant::Good);
    let objects = tempfile::tempdir().expect("tempdir");
    add_folder_type(&app_dir, objects.path());
    let app = app_dir.open();
    let files = storage(&app, "storages.Files");
    assert_eq!(files.capabilities().limits().max_object_size, None);
    let piece = generated(0..8 << 20);
    let baseline = resident_bytes();
    let mut peak = baseline;
    let mut sample = || {
        if let (Some(now), Some(peak)) = (resident_bytes(), peak.as_mut()) {
            *peak = (*peak).max(now);
        }
    };

    let mut writer = files
        .write("huge.bin", &UploadOptions::default())
        .await
        .expect("writer");
    let mut written = 0u64;
    while written < SIZE {
        let n = (SIZE - written).min(piece.len() as u64) as usize;
        writer.put(piece[..n].to_vec()).await.expect("put");
        written += n as u64;
        sample();
    }
    assert_eq!(writer.finish().await.expect("finish").size, SIZE);

    let read = files
        .read("huge.bin", &ReadOptions::new())
        .await
        .expect("read");
    assert_eq!(read.info.size, SIZE);
    let mut stream = read.stream;
    let mut seen = 0u64;
    let mut chunks = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        assert!(chunk.len() <= CHUNK_SIZE);
        let at = (seen % piece.len() as u64) as usize;
        assert!(chunk[..] == piece[at..at + chunk.len()], "bytes at {seen}");
        seen += chunk.len() as u64;
        chunks += 1;
        sample();
    }
    assert_eq!(seen, SIZE);
    assert!(chunks >= 300, "{chunks} chunks");
    let tail = files
        .read("huge.bin", &ReadOptions::range(ByteRange::Last(100)))
        .await
        .expect("ranged read")
        .bytes()
        .await
        .expect("tail");
    let expected: Vec<u8> = (SIZE - 100..SIZE)
        .map(|i| piece[(i % piece.len() as u64) as usize])
        .collect();
    assert!(tail == expected, "the last 100 bytes");
    if let (Some(baseline), Some(peak)) = (baseline, peak) {
        eprintln!(
            "moving {} MiB through the plugin grew resident memory by {} MiB",
            SIZE >> 20,
            peak.saturating_sub(baseline) >> 20
        );
        assert!(
            peak.saturating_sub(baseline) < RSS_GROWTH_BOUND,
            "resident memory grew by {} MiB moving a {} MiB object",
            (peak - baseline) >> 20,
            SIZE >> 20
        );
    }
    files.delete("huge.bin").await.expect("delete");
}
