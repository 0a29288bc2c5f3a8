//! `sigscope replay INPUT --exchange N`: one captured request sent again — as captured, or
//! re-signed (`--resign DIALECT`), or both and every dialect in turn (`--ab`) — and the new
//! answer printed beside the captured one. The only subcommand that sends anything.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use time::OffsetDateTime;

use sigscope::capture;
use sigscope::credentials::Credentials;
use sigscope::engine::resign::{self, DateChoice, Options};
use sigscope::engine::{self, dialect, server_error, Dialect, KeyCache, KeyStore, Verifier};
use sigscope::escape::{escape_bytes, escape_str};
use sigscope::exchange::Exchange;
use sigscope::http::{Request, Response};
use sigscope::replay::{self, Destination, Transport};

use super::options::{load_credentials_loudly, parse_secs, ReportOpts, DEFAULT_BODY_CAP};

#[derive(clap::Args, Debug)]
pub struct ReplayOpts {
    /// The capture, HAR or HTTP file holding the exchange.
    pub input: PathBuf,
    /// Which exchange to send again (its number in the report and the UI's list).
    #[arg(long, value_name = "N")]
    pub exchange: usize,
    /// Send to this server (http://host[:port] or https://host[:port]) instead of the one the
    /// capture names; the request's Host header is kept.
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// Re-sign the request under this dialect's rules (with the secret from the credentials)
    /// before sending it.
    #[arg(long, value_name = "DIALECT", value_parser = dialect_name)]
    pub resign: Option<&'static Dialect>,
    /// Re-sign with the captured date instead of the current time.
    #[arg(long)]
    pub keep_date: bool,
    /// Send as captured, then re-signed under each dialect in turn, and name the dialects the
    /// server accepts.
    #[arg(long, conflicts_with = "resign")]
    pub ab: bool,
    /// Do not check the server's TLS certificate (self-signed test servers).
    #[arg(long)]
    pub insecure: bool,
    /// Also trust the CA certificates of this PEM file.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Give up on an answer after this many seconds.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_secs)]
    pub timeout: std::time::Duration,
}

fn dialect_name(s: &str) -> Result<&'static Dialect, String> {
    dialect::by_name(s).ok_or_else(|| {
        format!(
            "unknown dialect `{s}`; known: {}",
            dialect::names().join(", ")
        )
    })
}

/// The exchange numbered `n` in `input`, read as `report` reads it.
fn load(input: &std::path::Path, n: usize, opts: &ReportOpts) -> Result<Exchange> {
    let copts = capture::Options {
        body_cap: opts.body_cap.unwrap_or(DEFAULT_BODY_CAP),
        keylog: opts.keylog()?,
        ..Default::default()
    };
    let mut found = None;
    let mut count = 0;
    let summary = sigscope::ingest::stream_path(input, 0, &copts, &mut |x| {
        count += 1;
        if x.index == n {
            found = Some(x);
        }
    });
    for e in &summary.errors {
        eprintln!("sigscope: {}", escape_str(e));
    }
    match found {
        Some(x) => Ok(x),
        None => bail!(
            "{} has no exchange #{n} ({})",
            input.display(),
            sigscope::words::count(count as u64, "exchange", "exchanges")
        ),
    }
}

/// One row of the table: how the request was prepared, and the server's answer.
struct Row {
    what: String,
    /// The answer, or what stands in the status column and why.
    answer: Result<Response, (&'static str, String)>,
}

fn status_and_code(r: &Response) -> (String, String) {
    let code = server_error::parse(r).map(|e| e.code).unwrap_or_default();
    (
        format!("{} {}", r.status, escape_str(r.reason.trim())),
        escape_str(&code),
    )
}

pub fn run(o: &ReplayOpts, opts: &ReportOpts) -> Result<ExitCode> {
    let x = load(&o.input, o.exchange, opts)?;
    let dest = replay::destination(&x, o.to.as_deref())?;
    replay::sendable(&x.request)?;
    let creds = load_credentials_loudly(std::slice::from_ref(&o.input), opts)?;
    let transport = Transport {
        timeout: o.timeout,
        insecure: o.insecure,
        cacert: o.cacert.clone(),
    };
    let now = OffsetDateTime::now_utc();
    let mut out = std::io::stdout().lock();
    header(&mut out, &x, &dest)?;
    let mut rows = vec![Row {
        what: "captured".into(),
        answer: x
            .response
            .clone()
            .ok_or_else(|| ("none", "no response in the input".into())),
    }];
    let date = if o.keep_date {
        DateChoice::Keep
    } else {
        DateChoice::Fresh(now)
    };
    let mut last_sent: Option<Request> = None;
    if o.resign.is_none() || o.ab {
        if o.keep_date || !o.ab {
            if let Some(s) = resign::staleness(&x.request, now) {
                writeln!(out, "note: {s}; sent as it is")?;
            }
        }
        rows.push(send(
            &x.request,
            &dest,
            "as captured",
            &transport,
            &mut last_sent,
        ));
    }
    let dialects: Vec<&'static Dialect> = match (o.ab, o.resign) {
        (true, _) => dialect::ALL.to_vec(),
        (false, Some(d)) => vec![d],
        (false, None) => vec![],
    };
    for d in dialects {
        let what = format!("re-signed as {}", d.name);
        match resigned(&x.request, d, date, &creds, now) {
            Ok(r) => {
                for n in &r.notes {
                    writeln!(out, "note ({}): {}", d.name, escape_str(n))?;
                }
                if let Some(why) = &r.refused {
                    writeln!(
                        out,
                        "note ({}): {} refuses it whatever the signature: {why}",
                        d.name, d.name
                    )?;
                }
                rows.push(send(&r.request, &dest, &what, &transport, &mut last_sent));
            }
            Err(e) if o.ab => rows.push(Row {
                what,
                answer: Err(("not sent", e)),
            }),
            Err(e) => bail!("cannot re-sign as {}: {e}", d.name),
        }
    }
    table(&mut out, &rows)?;
    let fell_back = rows[1..].iter().any(|r| {
        r.answer
            .as_ref()
            .is_ok_and(|a| !a.version.starts_with("HTTP/2"))
    });
    if replay::h2::is_h2(&x.request) && fell_back {
        writeln!(
            out,
            "note: the server answered over HTTP/1.1 (it did not pick HTTP/2 by ALPN)"
        )?;
    }
    if o.ab {
        let accepted: Vec<&str> = rows[1..]
            .iter()
            .filter(|r| {
                r.answer
                    .as_ref()
                    .is_ok_and(|a| (200..300).contains(&a.status))
            })
            .map(|r| r.what.as_str())
            .collect();
        if accepted.is_empty() {
            writeln!(out, "The server accepted none of them.")?;
        } else {
            writeln!(out, "The server accepted: {}", accepted.join("; "))?;
        }
    } else if let Some(sent) = &last_sent {
        verdict(&mut out, sent, &creds, opts)?;
    }
    let any_answer = rows[1..].iter().any(|r| r.answer.is_ok());
    Ok(if any_answer {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `req` re-signed as `d` with the secret of its access key; why not, in words.
fn resigned(
    req: &Request,
    d: &'static Dialect,
    date: DateChoice,
    creds: &dyn KeyStore,
    now: OffsetDateTime,
) -> Result<resign::Resigned, String> {
    resign::resign_with(req, creds, |secret| Options {
        date,
        ..Options::new(d, secret, now)
    })
    .map_err(|e| match e {
        resign::ResignError::NoSecret(_) => format!("{e} (give one with --credentials)"),
        e => e.to_string(),
    })
}

fn send(
    req: &Request,
    dest: &Destination,
    what: &str,
    t: &Transport,
    last: &mut Option<Request>,
) -> Row {
    let answer = replay::send(req, dest, what, t)
        .map(|s| s.response)
        .map_err(|e| ("no answer", e.to_string()));
    *last = Some(req.clone());
    Row {
        what: what.to_string(),
        answer,
    }
}

fn header(out: &mut impl Write, x: &Exchange, dest: &Destination) -> Result<()> {
    let r = &x.request;
    writeln!(
        out,
        "#{} {} {} sent to {dest} (Host {}){}",
        x.index,
        escape_str(&r.method),
        escape_bytes(&engine::auth::shown_target(&r.target)),
        escape_str(&r.host().unwrap_or_default()),
        match replay::h2::is_h2(r) {
            true => " over HTTP/2, as captured",
            false => "",
        }
    )
    .context("writing to stdout")
}

fn table(out: &mut impl Write, rows: &[Row]) -> Result<()> {
    let cells: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| match &r.answer {
            Ok(a) => {
                let (s, c) = status_and_code(a);
                (r.what.clone(), s, c)
            }
            Err((status, why)) => (r.what.clone(), (*status).to_string(), why.clone()),
        })
        .collect();
    let w0 = cells.iter().map(|c| c.0.chars().count()).max().unwrap_or(0);
    let w1 = cells
        .iter()
        .map(|c| c.1.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    writeln!(out, "{:w0$}  {:w1$}  error code", "", "status")?;
    for (what, status, code) in cells {
        writeln!(out, "{what:w0$}  {status:w1$}  {code}")?;
    }
    Ok(())
}

/// The verdict on the request last sent, under `--dialect` (aws by default).
fn verdict(
    out: &mut impl Write,
    req: &Request,
    creds: &Credentials,
    opts: &ReportOpts,
) -> Result<()> {
    let cache = KeyCache::default();
    let v = Verifier {
        keys: creds,
        dialect: opts.dialect_or_aws(),
        cache: &cache,
        reveal_keys: false,
    };
    let a = engine::analyze(req, &v);
    writeln!(
        out,
        "verdict on what was sent ({}): {}",
        v.dialect.name,
        a.verdict.as_str()
    )?;
    Ok(())
}
