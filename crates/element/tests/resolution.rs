//! Instance -> Type -> ... -> Meta resolution, walk-up to the nearest implementation, and the
//! bad declarations that must be reported with the element, the chain and the file.

mod common;

use common::{error_text, open, AppDir, Echo, EchoApp};
use jitstore_element::App;

#[test]
fn an_instance_uses_the_nearest_type_with_an_implementation() {
    let app = AppDir::new();
    app.element(
        "tests/CompanyEcho",
        r#"{"title": "company", "type": "tests.EchoType"}"#,
        None,
    )
    .element(
        "tests/TeamEcho",
        r#"{"title": "team", "type": "tests.CompanyEcho"}"#,
        None,
    )
    .element(
        "tests/Mine",
        r#"{"title": "mine", "type": "tests.TeamEcho"}"#,
        Some(r#"{"greeting": "hi"}"#),
    );
    let opened = open(&app);
    let echo: Echo = opened.get_element_as("tests.Mine").expect("builds");
    assert_eq!(echo.implementing_type, "tests.EchoType");
    assert_eq!(
        echo.chain,
        [
            "tests.Mine",
            "tests.TeamEcho",
            "tests.CompanyEcho",
            "tests.EchoType",
            "tests.Meta"
        ]
    );
    let loaded = opened.get_element("tests.Mine").expect("cached");
    assert_eq!(&**loaded.type_name(), "tests.EchoType");
    let chain: Vec<&str> = opened
        .chain("tests.Mine")
        .expect("chain")
        .iter()
        .map(|e| e.full_name())
        .collect();
    assert_eq!(chain.len(), 5);
}

#[test]
fn a_malformed_e_json_reports_file_line_and_column() {
    let app = AppDir::new();
    app.file(
        "tests/Bad/e.json",
        "{\n  \"title\": \"bad\",\n  \"type\": \"tests.EchoType\"\n  \"oops\": 1\n}",
    );
    let text = error_text(App::open(app.path()));
    assert!(text.contains("tests/Bad/e.json:4:3"), "{text}");
    assert!(
        text.contains("malformed JSON (element tests.Bad)"),
        "{text}"
    );
}

#[test]
fn an_e_json_field_of_the_wrong_type_is_named() {
    let app = AppDir::new();
    app.file("tests/Bad/e.json", "{\"title\": \"bad\", \"type\": 42}");
    let text = error_text(App::open(app.path()));
    assert!(text.contains("field `type`"), "{text}");
    assert!(text.contains("tests/Bad/e.json:1:"), "{text}");
}

#[test]
fn a_missing_type_is_an_error_naming_the_element_and_file() {
    let app = AppDir::new();
    app.element("tests/NoType", r#"{"title": "no type"}"#, Some("{}"));
    let text = error_text(open(&app).get_element("tests.NoType"));
    assert!(
        text.contains("element tests.NoType has no `type` field"),
        "{text}"
    );
    assert!(text.contains("tests/NoType/e.json"), "{text}");
}

#[test]
fn an_unknown_type_names_the_chain_and_the_missing_name() {
    let app = AppDir::new();
    app.element(
        "tests/Mid",
        r#"{"title": "mid", "type": "tests.Nowhere"}"#,
        None,
    )
    .element(
        "tests/Dangling",
        r#"{"title": "d", "type": "tests.Mid"}"#,
        Some("{}"),
    );
    let text = error_text(open(&app).get_element("tests.Dangling"));
    assert!(
        text.contains("element tests.Dangling: type tests.Nowhere is not defined"),
        "{text}"
    );
    assert!(text.contains("chain tests.Dangling -> tests.Mid"), "{text}");
}

#[test]
fn a_type_cycle_names_the_chain() {
    let app = AppDir::new();
    app.element("tests/A", r#"{"title": "a", "type": "tests.B"}"#, None)
        .element("tests/B", r#"{"title": "b", "type": "tests.C"}"#, None)
        .element("tests/C", r#"{"title": "c", "type": "tests.B"}"#, None)
        .element(
            "tests/I",
            r#"{"title": "i", "type": "tests.A"}"#,
            Some("{}"),
        );
    let text = error_text(open(&app).get_element("tests.I"));
    assert!(
        text.contains("type cycle tests.I -> tests.A -> tests.B -> tests.C -> tests.B"),
        "{text}"
    );
}

#[test]
fn a_meta_as_an_instance_type_is_an_error() {
    let app = AppDir::new();
    app.element(
        "tests/Direct",
        r#"{"title": "d", "type": "tests.Meta"}"#,
        Some("{}"),
    );
    let text = error_text(open(&app).get_element("tests.Direct"));
    assert!(
        text.contains("element tests.Direct: its type tests.Meta is a Meta"),
        "{text}"
    );
    let text = error_text(open(&app).get_element("tests.Meta"));
    assert!(text.contains("tests.Meta is a Meta"), "{text}");
}

#[test]
fn an_instance_whose_chain_has_no_implementation_is_an_error() {
    let app = AppDir::new();
    app.element(
        "tests/Orphan",
        r#"{"title": "o", "type": "tests.NoImplType"}"#,
        Some("{}"),
    );
    let text = error_text(open(&app).get_element("tests.Orphan"));
    assert!(
        text.contains("element tests.Orphan: no implementation registered for any Type in chain tests.Orphan -> tests.NoImplType -> tests.Meta"),
        "{text}"
    );
}

#[test]
fn an_unknown_element_is_not_found() {
    let app = AppDir::new();
    let text = error_text(open(&app).get_element("tests.Nope"));
    assert_eq!(text, "element tests.Nope not found");
}

#[test]
fn instances_of_lists_instances_through_intermediate_types() {
    let app = AppDir::new();
    app.element(
        "tests/Company",
        r#"{"title": "c", "type": "tests.EchoType"}"#,
        None,
    )
    .echo("tests/Direct", "d")
    .element(
        "tests/ViaCompany",
        r#"{"title": "v", "type": "tests.Company"}"#,
        None,
    )
    .element(
        "tests/Other",
        r#"{"title": "o", "type": "tests.SlowType"}"#,
        None,
    )
    .element(
        "tests/Broken",
        r#"{"title": "b", "type": "tests.Missing"}"#,
        None,
    );
    let opened = open(&app);
    let names: Vec<&str> = opened
        .instances_of("tests.EchoType")
        .into_iter()
        .map(|e| e.full_name())
        .collect();
    assert_eq!(names, ["tests.Direct", "tests.ViaCompany"]);
    let names: Vec<&str> = opened
        .instances_of("tests.Company")
        .into_iter()
        .map(|e| e.full_name())
        .collect();
    assert_eq!(names, ["tests.ViaCompany"]);
}

#[test]
fn definitions_are_readable_without_building() {
    let app = AppDir::new();
    app.element(
        "tests/Lazy",
        r#"{"title": "Lazy one", "type": "tests.EchoType", "icon": "x.svg", "variables": [{"name": "V", "required": 1}]}"#,
        Some(r#"{"greeting": "{{V}}"}"#),
    );
    let opened = open(&app);
    let define = opened.define("tests.Lazy").expect("declared");
    assert_eq!(define.title, "Lazy one");
    assert_eq!(define.extra["icon"], "x.svg");
    assert_eq!(define.variables[0].name, "V");
    assert!(!opened.is_loaded("tests.Lazy"));
    // Building would fail (V is unset): reading the define did not try.
    assert!(opened.get_element("tests.Lazy").is_err());
}

#[test]
fn default_elements_come_from_the_nearest_app_json() {
    let base = AppDir::new();
    base.file(
        "app.json",
        r#"{"settings": {"defaultElement": {"defaultStorage": "tests.BaseStore", "defaultCache": "caches.Base"}}}"#,
    );
    let child = AppDir::new();
    child.file(
        "app.json",
        &format!(
            r#"{{"extends": ["{}"], "settings": {{"defaultElement": {{"defaultStorage": "tests.ChildStore"}}}}}}"#,
            base.path().display()
        ),
    );
    let opened = open(&child);
    assert_eq!(
        opened.default_element("defaultStorage"),
        Some("tests.ChildStore")
    );
    assert_eq!(opened.default_element("defaultCache"), Some("caches.Base"));
    assert_eq!(opened.default_element("defaultDatabase"), None);
}
