//! Business config: `<Name>.json`, Type defaults, `{{VAR}}` substitution, declared variables,
//! and typed-parse errors naming the element, the Type, the file and the field.

mod common;

use common::{error_text, AppDir, Echo, Limits};
use jitstore_element::{App, ElementError};

fn open_with(app: &AppDir, vars: &[(&str, &str)]) -> App {
    App::builder(app.path())
        .env(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .open()
        .expect("app opens")
}

const ECHO: &str = r#"{"title": "e", "type": "tests.EchoType", "backendBundleEntry": "."}"#;

#[test]
fn placeholders_are_filled_from_the_app_environment() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        ECHO,
        Some(r#"{"greeting": "hello {{WHO}}", "port": {{PORT}}}"#),
    );
    let echo: Echo = open_with(&app, &[("WHO", "wo\"rld"), ("PORT", "8080")])
        .get_element_as("tests.E")
        .expect("builds");
    assert_eq!(echo.config.greeting, "hello wo\"rld");
    assert_eq!(echo.config.port, 8080);
}

#[test]
fn placeholders_use_the_process_environment_by_default() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        ECHO,
        Some(r#"{"greeting": "{{CARGO_PKG_NAME}}"}"#),
    );
    // Cargo sets CARGO_PKG_NAME for test processes.
    std::env::var("CARGO_PKG_NAME").expect("set by cargo");
    let echo: Echo = App::open(app.path())
        .expect("opens")
        .get_element_as("tests.E")
        .expect("builds");
    assert_eq!(
        echo.config.greeting,
        std::env::var("CARGO_PKG_NAME").expect("set")
    );
}

#[test]
fn a_missing_variable_is_an_error_naming_variable_and_element() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        ECHO,
        Some(r#"{"greeting": "{{NOT_SET_ANYWHERE}}"}"#),
    );
    let error = open_with(&app, &[])
        .get_element("tests.E")
        .expect_err("unset");
    assert!(matches!(error, ElementError::MissingVariable { .. }));
    let text = error.to_string();
    assert!(
        text.contains(
            "element tests.E (type tests.EchoType): variable NOT_SET_ANYWHERE is not set"
        ),
        "{text}"
    );
    assert!(text.contains("tests/E/E.json"), "{text}");
}

#[test]
fn declared_variable_defaults_apply_and_the_environment_wins() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        r#"{"title": "e", "type": "tests.EchoType",
            "variables": [{"name": "GREETING", "value": "default greeting"},
                          {"name": "REGION", "value": "cn-hangzhou"}]}"#,
        Some(r#"{"greeting": "{{GREETING}}", "region": "{{REGION}}"}"#),
    );
    let echo: Echo = open_with(&app, &[("REGION", "cn-beijing")])
        .get_element_as("tests.E")
        .expect("builds");
    assert_eq!(echo.config.greeting, "default greeting");
    assert_eq!(echo.config.region.as_deref(), Some("cn-beijing"));
}

#[test]
fn a_required_variable_without_value_is_an_error_even_if_unused() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        r#"{"title": "e", "type": "tests.EchoType", "variables": [{"name": "OSS_SK", "required": 1}]}"#,
        Some(r#"{"greeting": "hi"}"#),
    );
    let text = error_text(open_with(&app, &[]).get_element("tests.E"));
    assert!(text.contains("element tests.E"), "{text}");
    assert!(text.contains("variable OSS_SK is not set"), "{text}");
    assert!(open_with(&app, &[("OSS_SK", "s")])
        .get_element("tests.E")
        .is_ok());
}

#[test]
fn type_defaults_are_inherited_and_instance_values_win() {
    let app = AppDir::new();
    app.element(
        "tests/CompanyEcho",
        r#"{"title": "c", "type": "tests.EchoType", "variables": [{"name": "REGION", "value": "cn-shanghai"}]}"#,
        Some(r#"{"greeting": "company default", "region": "{{REGION}}", "port": 1, "limits": {"max": 5}}"#),
    )
    .element(
        "tests/Team",
        r#"{"title": "t", "type": "tests.CompanyEcho"}"#,
        Some(r#"{"port": 2}"#),
    );
    let echo: Echo = open_with(&app, &[])
        .get_element_as("tests.Team")
        .expect("builds");
    assert_eq!(echo.config.greeting, "company default");
    assert_eq!(echo.config.region.as_deref(), Some("cn-shanghai"));
    assert_eq!(echo.config.port, 2);
    assert_eq!(echo.config.limits, Some(Limits { max: 5 }));
}

#[test]
fn a_missing_config_file_is_an_error_naming_it() {
    let app = AppDir::new();
    app.element("tests/NoConfig", ECHO, None);
    let text = error_text(open_with(&app, &[]).get_element("tests.NoConfig"));
    assert!(
        text.contains("element tests.NoConfig (type tests.EchoType): missing config file"),
        "{text}"
    );
    assert!(text.contains("tests/NoConfig/NoConfig.json"), "{text}");
}

#[test]
fn a_malformed_config_reports_file_line_and_column() {
    let app = AppDir::new();
    app.element("tests/E", ECHO, Some("{\n  \"greeting\": \"hi\",\n}"));
    let text = error_text(open_with(&app, &[]).get_element("tests.E"));
    assert!(text.contains("tests/E/E.json:3:1"), "{text}");
    assert!(text.contains("malformed JSON"), "{text}");
}

#[test]
fn a_config_field_of_the_wrong_json_type_is_named_with_its_position() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        ECHO,
        Some("{\n  \"greeting\": \"hi\",\n  \"port\": \"eighty\"\n}"),
    );
    let error = open_with(&app, &[])
        .get_element("tests.E")
        .expect_err("wrong type");
    let ElementError::Config(issue) = &error else {
        panic!("expected a config error, got {error}");
    };
    assert_eq!(issue.field.as_deref(), Some("port"));
    assert_eq!(issue.location.position.map(|p| p.line), Some(3));
    let text = error.to_string();
    assert!(
        text.contains("element tests.E (type tests.EchoType)"),
        "{text}"
    );
    assert!(text.contains("tests/E/E.json:3:"), "{text}");
    assert!(text.contains("field `port`"), "{text}");
}

#[test]
fn an_unknown_config_field_is_named() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        ECHO,
        Some("{\n  \"greeting\": \"hi\",\n  \"greting\": \"typo\"\n}"),
    );
    let text = error_text(open_with(&app, &[]).get_element("tests.E"));
    assert!(text.contains("tests/E/E.json:3:"), "{text}");
    assert!(text.contains("field `greting`"), "{text}");
    assert!(text.contains("unknown field"), "{text}");
}

#[test]
fn a_nested_unknown_field_in_type_defaults_names_the_type_file() {
    let app = AppDir::new();
    app.element(
        "tests/CompanyEcho",
        r#"{"title": "c", "type": "tests.EchoType"}"#,
        Some("{\"greeting\": \"g\",\n \"limits\": {\"max\": 1, \"min\": 0}}"),
    )
    .element(
        "tests/Team",
        r#"{"title": "t", "type": "tests.CompanyEcho"}"#,
        Some(r#"{"port": 2}"#),
    );
    let text = error_text(open_with(&app, &[]).get_element("tests.Team"));
    assert!(
        text.contains("element tests.Team (type tests.CompanyEcho -> tests.EchoType)"),
        "{text}"
    );
    assert!(
        text.contains("tests/CompanyEcho/CompanyEcho.json:2:"),
        "{text}"
    );
    assert!(text.contains("field `limits.min`"), "{text}");
}

#[test]
fn a_missing_required_config_field_is_named() {
    let app = AppDir::new();
    app.element("tests/E", ECHO, Some(r#"{"port": 1}"#));
    let text = error_text(open_with(&app, &[]).get_element("tests.E"));
    assert!(text.contains("field `greeting`"), "{text}");
    assert!(text.contains("missing field"), "{text}");
}

#[test]
fn substituted_values_never_appear_in_config_errors() {
    let app = AppDir::new();
    app.element(
        "tests/E",
        ECHO,
        Some(r#"{"greeting": "hi", "port": "{{SECRET_PORT}}"}"#),
    );
    let text =
        error_text(open_with(&app, &[("SECRET_PORT", "s3cr3t-value")]).get_element("tests.E"));
    assert!(!text.contains("s3cr3t-value"), "{text}");
    assert!(text.contains("field `port`"), "{text}");
}

#[test]
fn positions_refer_to_the_file_as_written() {
    let app = AppDir::new();
    // The long substituted value precedes the bad field on the same line.
    app.element(
        "tests/E",
        ECHO,
        Some(r#"{"greeting": "{{LONG}}", "port": true}"#),
    );
    let long = "x".repeat(100);
    let error = open_with(&app, &[("LONG", long.as_str())])
        .get_element("tests.E")
        .expect_err("bad port");
    let ElementError::Config(issue) = error else {
        panic!("config error expected");
    };
    let column = issue.location.position.expect("position").column;
    assert!(
        column < 45,
        "column {column} should point into the file as written"
    );
}
