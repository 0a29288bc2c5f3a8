//! Canonical URI (line 2): normalisation and encoding of the path, per the dialect's path rule.

use super::*;

pub fn canonical_uri(path: &[u8], rule: PathRule) -> String {
    let normalized: Vec<u8> = match rule.normalize {
        PathNormalize::None => path.to_vec(),
        PathNormalize::RemoveDotSegments => remove_dot_segments(path),
        PathNormalize::PosixNormpath => posix_normpath(path),
    };
    let space = rule.plus == PathPlus::Space;
    let out = match rule.encode {
        PathEncode::AsSent => String::from_utf8_lossy(&normalized).into_owned(),
        PathEncode::EncodeAgain => uri_encode_path(&normalized),
        PathEncode::DecodeReencode => uri_encode_path(&percent_decode(&normalized, space)),
        PathEncode::DecodeRequoteLenient => encode_with(&percent_decode(&normalized, space), |b| {
            is_unreserved(b) || b"/!$&'()*+,;=:@".contains(&b)
        }),
    };
    if out.is_empty() {
        "/".into()
    } else {
        out
    }
}

/// RFC 3986 §5.2.4 with empty segments dropped, as botocore's `normalize_url_path`.
pub(crate) fn remove_dot_segments(path: &[u8]) -> Vec<u8> {
    let mut out: Vec<&[u8]> = Vec::new();
    for seg in path.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut r = Vec::with_capacity(path.len());
    r.push(b'/');
    r.extend_from_slice(&out.join(&b'/'));
    if path.ends_with(b"/") && !out.is_empty() {
        r.push(b'/');
    }
    r
}

/// Python's `posixpath.normpath` (one or three-plus leading slashes become one, exactly two
/// stay two), plus boto 2's trailing slash.
pub(crate) fn posix_normpath(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let lead = if path.starts_with(b"//") && !path.starts_with(b"///") {
        2
    } else if path.starts_with(b"/") {
        1
    } else {
        0
    };
    let mut out: Vec<&[u8]> = Vec::new();
    for seg in path.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                if out.last().is_some_and(|l| *l != b"..") {
                    out.pop();
                } else if lead == 0 {
                    out.push(seg);
                }
            }
            s => out.push(s),
        }
    }
    let mut r = vec![b'/'; lead];
    r.extend_from_slice(&out.join(&b'/'));
    if r.is_empty() {
        r.push(b'.');
    }
    // boto 2 appends the slash whatever normpath returned: `/./` signs as `//`.
    if path.len() > 1 && path.ends_with(b"/") {
        r.push(b'/');
    }
    r
}
