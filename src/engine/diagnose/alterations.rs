//! The alteration search: with the secret and no dialect reproducing the signature, try the
//! changes a proxy, an SDK or a client bug typically makes, before blaming the secret.

use super::*;

/// One hypothesis: what changed between signing and the wire, and the request as the client
/// would then have signed it.
pub(super) struct Alteration {
    pub what: String,
    pub request: Request,
}

impl Alteration {
    fn new(what: String, request: Request) -> Self {
        Alteration { what, request }
    }
}

/// Builds the hypotheses of one kind for a request (its analysis and the Hosts seen elsewhere
/// in the capture at hand).
type Generator = fn(&Request, &Analysis, &[String]) -> Vec<Alteration>;

/// Every kind of hypothesis, most likely first: the search tries them in this order.
const GENERATORS: &[Generator] = &[
    host_rewrites,
    header_changes,
    query_reencodings,
    path_reencodings,
    date_instead_of_amz_date,
    other_scopes,
];

/// At most this many variants are verified per request.
const MAX_VARIANTS: usize = 48;

/// Requests of one shape (same key, signed headers, Host, header names, target skeleton)
/// usually fail the same way: the search remembers per shape what explained one of them (and
/// tries it first next time, verifying it), or, once several full searches of the shape found
/// nothing, that nothing does (`crypto::SearchMemo`: one unexplained request is not enough).
pub(super) fn shape(req: &Request, a: &Analysis) -> String {
    let host = req.header("host");
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|h| String::from_utf8_lossy(&h.name).to_ascii_lowercase())
        .collect();
    names.sort();
    format!(
        "{:?}|{}|{}|{}|{}|{}|{}",
        a.auth.mode,
        a.auth.access_key.as_deref().unwrap_or(""),
        a.auth
            .signed_headers
            .as_ref()
            .map(|s| s.join(";"))
            .unwrap_or_default(),
        host.as_deref().unwrap_or(""),
        req.method,
        names.join(","),
        skeleton(&req.target)
    )
}

/// The request target with every run of letters and digits made one `a`: what the path and
/// query variants depend on (`//`, `/./`, `%7E`, `+`, `=`, `@`, the shape of the query), and
/// nothing that differs from one object to the next (`/bucket/key-1.txt` and
/// `/bucket/key-2.txt` share `/a/a-a.a`). Without it, a `//` path that nothing explains made
/// a later request of the same headers, whose Host had lost its port, "unexplained" too
/// (the conformance corpus of issue 20, cases path-double-slash-signed-collapsed and
/// host-signed-without-port).
fn skeleton(target: &[u8]) -> String {
    let mut out = String::with_capacity(target.len().min(256));
    let mut in_word = false;
    for &b in target.iter().take(4096) {
        if b.is_ascii_alphanumeric() {
            if !in_word {
                out.push('a');
            }
            in_word = true;
        } else {
            in_word = false;
            out.push(if b.is_ascii_graphic() { b as char } else { '?' });
        }
    }
    out
}

/// Plausible changes between signing and the wire: try each, and report the first under which
/// some dialect reproduces the client's signature. Bounded ([`MAX_VARIANTS`] variants).
pub(super) fn search_alterations(
    req: &Request,
    a: &Analysis,
    v: &Verifier,
    seen_hosts: &[String],
) -> Option<(String, &'static str, Option<DialectResult>)> {
    let shape = shape(req, a);
    // Known to explain nothing: the variants need not even be built.
    if let Some(None) = v.cache.search_outcome(&shape) {
        return None;
    }
    let variants: Vec<(String, Request)> = GENERATORS
        .iter()
        .flat_map(|g| g(req, a, seen_hosts))
        .map(|x| (x.what, x.request))
        .collect();
    let try_one = |r: &Request| {
        crate::engine::analyze(r, v)
            .dialects
            .into_iter()
            .find(|d| d.matches == Some(true))
    };
    match v.cache.search_outcome(&shape) {
        Some(None) => return None,
        Some(Some(known)) => {
            if let Some((what, r)) = variants.iter().find(|(w, _)| *w == known) {
                if let Some(d) = try_one(r) {
                    return Some((what.clone(), d.name, Some(d)));
                }
            }
        }
        None => {}
    }
    for (what, r) in variants.into_iter().take(MAX_VARIANTS) {
        if let Some(d) = try_one(&r) {
            // `d` is what the client signed: the request as it was before the change.
            v.cache.remember_search(shape, Some(what.clone()));
            return Some((what, d.name, Some(d)));
        }
    }
    v.cache.remember_search(shape, None);
    None
}

/// A proxy that rewrote Host: the Hosts seen elsewhere in the capture, the name without its
/// port, or with the usual ports.
fn host_rewrites(req: &Request, _: &Analysis, seen_hosts: &[String]) -> Vec<Alteration> {
    let mut out = Vec::new();
    let host = req.header("host");
    if let Some(h) = &host {
        let (name, port) = match h.rsplit_once(':') {
            Some((n, p)) if p.chars().all(|c| c.is_ascii_digit()) => {
                (n.to_string(), Some(p.to_string()))
            }
            _ => (h.clone(), None),
        };
        let mut hosts: Vec<String> = Vec::new();
        // Hosts seen elsewhere in the capture first (the proxy's own address, typically).
        for sh in seen_hosts {
            if sh != h && !hosts.contains(sh) {
                hosts.push(sh.clone());
            }
        }
        match &port {
            Some(_) => hosts.push(name.clone()),
            None => {
                for p in ["80", "443", "8080", "8000", "8003", "8773", "9000", "7480"] {
                    hosts.push(format!("{name}:{p}"));
                }
            }
        }
        for nh in hosts {
            let mut r = req.clone();
            set_header(&mut r, "host", &nh);
            out.push(Alteration::new(format!("the client signed `host:{nh}`; the request on the wire says `{h}`: something between them rewrote Host"), r));
        }
    }
    out
}

/// A signed header changed or removed after signing (Content-Type, Expect, Content-Length,
/// User-Agent, Accept-Encoding).
fn header_changes(req: &Request, a: &Analysis, _: &[String]) -> Vec<Alteration> {
    let mut out = Vec::new();
    let signed = a.auth.signed_headers.clone().unwrap_or_default();
    for (name, values) in [
        (
            "content-type",
            &[
                "application/x-www-form-urlencoded; charset=utf-8",
                "application/x-www-form-urlencoded",
                "application/octet-stream",
                "application/json",
                "text/plain",
                "",
            ][..],
        ),
        ("expect", &["100-continue"][..]),
        ("content-length", &[""][..]),
        ("user-agent", &[""][..]),
        ("accept-encoding", &["identity", "gzip, deflate", ""][..]),
    ] {
        // SigV2 always signs Content-Type (and Content-MD5); SigV4 what SignedHeaders lists.
        let sigv2 = a.auth.mode.family() == Family::SigV2;
        let is_signed = signed.iter().any(|s| s == name) || (sigv2 && name == "content-type");
        if !is_signed {
            continue;
        }
        let current = req.header(name);
        for val in values {
            let val = if name == "content-length" {
                req.body_len().to_string()
            } else {
                val.to_string()
            };
            if current.as_deref() == Some(val.as_str()) {
                continue;
            }
            let mut r = req.clone();
            set_header(&mut r, name, &val);
            let what = match &current {
                Some(c) => format!("the client signed `{name}: {val}`; the wire has `{name}: {c}`: it was changed after signing"),
                None => format!("the client signed `{name}: {val}`, which is missing from the request: it was removed after signing"),
            };
            out.push(Alteration::new(what, r));
        }
    }
    out
}

/// The query re-encoded on the way: `+` vs `%20`, `%7E` vs `~`, `%2F` vs `/`.
fn query_reencodings(req: &Request, _: &Analysis, _: &[String]) -> Vec<Alteration> {
    let mut out = Vec::new();
    if let Some(q) = req.query() {
        let qs = String::from_utf8_lossy(q).into_owned();
        for (from, to, what) in [
            ("+", "%20", "`+` for a space"),
            ("%20", "+", "`%20` for a space"),
            ("~", "%7E", "`~` escaped"),
            ("%7E", "~", "`~` unescaped"),
            ("%2F", "/", "`/` unescaped"),
        ] {
            if qs.contains(from) {
                let mut r = req.clone();
                let path = String::from_utf8_lossy(req.path()).into_owned();
                r.target = format!("{path}?{}", qs.replace(from, to)).into_bytes();
                out.push(Alteration::new(
                    format!(
                        "the client signed the query with {what}; it was re-encoded on the way"
                    ),
                    r,
                ));
            }
        }
    }
    out
}

/// The path re-encoded on the way, as URL-normalising proxies do: the client signed the
/// left-hand form, the wire has the right-hand one. They matter to verifiers that do not
/// decode the path before encoding it (non-S3 SigV4 encodes it again; botocore's S3 rule and
/// Garage sign it as sent).
fn path_reencodings(req: &Request, _: &Analysis, _: &[String]) -> Vec<Alteration> {
    let mut out = Vec::new();
    let path = String::from_utf8_lossy(req.path()).into_owned();
    let q = req
        .query()
        .map(|q| format!("?{}", String::from_utf8_lossy(q)))
        .unwrap_or_default();
    for (signed, wire) in [
        ("/", "%2F"),
        ("~", "%7E"),
        ("%7E", "~"),
        ("%3D", "="),
        ("=", "%3D"),
        ("%40", "@"),
        ("@", "%40"),
    ] {
        let found = path.contains(wire) || path.contains(&wire.to_ascii_lowercase());
        if !found {
            continue;
        }
        let mut r = req.clone();
        let signed_path = path
            .replace(wire, signed)
            .replace(&wire.to_ascii_lowercase(), signed);
        r.target = format!("{signed_path}{q}").into_bytes();
        out.push(Alteration::new(
            format!("the client signed the path with `{signed}` where the wire has `{wire}`: it was re-encoded on the way"),
            r,
        ));
    }
    // Empty and `.` segments: signed normalised (as SigV4 normalises paths for services other
    // than S3, RFC 3986 remove_dot_segments) but sent as they are, or added on the way.
    if path.contains("//") || path.contains("/./") {
        let mut normal = path.clone();
        while normal.contains("/./") {
            normal = normal.replace("/./", "/");
        }
        while normal.contains("//") {
            normal = normal.replace("//", "/");
        }
        let mut r = req.clone();
        r.target = format!("{normal}{q}").into_bytes();
        out.push(Alteration::new(
            format!(
                "the client signed the path `{}` where the wire has `{}`: it normalised the path when signing (empty or `.` segments dropped), or they were added on the way",
                crate::escape::escape_str(&normal),
                crate::escape::escape_str(&path)
            ),
            r,
        ));
    }
    out
}

/// A client that signed the Date header while the request also carries X-Amz-Date.
fn date_instead_of_amz_date(req: &Request, a: &Analysis, _: &[String]) -> Vec<Alteration> {
    let mut out = Vec::new();
    if a.auth.mode.is_sigv4() && req.has_header("x-amz-date") {
        if let Some(d) = req
            .header("date")
            .and_then(|d| crate::engine::time::http_date_to_amz(&d))
        {
            let mut r = req.clone();
            set_header(&mut r, "x-amz-date", "");
            out.push(Alteration::new(
                format!("the client signed with the Date header ({d}), not X-Amz-Date"),
                r,
            ));
        }
    }
    out
}

/// A client that derived its signing key for another region or service than it wrote in the
/// credential scope.
fn other_scopes(req: &Request, a: &Analysis, _: &[String]) -> Vec<Alteration> {
    let mut out = Vec::new();
    // Signed in the Authorization header (not presigned, not streamed): its scope is rewritten.
    let mode = a.auth.mode;
    let header_signed =
        mode.family() == Family::SigV4 && !mode.is_presigned() && !mode.is_streaming();
    if let (true, Some(region), Some(service)) = (header_signed, &a.auth.region, &a.auth.service) {
        let implied = req.host().and_then(|h| host_region_service(&h));
        let mut scopes: Vec<(String, String)> = Vec::new();
        if let Some((r, svc)) = &implied {
            if let Some(r) = r {
                scopes.push((r.clone(), service.clone()));
            }
            scopes.push((region.clone(), svc.clone()));
        }
        for r in [
            "us-east-1",
            "us-west-2",
            "eu-west-1",
            "eu-central-1",
            "ap-southeast-1",
            "ap-northeast-1",
        ] {
            scopes.push((r.to_string(), service.clone()));
        }
        scopes.retain(|(r, s)| r != region || s != service);
        scopes.dedup();
        let old = format!("/{region}/{service}/");
        for (r2, s2) in scopes {
            let mut rq = req.clone();
            let authz = req.header("authorization").unwrap_or_default();
            set_header(
                &mut rq,
                "authorization",
                &authz.replacen(&old, &format!("/{r2}/{s2}/"), 1),
            );
            out.push(Alteration::new(format!("the client derived its signing key for {r2}/{s2} but wrote {region}/{service} in the credential scope"), rq));
        }
    }
    out
}

fn set_header(r: &mut Request, name: &str, value: &str) {
    r.headers
        .retain(|h| !h.name.eq_ignore_ascii_case(name.as_bytes()));
    if !value.is_empty() {
        r.headers.push(crate::http::Header::new(name, value));
    }
}
