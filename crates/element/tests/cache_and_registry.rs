//! The per-process element cache, run-time implementations and instances, implementation
//! selection (overrides and conflicts) and lazy implementation sources.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use common::{builds_of, error_text, open, AppDir, Echo, EchoApp};
use jitstore_element::{
    App, BoxError, BuildContext, Element, ElementError, ElementObject, Implementation,
    ImplementationOrigin, ImplementationSource,
};

#[test]
fn get_element_is_cached() {
    let app = AppDir::new();
    app.echo("tests/E", "hi");
    let opened = open(&app);
    assert!(!opened.is_loaded("tests.E"));
    let first = opened.get_element("tests.E").expect("builds");
    let second = opened.get_element("tests.E").expect("cached");
    assert!(Arc::ptr_eq(&first, &second));
    assert!(Arc::ptr_eq(first.object(), second.object()));
    assert!(opened.is_loaded("tests.E"));
}

#[test]
fn concurrent_first_calls_build_once() {
    let app = AppDir::new();
    app.element(
        "tests/Slow",
        r#"{"title": "slow", "type": "tests.SlowType"}"#,
        Some("{}"),
    );
    let opened = open(&app);
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let objects: Vec<ElementObject> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = barrier.clone();
                let opened = opened.clone();
                scope.spawn(move || {
                    barrier.wait();
                    opened
                        .get_element("tests.Slow")
                        .expect("builds")
                        .object()
                        .clone()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let dir = opened
        .element("tests.Slow")
        .expect("e")
        .dir()
        .expect("dir")
        .to_path_buf();
    assert_eq!(builds_of(&dir), 1);
    assert!(objects.iter().all(|o| Arc::ptr_eq(o, &objects[0])));
}

#[test]
fn a_failed_build_is_not_cached() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        r#"{"title": "e", "type": "tests.EchoType"}"#,
        None,
    );
    let opened = open(&app);
    assert!(opened.get_element("tests.E").is_err());
    app.file("tests/E/E.json", r#"{"greeting": "fixed"}"#);
    let echo: Echo = opened
        .get_element_as("tests.E")
        .expect("builds after the fix");
    assert_eq!(echo.config.greeting, "fixed");
}

#[test]
fn get_element_as_the_wrong_type_is_an_error() {
    let app = AppDir::new();
    app.echo("tests/E", "hi");
    let text = error_text(open(&app).get_element_as::<u32>("tests.E"));
    assert!(
        text.contains("element tests.E (type tests.EchoType) is not a u32"),
        "{text}"
    );
}

fn runtime_factory(tag: &'static str) -> Implementation {
    Implementation::new(
        "tests.EchoType",
        ImplementationOrigin::Runtime(tag.to_owned()),
        Arc::new(
            move |ctx: &BuildContext<'_>| -> Result<ElementObject, BoxError> {
                Ok(Arc::new(format!("{tag}:{}", ctx.full_name())))
            },
        ),
    )
}

#[test]
fn a_host_implementation_overrides_the_built_in_one() {
    let app = AppDir::new();
    app.echo("tests/E", "hi");
    let opened = App::builder(app.path())
        .implementation(runtime_factory("host"))
        .open()
        .expect("opens");
    let built: String = opened.get_element_as("tests.E").expect("builds");
    assert_eq!(built, "host:tests.E");
}

#[test]
fn two_non_built_in_implementations_are_an_error_naming_both() {
    let app = AppDir::new();
    app.echo("tests/E", "hi");
    let opened = App::builder(app.path())
        .implementation(runtime_factory("first-crate"))
        .open()
        .expect("opens");
    opened.register_implementation(runtime_factory("second-crate"));
    let text = error_text(opened.get_element("tests.E"));
    assert!(
        text.contains("Type tests.EchoType has two implementations"),
        "{text}"
    );
    assert!(
        text.contains("first-crate") && text.contains("second-crate"),
        "{text}"
    );
}

#[test]
fn factory_errors_name_the_element_and_type() {
    let app = AppDir::new();
    app.echo("tests/E", "hi");
    let failing = Implementation::new(
        "tests.EchoType",
        ImplementationOrigin::Runtime("test".to_owned()),
        Arc::new(|_: &BuildContext<'_>| -> Result<ElementObject, BoxError> {
            Err("endpoint unreachable".into())
        }),
    );
    let opened = App::builder(app.path())
        .implementation(failing)
        .open()
        .expect("opens");
    let text = error_text(opened.get_element("tests.E"));
    assert_eq!(
        text,
        "element tests.E (type tests.EchoType): endpoint unreachable"
    );
}

#[test]
fn config_errors_raised_by_a_factory_are_located() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        r#"{"title": "e", "type": "tests.EchoType"}"#,
        Some("{\n \"greeting\": \"hi\",\n \"region\": \"mars-1\"\n}"),
    );
    let validating = Implementation::new(
        "tests.EchoType",
        ImplementationOrigin::Runtime("test".to_owned()),
        Arc::new(
            |ctx: &BuildContext<'_>| -> Result<ElementObject, BoxError> {
                let region = ctx.config()["region"].as_str().unwrap_or_default();
                Err(ctx
                    .config_error(Some("region"), format!("unknown region {region}"))
                    .into())
            },
        ),
    );
    let opened = App::builder(app.path())
        .implementation(validating)
        .open()
        .expect("opens");
    let text = error_text(opened.get_element("tests.E"));
    assert!(
        text.contains("tests/E/E.json:3:2: field `region` unknown region mars-1"),
        "{text}"
    );
}

#[test]
fn run_time_instances_are_returned_by_get_element() {
    let app = AppDir::new();
    app.echo("tests/E", "hi");
    let opened = open(&app);
    opened
        .register_instance("tests.FromSts", "tests.EchoType", Arc::new(7u32))
        .expect("registers");
    assert_eq!(
        opened
            .get_element_as::<u32>("tests.FromSts")
            .expect("found"),
        7
    );
    assert!(opened.is_loaded("tests.FromSts"));
    let text = error_text(opened.register_instance("tests.E", "tests.EchoType", Arc::new(1u32)));
    assert!(text.contains("cannot register element tests.E"), "{text}");
    let text =
        error_text(opened.register_instance("tests.FromSts", "tests.EchoType", Arc::new(1u32)));
    assert!(text.contains("already registered"), "{text}");
}

struct CountingSource {
    calls: AtomicUsize,
}

impl ImplementationSource for CountingSource {
    fn implementations_for(
        &self,
        type_element: &Element,
        _app_root: &Path,
    ) -> Result<Vec<Implementation>, ElementError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if type_element.define().backend_bundle_entry.as_deref() != Some("lib/libplugin.so") {
            return Ok(Vec::new());
        }
        Ok(vec![Implementation::new(
            type_element.full_name(),
            ImplementationOrigin::Plugin(
                type_element.dir().expect("folder").join("lib/libplugin.so"),
            ),
            Arc::new(
                |ctx: &BuildContext<'_>| -> Result<ElementObject, BoxError> {
                    Ok(Arc::new(format!("plugin built {}", ctx.full_name())))
                },
            ),
        )])
    }
}

#[test]
fn implementation_sources_are_consulted_lazily_once_per_type() {
    let app = AppDir::new();
    app.element(
        "tests/PluginType",
        r#"{"title": "p", "type": "tests.Meta", "backendBundleEntry": "lib/libplugin.so"}"#,
        None,
    )
    .element(
        "tests/One",
        r#"{"title": "1", "type": "tests.PluginType"}"#,
        Some("{}"),
    )
    .element(
        "tests/Two",
        r#"{"title": "2", "type": "tests.PluginType"}"#,
        Some("{}"),
    );
    let source = Arc::new(CountingSource {
        calls: AtomicUsize::new(0),
    });
    let opened = App::builder(app.path())
        .implementation_source(source.clone())
        .open()
        .expect("opens");
    assert_eq!(
        source.calls.load(Ordering::SeqCst),
        0,
        "nothing loaded at open"
    );
    let one: String = opened.get_element_as("tests.One").expect("builds");
    assert_eq!(one, "plugin built tests.One");
    let two: String = opened.get_element_as("tests.Two").expect("builds");
    assert_eq!(two, "plugin built tests.Two");
    assert_eq!(source.calls.load(Ordering::SeqCst), 1);
}
