//! Two non-built-in registrations for one Type fullName are an error naming both.

use std::sync::Arc;

use jitstore_element::{register_type, App, BoxError, BuildContext, ElementError, ElementObject};

mod first {
    use super::*;
    pub fn build(_ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
        Ok(Arc::new("first".to_owned()))
    }
    register_type!("demo.TwiceType", build);
}

mod second {
    use super::*;
    pub fn build(_ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
        Ok(Arc::new("second".to_owned()))
    }
    register_type!("demo.TwiceType", build);
}

fn build_builtin(_ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    Ok(Arc::new("built-in".to_owned()))
}
register_type!(builtin "demo.OnceType", build_builtin);

fn build_override(_ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    Ok(Arc::new("override".to_owned()))
}
register_type!("demo.OnceType", build_override);

fn app() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in [
        ("demo/Meta/e.json", r#"{"title": "Demo", "type": ""}"#),
        (
            "demo/TwiceType/e.json",
            r#"{"title": "Twice", "type": "demo.Meta"}"#,
        ),
        (
            "demo/OnceType/e.json",
            r#"{"title": "Once", "type": "demo.Meta"}"#,
        ),
        (
            "demo/Thing/e.json",
            r#"{"title": "Thing", "type": "demo.TwiceType"}"#,
        ),
        ("demo/Thing/Thing.json", "{}"),
        (
            "demo/Other/e.json",
            r#"{"title": "Other", "type": "demo.OnceType"}"#,
        ),
        ("demo/Other/Other.json", "{}"),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
        std::fs::write(path, text).expect("writes");
    }
    let app = App::open(dir.path()).expect("opens");
    (dir, app)
}

#[test]
fn two_host_registrations_for_one_type_are_an_error_naming_both() {
    let (_dir, app) = app();
    let error = app.get_element("demo.Thing").expect_err("conflict");
    let text = error.to_string();
    assert!(
        matches!(error, ElementError::ConflictingImplementations { .. }),
        "{text}"
    );
    assert!(text.contains("demo.TwiceType"), "{text}");
    assert!(text.contains("custom_type_conflict::first"), "{text}");
    assert!(text.contains("custom_type_conflict::second"), "{text}");
}

#[test]
fn a_host_registration_overrides_the_built_in_one() {
    let (_dir, app) = app();
    let built: String = app.get_element_as("demo.Other").expect("builds");
    assert_eq!(built, "override");
}
