//! Facts about time and scope: clock skew, expiry, scope date, region and service.

use super::*;

pub(super) fn time_findings(o: &Observed, a: &mut Analysis, parsed: &Parsed) {
    let Some(now) = o.time.or_else(|| {
        o.response
            .and_then(|r| r.header("date"))
            .and_then(|d| crate::engine::time::parse_http_date(&d))
    }) else {
        return;
    };
    let signed_at = match parsed {
        Parsed::V4(v4) => v4
            .amz_date
            .as_deref()
            .and_then(crate::engine::time::parse_amz),
        Parsed::V2(_) => o
            .request
            .header("x-amz-date")
            .or_else(|| o.request.header("date"))
            .and_then(|d| crate::engine::time::parse_http_date(&d)),
        Parsed::Query(q) => q
            .params
            .iter()
            .find(|(k, _)| k.as_slice() == b"Timestamp")
            .and_then(|(_, v)| crate::engine::time::parse_iso(&String::from_utf8_lossy(v))),
        // A form's x-amz-date is when it was signed, not when it is used (its policy's
        // expiration says until when): no skew applies (postpolicy::expiry).
        Parsed::PostPolicy(_) | Parsed::Nothing => None,
    };
    let presigned = a.auth.mode.is_presigned();
    if let Some(t) = signed_at {
        let skew = (now - t).whole_seconds();
        if !presigned && skew.abs() > SKEW_LIMIT_SECS {
            finding(
                a,
                Code::ClockSkew,
                format!(
                    "the request was signed at {} but seen at {}: {} {} (AWS and most S3 servers allow 15 minutes; Garage 24 hours, moto any)",
                    crate::engine::time::format_rfc3339(t),
                    crate::engine::time::format_rfc3339(now),
                    fmt_secs(skew),
                    if skew > 0 {
                        "late — the client's clock is behind"
                    } else {
                        "early — the client's clock is ahead"
                    }
                ),
            );
        }
        if let (Parsed::V4(v4), true) = (parsed, presigned) {
            if let Some(exp) = v4.expires.as_deref().and_then(|e| e.parse::<i64>().ok()) {
                if skew > exp {
                    finding(
                        a,
                        Code::PresignedExpired,
                        format!(
                            "the presigned URL expired {} before it was used (X-Amz-Expires={exp})",
                            fmt_secs(skew - exp)
                        ),
                    );
                }
                if !(1..=604_800).contains(&exp) {
                    finding(
                        a,
                        Code::PresignedExpiresInvalid,
                        format!("X-Amz-Expires={exp} is outside 1..604800"),
                    );
                }
            }
        }
    }
    if let Parsed::V2(v2) = parsed {
        if let Some(exp) = v2.expires.as_deref().and_then(|e| e.parse::<i64>().ok()) {
            if now.unix_timestamp() > exp {
                finding(
                    a,
                    Code::PresignedExpired,
                    format!(
                        "the presigned URL expired {} before it was used",
                        fmt_secs(now.unix_timestamp() - exp)
                    ),
                );
            }
        }
    }
}

/// Region and service that an AWS host name implies (`s3.eu-west-1.amazonaws.com`,
/// `bucket.s3.eu-west-1.amazonaws.com`, `sts.us-east-2.amazonaws.com`).
pub fn host_region_service(host: &str) -> Option<(Option<String>, String)> {
    let h = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let rest = h.strip_suffix(".amazonaws.com")?;
    let labels: Vec<&str> = rest.split('.').collect();
    let region_like =
        |s: &str| s.split('-').count() >= 3 && s.chars().last().is_some_and(|c| c.is_ascii_digit());
    // Find the service label: s3 (with bucket prefixes) or the first label.
    let idx = labels
        .iter()
        .position(|l| *l == "s3" || l.starts_with("s3-"))
        .unwrap_or(0);
    let svc = labels[idx];
    let (service, region) = if let Some(r) = svc.strip_prefix("s3-").filter(|r| region_like(r)) {
        ("s3".to_string(), Some(r.to_string()))
    } else {
        let region = labels
            .get(idx + 1)
            .filter(|r| region_like(r))
            .map(|r| r.to_string());
        (svc.to_string(), region)
    };
    Some((region, service))
}

/// Whether SigV4A's region set (`X-Amz-Region-Set`: comma-separated, `*` for every region, an
/// entry ending in `*` for a prefix, as aws-c-auth's `aws_signing_config_aws.region` and the
/// S3 Multi-Region Access Points guide describe it) includes `region`.
pub(super) fn region_set_covers(set: &str, region: &str) -> bool {
    set.split(',')
        .map(str::trim)
        .any(|e| match e.strip_suffix('*') {
            Some(prefix) => region.starts_with(prefix),
            None => e == region,
        })
}

pub(super) fn scope_findings(req: &Request, a: &mut Analysis, auth: &crate::engine::auth::V4Auth) {
    if let Some(d) = &auth.amz_date {
        if !d.starts_with(&auth.scope_date) {
            finding(
                a,
                Code::ScopeDateMismatch,
                format!(
                    "the credential scope's date {} is not the date of X-Amz-Date {d}",
                    auth.scope_date
                ),
            );
        }
    }
    if auth.terminator != auth.flavour.terminator {
        finding(
            a,
            Code::ScopeTerminator,
            format!(
                "the credential scope ends in `{}`, not `{}`",
                auth.terminator, auth.flavour.terminator
            ),
        );
    }
    if let Some((region, service)) = req.host().and_then(|h| host_region_service(&h)) {
        let region_set = auth.flavour.region_set_header.is_some();
        if let Some(r) = region.as_ref().filter(|_| region_set) {
            if !region_set_covers(&auth.region, r) {
                finding(
                    a,
                    Code::RegionSetExcludesEndpoint,
                    format!(
                        "the region set {} does not include region {r} of the host {}: a SigV4A signature is only valid in the regions it names",
                        crate::escape::escape_str(&auth.region),
                        crate::escape::escape_str(&req.host().unwrap_or_default())
                    ),
                );
            }
        } else if let Some(r) = &region {
            if *r != auth.region {
                finding(
                    a,
                    Code::RegionMismatch,
                    format!(
                        "the scope says region {} but the host {} is in {r}",
                        auth.region,
                        req.host().unwrap_or_default()
                    ),
                );
            }
        }
        // Only host names that really name a service: regional endpoints and the global ones.
        let known = region.is_some()
            || [
                "iam",
                "sts",
                "s3",
                "sdb",
                "route53",
                "cloudfront",
                "organizations",
                "sqs",
                "sns",
                "ec2",
                "monitoring",
            ]
            .contains(&service.as_str());
        let svc_ok = service == auth.service
            || service.starts_with(&auth.service)
            || (service == "monitoring" && auth.service == "cloudwatch");
        if known && !svc_ok {
            finding(
                a,
                Code::ServiceMismatch,
                format!(
                    "the scope says service {} but the host {} is {service}",
                    auth.service,
                    req.host().unwrap_or_default()
                ),
            );
        }
    }
    for h in &auth.signed_headers {
        let present = req.has_header(h) || (h == "host" && req.host().is_some());
        if !present {
            finding(a, Code::SignedHeaderAbsent, format!("`{h}` is listed in SignedHeaders but not in the request (removed after signing?)"));
        }
    }
}

/// An HTTP/2 request (issue 13) whose signed host is not the host the verifier takes: a
/// Host header beside a different `:authority`, or a verifier that reads the Host header
/// only and finds none (`sigv4.h2_host`).
pub(super) fn h2_host_findings(
    req: &Request,
    a: &mut Analysis,
    auth: &crate::engine::auth::V4Auth,
    v: &Verifier,
) {
    let host_signed = auth
        .signed_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("host"));
    if a.verdict == Verdict::Valid || !host_signed {
        return;
    }
    if let Some(msg) = h2_host_message(req, v.dialect.sigv4.h2_host, v.dialect.name) {
        finding(a, Code::H2Host, msg);
    }
}

/// What `h2_host_findings` says, if anything: the host the client signed (its Host header
/// when it sent one, else its `:authority`) against the one `rule` takes.
pub(super) fn h2_host_message(
    req: &Request,
    rule: crate::engine::dialect::H2Host,
    name: &str,
) -> Option<String> {
    use crate::engine::dialect::H2Host;
    let authority = req.h2_authority.as_ref()?;
    let esc = |b: &[u8]| crate::escape::escape_str(&String::from_utf8_lossy(b));
    let header = (!authority.host_added)
        .then(|| req.header_values("host").first().map(|v| v.to_vec()))
        .flatten();
    let signed = header.clone().unwrap_or_else(|| authority.value.clone());
    let used = match rule {
        H2Host::Authority => Some(authority.value.clone()),
        H2Host::HostHeaderElseAuthority => Some(signed.clone()),
        H2Host::HostHeader => header.clone(),
    };
    match (&used, &header) {
        (Some(u), _) if *u == signed => None,
        (Some(u), Some(h)) => Some(format!(
            "this HTTP/2 request carries a Host header `{}` that differs from its :authority `{}`; {name} takes the host from :authority (`{}`), so a signature over the Host header does not verify there (HTTP/2 clients must not send a Host that differs from :authority, RFC 9113 §8.3.1)",
            esc(h),
            esc(&authority.value),
            esc(u)
        )),
        (Some(_), None) => None,
        (None, _) => Some(format!(
            "this HTTP/2 request has no Host header, only the :authority `{}`, which the client signed as the host; {name} reads the host from a Host header only, finds none and signs an empty host",
            esc(&authority.value)
        )),
    }
}
