//! Credential providers: environment lookup order, static keys, and the refreshing provider's
//! caching, refresh-ahead, single-flight refresh and failure handling.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use jitstore_oss::credentials::{
    Credentials, CredentialsError, CredentialsProvider, EnvProvider, RefreshingProvider, Secret,
    StaticProvider,
};

fn env(vars: &[(&str, &str)]) -> EnvProvider {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    EnvProvider::with_lookup(move |name| map.get(name).cloned())
}

#[tokio::test]
async fn env_prefers_oss_names_then_alibaba_cloud_names() {
    let both = env(&[
        ("OSS_ACCESS_KEY_ID", "oss-ak"),
        ("OSS_ACCESS_KEY_SECRET", "oss-sk"),
        ("OSS_SESSION_TOKEN", "oss-token"),
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ali-ak"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ali-sk"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "ali-token"),
    ]);
    let c = both.credentials().await.expect("creds");
    assert_eq!(c.access_key_id, "oss-ak");
    assert_eq!(c.access_key_secret.expose(), "oss-sk");
    assert_eq!(
        c.security_token.as_ref().map(Secret::expose),
        Some("oss-token")
    );

    let ali = env(&[
        ("OSS_ACCESS_KEY_ID", "half-configured"),
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ali-ak"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ali-sk"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "ali-token"),
    ]);
    let c = ali.credentials().await.expect("creds");
    assert_eq!(c.access_key_id, "ali-ak");
    assert_eq!(
        c.security_token.as_ref().map(Secret::expose),
        Some("ali-token")
    );

    let no_token = env(&[
        ("OSS_ACCESS_KEY_ID", "a"),
        ("OSS_ACCESS_KEY_SECRET", "b"),
        ("OSS_SESSION_TOKEN", ""),
    ]);
    assert_eq!(
        no_token.credentials().await.expect("creds").security_token,
        None
    );
}

#[tokio::test]
async fn env_missing_names_every_variable() {
    let err = env(&[("OSS_ACCESS_KEY_ID", "a")])
        .credentials()
        .await
        .unwrap_err();
    let msg = err.to_string();
    for name in [
        "OSS_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    ] {
        assert!(msg.contains(name), "{msg}");
    }
    assert!(
        !msg.contains("OSS_ACCESS_KEY_ID,"),
        "a set variable is not reported missing: {msg}"
    );
    assert!(matches!(err, CredentialsError::MissingEnvironment { .. }));
}

#[tokio::test]
async fn static_provider_rejects_empty_keys() {
    assert!(StaticProvider::from_keys("ak", "sk")
        .credentials()
        .await
        .is_ok());
    assert_eq!(
        StaticProvider::from_keys("", "sk")
            .credentials()
            .await
            .unwrap_err(),
        CredentialsError::Empty {
            field: "access key id"
        }
    );
    assert_eq!(
        StaticProvider::from_keys("ak", "")
            .credentials()
            .await
            .unwrap_err(),
        CredentialsError::Empty {
            field: "access key secret"
        }
    );
}

/// A clock the test moves by hand.
#[derive(Clone)]
struct Clock(Arc<Mutex<DateTime<Utc>>>);

impl Clock {
    fn new(unix: i64) -> Self {
        Clock(Arc::new(Mutex::new(
            Utc.timestamp_opt(unix, 0).single().expect("time"),
        )))
    }
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
    fn advance(&self, secs: i64) {
        *self.0.lock().expect("clock") += chrono::Duration::seconds(secs);
    }
}

/// A provider whose fetch counts calls, takes a little time, and issues credentials valid for
/// one hour from the test clock.
fn counting_provider(clock: &Clock, calls: &Arc<AtomicUsize>) -> RefreshingProvider {
    let (c, fetch_clock) = (calls.clone(), clock.clone());
    RefreshingProvider::new(move || {
        let n = c.fetch_add(1, Ordering::SeqCst) + 1;
        let expires = fetch_clock.now() + chrono::Duration::hours(1);
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(Credentials::new(format!("ak-{n}"), "sk")
                .with_security_token(format!("token-{n}"))
                .with_expires_at(expires))
        })
    })
    .with_clock({
        let clock = clock.clone();
        move || clock.now()
    })
    .refresh_ahead(Duration::from_secs(300))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_refresh() {
    let clock = Clock::new(1_700_000_000);
    let calls = Arc::new(AtomicUsize::new(0));
    let provider = Arc::new(counting_provider(&clock, &calls));

    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let p = provider.clone();
            tokio::spawn(async move { p.credentials().await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("join").expect("creds").access_key_id, "ak-1");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "64 concurrent callers, one fetch"
    );

    // Still fresh: cached.
    clock.advance(30 * 60);
    assert_eq!(
        provider.credentials().await.expect("creds").access_key_id,
        "ak-1"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Within five minutes of expiry: refreshed ahead of time, again exactly once for many callers.
    clock.advance(26 * 60);
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let p = provider.clone();
            tokio::spawn(async move { p.credentials().await })
        })
        .collect();
    for t in tasks {
        let c = t.await.expect("join").expect("creds");
        assert_eq!(c.access_key_id, "ak-2");
        assert_eq!(
            c.security_token.as_ref().map(Secret::expose),
            Some("token-2")
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn failed_refresh_keeps_unexpired_credentials_then_fails() {
    let clock = Clock::new(1_700_000_000);
    let calls = Arc::new(AtomicUsize::new(0));
    let fail = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let provider = {
        let (c, f, fc) = (calls.clone(), fail.clone(), clock.clone());
        RefreshingProvider::new(move || {
            c.fetch_add(1, Ordering::SeqCst);
            let failing = f.load(Ordering::SeqCst);
            let expires = fc.now() + chrono::Duration::minutes(10);
            Box::pin(async move {
                if failing {
                    Err(CredentialsError::Fetch {
                        message: "metadata service unreachable".into(),
                    })
                } else {
                    Ok(Credentials::new("ak", "sk").with_expires_at(expires))
                }
            })
        })
        .with_clock({
            let clock = clock.clone();
            move || clock.now()
        })
        .refresh_ahead(Duration::from_secs(300))
    };
    assert!(provider.credentials().await.is_ok());
    fail.store(true, Ordering::SeqCst);
    clock.advance(6 * 60); // inside the refresh window, not expired
    assert_eq!(
        provider
            .credentials()
            .await
            .expect("cached creds still valid")
            .access_key_id,
        "ak"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2, "a refresh was attempted");
    clock.advance(5 * 60); // now expired
    let err = provider.credentials().await.unwrap_err();
    assert!(
        err.to_string().contains("metadata service unreachable"),
        "{err}"
    );
}

#[tokio::test]
async fn already_expired_fetch_result_is_an_error() {
    let provider = RefreshingProvider::new(|| {
        Box::pin(async {
            Ok(Credentials::new("ak", "sk")
                .with_expires_at(Utc.timestamp_opt(1, 0).single().expect("t")))
        })
    });
    assert!(matches!(
        provider.credentials().await,
        Err(CredentialsError::Expired { .. })
    ));
}

#[test]
fn debug_and_display_mask_secrets() {
    let c = Credentials::new("LTAI-visible", "the-secret-key").with_security_token("the-sts-token");
    let shown = format!(
        "{c:?} {} {}",
        c.access_key_secret,
        c.security_token.clone().expect("token")
    );
    assert!(shown.contains("LTAI-visible"));
    assert!(
        !shown.contains("the-secret-key") && !shown.contains("the-sts-token"),
        "{shown}"
    );
    let provider = StaticProvider::new(c.clone());
    assert!(!format!("{provider:?}").contains("the-secret-key"));
    let refreshing = RefreshingProvider::new(move || {
        let c = c.clone();
        Box::pin(async move { Ok(c) })
    });
    assert!(!format!("{refreshing:?}").contains("the-sts-token"));
}
