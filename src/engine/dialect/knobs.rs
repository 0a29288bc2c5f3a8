//! The knob registry: every rule on which dialects disagree, declared once per scheme.
//!
//! A knob has a stable id (`scheme.field`), a label, a way to copy its value from one rule
//! set to another and a way to say its value in words. [`super::describe`] (and so `sigscope
//! dialects`), the diagnosis's counterfactual search ("which one rule, set as the client had
//! it, makes the verifier compute what the client signed?") and the pin tests all read these
//! tables, so a new knob is a field, a line here and a pin.

use super::{
    DateSource, DuplicateHeaders, DuplicateOrder, H2Host, HeaderTrim, HostRule, MissingHeader,
    MissingPayload, QueryPlus, QueryRules, QueryStyle, SessionToken, SigV2Rules, SigV4Rules,
    V2DateLine,
};

/// One rule of a scheme's rule set `R`.
pub struct Knob<R: 'static> {
    /// `scheme.field`, stable: tests pin knobs by it and it may be shown to experts.
    pub id: &'static str,
    /// What the knob decides, in a few words.
    pub label: &'static str,
    /// Sets this knob of `to` to its value in `from`, leaving every other knob alone.
    pub copy: fn(&mut R, &R),
    /// This knob's value in a rule set, in words.
    pub say: fn(&R) -> String,
}

impl<R: Clone + PartialEq> Knob<R> {
    /// Whether `a` and `b` agree on this knob.
    pub fn same(&self, a: &R, b: &R) -> bool {
        let mut t = b.clone();
        (self.copy)(&mut t, a);
        t == *b
    }
}

/// A path rule in words: its normalisation, then its encoding.
fn say_path(p: &super::PathRule) -> String {
    use super::{PathEncode, PathNormalize};
    let normalize = match p.normalize {
        PathNormalize::None => "not normalised",
        PathNormalize::RemoveDotSegments => "dot segments removed and `//` collapsed",
        PathNormalize::PosixNormpath => "normalised by Python's posixpath.normpath (`/./` to `//`)",
    };
    let encode = match p.encode {
        PathEncode::AsSent => "signed as sent",
        PathEncode::EncodeAgain => "encoded once more (`%20` to `%2520`)",
        PathEncode::DecodeReencode => "decoded and encoded once",
        PathEncode::DecodeRequoteLenient => {
            "decoded and quoted again keeping `$`, `+`, `~`, `:` and `@`"
        }
    };
    format!("{normalize}, {encode}")
}

fn say_plus(p: super::PathPlus) -> String {
    match p {
        super::PathPlus::Plus => "a plus",
        super::PathPlus::Space => "a space, signed `%20`",
    }
    .into()
}

fn say_form(f: super::FormPostQuery) -> &'static str {
    match f {
        super::FormPostQuery::UrlQuery => {
            "the URL query only (the form body is covered by the payload hash)"
        }
        super::FormPostQuery::EmptyForPost => "empty for every POST",
        super::FormPostQuery::MergeFormBody => "the URL query plus the form body parameters",
    }
}

fn either(b: bool, yes: &str, no: &str) -> String {
    if b { yes } else { no }.to_string()
}

/// SigV4 (header, presigned and streaming). The order is the order findings name them in.
pub static SIGV4: &[Knob<SigV4Rules>] = &[
    Knob {
        id: "sigv4.form_post_query",
        label: "canonical query string of a form POST",
        copy: |t, f| t.form_post_query = f.form_post_query,
        say: |r| say_form(r.form_post_query).into(),
    },
    Knob {
        id: "sigv4.path",
        label: "path normalisation and encoding",
        copy: |t, f| {
            t.path.normalize = f.path.normalize;
            t.path.encode = f.path.encode;
        },
        say: |r| say_path(&r.path),
    },
    Knob {
        id: "sigv4.path.plus",
        label: "a raw `+` in a path",
        copy: |t, f| t.path.plus = f.path.plus,
        say: |r| say_plus(r.path.plus),
    },
    Knob {
        id: "sigv4.s3_path",
        label: "S3 path normalisation and encoding",
        copy: |t, f| {
            t.s3_path.normalize = f.s3_path.normalize;
            t.s3_path.encode = f.s3_path.encode;
        },
        say: |r| say_path(&r.s3_path),
    },
    Knob {
        id: "sigv4.s3_path.plus",
        label: "a raw `+` in an S3 path",
        copy: |t, f| t.s3_path.plus = f.s3_path.plus,
        say: |r| say_plus(r.s3_path.plus),
    },
    Knob {
        id: "sigv4.query.style",
        label: "query encoding",
        copy: |t, f| t.query.style = f.query.style,
        say: |r| match r.query.style {
            QueryStyle::Reencode {
                tilde_in_names_escaped: false,
            } => "each name and value decoded and encoded again (RFC 3986)".into(),
            QueryStyle::Reencode {
                tilde_in_names_escaped: true,
            } => "each name and value decoded and encoded again, `~` in names escaped".into(),
            QueryStyle::RawPairs => "the pairs as sent, sorted, not encoded again".into(),
        },
    },
    Knob {
        id: "sigv4.query.plus",
        label: "a raw `+` in the query",
        copy: |t, f| t.query.plus = f.query.plus,
        say: |r| {
            match r.query.plus {
                QueryPlus::Space => "a space, signed `%20`",
                QueryPlus::Plus => "a plus, signed `%2B`",
                QueryPlus::AsSent => "signed as sent, `+`",
            }
            .into()
        },
    },
    Knob {
        id: "sigv4.query.duplicates",
        label: "repeated query names",
        copy: |t, f| t.query.duplicates = f.query.duplicates,
        say: |r| {
            match r.query.duplicates {
                DuplicateOrder::SortByValue => "sorted by name, then by value",
                DuplicateOrder::ArrivalOrder => "sorted by name, values in arrival order",
                DuplicateOrder::LastWins => "only the last value of a name kept",
                DuplicateOrder::Refuse => "refused (sorted by name and value when not repeated)",
            }
            .into()
        },
    },
    Knob {
        id: "sigv4.header_values",
        label: "header value whitespace",
        copy: |t, f| t.header_values = f.header_values,
        say: |r| {
            match r.header_values {
                HeaderTrim::TrimAll => "trimmed, runs of whitespace folded to one space",
                HeaderTrim::TrimAllUnlessQuoted => {
                    "trimmed and folded, but only trimmed when the value holds a quote"
                }
                HeaderTrim::StripOnly => "only leading and trailing whitespace removed",
                HeaderTrim::FoldToFirstChar => {
                    "trimmed, runs of whitespace folded to their first character"
                }
            }
            .into()
        },
    },
    Knob {
        id: "sigv4.duplicate_headers",
        label: "repeated headers",
        copy: |t, f| t.duplicate_headers = f.duplicate_headers,
        say: |r| {
            match r.duplicate_headers {
                DuplicateHeaders::JoinComma => "values joined with a comma",
                DuplicateHeaders::LastWins => "only the last value kept",
            }
            .into()
        },
    },
    Knob {
        id: "sigv4.missing_signed_header",
        label: "signed header missing from the request",
        copy: |t, f| t.missing_signed_header = f.missing_signed_header,
        say: |r| {
            match r.missing_signed_header {
                MissingHeader::EmptyValue => "signed with an empty value",
                MissingHeader::Skip => "left out of the canonical headers",
                MissingHeader::Reject => "the request refused",
            }
            .into()
        },
    },
    Knob {
        id: "sigv4.host",
        label: "Host port",
        copy: |t, f| t.host = f.host,
        say: |r| {
            match r.host {
                HostRule::AsSent => "the Host header as sent",
                HostRule::StripPortForOldBoto2 => "the port dropped for boto 2.0 to 2.9.2 clients",
            }
            .into()
        },
    },
    Knob {
        id: "sigv4.h2_host",
        label: "HTTP/2 host",
        copy: |t, f| t.h2_host = f.h2_host,
        say: |r| {
            match r.h2_host {
                H2Host::Authority => "HTTP/2: the :authority, whatever a Host header says",
                H2Host::HostHeaderElseAuthority => {
                    "HTTP/2: a Host header when there is one, else the :authority"
                }
                H2Host::HostHeader => "HTTP/2: the Host header only (none when only :authority)",
            }
            .into()
        },
    },
    Knob {
        id: "sigv4.gfe_accept_encoding",
        label: "Accept-Encoding on writes",
        copy: |t, f| t.gfe_accept_encoding = f.gfe_accept_encoding,
        say: |r| {
            if r.gfe_accept_encoding {
                "a front end appends ,gzip(gfe) to Accept-Encoding (not on GET or HEAD)".into()
            } else {
                "Accept-Encoding as sent".into()
            }
        },
    },
    Knob {
        id: "sigv4.payload",
        label: "payload hash",
        copy: |t, f| {
            t.payload.from_header = f.payload.from_header;
            t.payload.when_absent = f.payload.when_absent;
        },
        say: |r| {
            let p = &r.payload;
            let absent = match p.when_absent {
                MissingPayload::BodyHash => "the body's SHA-256",
                MissingPayload::EmptyHash => "the empty body's SHA-256",
                MissingPayload::UnsignedPayload => "UNSIGNED-PAYLOAD",
                MissingPayload::Refuse => "refused: the header is required",
            };
            if p.from_header {
                format!("x-amz-content-sha256 when sent, else {absent}")
            } else {
                format!("{absent} (x-amz-content-sha256 not read)")
            }
        },
    },
    Knob {
        id: "sigv4.payload.presigned_s3",
        label: "payload hash of a presigned S3 URL",
        copy: |t, f| t.payload.presigned_s3_unsigned = f.payload.presigned_s3_unsigned,
        say: |r| {
            either(
                r.payload.presigned_s3_unsigned,
                "UNSIGNED-PAYLOAD",
                "the body's SHA-256",
            )
        },
    },
    Knob {
        id: "sigv4.date",
        label: "date source",
        copy: |t, f| t.date = f.date,
        say: |r| {
            match r.date {
                DateSource::AmzDateThenDate => "X-Amz-Date, else the Date header",
                DateSource::AmzDateOnly => "X-Amz-Date only",
            }
            .into()
        },
    },
    Knob {
        id: "sigv4.presigned_keeps_signature",
        label: "X-Amz-Signature kept in a presigned canonical query",
        copy: |t, f| t.presigned_keeps_signature = f.presigned_keeps_signature,
        say: |r| {
            either(
                r.presigned_keeps_signature,
                "kept in the canonical query",
                "left out of the canonical query",
            )
        },
    },
    Knob {
        id: "sigv4.session_token",
        label: "session token placement",
        copy: |t, f| t.session_token = f.session_token,
        say: |r| {
            match r.session_token {
                SessionToken::Signed => "signed",
                SessionToken::SignedOrAppended => "signed, or added after signing",
            }
            .into()
        },
    },
    // Refuses a request; never changes the canonical request, so the search never names it.
    Knob {
        id: "sigv4.required_signed",
        label: "headers that must be signed",
        copy: |t, f| t.required_signed = f.required_signed,
        say: |r| {
            let rs = &r.required_signed;
            let mut v = Vec::new();
            if rs.host {
                v.push("host");
            }
            if rs.amz_headers {
                v.push(if rs.amz_headers_s3_only {
                    "every x-amz-* header (S3 only)"
                } else {
                    "every x-amz-* header"
                });
            }
            if v.is_empty() {
                "none".into()
            } else {
                v.join(", ")
            }
        },
    },
    // Refuses a request; never changes the canonical request, so the search never names it.
    Knob {
        id: "sigv4.streaming",
        label: "aws-chunked trailer and SigV4A payload modes read",
        copy: |t, f| t.streaming = f.streaming,
        say: |r| {
            let s = &r.streaming;
            let trailers = match (s.signed_trailer, s.unsigned_trailer) {
                (true, true) => "both trailer modes: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER and STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                (true, false) => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER only of the trailer modes",
                (false, true) => "STREAMING-UNSIGNED-PAYLOAD-TRAILER only of the trailer modes",
                (false, false) => "no trailer mode (only STREAMING-AWS4-HMAC-SHA256-PAYLOAD streams)",
            };
            let ecdsa = if s.sigv4a {
                "SigV4A chunks (STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]) read"
            } else {
                "SigV4A chunks not read"
            };
            format!("{trailers}; {ecdsa}")
        },
    },
    // Refuses a request; never changes the canonical request.
    Knob {
        id: "sigv4.checksums",
        label: "flexible checksums computed",
        copy: |t, f| t.checksums = f.checksums,
        say: |r| {
            let c = &r.checksums;
            match c.read {
                None => "none: x-amz-checksum-* and x-amz-sdk-checksum-algorithm are ignored, neither checked nor refused".into(),
                Some(algs) => {
                    let names: Vec<&str> = algs.iter().map(|a| a.name()).collect();
                    format!(
                        "{}; another algorithm named is refused{}",
                        names.join(", "),
                        if c.full_object_crc_only {
                            "; FULL_OBJECT for the CRCs only"
                        } else {
                            ""
                        }
                    )
                }
            }
        },
    },
];

/// S3 SigV2 (header and presigned).
pub static SIGV2: &[Knob<SigV2Rules>] = &[
    Knob {
        id: "sigv2.subresources",
        label: "SigV2 sub-resource list",
        copy: |t, f| t.subresources = f.subresources,
        say: |r| r.subresources.join(" "),
    },
    Knob {
        id: "sigv2.sort_subresources",
        label: "SigV2 sub-resource order",
        copy: |t, f| t.sort_subresources = f.sort_subresources,
        say: |r| either(r.sort_subresources, "sorted", "list order"),
    },
    Knob {
        id: "sigv2.date_line",
        label: "SigV2 Date line",
        copy: |t, f| t.date_line = f.date_line,
        say: |r| {
            match r.date_line {
                V2DateLine::EmptyIfAmzDate => "empty when x-amz-date is sent, else the Date header",
                V2DateLine::DateWhenPresent => "the Date header whenever it is sent",
            }
            .into()
        },
    },
    Knob {
        id: "sigv2.subresource_plus_is_space",
        label: "`+` in sub-resource values",
        copy: |t, f| t.subresource_plus_is_space = f.subresource_plus_is_space,
        say: |r| either(r.subresource_plus_is_space, "a space", "a plus"),
    },
    Knob {
        id: "sigv2.bucket_root_slash",
        label: "`/bucket/` signed for `/bucket`",
        copy: |t, f| t.bucket_root_slash = f.bucket_root_slash,
        say: |r| {
            either(
                r.bucket_root_slash,
                "`/bucket/` signed for a request to `/bucket` (boto/boto3#4433)",
                "the bucket path as sent",
            )
        },
    },
    Knob {
        id: "sigv2.virtual_hosted",
        label: "bucket from a virtual-hosted Host",
        copy: |t, f| t.virtual_hosted = f.virtual_hosted,
        say: |r| {
            either(
                r.virtual_hosted,
                "the bucket read from a virtual-hosted Host",
                "path-style requests only",
            )
        },
    },
];

/// EC2/Query signatures v0–v2.
pub static QUERY: &[Knob<QueryRules>] = &[
    Knob {
        id: "query.host_lowercase",
        label: "Query v2 host case",
        copy: |t, f| t.host_lowercase = f.host_lowercase,
        say: |r| either(r.host_lowercase, "lower-cased", "as sent"),
    },
    Knob {
        id: "query.drop_default_port",
        label: "Query v2 default port",
        copy: |t, f| t.drop_default_port = f.drop_default_port,
        say: |r| either(r.drop_default_port, "dropped", "as sent"),
    },
    Knob {
        id: "query.force_sha256",
        label: "SignatureMethod",
        copy: |t, f| t.force_sha256 = f.force_sha256,
        say: |r| either(r.force_sha256, "HmacSHA256 forced", "as the request says"),
    },
    Knob {
        id: "query.tilde_in_names_escaped",
        label: "`~` in parameter names",
        copy: |t, f| t.tilde_in_names_escaped = f.tilde_in_names_escaped,
        say: |r| either(r.tilde_in_names_escaped, "escaped", "kept"),
    },
    // Which versions a verifier takes; never changes a string to sign.
    Knob {
        id: "query.versions",
        label: "Query signature versions accepted",
        copy: |t, f| t.versions = f.versions,
        say: |r| {
            let v: Vec<String> = r.versions.iter().map(|n| format!("v{n}")).collect();
            v.join(", ")
        },
    },
];

/// Every knob id of every scheme, for the pin tests and `sigscope dialects`.
pub fn ids() -> Vec<&'static str> {
    SIGV4
        .iter()
        .map(|k| k.id)
        .chain(SIGV2.iter().map(|k| k.id))
        .chain(QUERY.iter().map(|k| k.id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::ALL;
    use super::*;

    /// Each knob's copy moves exactly its own value: after copying every knob from `b` into
    /// `a`, `a` equals `b`; and copying one knob never changes what another knob says.
    fn check<R: Clone + PartialEq>(knobs: &[Knob<R>], rules: &[R]) {
        for a in rules {
            for b in rules {
                let mut t = a.clone();
                for k in knobs {
                    (k.copy)(&mut t, b);
                }
                assert!(t == *b, "the knobs do not cover every field");
                for k in knobs {
                    let mut one = a.clone();
                    (k.copy)(&mut one, b);
                    for other in knobs.iter().filter(|o| o.id != k.id) {
                        assert_eq!(
                            (other.say)(&one),
                            (other.say)(a),
                            "{} moved {}",
                            k.id,
                            other.id
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_field_belongs_to_one_knob() {
        let v4: Vec<SigV4Rules> = ALL.iter().map(|d| d.sigv4).collect();
        check(SIGV4, &v4);
        let v2: Vec<SigV2Rules> = ALL.iter().filter_map(|d| d.sigv2.clone()).collect();
        check(SIGV2, &v2);
        let q: Vec<QueryRules> = ALL.iter().filter_map(|d| d.query.clone()).collect();
        check(QUERY, &q);
        let mut ids = ids();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "a knob id is declared twice");
    }
}
