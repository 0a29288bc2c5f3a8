//! TLS with rustls (ring provider): the listener's certificate (`--tls-cert`, `--tls-key`) and
//! the client side towards an `https://` upstream (web PKI roots, plus `--upstream-ca`).

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::LiveError;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, LiveError> {
    let bad = |e: String| LiveError::Tls(format!("{}: {e}", path.display()));
    let v = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if v.is_empty() {
        return Err(bad("no PEM certificate in the file".into()));
    }
    Ok(v)
}

/// The listener's TLS secrets, written to a file in NSS key log format (RFC 9850) through
/// rustls' `KeyLog` hook, one line per secret as rustls hands it over. The file is created
/// with mode 0600 (an existing one is appended to, its mode left alone); a write that fails
/// is dropped rather than stopping the connection. Nothing here is ever logged.
struct FileKeyLog {
    file: std::sync::Mutex<std::fs::File>,
}

impl std::fmt::Debug for FileKeyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileKeyLog(secrets redacted)")
    }
}

impl rustls::KeyLog for FileKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!(
            "{label} {} {}\n",
            hex::encode(client_random),
            hex::encode(secret)
        );
        if let Ok(mut f) = self.file.lock() {
            let _ = std::io::Write::write_all(&mut *f, line.as_bytes());
        }
    }
}

fn key_log_file(path: &Path) -> Result<FileKeyLog, LiveError> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let file = o
        .open(path)
        .map_err(|e| LiveError::Tls(format!("key log {}: {e}", path.display())))?;
    Ok(FileKeyLog {
        file: std::sync::Mutex::new(file),
    })
}

pub fn acceptor(
    cert: &Path,
    key: &Path,
    keylog: Option<&Path>,
) -> Result<tokio_rustls::TlsAcceptor, LiveError> {
    let chain = certs(cert)?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| LiveError::Tls(format!("{}: {e}", key.display())))?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| LiveError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| LiveError::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    if let Some(p) = keylog {
        cfg.key_log = Arc::new(key_log_file(p)?);
    }
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
}

pub fn connector(extra_ca: Option<&Path>) -> Result<tokio_rustls::TlsConnector, LiveError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(p) = extra_ca {
        for c in certs(p)? {
            roots
                .add(c)
                .map_err(|e| LiveError::Tls(format!("{}: {e}", p.display())))?;
        }
    }
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| LiveError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsConnector::from(Arc::new(cfg)))
}
