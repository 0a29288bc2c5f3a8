//! `sigscope listen --tls-cert … --keylog FILE` (issue 13): the listener writes its TLS
//! secrets in NSS key log format through rustls' `KeyLog`, only when asked, to a file created
//! 0600. The truth is the client's own key log: curl (OpenSSL) with SSLKEYLOGFILE writes the
//! same secrets for the same client randoms, over TLS 1.3 and TLS 1.2, so the listener's file
//! decrypts a raw capture of its traffic as well as the client's would.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::harness::{shared, tempdir, Listener};
use crate::support::have_tool;

type Line = (String, String, String);

fn lines(p: &Path) -> BTreeSet<Line> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let v: Vec<&str> = l.split(' ').collect();
            assert_eq!(v.len(), 3, "{l}");
            (v[0].to_string(), v[1].to_lowercase(), v[2].to_lowercase())
        })
        .collect()
}

pub fn cert(dir: &Path) -> (String, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    (
        cert.to_str().unwrap().to_string(),
        key.to_str().unwrap().to_string(),
    )
}

#[test]
fn listener_key_log_has_the_clients_secrets() {
    let _shared = shared();
    if !have_tool("curl", "--version", "SIGSCOPE_REQUIRE_CURL") {
        return;
    }
    let dir = tempdir("live-keylog");
    let (cert, key) = cert(&dir);
    let server_keys = dir.join("server.keys");
    let client_keys = dir.join("client.keys");
    let l = Listener::start(&[
        "--allow-anonymous",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--keylog",
        server_keys.to_str().unwrap(),
    ]);
    let url = format!("https://localhost:{}/examplebucket/k.txt", l.addr.port());
    for version in [["--tlsv1.3", "--tlsv1.3"], ["--tlsv1.2", "--tls-max"]] {
        let mut c = Command::new("curl");
        c.env("SSLKEYLOGFILE", &client_keys)
            .args(["-sS", "-k", "-o", "/dev/null", "-w", "%{http_code}"])
            .args(["--aws-sigv4", "aws:amz:us-east-1:s3"])
            .args([
                "--user",
                "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ]);
        if version[1] == "--tls-max" {
            c.args(["--tls-max", "1.2"]);
        } else {
            c.arg(version[0]);
        }
        let out = c.arg(&url).output().unwrap();
        // The listener has no secret for the key: it answers 403, over TLS all the same.
        assert_eq!(String::from_utf8_lossy(&out.stdout), "403", "{out:?}");
    }
    let (x, stderr) = l.stop();
    assert_eq!(x.len(), 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&server_keys)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let server = lines(&server_keys);
    let client = lines(&client_keys);
    let labels: BTreeSet<&str> = server.iter().map(|l| l.0.as_str()).collect();
    for want in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "CLIENT_RANDOM",
    ] {
        assert!(labels.contains(want), "{want} missing from {labels:?}");
    }
    // Every secret the client logged for these connections, the listener logged the same.
    let decrypting: BTreeSet<&Line> = client
        .iter()
        .filter(|l| !l.0.contains("EXPORTER"))
        .collect();
    assert!(decrypting.len() >= 5, "{}", decrypting.len());
    for l in &decrypting {
        assert!(
            server.contains(*l),
            "the listener lacks the client's {} line",
            l.0
        );
    }
    // Never printed.
    let printed = format!("{stderr:?}{x:?}");
    for (_, _, secret) in &server {
        assert!(!printed.to_lowercase().contains(secret));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn listener_writes_no_key_log_unless_asked() {
    let _shared = shared();
    let dir = tempdir("live-keylog-off");
    let (cert, key) = cert(&dir);
    // SSLKEYLOGFILE is for clients: the listener does not take it as a request to write.
    let env_keys = dir.join("env.keys");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigscope"))
        .args([
            "listen",
            "--port",
            "0",
            "--format",
            "json",
            "--allow-anonymous",
        ])
        .args(["--tls-cert", &cert, "--tls-key", &key])
        .env("SSLKEYLOGFILE", &env_keys)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let addr: std::net::SocketAddr = loop {
        let mut line = String::new();
        assert!(std::io::BufRead::read_line(&mut err, &mut line).unwrap() > 0);
        if let Some((_, rest)) = line.split_once("://") {
            break rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    let cfg = rustls_client();
    let mut conn = rustls::ClientConnection::new(cfg, "localhost".try_into().unwrap()).unwrap();
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
    std::io::Write::write_all(
        &mut tls,
        b"GET /plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut resp = Vec::new();
    let _ = std::io::Read::read_to_end(&mut tls, &mut resp);
    assert!(
        resp.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&resp)
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(!env_keys.exists());
    // --keylog without TLS is refused, plainly.
    let out = Command::new(env!("CARGO_BIN_EXE_sigscope"))
        .args(["listen", "--port", "0", "--keylog"])
        .arg(dir.join("k.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs --tls-cert"), "{err}");
    assert!(!dir.join("k.txt").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A rustls client that accepts any certificate (the listener's is self-signed).
fn rustls_client() -> std::sync::Arc<rustls::ClientConfig> {
    #[derive(Debug)]
    struct AnyCert;
    impl rustls::client::danger::ServerCertVerifier for AnyCert {
        fn verify_server_cert(
            &self,
            _: &rustls_pki_types::CertificateDer<'_>,
            _: &[rustls_pki_types::CertificateDer<'_>],
            _: &rustls_pki_types::ServerName<'_>,
            _: &[u8],
            _: rustls_pki_types::UnixTime,
        ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            _: &[u8],
            _: &rustls_pki_types::CertificateDer<'_>,
            _: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
        }
        fn verify_tls13_signature(
            &self,
            _: &[u8],
            _: &rustls_pki_types::CertificateDer<'_>,
            _: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
        }
        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            rustls::crypto::ring::default_provider()
                .signature_verification_algorithms
                .supported_schemes()
        }
    }
    let cfg = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .dangerous()
    .with_custom_certificate_verifier(std::sync::Arc::new(AnyCert))
    .with_no_client_auth();
    std::sync::Arc::new(cfg)
}
