//! Registry diagnostics: field names of missing config fields, declared chains in errors,
//! Type/Meta/Instance classification, private Types, app.json keys, `{{ VAR }}` placeholders,
//! and depth (long `extends` chains, deeply nested JSON) never crashing the registry.

mod common;

use common::{error_text, open, AppDir, Echo, EchoApp};
use jitstore_element::{App, ElementKind, Env};

fn open_with(app: &AppDir, vars: &[(&str, &str)]) -> App {
    App::builder(app.path())
        .with_env(Env::from_map(vars.iter().copied()))
        .open()
        .expect("app opens")
}

#[test]
fn a_missing_field_is_reported_under_its_own_name() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        r#"{"title": "e", "type": "tests.EchoType"}"#,
        Some(r#"{"port": 8080, "region": "cn-hangzhou"}"#),
    );
    let text = error_text(open(&app).get_element("tests.E"));
    assert!(
        text.contains("field `greeting` missing field `greeting`"),
        "{text}"
    );
    assert!(!text.contains("region.greeting"), "{text}");
}

#[test]
fn a_missing_nested_field_is_reported_under_its_path() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        r#"{"title": "e", "type": "tests.EchoType"}"#,
        Some(r#"{"greeting": "g", "limits": {}}"#),
    );
    let text = error_text(open(&app).get_element("tests.E"));
    assert!(
        text.contains("field `limits.max` missing field `max`"),
        "{text}"
    );
}

#[test]
fn errors_name_the_declared_chain_up_to_the_implementing_type() {
    let app = AppDir::new();
    app.element(
        "tests/CompanyEcho",
        r#"{"title": "c", "type": "tests.EchoType"}"#,
        Some(r#"{"port": 9000}"#),
    )
    .element(
        "tests/Team",
        r#"{"title": "t", "type": "tests.CompanyEcho"}"#,
        Some(r#"{"region": "{{TEAM_REGION}}"}"#),
    )
    .element(
        "tests/Crew",
        r#"{"title": "t", "type": "tests.CompanyEcho"}"#,
        Some(r#"{"region": "x"}"#),
    );
    let opened = open(&app);
    let text = error_text(opened.get_element("tests.Team"));
    assert!(
        text.contains("element tests.Team (type tests.CompanyEcho -> tests.EchoType): variable TEAM_REGION is not set"),
        "{text}"
    );
    let text = error_text(opened.get_element("tests.Crew"));
    assert!(
        text.contains("element tests.Crew (type tests.CompanyEcho -> tests.EchoType)"),
        "{text}"
    );
    assert!(text.contains("missing field `greeting`"), "{text}");
}

#[test]
fn get_element_of_a_type_says_it_is_a_type() {
    let app = AppDir::new();
    app.echo("tests/A", "a");
    let text = error_text(open(&app).get_element("tests.EchoType"));
    assert!(text.contains("tests.EchoType is a Type"), "{text}");
    assert!(!text.contains("is a Meta"), "{text}");
}

#[test]
fn an_instance_whose_type_is_a_meta_is_an_instance_that_fails() {
    let app = AppDir::new();
    app.element(
        "tests/Direct",
        r#"{"title": "d", "type": "tests.Meta"}"#,
        Some(r#"{"greeting": "g"}"#),
    );
    let opened = open(&app);
    assert_eq!(
        opened.element("tests.Direct").expect("declared").kind(),
        ElementKind::Instance
    );
    let text = error_text(opened.get_element("tests.Direct"));
    assert!(text.contains("its type tests.Meta is a Meta"), "{text}");
}

#[test]
fn a_declared_type_with_defaults_and_no_instance_is_a_type() {
    let app = AppDir::new();
    app.element(
        "tests/CompanyEcho",
        r#"{"title": "c", "type": "tests.EchoType", "elementKind": "Type"}"#,
        Some(r#"{"port": 9000}"#),
    );
    let opened = open(&app);
    assert_eq!(
        opened
            .element("tests.CompanyEcho")
            .expect("declared")
            .kind(),
        ElementKind::Type
    );
}

#[test]
fn an_unknown_element_kind_is_refused_with_its_field() {
    let app = AppDir::new();
    app.element(
        "tests/Odd",
        r#"{"title": "o", "type": "tests.EchoType", "elementKind": "Widget"}"#,
        Some(r#"{"greeting": "g"}"#),
    );
    let text = error_text(App::open(app.path()));
    assert!(text.contains("elementKind"), "{text}");
    assert!(text.contains("Widget"), "{text}");
}

#[test]
fn an_instance_of_a_private_type_of_another_app_says_the_type_is_private() {
    let base = AppDir::new();
    base.element(
        "tests/SecretType",
        r#"{"title": "s", "type": "tests.EchoType", "accessModifier": "private"}"#,
        Some(r#"{"port": 1}"#),
    )
    .element(
        "tests/BaseUser",
        r#"{"title": "b", "type": "tests.SecretType"}"#,
        Some(r#"{"greeting": "base"}"#),
    );
    let child = AppDir::new();
    child
        .file(
            "app.json",
            &format!(
                r#"{{"extends": [{:?}]}}"#,
                base.path().display().to_string()
            ),
        )
        .element(
            "tests/Mine",
            r#"{"title": "m", "type": "tests.SecretType"}"#,
            Some(r#"{"greeting": "mine"}"#),
        );
    let opened = open(&child);
    let base_user: Echo = opened
        .get_element_as("tests.BaseUser")
        .expect("the parent's own elements still use it");
    assert_eq!(base_user.config.port, 1);
    let text = error_text(opened.get_element("tests.Mine"));
    assert!(text.contains("tests.SecretType is private"), "{text}");
    assert!(!text.contains("is not defined"), "{text}");
}

#[test]
fn an_unknown_app_json_key_is_reported_with_a_suggestion() {
    let base = AppDir::new();
    base.echo("tests/Base", "b");
    let app = AppDir::new();
    app.file(
        "app.json",
        &format!(r#"{{"extend": [{:?}]}}"#, base.path().display().to_string()),
    );
    let text = error_text(App::open(app.path()));
    assert!(text.contains("app.json"), "{text}");
    assert!(text.contains("unknown key `extend`"), "{text}");
    assert!(text.contains("did you mean `extends`"), "{text}");
}

#[test]
fn jitai_app_json_keys_are_accepted() {
    let app = AppDir::new();
    app.file(
        "app.json",
        r#"{"appId": "wanyun.Demo", "name": "Demo", "title": "Demo", "version": "1.0.0",
            "orgId": "wanyun", "icon": "x.svg", "theme": {}, "encrypted": 0, "extends": [],
            "settings": {"defaultElement": {"defaultStorage": "storages.Default"}}}"#,
    )
    .echo("tests/A", "a");
    let opened = open(&app);
    assert_eq!(
        opened.default_element("defaultStorage"),
        Some("storages.Default")
    );
}

#[test]
fn a_placeholder_with_inner_spaces_is_trimmed_and_filled() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        r#"{"title": "e", "type": "tests.EchoType"}"#,
        Some(r#"{"greeting": "{{ GREETING }}", "port": {{	PORT }}}"#),
    );
    let opened = open_with(&app, &[("GREETING", "hello"), ("PORT", "8080")]);
    let echo: Echo = opened.get_element_as("tests.E").expect("filled");
    assert_eq!(echo.config.greeting, "hello");
    assert_eq!(echo.config.port, 8080);
}

/// Writes `count` apps `a0 -> a1 -> ... -> a{count-1}` under `root`, the last one holding an
/// element.
fn extends_chain(root: &std::path::Path, count: usize) {
    for index in 0..count {
        let dir = root.join(format!("a{index}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        if index + 1 < count {
            std::fs::write(
                dir.join("app.json"),
                format!(r#"{{"extends": ["../a{}"]}}"#, index + 1),
            )
            .expect("app.json");
        }
    }
    let last = root.join(format!("a{}/tests/Deep", count - 1));
    std::fs::create_dir_all(&last).expect("mkdir");
    std::fs::write(
        last.join("e.json"),
        r#"{"title": "d", "type": "tests.EchoType"}"#,
    )
    .expect("e.json");
    std::fs::write(last.join("Deep.json"), r#"{"greeting": "deep"}"#).expect("config");
}

#[test]
fn an_extends_chain_of_ten_thousand_apps_opens_without_overflowing_the_stack() {
    let root = tempfile::tempdir().expect("temp");
    extends_chain(root.path(), 10_000);
    let opened = App::builder(root.path().join("a0"))
        .with_env(Env::from_map::<String, String>([]))
        .open()
        .expect("opens");
    assert_eq!(opened.layers().len(), 10_000);
    let deep: Echo = opened.get_element_as("tests.Deep").expect("inherited");
    assert_eq!(deep.config.greeting, "deep");
}

#[test]
fn a_long_type_chain_resolves_iteratively() {
    let app = AppDir::new();
    let count = 1_000;
    for index in 0..count {
        let parent = if index + 1 == count {
            "tests.EchoType".to_owned()
        } else {
            format!("tests.T{}", index + 1)
        };
        app.element(
            &format!("tests/T{index}"),
            &format!(r#"{{"title": "t", "type": "{parent}"}}"#),
            None,
        );
    }
    app.element(
        "tests/T0",
        r#"{"title": "t", "type": "tests.T1"}"#,
        Some(r#"{"greeting": "far"}"#),
    );
    let opened = open(&app);
    assert_eq!(opened.chain("tests.T0").expect("resolves").len(), count + 2);
    let echo: Echo = opened.get_element_as("tests.T0").expect("builds");
    assert_eq!(echo.implementing_type, "tests.EchoType");
}

#[test]
fn deeply_nested_json_is_an_error_naming_the_file_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let app = AppDir::new();
    app.element(
        "tests/E",
        r#"{"title": "e", "type": "tests.EchoType"}"#,
        Some(&format!(r#"{{"greeting": "g", "limits": {deep}}}"#)),
    );
    let text = error_text(open(&app).get_element("tests.E"));
    assert!(text.contains("E.json"), "{text}");
    assert!(text.contains("recursion limit"), "{text}");

    let app = AppDir::new();
    app.file(
        "tests/Nested/e.json",
        &format!(r#"{{"title": "n", "type": "tests.EchoType", "icon": {deep}}}"#),
    );
    let text = error_text(App::open(app.path()));
    assert!(text.contains("e.json"), "{text}");
    assert!(text.contains("recursion limit"), "{text}");
}
