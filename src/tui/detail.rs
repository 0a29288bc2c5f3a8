//! The selected exchange's detail: every tab's content, built when the selection, the verifier
//! or a view option changes, never in a draw call. Draw calls only slice and place these lines.

use std::ops::Range;
use std::sync::Arc;

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::engine::{diagnose, Analysis, DialectResult, Mode, Verdict};
use crate::http::{self, Headers};
use crate::tui::analysis::{Item, Settings};
use crate::tui::config::Theme;
use crate::tui::text::{self, changed_ranges, hex_spans, line_spans, safe, safe_str, units, Unit};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tab {
    Overview,
    Canonical,
    StringToSign,
    Signing,
    Diff,
    Dialects,
    Headers,
    Body,
    Response,
}

impl Tab {
    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Canonical => "Canonical request",
            Tab::StringToSign => "String to sign",
            Tab::Signing => "Signing",
            Tab::Diff => "Diff",
            Tab::Dialects => "Dialects",
            Tab::Headers => "Headers",
            Tab::Body => "Body",
            Tab::Response => "Response",
        }
    }
}

/// The tabs that mean something for a mode: SigV2 and Query signatures sign one string (no
/// canonical-request pane); unsigned schemes have nothing to recompute.
pub fn tabs_for(mode: Mode) -> Vec<Tab> {
    use Tab::*;
    match mode {
        Mode::Sigv4Header | Mode::Sigv4Query | Mode::Sigv4Streaming => vec![
            Overview,
            Canonical,
            StringToSign,
            Signing,
            Diff,
            Dialects,
            Headers,
            Body,
            Response,
        ],
        Mode::Sigv2Header | Mode::Sigv2Query | Mode::QueryV0 | Mode::QueryV1 | Mode::QueryV2 => {
            vec![
                Overview,
                StringToSign,
                Signing,
                Diff,
                Dialects,
                Headers,
                Body,
                Response,
            ]
        }
        _ => vec![Overview, Headers, Body, Response],
    }
}

/// View options that change what a tab shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewOpts {
    pub whitespace: bool,
    pub hex: bool,
    pub pretty: bool,
    pub show_all: bool,
    /// Diff: compare with this dialect (or `server`) instead of the default.
    pub against: Option<String>,
}

impl Default for ViewOpts {
    fn default() -> Self {
        ViewOpts {
            whitespace: true,
            hex: false,
            pretty: true,
            show_all: false,
            against: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    Same,
    Changed,
    OnlyLeft,
    OnlyRight,
}

/// One row of the diff: a line on either side (1-based number and its units), and the
/// differing unit ranges.
#[derive(Clone, Debug)]
pub struct DiffRow {
    pub kind: RowKind,
    pub left: Option<(usize, Vec<Unit>)>,
    pub right: Option<(usize, Vec<Unit>)>,
    pub lmark: Option<Range<usize>>,
    pub rmark: Option<Range<usize>>,
}

#[derive(Clone, Debug, Default)]
pub struct DiffModel {
    pub step: &'static str,
    pub left_label: String,
    pub right_label: String,
    pub rows: Vec<DiffRow>,
    /// Index in `rows` of the first divergent row.
    pub first: Option<usize>,
    /// What the comparison is and what explains it, in words.
    pub notes: Vec<String>,
    /// What `]`/`[` cycle through, and the one shown.
    pub choices: Vec<String>,
    pub against: String,
}

pub struct DetailModel {
    pub id: usize,
    pub gen: u64,
    pub item: Arc<Item>,
    pub analysis: Analysis,
    pub tabs: Vec<Tab>,
    pub opts: ViewOpts,
    pub docs: Vec<(Tab, Vec<Line<'static>>)>,
    pub diff: DiffModel,
    /// Lines of the Diff tab that come before the rows (notes), for scrolling to the first
    /// divergent row.
    pub diff_header_lines: usize,
}

impl DetailModel {
    pub fn build(id: usize, item: Arc<Item>, s: &Settings, opts: ViewOpts, theme: &Theme) -> Self {
        let analysis = s.analyze(&item);
        let tabs = tabs_for(analysis.auth.mode.unwrap_or(Mode::Unknown));
        let mut m = DetailModel {
            id,
            gen: s.gen,
            item,
            analysis,
            tabs,
            opts,
            docs: Vec::new(),
            diff: DiffModel::default(),
            diff_header_lines: 0,
        };
        m.rebuild(theme);
        m
    }

    /// Rebuilds every tab's lines for the current options (the analysis is kept).
    pub fn rebuild(&mut self, theme: &Theme) {
        let b = Builder {
            x: &self.item.x,
            a: &self.analysis,
            t: theme,
            o: &self.opts,
        };
        self.diff = b.diff_model();
        self.docs = self
            .tabs
            .iter()
            .map(|&tab| {
                let lines = match tab {
                    Tab::Overview => b.overview(),
                    Tab::Canonical => b.canonical(),
                    Tab::StringToSign => b.string_to_sign(),
                    Tab::Signing => b.signing(),
                    Tab::Diff => b.diff_notes(&self.diff),
                    Tab::Dialects => b.dialects(),
                    Tab::Headers => b.headers(),
                    Tab::Body => b.body(),
                    Tab::Response => b.response(),
                };
                (tab, lines)
            })
            .collect();
        self.diff_header_lines = self.doc(Tab::Diff).map(|d| d.len()).unwrap_or(0);
    }

    pub fn doc(&self, tab: Tab) -> Option<&Vec<Line<'static>>> {
        self.docs.iter().find(|(t, _)| *t == tab).map(|(_, d)| d)
    }
}

/// What the client signed, as the first dialect that reproduces its signature computes it.
fn client_side(a: &Analysis) -> Option<&DialectResult> {
    a.client_dialects.first().and_then(|n| a.dialect(n))
}

fn step_text(d: &DialectResult, canonical: bool) -> Option<&[u8]> {
    if canonical {
        d.canonical_request.as_deref()
    } else {
        Some(&d.string_to_sign)
    }
}

struct Builder<'a> {
    x: &'a crate::exchange::Exchange,
    a: &'a Analysis,
    t: &'a Theme,
    o: &'a ViewOpts,
}

fn kv(t: &Theme, k: &str, v: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{k:<12}"), t.accent()),
        Span::raw(v.into()),
    ])
}

fn heading(t: &Theme, s: &str) -> Line<'static> {
    Line::from(Span::styled(
        s.to_string(),
        t.accent().add_modifier(Modifier::UNDERLINED),
    ))
}

pub fn verdict_badge(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Valid => ("✓", "VALID"),
        Verdict::Invalid => ("✗", "INVALID"),
        Verdict::Unverified => ("?", "UNVERIFIED"),
        Verdict::Anonymous => ("○", "ANONYMOUS"),
        Verdict::Malformed => ("!", "MALFORMED"),
    }
}

pub fn verdict_style(t: &Theme, v: Verdict) -> Style {
    let c = match v {
        Verdict::Valid => t.valid,
        Verdict::Invalid => t.invalid,
        Verdict::Unverified => t.unverified,
        Verdict::Anonymous => t.anonymous,
        Verdict::Malformed => t.malformed,
    };
    let s = t.fg(c);
    match v {
        Verdict::Invalid | Verdict::Malformed => s.add_modifier(Modifier::BOLD),
        _ => s,
    }
}

/// Lines of a block of untrusted bytes, numbered, with optional labels in a right column.
fn numbered(t: &Theme, b: &[u8], labels: &[&str], ws: bool) -> Vec<Line<'static>> {
    let n = b.split(|&c| c == b'\n').count();
    b.split(|&c| c == b'\n')
        .enumerate()
        .map(|(i, l)| {
            let mut spans = vec![Span::styled(format!("{:>3} │ ", i + 1), t.dim())];
            spans.extend(line_spans(
                &units(l),
                ws,
                ws && i + 1 < n,
                None,
                Style::default(),
                Style::default(),
            ));
            if let Some(lab) = labels.get(i).filter(|l| !l.is_empty()) {
                spans.push(Span::styled(format!("   ← {lab}"), t.dim()));
            }
            Line::from(spans)
        })
        .collect()
}

/// What each line of a SigV4 canonical request is.
fn canonical_labels(cr: &[u8]) -> Vec<String> {
    let lines: Vec<&[u8]> = cr.split(|&c| c == b'\n').collect();
    let mut out = vec![String::new(); lines.len()];
    if lines.len() < 6 {
        return out;
    }
    let last = lines.len() - 1;
    out[0] = "method".into();
    out[1] = "canonical URI".into();
    out[2] = "canonical query string".into();
    for l in out.iter_mut().take(last - 2).skip(3) {
        *l = "canonical header".into();
    }
    out[last - 2] = "(end of headers)".into();
    out[last - 1] = "signed headers".into();
    out[last] = "payload hash".into();
    out
}

fn sts_labels(mode: Mode, sts: &[u8]) -> Vec<String> {
    let n = sts.split(|&c| c == b'\n').count();
    let fixed: &[&str] = match mode {
        Mode::Sigv4Header | Mode::Sigv4Query | Mode::Sigv4Streaming => &[
            "algorithm",
            "request date",
            "credential scope",
            "SHA-256 of the canonical request",
        ],
        Mode::Sigv2Header | Mode::Sigv2Query => &["method", "Content-MD5", "Content-Type", "date"],
        Mode::QueryV2 => &["method", "host", "path", "sorted parameters"],
        _ => &[],
    };
    let mut out: Vec<String> = (0..n)
        .map(|i| fixed.get(i).map(|s| s.to_string()).unwrap_or_default())
        .collect();
    if matches!(mode, Mode::Sigv2Header | Mode::Sigv2Query) && n >= 5 {
        for l in out.iter_mut().take(n - 1).skip(4) {
            *l = "x-amz-* header".into();
        }
        out[n - 1] = "resource (path + sub-resources)".into();
    }
    out
}

impl Builder<'_> {
    fn verifier(&self) -> Option<&DialectResult> {
        self.a.dialect(self.a.verifier)
    }

    fn overview(&self) -> Vec<Line<'static>> {
        let (t, a, x) = (self.t, self.a, self.x);
        let r = &x.request;
        let mut v = Vec::new();
        let (sym, word) = verdict_badge(a.verdict);
        let mut head = vec![
            Span::styled(
                format!("{sym} {word}"),
                verdict_style(t, a.verdict).add_modifier(Modifier::REVERSED),
            ),
            Span::raw(format!(" under {}", a.verifier)),
        ];
        if let Some(p) = &x.response {
            head.push(Span::raw(format!(
                "   server answered {} {}",
                p.status,
                safe_str(&p.reason)
            )));
        }
        v.push(Line::from(head));
        let mode = a.auth.mode.unwrap_or(Mode::Unknown);
        match mode {
            Mode::Anonymous => {
                v.push(Line::raw(""));
                v.push(heading(t, "Why nothing is verified"));
                v.push(Line::raw(
                    "Nothing is signed: the request has no Authorization header and no signature parameters (X-Amz-Signature, Signature, AWSAccessKeyId). A server that allows anonymous access (a public S3 bucket, Ceph RGW with an anonymous ACL) serves it; others answer 403 AccessDenied, which no signature fix changes.",
                ));
            }
            Mode::Basic | Mode::Bearer | Mode::XAuthToken => {
                v.push(Line::raw(""));
                v.push(Line::raw(
                    "This scheme carries a credential rather than a signature: it is decoded (secrets masked), not verified.",
                ));
            }
            _ => {}
        }
        let findings: Vec<_> = x.notes.iter().chain(&a.findings).collect();
        if !findings.is_empty() {
            v.push(Line::raw(""));
            v.push(heading(t, "Findings"));
            for f in findings {
                v.push(Line::from(vec![
                    Span::styled("! ", t.fg(t.unverified).add_modifier(Modifier::BOLD)),
                    Span::styled(
                        f.code.to_string(),
                        Style::default().add_modifier(Modifier::BOLD),
                    ),
                ]));
                v.push(Line::raw(format!("    {}", safe_str(&f.message))));
            }
        }
        if let Some(d) = &a.divergence {
            v.push(Line::raw(""));
            v.push(heading(t, "Where it diverges"));
            v.push(Line::raw(format!(
                "{} line {}, column {}, against {}",
                step_name(d.step),
                d.line,
                d.column,
                safe_str(&d.against)
            )));
            v.push(Line::from(vec![
                Span::styled("  client signed: ", t.dim()),
                Span::raw(safe_str(&d.ours)),
            ]));
            v.push(Line::from(vec![
                Span::styled(format!("  {:>13}: ", safe_str(&d.against)), t.dim()),
                Span::raw(safe_str(&d.theirs)),
            ]));
            if let Some(k) = &d.knob {
                v.push(Line::raw(format!("  knob: {}", safe_str(k))));
            }
        }
        let mut next = Vec::new();
        if a.verdict == Verdict::Unverified && a.auth.access_key.is_some() && mode.is_signature() {
            next.push("press K to enter the secret for this access key (kept in memory only)");
        }
        if a.divergence.is_some()
            || a.findings
                .iter()
                .any(|f| f.code == crate::engine::Code::ServerLikelyDialect)
        {
            next.push("open the Diff tab to see both sides, the divergent line marked");
        }
        if a.findings
            .iter()
            .any(|f| f.code == crate::engine::Code::ServerLikelyDialect)
        {
            next.push("press d to verify as the dialect the server likely uses");
        }
        if !next.is_empty() {
            v.push(Line::raw(""));
            v.push(heading(t, "Next"));
            for n in next {
                v.push(Line::styled(format!("  → {n}"), t.dim()));
            }
        }
        v.push(Line::raw(""));
        v.push(heading(t, "Request"));
        v.push(kv(
            t,
            "Request",
            format!(
                "{} {}{}",
                safe_str(&r.method),
                r.host().map(|h| safe_str(&h)).unwrap_or_default(),
                safe(&r.target)
            ),
        ));
        v.push(kv(t, "Source", safe_str(&x.source)));
        if let Some(tm) = x.time {
            v.push(kv(t, "Time", crate::engine::time::format_rfc3339(tm)));
        }
        if let (Some(c), Some(s)) = (&x.client, &x.server) {
            v.push(kv(
                t,
                "Endpoints",
                format!("{} → {}", safe_str(c), safe_str(s)),
            ));
        }
        v.push(kv(t, "Auth", mode.as_str()));
        if let Some(ak) = &a.auth.access_key {
            v.push(kv(t, "Access key", safe_str(ak)));
        }
        if let (Some(reg), Some(svc)) = (&a.auth.region, &a.auth.service) {
            v.push(kv(
                t,
                "Scope",
                format!("region {}  service {}", safe_str(reg), safe_str(svc)),
            ));
        }
        if let Some(d) = &a.auth.date {
            v.push(kv(t, "Signed at", safe_str(d)));
        }
        if let Some(sh) = &a.auth.signed_headers {
            v.push(kv(t, "Signed hdrs", safe_str(&sh.join(";"))));
        }
        for (k, val) in &a.auth.fields {
            v.push(Line::from(vec![
                Span::styled(format!("  {}: ", safe_str(k)), t.dim()),
                Span::raw(safe_str(val)),
            ]));
        }
        if !a.client_dialects.is_empty() {
            v.push(kv(t, "Client used", a.client_dialects.join(", ")));
        } else if matches!(a.verdict, Verdict::Invalid) {
            v.push(kv(
                t,
                "Client used",
                "no dialect reproduces the client's signature",
            ));
        }
        v
    }

    fn canonical(&self) -> Vec<Line<'static>> {
        let t = self.t;
        let Some(d) = self.verifier() else {
            return vec![Line::raw("No dialect computed a canonical request.")];
        };
        let mut v = Vec::new();
        match &d.canonical_request {
            Some(cr) => {
                use sha2::Digest;
                let h = crate::engine::crypto::to_hex(sha2::Sha256::digest(cr).as_slice());
                v.push(Line::styled(
                    format!("Canonical request as {} computes it — SHA-256 {h}", d.name),
                    t.accent(),
                ));
                v.push(Line::raw(""));
                let labels = canonical_labels(cr);
                let labels: Vec<&str> = labels.iter().map(|s| s.as_str()).collect();
                v.extend(numbered(t, cr, &labels, self.o.whitespace));
                if let Some(c) = client_side(self.a).filter(|c| c.name != d.name) {
                    if c.canonical_request != d.canonical_request {
                        v.push(Line::raw(""));
                        v.push(Line::styled(
                            format!("The client's ({}) differs: see the Diff tab.", c.name),
                            t.dim(),
                        ));
                    }
                }
            }
            None if d.unsupported => v.push(Line::raw(format!(
                "{} has no verifier for this auth mode.",
                d.name
            ))),
            None => v.push(Line::raw(
                "This auth mode signs a single string: see String to sign.",
            )),
        }
        v
    }

    fn string_to_sign(&self) -> Vec<Line<'static>> {
        let t = self.t;
        let Some(d) = self.verifier() else {
            return vec![Line::raw("No dialect computed a string to sign.")];
        };
        if d.unsupported {
            return vec![Line::raw(format!(
                "{} has no verifier for this auth mode; press d to pick another dialect.",
                d.name
            ))];
        }
        let mode = self.a.auth.mode.unwrap_or(Mode::Unknown);
        let mut v = vec![
            Line::styled(
                format!("String to sign as {} computes it", d.name),
                t.accent(),
            ),
            Line::raw(""),
        ];
        let labels = sts_labels(mode, &d.string_to_sign);
        let labels: Vec<&str> = labels.iter().map(|s| s.as_str()).collect();
        v.extend(numbered(t, &d.string_to_sign, &labels, self.o.whitespace));
        if !d.chunks.is_empty() {
            v.push(Line::raw(""));
            v.push(heading(
                t,
                "aws-chunked chunks (each signs the previous signature)",
            ));
            for c in &d.chunks {
                v.push(Line::styled(
                    format!("chunk {} ({} bytes)", c.index, c.size),
                    Style::default().add_modifier(Modifier::BOLD),
                ));
                v.extend(numbered(t, c.string_to_sign.as_bytes(), &[], false));
            }
        }
        v
    }

    fn signing(&self) -> Vec<Line<'static>> {
        let (t, a) = (self.t, self.a);
        let mut v = Vec::new();
        let mode = a.auth.mode.unwrap_or(Mode::Unknown);
        let Some(d) = self.verifier() else {
            return v;
        };
        let claimed = a.auth.signature.clone().unwrap_or_default();
        let known = d.signature.is_some();
        v.push(kv(
            t,
            "Secret",
            if known {
                "known (never shown)".to_string()
            } else {
                "not known — press K to enter it for this access key".to_string()
            },
        ));
        v.push(Line::raw(""));
        match mode {
            Mode::Sigv4Header | Mode::Sigv4Query | Mode::Sigv4Streaming => {
                let date = match &self.a.parsed {
                    crate::engine::auth::Parsed::V4(p) => Some((
                        p.scope_date.clone(),
                        p.region.clone(),
                        p.service.clone(),
                        p.terminator.clone(),
                    )),
                    _ => None,
                };
                let (sd, reg, svc, term) = date.unwrap_or_default();
                let k = a.signing_key.as_ref();
                let val = |f: fn(&crate::engine::KeyChainView) -> &String| {
                    k.map(|k| f(k).clone()).unwrap_or_else(|| "—".into())
                };
                v.push(heading(
                    t,
                    "Signing key (derived from the secret and the credential scope)",
                ));
                v.push(kv(
                    t,
                    "kDate",
                    format!(
                        "HMAC-SHA256(\"AWS4\" + secret, \"{}\")  = {}",
                        safe_str(&sd),
                        val(|k| &k.k_date)
                    ),
                ));
                v.push(kv(
                    t,
                    "kRegion",
                    format!(
                        "HMAC-SHA256(kDate, \"{}\")  = {}",
                        safe_str(&reg),
                        val(|k| &k.k_region)
                    ),
                ));
                v.push(kv(
                    t,
                    "kService",
                    format!(
                        "HMAC-SHA256(kRegion, \"{}\")  = {}",
                        safe_str(&svc),
                        val(|k| &k.k_service)
                    ),
                ));
                v.push(kv(
                    t,
                    "kSigning",
                    format!(
                        "HMAC-SHA256(kService, \"{}\")  = {}",
                        safe_str(&term),
                        val(|k| &k.k_signing)
                    ),
                ));
                v.push(Line::styled(
                    "  (derived keys sign anything in their scope for a day: shown by their first bytes)",
                    t.dim(),
                ));
                v.push(Line::raw(""));
                v.push(heading(
                    t,
                    "Signature = hex(HMAC-SHA256(kSigning, string to sign))",
                ));
            }
            Mode::Sigv2Header | Mode::Sigv2Query => {
                v.push(heading(
                    t,
                    "Signature = base64(HMAC-SHA1(secret, string to sign))",
                ));
            }
            Mode::QueryV0 | Mode::QueryV1 | Mode::QueryV2 => {
                let m = a
                    .auth
                    .fields
                    .iter()
                    .find(|(k, _)| k == "SignatureMethod")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| "HmacSHA1".into());
                v.push(heading(
                    t,
                    &format!(
                        "Signature = base64({}(secret, string to sign))",
                        safe_str(&m)
                    ),
                ));
            }
            _ => {}
        }
        v.push(kv(t, "claimed", safe_str(&claimed)));
        match &d.signature {
            Some(sig) => {
                let same = d.matches == Some(true);
                let mark = if same { "✓ equal" } else { "✗ differs" };
                let (ra, _) = changed_ranges(&units(sig.as_bytes()), &units(claimed.as_bytes()));
                let spans = if same {
                    vec![Span::raw(sig.clone())]
                } else {
                    line_spans(
                        &units(sig.as_bytes()),
                        false,
                        false,
                        Some(ra),
                        Style::default(),
                        t.changed(),
                    )
                };
                let mut l = vec![Span::styled(format!("{:<12}", "computed"), t.accent())];
                l.extend(spans);
                l.push(Span::styled(
                    format!("  {mark} ({})", d.name),
                    verdict_style(
                        t,
                        if same {
                            Verdict::Valid
                        } else {
                            Verdict::Invalid
                        },
                    ),
                ));
                v.push(Line::from(l));
            }
            None => v.push(kv(t, "computed", "— (needs the secret)")),
        }
        if let Some(r) = &d.rejects {
            v.push(Line::raw(""));
            v.push(Line::raw(format!(
                "{} would refuse it anyway: {}",
                d.name,
                safe_str(r)
            )));
        }
        if !d.chunks.is_empty() {
            v.push(Line::raw(""));
            v.push(heading(t, "Chunk signatures"));
            for c in &d.chunks {
                let state = match c.matches {
                    Some(true) => "✓ ok",
                    Some(false) => "✗ MISMATCH",
                    None => "? unverified",
                };
                v.push(Line::raw(format!(
                    "  chunk {:>3}  {:>8} bytes  {state}  claimed {}",
                    c.index,
                    c.size,
                    safe_str(&c.claimed_signature)
                )));
            }
        }
        v
    }

    /// Picks the two sides of the Diff tab and lines them up.
    fn diff_model(&self) -> DiffModel {
        let a = self.a;
        let mut m = DiffModel::default();
        let client = client_side(a);
        let left = client.or_else(|| self.verifier());
        let Some(left) = left else {
            m.notes
                .push("Nothing was signed, so there is nothing to compare.".into());
            return m;
        };
        let server_strings = a
            .server_expected
            .as_ref()
            .filter(|s| s.canonical_request.is_some() || s.string_to_sign.is_some());
        m.choices = a
            .dialects
            .iter()
            .filter(|d| !d.unsupported && d.name != left.name)
            .map(|d| d.name.to_string())
            .collect();
        if server_strings.is_some() {
            m.choices.insert(0, "server".into());
        }
        let rejected = a
            .dialects
            .iter()
            .filter(|d| !d.unsupported && d.name != left.name)
            .find(|d| {
                d.accepts() == Some(false)
                    && (d.canonical_request != left.canonical_request
                        || d.string_to_sign != left.string_to_sign)
            });
        let server_refused = self
            .x
            .response
            .as_ref()
            .is_some_and(|p| p.status == 401 || p.status == 403);
        let default = a
            .divergence
            .as_ref()
            .map(|d| d.against.clone())
            .or_else(|| server_strings.map(|_| "server".to_string()))
            .or_else(|| {
                server_refused
                    .then(|| rejected.map(|d| d.name.to_string()))
                    .flatten()
            })
            .unwrap_or_else(|| a.verifier.to_string());
        let against = self
            .o
            .against
            .clone()
            .filter(|c| m.choices.contains(c))
            .unwrap_or(default);
        m.against = against.clone();
        m.left_label = match client {
            Some(c) => format!("client signed (as {} computes it)", c.name),
            None => format!(
                "{} (no dialect reproduces the client's signature)",
                left.name
            ),
        };
        let (right_cr, right_sts): (Option<Vec<u8>>, Vec<u8>) = if against == "server" {
            let se = server_strings.expect("server choice implies strings");
            (
                se.canonical_request.clone().map(String::into_bytes),
                se.string_to_sign
                    .clone()
                    .map(String::into_bytes)
                    .unwrap_or_default(),
            )
        } else {
            match a.dialect(&against) {
                Some(d) => (
                    d.canonical_request.as_deref().map(<[u8]>::to_vec),
                    d.string_to_sign.to_vec(),
                ),
                None => (None, Vec::new()),
            }
        };
        m.right_label = if against == "server" {
            "the server computed (from its error body)".into()
        } else {
            format!("{against} computes")
        };
        // No dialect reproduces the client's signature, but the diagnosis found what the client
        // signed at one line (a header rewritten on the way): the client's side is the other
        // side with that line as the client had it.
        let recon = a
            .divergence
            .as_ref()
            .filter(|d| client.is_none() && d.against == against)
            .filter(|d| {
                matches!(
                    d.step,
                    diagnose::Step::CanonicalRequest | diagnose::Step::StringToSign
                )
            });
        let use_cr = match recon {
            Some(d) => d.step == diagnose::Step::CanonicalRequest && right_cr.is_some(),
            None => {
                left.canonical_request.is_some()
                    && right_cr.is_some()
                    && (left.canonical_request.as_deref() != right_cr.as_deref()
                        || left.string_to_sign == right_sts)
            }
        };
        m.step = if use_cr {
            "canonical request"
        } else {
            "string to sign"
        };
        let r: &[u8] = if use_cr {
            right_cr.as_deref().unwrap_or_default()
        } else {
            &right_sts
        };
        let rebuilt: Vec<u8>;
        let l: &[u8] = match recon {
            Some(d) => {
                let mut lines: Vec<&[u8]> = r.split(|&c| c == b'\n').collect();
                let i = d.line.saturating_sub(1);
                if i < lines.len() {
                    lines[i] = d.ours.as_bytes();
                } else {
                    lines.push(d.ours.as_bytes());
                }
                rebuilt = lines.join(&b'\n');
                m.left_label = "client signed (reconstructed by the diagnosis)".into();
                &rebuilt
            }
            None if use_cr => left.canonical_request.as_deref().unwrap_or_default(),
            None => &left.string_to_sign,
        };
        let (rows, first) = line_diff(l, r);
        m.rows = rows;
        m.first = first;
        // Words: why this comparison, and what explains the difference.
        if a.divergence.is_none()
            && server_refused
            && against != a.verifier
            && self.o.against.is_none()
        {
            m.notes.push(format!(
                "The server refused a request that {} accepts; {} is a dialect that would refuse it.",
                a.verifier, against
            ));
        }
        if let Some(d) = a.divergence.as_ref().filter(|d| d.against == against) {
            m.notes.push(format!(
                "{} differs at line {}, column {}.",
                step_name(d.step),
                d.line,
                d.column
            ));
            if let Some(k) = &d.knob {
                m.notes.push(format!("knob: {}", safe_str(k)));
            }
        } else if against != "server" {
            if let Some(knob) = a
                .findings
                .iter()
                .find(|f| {
                    f.code == crate::engine::Code::ServerLikelyDialect
                        || f.code == crate::engine::Code::DialectMismatch
                })
                .and_then(|f| rule_for(&f.message, &against))
            {
                m.notes.push(format!("rule: {}", safe_str(&knob)));
            }
        }
        for f in a
            .findings
            .iter()
            .filter(|f| f.code == crate::engine::Code::RequestAltered)
        {
            m.notes.push(safe_str(&f.message));
        }
        if first.is_none() {
            m.notes.push(format!(
                "Identical: the {} is the same on both sides.",
                m.step
            ));
        }
        m
    }

    fn diff_notes(&self, m: &DiffModel) -> Vec<Line<'static>> {
        let t = self.t;
        let mut v = vec![Line::from(vec![
            Span::styled(format!("{}: ", m.step), t.accent()),
            Span::raw(format!("{}  ⇄  {}", m.left_label, m.right_label)),
        ])];
        for n in &m.notes {
            v.push(Line::raw(n.clone()));
        }
        if m.choices.len() > 1 {
            v.push(Line::styled(
                format!("compare with: {}  (] / [ to change)", m.choices.join(" · ")),
                t.dim(),
            ));
        }
        v.push(Line::raw(""));
        v
    }

    fn dialects(&self) -> Vec<Line<'static>> {
        let (t, a) = (self.t, self.a);
        let client = client_side(a);
        let mut v = vec![Line::styled(
            format!(
                "{:<16} {:<12} {:<10} {:<22} {}",
                "dialect", "signature", "accepts", "first differs from client", "rejects / summary"
            ),
            t.accent(),
        )];
        for d in &a.dialects {
            let sig = match (d.unsupported, d.matches) {
                (true, _) => "n/a",
                (_, Some(true)) => "✓ match",
                (_, Some(false)) => "✗ mismatch",
                (_, None) => "? no secret",
            };
            let acc = match d.accepts() {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "—",
            };
            let differs = match client {
                _ if d.unsupported => "—".to_string(),
                Some(c) if c.name == d.name => "(client's dialect)".to_string(),
                Some(c) => first_diff_of(c, d),
                None => "—".into(),
            };
            let summary = crate::engine::dialect::by_name(d.name)
                .map(|x| x.summary)
                .unwrap_or("");
            let rest = d
                .rejects
                .as_deref()
                .map(|r| format!("rejects: {}", safe_str(r)))
                .unwrap_or_else(|| summary.to_string());
            let style = match d.accepts() {
                Some(false) => verdict_style(t, Verdict::Invalid),
                Some(true) => verdict_style(t, Verdict::Valid),
                None => Style::default(),
            };
            let mut line = Line::from(vec![
                Span::styled(
                    format!("{:<16} ", d.name),
                    if d.name == a.verifier {
                        Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
                    } else {
                        Style::default()
                    },
                ),
                Span::styled(format!("{sig:<12} "), style),
                Span::styled(format!("{acc:<10} "), style),
                Span::raw(format!("{differs:<22} ")),
                Span::styled(rest, t.dim()),
            ]);
            if d.name == a.verifier {
                line.spans.insert(0, Span::raw("▸"));
            } else {
                line.spans.insert(0, Span::raw(" "));
            }
            v.push(line);
        }
        v.push(Line::raw(""));
        v.push(Line::styled(
            format!("▸ the verifier ({}); press d to choose another", a.verifier),
            t.dim(),
        ));
        v
    }

    fn headers(&self) -> Vec<Line<'static>> {
        let (t, x) = (self.t, self.x);
        let r = &x.request;
        let signed: Vec<String> = self.a.auth.signed_headers.clone().unwrap_or_default();
        let mut v = vec![Line::styled(
            format!(
                "{} {} {}",
                safe_str(&r.method),
                safe(&r.target),
                safe_str(&r.version)
            ),
            Style::default().add_modifier(Modifier::BOLD),
        )];
        for h in &r.headers {
            let name = String::from_utf8_lossy(&h.name).to_ascii_lowercase();
            let is_signed = signed.contains(&name);
            let value = display_header_value(&h.name, &h.value);
            v.push(Line::from(vec![
                Span::styled(if is_signed { "✎ " } else { "  " }, t.accent()),
                Span::styled(
                    format!("{}: ", safe(&h.name)),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(value),
            ]));
        }
        v.push(Line::raw(""));
        v.push(Line::styled("✎ signed header", t.dim()));
        for s in &signed {
            if r.header(s).is_none() {
                v.push(Line::styled(
                    format!("! {} is signed but not in the request", safe_str(s)),
                    verdict_style(t, Verdict::Invalid),
                ));
            }
        }
        if let Some(q) = r.query() {
            v.push(Line::raw(""));
            v.push(heading(t, "Query parameters"));
            for p in q.split(|&c| c == b'&').filter(|p| !p.is_empty()) {
                let (k, val) = match p.iter().position(|&c| c == b'=') {
                    Some(i) => (&p[..i], &p[i + 1..]),
                    None => (p, &b""[..]),
                };
                let val = if k.eq_ignore_ascii_case(b"X-Amz-Security-Token") {
                    crate::engine::auth::mask(&String::from_utf8_lossy(val))
                } else {
                    safe(val)
                };
                v.push(Line::raw(format!("  {} = {}", safe(k), val)));
            }
        }
        v
    }

    fn body_lines(
        &self,
        headers: &[http::Header],
        body: &[u8],
        total: u64,
        what: &str,
    ) -> Vec<Line<'static>> {
        let t = self.t;
        let mut v = Vec::new();
        let kept = body.len() as u64;
        v.push(Line::styled(
            format!(
                "{what}: {total} bytes{}",
                if kept < total {
                    format!(" ({kept} kept in memory: --body-cap)")
                } else {
                    String::new()
                }
            ),
            t.accent(),
        ));
        if body.is_empty() {
            v.push(Line::raw("(empty)"));
            return v;
        }
        let hs = HeaderList(headers);
        let decoded = http::decoded_body(&hs, body, 16 << 20);
        let shown: &[u8] = decoded.as_deref().unwrap_or(body);
        if decoded.is_some() {
            v.push(Line::styled(
                "(decoded from its Content-Encoding for display)",
                t.dim(),
            ));
        }
        const LIMIT: usize = 4096;
        let cut = if self.o.show_all {
            shown.len()
        } else {
            shown.len().min(LIMIT)
        };
        let part = &shown[..cut];
        let ctype = hs
            .header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if self.o.hex {
            for (i, chunk) in part.chunks(16).enumerate() {
                let hex: String = chunk.iter().map(|b| format!("{b:02x} ")).collect();
                let asc: String = chunk
                    .iter()
                    .map(|&b| {
                        if (0x20..0x7f).contains(&b) {
                            b as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                v.push(Line::raw(format!("{:08x}  {hex:<48} {asc}", i * 16)));
            }
        } else {
            let pretty = if self.o.pretty {
                pretty_body(&ctype, part)
            } else {
                None
            };
            let text_b = pretty.as_deref().unwrap_or(part);
            for l in text_b.split(|&c| c == b'\n') {
                v.push(Line::from(line_spans(
                    &units(l),
                    false,
                    false,
                    None,
                    Style::default(),
                    Style::default(),
                )));
            }
        }
        if cut < shown.len() {
            v.push(Line::styled(
                format!("… {} more bytes — press a to show all", shown.len() - cut),
                t.dim(),
            ));
        }
        v
    }

    fn body(&self) -> Vec<Line<'static>> {
        let r = &self.x.request;
        let mut v = self.body_lines(&r.headers, &r.body, r.body_len(), "Request body");
        v.insert(
            1,
            Line::styled(format!("SHA-256 {}", self.a.body_sha256), self.t.dim()),
        );
        if let Some(raw) = &r.raw_chunked_body {
            v.push(Line::raw(""));
            v.push(Line::styled(
                format!("(chunk framing kept: {} bytes on the wire)", raw.len()),
                self.t.dim(),
            ));
        }
        v
    }

    fn response(&self) -> Vec<Line<'static>> {
        let t = self.t;
        let Some(p) = &self.x.response else {
            return vec![Line::raw("No response was seen for this request.")];
        };
        let mut v = vec![Line::styled(
            format!(
                "{} {} {}",
                safe_str(&p.version),
                p.status,
                safe_str(&p.reason)
            ),
            verdict_style(
                t,
                if p.status >= 400 {
                    Verdict::Invalid
                } else {
                    Verdict::Valid
                },
            ),
        )];
        for h in &p.headers {
            v.push(Line::from(vec![
                Span::styled(
                    format!("{}: ", safe(&h.name)),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(display_header_value(&h.name, &h.value)),
            ]));
        }
        if let Some(se) = &self.a.server_expected {
            v.push(Line::raw(""));
            v.push(heading(t, "What the server says it computed"));
            v.push(kv(t, "Code", safe_str(&se.code)));
            if let Some(m) = &se.message {
                v.push(kv(t, "Message", safe_str(m)));
            }
            if let Some(r) = &se.region {
                v.push(kv(t, "Region", safe_str(r)));
            }
            if let Some(s) = &se.signature_provided {
                v.push(kv(t, "Sig given", safe_str(s)));
            }
            if let (Some(a), Some(b)) = (&se.request_time, &se.server_time) {
                v.push(kv(
                    t,
                    "Times",
                    format!("request {}  server {}", safe_str(a), safe_str(b)),
                ));
            }
            for (name, s) in [
                ("CanonicalRequest", &se.canonical_request),
                ("StringToSign", &se.string_to_sign),
            ] {
                if let Some(s) = s {
                    v.push(Line::styled(name.to_string(), t.accent()));
                    v.extend(numbered(t, s.as_bytes(), &[], false));
                }
            }
        }
        v.push(Line::raw(""));
        v.extend(self.body_lines(&p.headers, &p.body, p.body.len() as u64, "Response body"));
        v
    }
}

struct HeaderList<'a>(&'a [http::Header]);

impl Headers for HeaderList<'_> {
    fn header_list(&self) -> &[http::Header] {
        self.0
    }
}

fn step_name(s: diagnose::Step) -> &'static str {
    match s {
        diagnose::Step::CanonicalRequest => "canonical request",
        diagnose::Step::StringToSign => "string to sign",
        diagnose::Step::SigningKey => "signing key",
        diagnose::Step::Signature => "signature",
    }
}

/// The `dialect (rule)` part of a server-likely-dialect / dialect-mismatch message for one
/// dialect.
fn rule_for(message: &str, dialect: &str) -> Option<String> {
    let i = message.find(&format!("{dialect} ("))?;
    let rest = &message[i + dialect.len() + 2..];
    let mut depth = 1usize;
    for (j, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(rest[..j].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

fn first_diff_of(c: &DialectResult, d: &DialectResult) -> String {
    for (canon, name) in [(true, "canonical"), (false, "sts")] {
        let (Some(a), Some(b)) = (step_text(c, canon), step_text(d, canon)) else {
            continue;
        };
        if let Some((l, col, _, _)) =
            diagnose::first_difference(&String::from_utf8_lossy(a), &String::from_utf8_lossy(b))
        {
            return format!("{name} {l}:{col}");
        }
    }
    "identical strings".into()
}

/// A header value as shown: credentials masked (SigV4/SigV2 Authorization kept), escaped.
fn display_header_value(name: &[u8], value: &[u8]) -> String {
    match crate::engine::auth::masked_header(name, value) {
        Some(m) => safe_str(&m),
        None => safe(value),
    }
}

/// JSON and XML indented, forms one parameter a line; `None` when the body is not one.
fn pretty_body(ctype: &str, b: &[u8]) -> Option<Vec<u8>> {
    let trimmed = http::trim_bytes(b);
    if ctype.contains("json") || trimmed.starts_with(b"{") || trimmed.starts_with(b"[") {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(b) {
            return serde_json::to_vec_pretty(&v).ok();
        }
    }
    if ctype.contains("xml") || trimmed.starts_with(b"<") {
        return pretty_xml(b);
    }
    if ctype.contains("x-www-form-urlencoded") {
        let mut out = Vec::new();
        for p in b.split(|&c| c == b'&') {
            out.extend_from_slice(p);
            out.push(b'\n');
        }
        return Some(out);
    }
    None
}

fn pretty_xml(b: &[u8]) -> Option<Vec<u8>> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_reader(b);
    r.config_mut().trim_text(true);
    let mut w = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Eof) => break,
            Ok(e) => w.write_event(e).ok()?,
            Err(_) => return None,
        }
        buf.clear();
    }
    Some(w.into_inner())
}

/// Lines both sides up (via `similar`), pairs changed lines and marks their differing units.
fn line_diff(left: &[u8], right: &[u8]) -> (Vec<DiffRow>, Option<usize>) {
    let l: Vec<&[u8]> = left.split(|&c| c == b'\n').collect();
    let r: Vec<&[u8]> = right.split(|&c| c == b'\n').collect();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &l, &r);
    let mut rows = Vec::new();
    let mut first = None;
    for op in ops {
        let (_, lr, rr) = op.as_tag_tuple();
        match op.tag() {
            similar::DiffTag::Equal => {
                for (i, j) in lr.zip(rr) {
                    rows.push(DiffRow {
                        kind: RowKind::Same,
                        left: Some((i + 1, units(l[i]))),
                        right: Some((j + 1, units(r[j]))),
                        lmark: None,
                        rmark: None,
                    });
                }
            }
            _ => {
                first.get_or_insert(rows.len());
                let n = lr.len().max(rr.len());
                for k in 0..n {
                    let li = lr.clone().nth(k);
                    let rj = rr.clone().nth(k);
                    let lu = li.map(|i| (i + 1, units(l[i])));
                    let ru = rj.map(|j| (j + 1, units(r[j])));
                    let (kind, lmark, rmark) = match (&lu, &ru) {
                        (Some((_, a)), Some((_, b))) => {
                            let (ra, rb) = changed_ranges(a, b);
                            (RowKind::Changed, Some(ra), Some(rb))
                        }
                        (Some((_, a)), None) => (RowKind::OnlyLeft, Some(0..a.len().max(1)), None),
                        (None, Some((_, b))) => (RowKind::OnlyRight, None, Some(0..b.len().max(1))),
                        (None, None) => continue,
                    };
                    rows.push(DiffRow {
                        kind,
                        left: lu,
                        right: ru,
                        lmark,
                        rmark,
                    });
                }
            }
        }
    }
    (rows, first)
}

/// Spans of one side of a diff row, for the options in force.
pub fn side_spans(
    side: &Option<(usize, Vec<Unit>)>,
    mark: &Option<Range<usize>>,
    opts: &ViewOpts,
    base: Style,
    hit: Style,
) -> Vec<Span<'static>> {
    match side {
        None => vec![],
        Some((_, u)) if opts.hex => hex_spans(u, mark.clone(), base, hit),
        Some((_, u)) => line_spans(u, opts.whitespace, opts.whitespace, mark.clone(), base, hit),
    }
}

pub use text::mask_key;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_pairs_changed_lines_and_marks_units() {
        let (rows, first) = line_diff(b"POST\n/v1/\n\nhost:h\n", b"POST\n/v1/\nA=1&B=2\nhost:h\n");
        assert_eq!(first, Some(2));
        assert_eq!(rows[2].kind, RowKind::Changed);
        assert_eq!(rows[2].rmark, Some(0..7));
        assert_eq!(rows.iter().filter(|r| r.kind == RowKind::Same).count(), 4);
        let (rows, first) = line_diff(b"a\nb", b"a\nb");
        assert!(first.is_none() && rows.len() == 2);
    }

    #[test]
    fn rule_extraction_handles_nested_parentheses() {
        let m = "dialects that would reject it: keystone-legacy (canonical query (x) string: a), minio (payload)";
        assert_eq!(
            rule_for(m, "keystone-legacy").unwrap(),
            "canonical query (x) string: a"
        );
        assert_eq!(rule_for(m, "minio").unwrap(), "payload");
        assert!(rule_for(m, "aws").is_none());
    }

    #[test]
    fn pretty_bodies() {
        assert_eq!(
            pretty_body("application/json", b"{\"a\":1}").unwrap(),
            b"{\n  \"a\": 1\n}"
        );
        let x = String::from_utf8(pretty_body("", b"<E><C>X</C></E>").unwrap()).unwrap();
        assert_eq!(x, "<E>\n  <C>X</C>\n</E>");
        assert!(pretty_body("text/plain", b"hello").is_none());
    }
}
