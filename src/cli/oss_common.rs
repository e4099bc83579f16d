//! Helpers shared by the OSS workflow verbs: reaching the OssType behind an element, or one
//! built at run time from STS credentials (AgentBay's `env_init`), and parsing headers.

use jitstore::storages::workflows::EnvInit;
use jitstore::storages::workflows::OssWorkflows;
use jitstore::storages::OssStorage;

use super::target::{element_name, AppArg};

/// The `storages.OssType` storage the element argument names (omitted or `@default`: the
/// app's default storage).
pub(crate) fn oss_storage(
    app: &AppArg,
    element: Option<&str>,
) -> Result<OssStorage, Box<dyn std::error::Error + Send + Sync>> {
    let opened = app.open()?;
    let name = element_name(&opened, element);
    let handle = opened.storage(&name)?;
    match OssStorage::from_handle(&handle) {
        Some(oss) => Ok(oss.clone()),
        None => Err(format!(
            "{name} ({}): this command is not supported by this storage Type \
             (it needs a storages.OssType element)",
            handle.type_name()
        )
        .into()),
    }
}

/// AgentBay's `env_init` from the command line or the environment: STS credentials, the
/// endpoint or region, and the bucket of this call. Used instead of an element when the
/// ELEMENT argument is omitted and an access key id is given.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct StsArgs {
    /// env_init: the STS AccessKeyId (used when no ELEMENT is given).
    #[arg(long, env = "ALIBABA_CLOUD_ACCESS_KEY_ID", value_name = "ID")]
    access_key_id: Option<String>,
    /// env_init: the STS AccessKeySecret.
    #[arg(
        long,
        env = "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    access_key_secret: Option<String>,
    /// env_init: the STS security token (required with STS credentials).
    #[arg(
        long,
        env = "ALIBABA_CLOUD_SECURITY_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    security_token: Option<String>,
    /// env_init: the OSS endpoint (default `oss-<region>.aliyuncs.com`).
    #[arg(long, env = "OSS_ENDPOINT", value_name = "HOST")]
    endpoint: Option<String>,
    /// env_init: the region (e.g. cn-hangzhou).
    #[arg(long, env = "OSS_REGION", value_name = "REGION")]
    region: Option<String>,
    /// env_init: the bucket of this call (AgentBay passes it with every upload/download).
    #[arg(long, value_name = "NAME")]
    bucket: Option<String>,
}

impl StsArgs {
    /// True when an STS access key id is given (env_init applies when ELEMENT is omitted).
    pub(crate) fn has_credentials(&self) -> bool {
        self.access_key_id
            .as_deref()
            .is_some_and(|id| !id.is_empty())
    }

    /// True when `--bucket` is given.
    pub(crate) fn has_bucket(&self) -> bool {
        self.bucket.is_some()
    }

    /// The storage of this call: the element when one is named, else env_init when STS
    /// credentials are given, else the app's default storage.
    pub(crate) fn storage(
        &self,
        app: &AppArg,
        element: Option<&str>,
    ) -> Result<OssStorage, Box<dyn std::error::Error + Send + Sync>> {
        let sts = self.access_key_id.as_deref().filter(|id| !id.is_empty());
        match (element, sts) {
            (Some(_), _) | (None, None) => {
                if self.bucket.is_some() {
                    return Err("--bucket: an element's bucket is fixed by its config; \
                                --bucket applies to env_init (STS credentials without ELEMENT)"
                        .into());
                }
                oss_storage(app, element)
            }
            (None, Some(id)) => {
                let missing =
                    |what: &str| format!("env_init: {what} is required with STS credentials");
                let init = EnvInit {
                    access_key_id: id.to_owned(),
                    access_key_secret: self.access_key_secret.clone().ok_or_else(|| {
                        missing("--access-key-secret (or ALIBABA_CLOUD_ACCESS_KEY_SECRET)")
                    })?,
                    security_token: self.security_token.clone().ok_or_else(|| {
                        missing("--security-token (or ALIBABA_CLOUD_SECURITY_TOKEN)")
                    })?,
                    endpoint: self.endpoint.clone(),
                    region: self.region.clone(),
                    bucket: self.bucket.clone().ok_or_else(|| missing("--bucket"))?,
                };
                Ok(OssStorage::env_init(&init)?)
            }
        }
    }
}

/// Parses `NAME:VALUE`.
pub(crate) fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((n, v)) if !n.trim().is_empty() => Ok((n.trim().to_owned(), v.trim().to_owned())),
        _ => Err(format!("{text:?} is not NAME:VALUE")),
    }
}
