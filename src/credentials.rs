//! Secrets: the AWS shared-credentials file and the environment. Secrets never leave this
//! module except through [`KeyStore::secret`], and their `Debug` is redacted.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::engine::KeyStore;

#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(redacted)")
    }
}

#[derive(Clone, Debug)]
pub struct Credential {
    pub profile: String,
    pub access_key: String,
    pub secret: Secret,
    pub session_token: Option<Secret>,
}

#[derive(Clone, Debug, Default)]
pub struct Credentials {
    pub entries: Vec<Credential>,
    /// Lines that could not be used, with their line numbers (values never included).
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read credentials file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Credentials {
    /// Parses the INI-style shared-credentials format (`[profile]`, `key = value`, `#`/`;` comments).
    pub fn parse(text: &str) -> Credentials {
        let mut out = Credentials::default();
        let mut profile = String::from("default");
        let mut ak: Option<String> = None;
        let mut sk: Option<String> = None;
        let mut tok: Option<String> = None;
        let flush = |out: &mut Credentials,
                     profile: &str,
                     ak: &mut Option<String>,
                     sk: &mut Option<String>,
                     tok: &mut Option<String>| {
            match (ak.take(), sk.take()) {
                (Some(a), Some(s)) => out.entries.push(Credential {
                    profile: profile.to_string(),
                    access_key: a,
                    secret: Secret(s),
                    session_token: tok.take().map(Secret),
                }),
                (Some(_), None) | (None, Some(_)) => {
                    out.warnings.push(format!("profile [{profile}] needs both aws_access_key_id and aws_secret_access_key"));
                }
                (None, None) => {}
            }
            *tok = None;
        };
        for (n, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
                continue;
            }
            if let Some(p) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                flush(&mut out, &profile, &mut ak, &mut sk, &mut tok);
                profile = p.trim().trim_start_matches("profile ").to_string();
                continue;
            }
            let Some((k, v)) = l.split_once('=') else {
                out.warnings
                    .push(format!("line {}: not `key = value`", n + 1));
                continue;
            };
            let v = v.trim().to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "aws_access_key_id" => ak = Some(v),
                "aws_secret_access_key" => sk = Some(v),
                "aws_session_token" | "aws_security_token" => tok = Some(v),
                _ => {}
            }
        }
        flush(&mut out, &profile, &mut ak, &mut sk, &mut tok);
        out
    }

    pub fn load_file(path: &Path) -> Result<Credentials, CredentialsError> {
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self::parse(&text))
    }

    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`).
    pub fn from_env_vars(get: impl Fn(&str) -> Option<String>) -> Option<Credential> {
        Some(Credential {
            profile: "environment".into(),
            access_key: get("AWS_ACCESS_KEY_ID")?,
            secret: Secret(get("AWS_SECRET_ACCESS_KEY")?),
            session_token: get("AWS_SESSION_TOKEN").map(Secret),
        })
    }

    /// The default search: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`, plus the
    /// environment variables. A missing default file is not an error.
    pub fn default_sources(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Credentials, CredentialsError> {
        let path = get("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| get("HOME").map(|h| Path::new(&h).join(".aws/credentials")));
        let mut c = match path {
            Some(p) if p.exists() => Self::load_file(&p)?,
            _ => Credentials::default(),
        };
        if let Some(e) = Self::from_env_vars(&get) {
            c.entries.push(e);
        }
        Ok(c)
    }

    pub fn merge(&mut self, other: Credentials) {
        self.entries.extend(other.entries);
        self.warnings.extend(other.warnings);
    }
}

impl KeyStore for Credentials {
    fn secret(&self, access_key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|c| c.access_key == access_key)
            .map(|c| c.secret.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_profiles_and_never_debugs_secrets() {
        let c = Credentials::parse(
            "# comment\n[default]\naws_access_key_id = AK1\naws_secret_access_key=S1\n\n[profile other]\naws_access_key_id=AK2\naws_secret_access_key = S2\naws_session_token = T2\n[broken]\naws_access_key_id=AK3\n",
        );
        assert_eq!(c.entries.len(), 2);
        assert_eq!(c.secret("AK1"), Some("S1"));
        assert_eq!(c.entries[1].profile, "other");
        assert!(c.entries[1].session_token.is_some());
        assert_eq!(c.warnings.len(), 1);
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("S1") && !dbg.contains("S2") && !dbg.contains("T2"),
            "{dbg}"
        );
    }

    #[test]
    fn environment() {
        let env = |k: &str| match k {
            "AWS_ACCESS_KEY_ID" => Some("AKENV".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("SENV".to_string()),
            _ => None,
        };
        let c = Credentials::default_sources(env).unwrap();
        assert_eq!(c.secret("AKENV"), Some("SENV"));
    }
}
