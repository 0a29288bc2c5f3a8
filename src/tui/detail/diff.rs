//! The Diff tab's model: which two sides are compared (the client's and a dialect's or the
//! server's), lined up row by row with the differing units marked, and the notes that say why.

use std::ops::Range;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{client_side, Builder, ViewOpts};
use crate::engine::diagnose;
use crate::engine::server_error::ServerExpected;
use crate::engine::Code;
use crate::tui::text::{changed_ranges, hex_spans, line_spans, safe_str, units, Unit};

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

impl Builder<'_> {
    /// Picks the two sides of the Diff tab and lines them up.
    pub(super) fn diff_model(&self) -> DiffModel {
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
        let (right_cr, right_sts) = self.diff_right_side(&against, server_strings);
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
        self.diff_explain(&mut m, &against, server_refused);
        m
    }

    /// The canonical request and string to sign of the side compared with: the server's (as its
    /// error body gives them) or a dialect's.
    fn diff_right_side(
        &self,
        against: &str,
        server_strings: Option<&ServerExpected>,
    ) -> (Option<Vec<u8>>, Vec<u8>) {
        let a = self.a;
        if against == "server" {
            let se = server_strings.expect("server choice implies strings");
            (
                se.canonical_request.clone().map(String::into_bytes),
                se.string_to_sign
                    .clone()
                    .map(String::into_bytes)
                    .unwrap_or_default(),
            )
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

    /// Words under the diff: why this comparison, and what explains the difference.
    fn diff_explain(&self, m: &mut DiffModel, against: &str, server_refused: bool) {
        let (a, first) = (self.a, m.first);
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
                d.step.name(),
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
                .find(|f| matches!(f.code, Code::ServerLikelyDialect | Code::DialectMismatch))
                .and_then(|f| f.rule_for(against))
            {
                m.notes.push(format!("rule: {}", safe_str(knob)));
            }
        }
        for f in a.findings.iter().filter(|f| f.code == Code::RequestAltered) {
            m.notes.push(safe_str(&f.message));
        }
        if first.is_none() {
            m.notes.push(format!(
                "Identical: the {} is the same on both sides.",
                m.step
            ));
        }
    }

    pub(super) fn diff_notes(&self, m: &DiffModel) -> Vec<Line<'static>> {
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
}
