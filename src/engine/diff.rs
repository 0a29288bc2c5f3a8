//! The comparison the TUI's Diff tab draws and the markdown bug report prints: which two sides
//! (what the client signed, and a dialect's or the server's strings), at which step, lined up
//! line by line. Pure: the TUI marks the differing characters and draws; the report writes a
//! table.

use super::diagnose::Step;
use super::{Analysis, DialectResult};

/// How a row of the comparison lines up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    Same,
    Changed,
    OnlyLeft,
    OnlyRight,
}

/// One row: a line of each side (0-based indexes into [`Comparison::left_lines`] and
/// [`Comparison::right_lines`]), either absent when the other side has a line of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineRow {
    pub kind: RowKind,
    pub left: Option<usize>,
    pub right: Option<usize>,
}

/// What is compared, and the rows.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// [`Step::CanonicalRequest`] or [`Step::StringToSign`].
    pub step: Step,
    /// The dialect that reproduces the client's signature, when one does.
    pub client: Option<&'static str>,
    /// The left side's dialect: `client`, else the verifier.
    pub left_name: &'static str,
    /// The left side is the right side with the line the diagnosis says the client signed
    /// (a header rewritten on the way): no dialect reproduces the signature as captured.
    pub reconstructed: bool,
    /// A dialect name, or `server` (its strings from its error body).
    pub against: String,
    /// What can be compared with: `server` first when its error body carries strings, then
    /// every dialect that verifies this scheme but the left one.
    pub choices: Vec<String>,
    /// The response was 401 or 403.
    pub server_refused: bool,
    pub left: Vec<u8>,
    pub right: Vec<u8>,
    pub rows: Vec<LineRow>,
    /// Index in `rows` of the first row that differs.
    pub first: Option<usize>,
}

impl Comparison {
    pub fn left_lines(&self) -> Vec<&[u8]> {
        self.left.split(|&c| c == b'\n').collect()
    }

    pub fn right_lines(&self) -> Vec<&[u8]> {
        self.right.split(|&c| c == b'\n').collect()
    }

    /// The left side in words.
    pub fn left_label(&self) -> String {
        match (self.reconstructed, self.client) {
            (true, _) => "client signed (reconstructed by the diagnosis)".into(),
            (false, Some(c)) => format!("client signed (as {c} computes it)"),
            (false, None) => format!(
                "{} (no dialect reproduces the client's signature)",
                self.left_name
            ),
        }
    }

    /// The right side in words.
    pub fn right_label(&self) -> String {
        if self.against == "server" {
            "the server computed (from its error body)".into()
        } else {
            format!("{} computes", self.against)
        }
    }

    /// Whether `against` was picked because the verifier accepts what the server refused:
    /// a dialect that would refuse it, the likeliest to be the server's.
    pub fn against_refusing_dialect(&self, a: &Analysis) -> bool {
        a.verdict == super::Verdict::Valid
            && a.divergence.is_none()
            && self.server_refused
            && self.against != a.verifier
            && self.against != "server"
    }
}

/// The comparison for an exchange whose response has `status`: against `chosen` when it is
/// one of the choices, else against what the diagnosis diverged from, the server's own
/// strings, a dialect that would refuse a request the server refused, or the verifier, in
/// that order. `None` when nothing was signed.
pub fn compare(a: &Analysis, status: Option<u16>, chosen: Option<&str>) -> Option<Comparison> {
    let client = a.client_dialects.first().and_then(|n| a.dialect(n));
    let left = client.or_else(|| a.dialect(a.verifier))?;
    let server_strings = a
        .server_expected
        .as_ref()
        .filter(|s| s.canonical_request.is_some() || s.string_to_sign.is_some());
    let mut choices: Vec<String> = a
        .dialects
        .iter()
        .filter(|d| !d.unsupported && d.name != left.name)
        .map(|d| d.name.to_string())
        .collect();
    if server_strings.is_some() {
        choices.insert(0, "server".into());
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
    let server_refused = matches!(status, Some(401 | 403));
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
    let against = chosen
        .filter(|c| choices.iter().any(|x| x == c))
        .map_or(default, str::to_string);
    let (right_cr, right_sts) = right_side(a, &against);
    let (step, left_bytes, reconstructed) =
        left_side(a, client, left, &against, &right_cr, &right_sts);
    let right = match step {
        Step::CanonicalRequest => right_cr.unwrap_or_default(),
        _ => right_sts,
    };
    let (rows, first) = line_diff(&left_bytes, &right);
    Some(Comparison {
        step,
        client: client.map(|c| c.name),
        left_name: left.name,
        reconstructed,
        against,
        choices,
        server_refused,
        left: left_bytes,
        right,
        rows,
        first,
    })
}

/// The canonical request and string to sign of the side compared with: the server's (as its
/// error body gives them) or a dialect's.
fn right_side(a: &Analysis, against: &str) -> (Option<Vec<u8>>, Vec<u8>) {
    if against == "server" {
        match &a.server_expected {
            Some(se) => (
                se.canonical_request.clone().map(String::into_bytes),
                se.string_to_sign
                    .clone()
                    .map(String::into_bytes)
                    .unwrap_or_default(),
            ),
            None => (None, Vec::new()),
        }
    } else {
        match a.dialect(against) {
            Some(d) => (
                d.canonical_request.as_deref().map(<[u8]>::to_vec),
                d.string_to_sign.to_vec(),
            ),
            None => (None, Vec::new()),
        }
    }
}

/// The step compared and the client's side. No dialect reproduces the client's signature
/// but the diagnosis found what the client signed at one line (a header rewritten on the
/// way): the client's side is the other side with that line as the client had it.
fn left_side(
    a: &Analysis,
    client: Option<&DialectResult>,
    left: &DialectResult,
    against: &str,
    right_cr: &Option<Vec<u8>>,
    right_sts: &[u8],
) -> (Step, Vec<u8>, bool) {
    let recon = a
        .divergence
        .as_ref()
        .filter(|d| client.is_none() && d.against == against)
        .filter(|d| matches!(d.step, Step::CanonicalRequest | Step::StringToSign));
    let use_cr = match recon {
        Some(d) => d.step == Step::CanonicalRequest && right_cr.is_some(),
        None => {
            left.canonical_request.is_some()
                && right_cr.is_some()
                && (left.canonical_request.as_deref() != right_cr.as_deref()
                    || left.string_to_sign == right_sts)
        }
    };
    let step = if use_cr {
        Step::CanonicalRequest
    } else {
        Step::StringToSign
    };
    let r: &[u8] = if use_cr {
        right_cr.as_deref().unwrap_or_default()
    } else {
        right_sts
    };
    match recon {
        Some(d) => {
            let mut lines: Vec<&[u8]> = r.split(|&c| c == b'\n').collect();
            let i = d.line.saturating_sub(1);
            if i < lines.len() {
                lines[i] = d.ours.as_bytes();
            } else {
                lines.push(d.ours.as_bytes());
            }
            (step, lines.join(&b'\n'), true)
        }
        None if use_cr => (
            step,
            left.canonical_request
                .as_deref()
                .unwrap_or_default()
                .to_vec(),
            false,
        ),
        None => (step, left.string_to_sign.to_vec(), false),
    }
}

/// Lines both sides up (via `similar`), pairing the changed lines of a differing run.
pub fn line_diff(left: &[u8], right: &[u8]) -> (Vec<LineRow>, Option<usize>) {
    let l: Vec<&[u8]> = left.split(|&c| c == b'\n').collect();
    let r: Vec<&[u8]> = right.split(|&c| c == b'\n').collect();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &l, &r);
    let mut rows = Vec::new();
    let mut first = None;
    for op in ops {
        let (_, lr, rr) = op.as_tag_tuple();
        if op.tag() == similar::DiffTag::Equal {
            for (i, j) in lr.zip(rr) {
                rows.push(LineRow {
                    kind: RowKind::Same,
                    left: Some(i),
                    right: Some(j),
                });
            }
            continue;
        }
        first.get_or_insert(rows.len());
        for k in 0..lr.len().max(rr.len()) {
            let (li, rj) = (lr.clone().nth(k), rr.clone().nth(k));
            let kind = match (li, rj) {
                (Some(_), Some(_)) => RowKind::Changed,
                (Some(_), None) => RowKind::OnlyLeft,
                (None, Some(_)) => RowKind::OnlyRight,
                (None, None) => continue,
            };
            rows.push(LineRow {
                kind,
                left: li,
                right: rj,
            });
        }
    }
    (rows, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_paired_and_the_first_difference_found() {
        let (rows, first) = line_diff(b"POST\n/v1/\n\nhost:h\n", b"POST\n/v1/\nA=1&B=2\nhost:h\n");
        assert_eq!(first, Some(2));
        assert_eq!(
            rows[2],
            LineRow {
                kind: RowKind::Changed,
                left: Some(2),
                right: Some(2)
            }
        );
        assert_eq!(rows.iter().filter(|r| r.kind == RowKind::Same).count(), 4);
        let (rows, first) = line_diff(b"a\nb", b"a\nb");
        assert!(first.is_none() && rows.len() == 2);
        // A line only one side has is not paired with the next one.
        let (rows, first) = line_diff(b"a\nc", b"a\nb\nc");
        assert_eq!(first, Some(1));
        assert_eq!(
            rows.iter().map(|r| r.kind).collect::<Vec<_>>(),
            vec![RowKind::Same, RowKind::OnlyRight, RowKind::Same]
        );
    }
}
