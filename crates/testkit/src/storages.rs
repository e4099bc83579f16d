//! OssType storages on a [`Peer`]: typed configs, storages built straight from them, and
//! storage handles built the way an app builds them (element folder, registry).

use jitstore_storages::{OssConfig, OssStorage, StorageHandle};

use crate::keys::{AK, SK};
use crate::Peer;

impl Peer {
    /// The typed config of an OssType storage on `bucket` of this server: V4, the long-term
    /// credentials, resumable-upload checkpoints off.
    pub fn oss_config(&self, bucket: &str) -> OssConfig {
        OssConfig {
            access_key_id: Some(AK.into()),
            access_key_secret: Some(SK.into()),
            end_point: self.server.endpoint(),
            bucket_name: bucket.into(),
            region: Some(self.server.region().into()),
            checkpoint_dir: Some(String::new()),
            ..OssConfig::default()
        }
    }

    /// An OssType storage built from `config` directly (no element, no credentials from the
    /// environment, no checkpoints).
    pub fn oss_storage(&self, config: &OssConfig) -> OssStorage {
        OssStorage::from_config(config, |_| None, None)
            .unwrap_or_else(|e| panic!("build an OssType storage on {}: {e}", config.bucket_name))
    }

    /// Writes `storages.<name>` into [`Peer::app`] as an OssType instance with `config` (see
    /// [`Peer::oss_element_config`]) and builds its storage handle through the app.
    pub fn oss_handle(&self, name: &str, config: &serde_json::Value) -> StorageHandle {
        self.app.oss_element(name, config);
        self.app.storage(&format!("storages.{name}"))
    }
}
