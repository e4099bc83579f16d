//! Opening an app with broken element declarations kept aside (`keep_broken`), and the
//! effective config shown for an element (Type defaults merged, placeholders kept).

mod common;

use common::{error_text, AppDir, Echo, EchoApp};
use jitstore_element::{App, ElementError, Env};

fn open_keeping_broken(app: &AppDir) -> App {
    App::builder(app.path())
        .with_env(Env::from_map([("GREETING", "hello")]))
        .keep_broken(true)
        .open()
        .expect("opens despite broken elements")
}

#[test]
fn broken_declarations_are_kept_aside_and_the_rest_still_works() {
    let app = AppDir::new();
    app.echo("tests/Good", "good")
        .file("tests/Bad/e.json", "{ not json")
        .file("tests/Worse/e.json", r#"{"title": "w", "type": 5}"#)
        .echo("tests/Twice", "one")
        .file(
            "tests/Twice/backend/e.json",
            r#"{"title": "again", "type": "tests.EchoType"}"#,
        );
    // Strict opening stops at the first problem.
    assert!(App::open(app.path()).is_err());

    let opened = open_keeping_broken(&app);
    let mut broken: Vec<(Option<String>, String)> = opened
        .broken_elements()
        .iter()
        .map(|e| (e.element().map(str::to_owned), e.to_string()))
        .collect();
    broken.sort();
    let names: Vec<Option<&str>> = broken.iter().map(|(n, _)| n.as_deref()).collect();
    assert_eq!(
        names,
        [Some("tests.Bad"), Some("tests.Twice"), Some("tests.Worse")],
        "{broken:?}"
    );
    assert!(broken[0].1.contains("malformed JSON"), "{broken:?}");
    assert!(broken[1].1.contains("defined twice"), "{broken:?}");
    assert!(broken[2].1.contains("field `type`"), "{broken:?}");
    let good: Echo = opened.get_element_as("tests.Good").expect("still builds");
    assert_eq!(good.config.greeting, "good");
    assert!(matches!(
        opened.element("tests.Twice"),
        Err(ElementError::NotFound { .. })
    ));
}

#[test]
fn an_instance_of_a_broken_type_says_the_type_is_broken() {
    let app = AppDir::new();
    app.file(
        "tests/TeamType/e.json",
        r#"{"title": "t", "type": "tests.EchoType",}"#,
    )
    .element(
        "tests/Team",
        r#"{"title": "t", "type": "tests.TeamType"}"#,
        Some(r#"{"greeting": "g"}"#),
    );
    let opened = open_keeping_broken(&app);
    assert_eq!(opened.broken_elements().len(), 1);
    let text = error_text(opened.get_element("tests.Team"));
    assert!(
        text.contains("its type tests.TeamType is left out because its declaration is broken"),
        "{text}"
    );
}

#[test]
fn the_effective_config_merges_type_defaults_and_keeps_placeholders() {
    let app = AppDir::new();
    app.element(
        "tests/CompanyEcho",
        r#"{"title": "c", "type": "tests.EchoType"}"#,
        Some(r#"{"port": {{PORT}}, "limits": {"max": 3}, "region": "cn-shanghai"}"#),
    )
    .element(
        "tests/Team",
        r#"{"title": "t", "type": "tests.CompanyEcho"}"#,
        Some(r#"{"greeting": "{{ GREETING }}", "region": "cn-beijing"}"#),
    );
    let opened = open_keeping_broken(&app);
    let config = opened
        .effective_config("tests.Team")
        .expect("readable")
        .expect("has a config");
    assert_eq!(
        config,
        serde_json::json!({
            "greeting": "{{GREETING}}",
            "port": "{{PORT}}",
            "limits": {"max": 3},
            "region": "cn-beijing"
        })
    );
    // Never the variable's value.
    assert!(!config.to_string().contains("hello"));
    // A Type shows its own defaults; a Meta has none.
    let defaults = opened
        .effective_config("tests.CompanyEcho")
        .expect("readable")
        .expect("has defaults");
    assert_eq!(defaults["region"], "cn-shanghai");
    assert_eq!(opened.effective_config("tests.Meta").expect("ok"), None);
    let text = error_text(opened.effective_config("tests.Nope"));
    assert!(text.contains("tests.Nope not found"), "{text}");
}
