//! PostObject policies: what a client signs, a server accepts; every refusal carries the OSS
//! code a real server answers with.

use chrono::{DateTime, TimeZone, Utc};
use jitstore_oss::credentials::Credentials;
use jitstore_oss::post_policy::{verify_post, PostFormFields, PostPolicy, ReceivedPost};
use jitstore_oss::sign::{SignatureVersion, Verified, VerifyPolicy};

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1701605532, 0).single().expect("time")
}

fn policy() -> PostPolicy {
    PostPolicy::new(now() + chrono::Duration::hours(1))
        .bucket("examplebucket")
        .content_length_range(1, 1024)
        .eq("success_action_status", "201")
        .starts_with("key", "user/eric/")
        .one_of("content-type", &["image/jpg", "image/png"])
        .none_of("cache-control", &["no-cache"])
}

fn form(signed: &PostFormFields, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = extra
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    f.extend(signed.fields.iter().cloned());
    f
}

const GOOD: &[(&str, &str)] = &[
    ("key", "user/eric/photo.png"),
    ("success_action_status", "201"),
    ("Content-Type", "image/png"),
    ("Cache-Control", "max-age=60"),
];

fn check(
    fields: &[(String, String)],
    size: u64,
    at: DateTime<Utc>,
    creds: &Credentials,
) -> Result<Verified, jitstore_oss::post_policy::PostPolicyError> {
    let post = ReceivedPost {
        bucket: "examplebucket",
        fields,
        file_size: size,
    };
    let lookup = |ak: &str| (ak == creds.access_key_id).then(|| creds.clone());
    verify_post(&post, &VerifyPolicy::new("cn-hangzhou", at), &lookup)
}

#[test]
fn v4_and_v1_forms_are_accepted() {
    let creds = Credentials::new("ak", "sk");
    let v4 = policy()
        .sign_v4(&creds, "cn-hangzhou", now())
        .expect("sign");
    assert_eq!(
        check(&form(&v4, GOOD), 100, now(), &creds).expect("v4 accepted"),
        Verified::Authenticated {
            access_key_id: "ak".into(),
            version: SignatureVersion::V4,
            presigned: false
        }
    );
    let v1 = policy().sign_v1(&creds);
    assert!(matches!(
        check(&form(&v1, GOOD), 100, now(), &creds),
        Ok(Verified::Authenticated {
            version: SignatureVersion::V1,
            ..
        })
    ));
    let sts = Credentials::new("ak", "sk").with_security_token("sts-token");
    let v4s = policy().sign_v4(&sts, "cn-hangzhou", now()).expect("sign");
    assert!(check(&form(&v4s, GOOD), 100, now(), &sts).is_ok());
    // The same form checked against credentials with another token fails.
    let other = Credentials::new("ak", "sk").with_security_token("other");
    assert_eq!(
        check(&form(&v4s, GOOD), 100, now(), &other)
            .unwrap_err()
            .code(),
        "InvalidAccessKeyId"
    );
}

#[test]
fn every_condition_is_enforced() {
    let creds = Credentials::new("ak", "sk");
    let v4 = policy()
        .sign_v4(&creds, "cn-hangzhou", now())
        .expect("sign");
    fn with<'a>(name: &str, value: &'a str) -> Vec<(&'a str, &'a str)> {
        GOOD.iter()
            .map(|(n, v)| {
                if n.eq_ignore_ascii_case(name) {
                    (*n, value)
                } else {
                    (*n, *v)
                }
            })
            .collect()
    }
    for (field, value) in [
        ("key", "user/bob/photo.png"),
        ("success_action_status", "200"),
        ("Content-Type", "image/gif"),
        ("Cache-Control", "no-cache"),
    ] {
        let err = check(&form(&v4, &with(field, value)), 100, now(), &creds).unwrap_err();
        assert_eq!(err.code(), "AccessDenied", "{field}={value}");
        assert_eq!(err.status(), 403);
        assert!(err.to_string().contains("Policy Condition failed"), "{err}");
    }
    assert_eq!(
        check(&form(&v4, GOOD), 1025, now(), &creds)
            .unwrap_err()
            .code(),
        "EntityTooLarge"
    );
    assert_eq!(
        check(&form(&v4, GOOD), 0, now(), &creds)
            .unwrap_err()
            .code(),
        "EntityTooSmall"
    );
    // Posting to another bucket violates {"bucket": ...}.
    let fields = form(&v4, GOOD);
    let post = ReceivedPost {
        bucket: "otherbucket",
        fields: &fields,
        file_size: 10,
    };
    let lookup = |_: &str| Some(creds.clone());
    assert_eq!(
        verify_post(&post, &VerifyPolicy::new("cn-hangzhou", now()), &lookup)
            .unwrap_err()
            .code(),
        "AccessDenied"
    );
}

#[test]
fn expiry_signature_and_identity_failures() {
    let creds = Credentials::new("ak", "sk");
    let v4 = policy()
        .sign_v4(&creds, "cn-hangzhou", now())
        .expect("sign");
    let err = check(
        &form(&v4, GOOD),
        100,
        now() + chrono::Duration::hours(2),
        &creds,
    )
    .unwrap_err();
    assert_eq!(err.code(), "AccessDenied");
    assert!(err.to_string().contains("Policy expired"), "{err}");

    let err = check(
        &form(&v4, GOOD),
        100,
        now() - chrono::Duration::minutes(16),
        &creds,
    )
    .unwrap_err();
    assert_eq!(err.code(), "AccessDenied");

    let wrong = Credentials::new("ak", "other-secret");
    let err = check(&form(&v4, GOOD), 100, now(), &wrong).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert!(!format!("{err:?}").contains(v4.get("x-oss-signature").expect("sig")));

    let stranger = Credentials::new("someone-else", "sk");
    assert_eq!(
        check(&form(&v4, GOOD), 100, now(), &stranger)
            .unwrap_err()
            .code(),
        "InvalidAccessKeyId"
    );

    // A tampered policy (another prefix) no longer matches the signature.
    let mut fields = form(&v4, GOOD);
    let forged = policy().starts_with("key", "").encode();
    for (n, v) in fields.iter_mut() {
        if n == "policy" {
            *v = forged.clone();
        }
    }
    assert_eq!(
        check(&fields, 100, now(), &creds).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );

    // A V4 form signed for another region is refused with InvalidArgument.
    let beijing = policy().sign_v4(&creds, "cn-beijing", now()).expect("sign");
    assert_eq!(
        check(&form(&beijing, GOOD), 100, now(), &creds)
            .unwrap_err()
            .code(),
        "InvalidArgument"
    );
}

#[test]
fn unsigned_form_is_anonymous() {
    let creds = Credentials::new("ak", "sk");
    let fields: Vec<(String, String)> = vec![("key".into(), "a.txt".into())];
    assert_eq!(
        check(&fields, 3, now(), &creds).expect("anonymous"),
        Verified::Anonymous
    );
}
