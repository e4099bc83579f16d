//! Discovery, app layers (`extends`), overrides and `accessModifier`.

mod common;

use common::{error_text, open, AppDir, Echo, EchoApp};
use jitstore_element::{App, ElementKind};

#[test]
fn discovers_elements_with_fullnames_from_folders() {
    let app = AppDir::new();
    app.echo("tests/A", "a")
        .echo("tests/deep/er/B", "b")
        .file(
            "tests/Composite/backend/e.json",
            r#"{"title": "c", "type": "tests.EchoType"}"#,
        )
        .file(
            "tests/Composite/backend/Composite.json",
            r#"{"greeting": "c"}"#,
        )
        .echo(".hidden/X", "x")
        .echo("appData/Y", "y")
        .echo("target/Z", "z");
    let opened = open(&app);
    let names: Vec<&str> = opened
        .elements()
        .into_iter()
        .filter(|e| e.layer() == 0)
        .map(|e| e.full_name())
        .collect();
    assert_eq!(names, ["tests.A", "tests.Composite", "tests.deep.er.B"]);
    let echo: Echo = opened.get_element_as("tests.Composite").expect("builds");
    assert_eq!(echo.config.greeting, "c");
}

#[test]
fn frontend_and_backend_for_one_name_is_a_duplicate_error() {
    let app = AppDir::new();
    app.echo("tests/Twice", "one").file(
        "tests/Twice/backend/e.json",
        r#"{"title": "again", "type": "tests.EchoType"}"#,
    );
    let text = error_text(App::open(app.path()));
    assert!(text.contains("tests.Twice is defined twice"), "{text}");
}

#[test]
fn nested_app_folders_are_not_part_of_the_app() {
    let app = AppDir::new();
    app.echo("tests/A", "a")
        .file("fixtures/other/app.json", "{}")
        .file("fixtures/other/tests/Broken/e.json", "{ not json");
    let opened = open(&app);
    assert!(opened.element("fixtures.other.tests.Broken").is_err());
    assert!(opened.element("tests.A").is_ok());
}

#[test]
fn child_app_overrides_parent_by_fullname_and_inherits_the_rest() {
    let base = AppDir::new();
    base.echo("tests/Shared", "from base")
        .echo("tests/OnlyBase", "base only");
    let child = AppDir::new();
    child
        .file(
            "app.json",
            &format!(r#"{{"extends": ["{}"]}}"#, base.path().display()),
        )
        .echo("tests/Shared", "from child");
    let opened = open(&child);
    let shared: Echo = opened.get_element_as("tests.Shared").expect("shared");
    assert_eq!(shared.config.greeting, "from child");
    let inherited: Echo = opened.get_element_as("tests.OnlyBase").expect("inherited");
    assert_eq!(inherited.config.greeting, "base only");
    assert_eq!(opened.layers().len(), 2);
    assert_eq!(opened.element("tests.OnlyBase").expect("define").layer(), 1);
}

#[test]
fn extends_order_is_kept_and_recursive() {
    // child extends [first, second]; first extends [grand]. Nearest wins: child, first,
    // grand, second.
    let grand = AppDir::new();
    grand.echo("tests/X", "grand").echo("tests/G", "grand only");
    let first = AppDir::new();
    first.file(
        "app.json",
        &format!(r#"{{"extends": ["{}"]}}"#, grand.path().display()),
    );
    let second = AppDir::new();
    second
        .echo("tests/X", "second")
        .echo("tests/S", "second only");
    let child = AppDir::new();
    child.file(
        "app.json",
        &format!(
            r#"{{"extends": ["{}", "{}"]}}"#,
            first.path().display(),
            second.path().display()
        ),
    );
    let opened = open(&child);
    let x: Echo = opened.get_element_as("tests.X").expect("x");
    assert_eq!(x.config.greeting, "grand");
    assert!(opened.get_element("tests.G").is_ok());
    assert!(opened.get_element("tests.S").is_ok());
    assert_eq!(opened.layers().len(), 4);
}

#[test]
fn extends_paths_are_relative_to_the_declaring_app() {
    let root = AppDir::new();
    root.echo("base/tests/FromBase", "base")
        .file("apps/child/app.json", r#"{"extends": ["../../base"]}"#);
    let opened = App::open(root.path().join("apps/child")).expect("opens");
    assert!(opened.get_element("tests.FromBase").is_ok());
}

#[test]
fn an_extends_cycle_is_an_error_naming_the_apps() {
    let root = AppDir::new();
    root.file("a/app.json", r#"{"extends": ["../b"]}"#)
        .file("b/app.json", r#"{"extends": ["../a"]}"#);
    let text = error_text(App::open(root.path().join("a")));
    assert!(text.contains("extends cycle"), "{text}");
    assert!(text.contains("/a") && text.contains("/b"), "{text}");
}

#[test]
fn a_missing_extends_path_is_an_error_naming_app_json_and_path() {
    let app = AppDir::new();
    app.file("app.json", r#"{"extends": ["../does-not-exist"]}"#);
    let text = error_text(App::open(app.path()));
    assert!(text.contains("app.json"), "{text}");
    assert!(
        text.contains("extends `../does-not-exist` does not exist"),
        "{text}"
    );
}

#[test]
fn a_malformed_app_json_reports_line_and_column() {
    let app = AppDir::new();
    app.file("app.json", "{\n  \"extends\": [\n}");
    let text = error_text(App::open(app.path()));
    assert!(text.contains("app.json:3:1"), "{text}");
    assert!(text.contains("malformed JSON"), "{text}");
}

#[test]
fn private_parent_elements_are_invisible_to_the_child_but_usable_inside_the_parent() {
    let base = AppDir::new();
    base.element(
        "tests/SecretType",
        r#"{"title": "t", "type": "tests.EchoType", "accessModifier": "private"}"#,
        Some(r#"{"greeting": "type default"}"#),
    )
    .element(
        "tests/BaseUser",
        r#"{"title": "u", "type": "tests.SecretType"}"#,
        Some(r#"{"port": 1}"#),
    );
    let child = AppDir::new();
    child
        .file(
            "app.json",
            &format!(r#"{{"extends": ["{}"]}}"#, base.path().display()),
        )
        .element(
            "tests/ChildUser",
            r#"{"title": "c", "type": "tests.SecretType"}"#,
            Some(r#"{"greeting": "x"}"#),
        );
    let opened = open(&child);
    let text = error_text(opened.get_element("tests.SecretType"));
    assert!(text.contains("tests.SecretType not found"), "{text}");
    assert!(text.contains("private"), "{text}");
    assert!(opened.define("tests.SecretType").is_none());
    // The parent's own instance still resolves through its private Type.
    let user: Echo = opened.get_element_as("tests.BaseUser").expect("base user");
    assert_eq!(user.config.greeting, "type default");
    // The child cannot use it as a Type.
    let text = error_text(opened.get_element("tests.ChildUser"));
    assert!(
        text.contains("tests.ChildUser") && text.contains("type tests.SecretType is private"),
        "{text}"
    );
    // In the parent app itself the private element is visible (a Type, so not built itself).
    assert!(open(&base).element("tests.SecretType").is_ok());
}

#[test]
fn protected_parent_elements_cannot_be_overridden() {
    let base = AppDir::new();
    base.element(
        "tests/Locked",
        r#"{"title": "l", "type": "tests.EchoType", "accessModifier": "protected"}"#,
        Some(r#"{"greeting": "base"}"#),
    );
    let child = AppDir::new();
    child.file(
        "app.json",
        &format!(r#"{{"extends": ["{}"]}}"#, base.path().display()),
    );
    // Usable when not overridden.
    let echo: Echo = open(&child).get_element_as("tests.Locked").expect("usable");
    assert_eq!(echo.config.greeting, "base");
    child.echo("tests/Locked", "child");
    let text = error_text(App::open(child.path()));
    assert!(text.contains("tests.Locked is protected"), "{text}");
    assert!(
        text.contains(&base.path().display().to_string())
            && text.contains(&child.path().display().to_string()),
        "{text}"
    );
}

#[test]
fn apps_override_framework_elements() {
    let app = AppDir::new();
    app.element(
        "tests/EchoType",
        r#"{"title": "my echo", "type": "tests.Meta"}"#,
        Some(r#"{"greeting": "app-level default"}"#),
    )
    .element(
        "tests/I",
        r#"{"title": "i", "type": "tests.EchoType"}"#,
        Some("{}"),
    );
    let opened = open(&app);
    assert_eq!(
        opened.element("tests.EchoType").expect("e").title(),
        "my echo"
    );
    let echo: Echo = opened.get_element_as("tests.I").expect("builds");
    assert_eq!(echo.config.greeting, "app-level default");
}

#[test]
fn kinds_are_derived_from_the_chain() {
    let app = AppDir::new();
    app.element(
        "tests/CompanyEcho",
        r#"{"title": "c", "type": "tests.EchoType"}"#,
        None,
    )
    .element(
        "tests/I",
        r#"{"title": "i", "type": "tests.CompanyEcho"}"#,
        None,
    );
    let opened = open(&app);
    let kind = |n: &str| opened.element(n).expect("exists").kind();
    assert_eq!(kind("tests.Meta"), ElementKind::Meta);
    assert_eq!(kind("tests.EchoType"), ElementKind::Type);
    assert_eq!(kind("tests.CompanyEcho"), ElementKind::Type);
    assert_eq!(kind("tests.I"), ElementKind::Instance);
}

#[test]
fn a_leaf_folder_holding_app_json_is_a_nested_app() {
    let app = AppDir::new();
    app.echo("tests/A", "a")
        .echo("tests/NestedApp", "n")
        .file("tests/NestedApp/app.json", "{}");
    let opened = open(&app);
    assert!(opened.element("tests.A").is_ok());
    assert!(opened.element("tests.NestedApp").is_err());
}

#[test]
fn elements_nested_inside_element_folders_are_found() {
    let app = AppDir::new();
    app.echo("tests/Outer", "outer")
        .echo("tests/Outer/Inner", "inner");
    let opened = open(&app);
    let inner: Echo = opened
        .get_element_as("tests.Outer.Inner")
        .expect("nested element");
    assert_eq!(inner.config.greeting, "inner");
    assert!(opened.get_element("tests.Outer").is_ok());
}
