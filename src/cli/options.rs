//! What the subcommands share: the report options, their value parsers, loading credentials
//! and the log.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::builder::{PossibleValue, TypedValueParser};

use sigscope::capture::tls::{KeyLog, KeyLogError};
use sigscope::credentials::Credentials;
use sigscope::engine::dialect::Choice;
use sigscope::engine::{dialect, Dialect};
use sigscope::report::Format;

/// `--body-cap` when neither it nor the config file says.
pub const DEFAULT_BODY_CAP: usize = 8 << 20;

#[derive(clap::Args, Debug, Clone)]
pub struct ReportOpts {
    /// AWS shared-credentials file (default: $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
    /// plus AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, plus INPUT.credentials beside an input).
    #[arg(long, global = true)]
    pub credentials: Option<PathBuf>,
    /// Verifier dialect for the verdict (see `sigscope dialects`; default aws, or the config
    /// file's); `auto` judges each exchange under the dialect its server's answers point to.
    #[arg(long, global = true, value_parser = DialectParser)]
    pub dialect: Option<Choice>,
    /// Output format (default: json when stdout is not a terminal, text otherwise); tsv lists
    /// the requests without verifying them.
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// TLS key log (NSS format, as SSLKEYLOGFILE makes clients write) to decrypt HTTPS in
    /// captures; repeatable [default: $SSLKEYLOGFILE when set]. A file that grows while the
    /// capture is read (a client still writing it) is read again when a connection's key is
    /// missing. A pcapng's own Decryption Secrets Blocks are always read.
    #[arg(long, global = true, value_name = "FILE")]
    pub keylog: Vec<PathBuf>,
    /// Exit with status 3 when any exchange is invalid or malformed.
    #[arg(long, global = true)]
    pub check: bool,
    /// Show derived signing keys (kDate…kSigning) in full instead of their first bytes.
    #[arg(long, global = true)]
    pub reveal_derived_keys: bool,
    /// Keep at most this many bytes of each body from captures (length and SHA-256 are
    /// computed over the whole body); accepts K, M, G suffixes [default: 8M, or the config
    /// file's].
    #[arg(long, global = true, value_parser = parse_size)]
    pub body_cap: Option<usize>,
    /// The terminal UI's config file (default $XDG_CONFIG_HOME/sigscope/config.toml).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// No colours in the terminal UI (also when NO_COLOR is set); marks stay visible.
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Write a log (tracing) to this file; the UI never logs to the screen.
    #[arg(long, global = true)]
    pub log: Option<PathBuf>,
    /// Write the UI's first-frame and key-to-frame timings to this file as JSON on exit.
    #[arg(long, global = true, hide = true)]
    pub timings: Option<PathBuf>,
}

impl ReportOpts {
    /// The TLS secrets of `--keylog`, or of `$SSLKEYLOGFILE` when no `--keylog` is given (a
    /// missing or empty `$SSLKEYLOGFILE` is no error: it is often set for other programs).
    pub fn keylog(&self) -> Result<std::sync::Arc<KeyLog>, KeyLogError> {
        let mut k = KeyLog::default();
        if self.keylog.is_empty() {
            if let Some(p) = std::env::var_os("SSLKEYLOGFILE").filter(|p| !p.is_empty()) {
                let _ = k.add_file(Path::new(&p));
            }
        }
        for p in &self.keylog {
            // An empty file is one a client has yet to write: watched, read when it grows.
            if std::fs::metadata(p).is_ok_and(|m| m.len() == 0) {
                k.watch_file(p)?;
            } else {
                k.add_file(p)?;
            }
        }
        Ok(std::sync::Arc::new(k))
    }

    /// `--dialect`, else aws; `aws` for `auto`, where a server's answers do not decide.
    pub fn dialect_or_aws(&self) -> &'static Dialect {
        self.dialect.map_or_else(aws, Choice::fallback)
    }

    /// `--dialect auto`.
    pub fn auto(&self) -> bool {
        self.dialect.is_some_and(Choice::is_auto)
    }
}

/// The default verifier dialect.
pub fn aws() -> &'static Dialect {
    dialect::by_name("aws").expect("the aws dialect exists")
}

/// `--dialect NAME`: one of [`dialect::names`] or `auto`, so that `--help` lists them and an
/// unknown name is a usage error (exit 2) that lists them too.
#[derive(Clone)]
pub struct DialectParser;

impl TypedValueParser for DialectParser {
    type Value = Choice;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let by_name = |name: &str| {
            Choice::parse(name).ok_or_else(|| {
                let mut names = dialect::names();
                names.push(Choice::AUTO);
                let hint = closest(name, names.iter().copied())
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                format!(
                    "unknown dialect `{name}`{hint}; known: {}",
                    names.join(", ")
                )
            })
        };
        by_name.parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            dialect::names()
                .into_iter()
                .chain([Choice::AUTO])
                .map(PossibleValue::new),
        ))
    }
}

/// The candidate nearest to `word` by edit distance, when it is near enough to be what was
/// meant (a typo: at most a third of the word's letters, and at most 3, differ).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word.to_lowercase(), c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diag + usize::from(ca != cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1usize << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    num.trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("`{s}` is not a size (e.g. 65536, 64K, 8M)"))
}

pub fn parse_secs(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim().trim_end_matches('s');
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v < 1e7)
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| format!("`{s}` is not a number of seconds"))
}

/// The report's format when `--format` is not given: text for a person, JSON for a program.
pub fn default_format(opts: &ReportOpts) -> Format {
    use std::io::IsTerminal;
    opts.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Text
    } else {
        Format::Json
    })
}

/// `--credentials`, else the default sources plus `INPUT.credentials` beside each input.
pub fn load_credentials(inputs: &[PathBuf], opts: &ReportOpts, quiet: bool) -> Result<Credentials> {
    let env = |k: &str| std::env::var(k).ok();
    let creds = match &opts.credentials {
        Some(p) => {
            let mut c = Credentials::load_file(p).with_context(|| "loading --credentials")?;
            if let Some(e) = Credentials::from_env_vars(env) {
                c.entries.push(e);
            }
            c
        }
        None => {
            let mut c = Credentials::default_sources(env)?;
            // A capture shipped with its test keys (`demo.http` + `demo.credentials`) is
            // verifiable as is; said on stderr so nobody wonders where a secret came from.
            for path in inputs {
                let side = path.with_extension("credentials");
                if side.is_file() && side != *path {
                    if !quiet {
                        eprintln!(
                            "sigscope: using credentials beside the input: {}",
                            side.display()
                        );
                    }
                    c.merge(Credentials::load_file(&side)?);
                }
            }
            c
        }
    };
    Ok(creds)
}

/// [`load_credentials`], its warnings said on stderr.
pub fn load_credentials_loudly(inputs: &[PathBuf], opts: &ReportOpts) -> Result<Credentials> {
    let creds = load_credentials(inputs, opts, false)?;
    for w in &creds.warnings {
        eprintln!("sigscope: credentials: {w}");
    }
    Ok(creds)
}

/// `--log FILE`: tracing to that file (SIGSCOPE_LOG sets the filter; info by default).
pub fn init_log(path: Option<&Path>) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening the log {}", path.display()))?;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIGSCOPE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_miss_is_suggested_a_far_one_is_not() {
        let names = [
            "aws",
            "botocore",
            "boto2",
            "keystone-legacy",
            "keystone",
            "minio",
        ];
        assert_eq!(closest("botocor", names), Some("botocore"));
        assert_eq!(closest("keystone-legasy", names), Some("keystone-legacy"));
        assert_eq!(closest("AWS", names), Some("aws"));
        assert_eq!(closest("azure", names), None);
        assert_eq!(edit_distance("reprot", "report"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
