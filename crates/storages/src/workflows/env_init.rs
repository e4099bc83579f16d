//! AgentBay's `env_init`: an OssType built at run time from STS temporary credentials, and
//! registered in an app as an element.

use std::fmt;
use std::sync::Arc;

use jitstore_element::App;

use super::error::WorkflowError;
use crate::handle::{into_element_object, StorageHandle};
use crate::oss::{OssConfig, OssStorage};
use crate::storage::Storage;
use crate::OSS_TYPE;

/// What `env_init` needs: STS temporary credentials and where the bucket is.
#[derive(Clone, Default)]
pub struct EnvInit {
    /// STS AccessKeyId.
    pub access_key_id: String,
    /// STS AccessKeySecret (never printed).
    pub access_key_secret: String,
    /// STS security token (required; never printed).
    pub security_token: String,
    /// The endpoint; `oss-<region>.aliyuncs.com` when absent.
    pub endpoint: Option<String>,
    /// The region (derived from official endpoints when absent).
    pub region: Option<String>,
    /// The bucket.
    pub bucket: String,
}

impl fmt::Debug for EnvInit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvInit")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"******")
            .field("security_token", &"******")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .finish()
    }
}

/// The implementation of [`OssWorkflows::env_init`](super::OssWorkflows::env_init).
pub(crate) fn env_init(init: &EnvInit) -> Result<OssStorage, WorkflowError> {
    if init.security_token.trim().is_empty() {
        return Err(WorkflowError::invalid(
            "security_token",
            "env_init takes STS temporary credentials; the security token is required",
        ));
    }
    let endpoint = match (&init.endpoint, &init.region) {
        (Some(e), _) if !e.trim().is_empty() => e.trim().to_owned(),
        (_, Some(r)) if !r.trim().is_empty() => format!("oss-{}.aliyuncs.com", r.trim()),
        _ => {
            return Err(WorkflowError::invalid(
                "endpoint",
                "give an endpoint or a region",
            ))
        }
    };
    let config = OssConfig {
        access_key_id: Some(init.access_key_id.clone()),
        access_key_secret: Some(init.access_key_secret.clone()),
        security_token: Some(init.security_token.clone()),
        end_point: endpoint,
        bucket_name: init.bucket.clone(),
        region: init.region.clone().filter(|r| !r.trim().is_empty()),
        checkpoint_dir: Some(String::new()),
        ..OssConfig::default()
    };
    OssStorage::from_config(&config, |_| None, None).map_err(|p| WorkflowError::InvalidEnvInit {
        field: p.field,
        message: p.message,
    })
}

/// The implementation of [`OssWorkflows::register_in`](super::OssWorkflows::register_in).
pub(crate) fn register_in(
    oss: OssStorage,
    app: &App,
    full_name: &str,
) -> Result<StorageHandle, WorkflowError> {
    let storage: Arc<dyn Storage> = Arc::new(oss);
    app.register_instance(full_name, OSS_TYPE, into_element_object(storage.clone()))
        .map_err(|e| WorkflowError::invalid("fullName", e.to_string()))?;
    Ok(StorageHandle::new(full_name, OSS_TYPE, storage))
}
