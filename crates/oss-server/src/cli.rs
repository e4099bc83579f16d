//! `jitstore serve`: command-line settings and the serve loop (shared by the `jitstore` CLI and
//! the `jitstore-oss-server` binary).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::config::{AccessKey, ConfigError, ServerConfig};
use crate::server::{Server, ServerError};

/// Flags of `jitstore serve`. Flags override (scalars) or extend (lists) the `--config` file.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Data directory (objects and buckets live here).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Listen address; use port 0 for any free port.
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,
    /// Region checked in V4 signatures (default cn-hangzhou).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Bucket to create at start (repeatable).
    #[arg(long = "bucket", value_name = "NAME")]
    pub buckets: Vec<String>,
    /// AccessKey ID accepted by the server (with --access-key-secret).
    #[arg(
        long,
        value_name = "AK",
        env = "JITSTORE_SERVE_ACCESS_KEY_ID",
        requires = "access_key_secret"
    )]
    pub access_key_id: Option<String>,
    /// AccessKey secret accepted by the server.
    #[arg(
        long,
        value_name = "SK",
        env = "JITSTORE_SERVE_ACCESS_KEY_SECRET",
        hide_env_values = true,
        requires = "access_key_id"
    )]
    pub access_key_secret: Option<String>,
    /// STS security token that must accompany the key.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "JITSTORE_SERVE_SECURITY_TOKEN",
        hide_env_values = true,
        requires = "access_key_id"
    )]
    pub security_token: Option<String>,
    /// Bucket (created at start) that anonymous clients may read (repeatable).
    #[arg(long = "public-read", value_name = "NAME")]
    pub public_read: Vec<String>,
    /// Extra host name meaning "this server" for virtual-hosted addressing (repeatable;
    /// `localhost` is always one).
    #[arg(long = "server-name", value_name = "HOST")]
    pub server_names: Vec<String>,
    /// JSON config file with the same settings (field names of `ServerConfig`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Longest time a client may take to send a request header, in ms (default 30000; 0: none).
    #[arg(long, value_name = "MS")]
    pub header_read_timeout_ms: Option<u64>,
    /// Longest idle time of a keep-alive connection between requests, in ms (default 60000;
    /// 0: none).
    #[arg(long, value_name = "MS")]
    pub idle_timeout_ms: Option<u64>,
    /// Slowest accepted request body in bytes per second, after a 10 s grace period (default
    /// 1024; 0: none).
    #[arg(long, value_name = "BYTES_PER_SEC")]
    pub min_body_rate: Option<u64>,
}

/// `jitstore serve` failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Neither `--data` nor a config file gave a data directory.
    #[error("no data directory: pass --data DIR or set data_dir in the --config file")]
    NoDataDir,
    /// The config file is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The server could not start.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// Waiting for the stop signal failed.
    #[error("cannot wait for the stop signal: {0}")]
    Signal(std::io::Error),
}

impl ServeArgs {
    /// Merges the config file (if any) with the flags.
    pub fn to_config(&self) -> Result<ServerConfig, ServeError> {
        let mut config = match (&self.config, &self.data) {
            (Some(file), _) => ServerConfig::from_file(file)?,
            (None, Some(data)) => ServerConfig::new(data),
            (None, None) => return Err(ServeError::NoDataDir),
        };
        if let Some(data) = &self.data {
            config.data_dir = data.clone();
        }
        if config.data_dir.as_os_str().is_empty() {
            return Err(ServeError::NoDataDir);
        }
        if let Some(addr) = self.addr {
            config.addr = addr;
        }
        if let Some(region) = &self.region {
            config.region = region.clone();
        }
        if let Some(ms) = self.header_read_timeout_ms {
            config.header_read_timeout_ms = ms;
        }
        if let Some(ms) = self.idle_timeout_ms {
            config.idle_timeout_ms = ms;
        }
        if let Some(rate) = self.min_body_rate {
            config.min_body_rate = rate;
        }
        config.buckets.extend(self.buckets.iter().cloned());
        config.public_read.extend(self.public_read.iter().cloned());
        config
            .server_names
            .extend(self.server_names.iter().cloned());
        if let (Some(ak), Some(sk)) = (&self.access_key_id, &self.access_key_secret) {
            let mut key = AccessKey::new(ak.clone(), sk.clone());
            if let Some(token) = &self.security_token {
                key = key.with_security_token(token.clone());
            }
            config.credentials.push(key);
        }
        Ok(config)
    }
}

/// Runs the server until Ctrl-C (or SIGTERM), printing the address it listens on first:
/// `jitstore OSS server listening on http://HOST:PORT`.
pub async fn run_serve(args: ServeArgs) -> Result<(), ServeError> {
    let config = args.to_config()?;
    let open = config.credentials.is_empty();
    let buckets: Vec<String> = config
        .buckets
        .iter()
        .chain(config.public_read.iter())
        .cloned()
        .collect();
    let region = config.region.clone();
    let data = config.data_dir.clone();
    let server = Server::start(config).await?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "jitstore OSS server listening on {}",
            server.endpoint()
        );
        let _ = writeln!(
            out,
            "region {region}, data {}, buckets [{}]",
            data.display(),
            buckets.join(", ")
        );
        if open {
            let _ = writeln!(
                out,
                "warning: no credentials configured; every request is accepted without a signature check"
            );
        }
        let _ = out.flush();
    }
    wait_for_stop().await.map_err(ServeError::Signal)?;
    server.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_stop() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_stop() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn parse(args: &[&str]) -> ServeArgs {
        Cli::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
            .expect("flags parse")
            .serve
    }

    #[test]
    fn flags_build_a_config() {
        let args = parse(&[
            "--data",
            "/tmp/x",
            "--addr",
            "127.0.0.1:9999",
            "--region",
            "cn-beijing",
            "--bucket",
            "a-b",
            "--bucket",
            "c-d",
            "--access-key-id",
            "ak",
            "--access-key-secret",
            "sk",
            "--security-token",
            "tok",
            "--public-read",
            "pub",
            "--header-read-timeout-ms",
            "1500",
            "--idle-timeout-ms",
            "2500",
            "--min-body-rate",
            "0",
        ]);
        let config = args.to_config().unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(config.addr.port(), 9999);
        assert_eq!(config.region, "cn-beijing");
        assert_eq!(config.buckets, vec!["a-b", "c-d"]);
        assert_eq!(config.public_read, vec!["pub"]);
        assert_eq!(config.header_read_timeout_ms, 1500);
        assert_eq!(config.idle_timeout_ms, 2500);
        assert_eq!(config.min_body_rate, 0);
        assert_eq!(
            config.credentials,
            vec![AccessKey::new("ak", "sk").with_security_token("tok")]
        );
        // The secret never shows in Debug output.
        assert!(!format!("{config:?}").contains("sk\""));
    }

    #[test]
    fn config_file_is_extended_by_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("server.json");
        std::fs::write(
            &file,
            r#"{"data_dir": "/srv/oss", "buckets": ["from-file"],
                "credentials": [{"access_key_id": "f", "access_key_secret": "s"}]}"#,
        )
        .unwrap();
        let args = parse(&["--config", file.to_str().unwrap(), "--bucket", "from-flag"]);
        let config = args.to_config().unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/srv/oss"));
        assert_eq!(config.buckets, vec!["from-file", "from-flag"]);
        assert_eq!(config.credentials.len(), 1);
        assert_eq!(config.region, "cn-hangzhou");
    }

    #[test]
    fn bad_config_and_missing_data_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.json");
        std::fs::write(&file, r#"{"data_dir": "/x", "bukets": []}"#).unwrap();
        let err = parse(&["--config", file.to_str().unwrap()])
            .to_config()
            .unwrap_err();
        assert!(err.to_string().contains("bukets"), "{err}");
        let err = parse(&[]).to_config().unwrap_err();
        assert!(matches!(err, ServeError::NoDataDir));
    }
}
