//! The Diff tab's model: which two sides are compared (the client's and a dialect's or the
//! server's), lined up row by row with the differing units marked, and the notes that say why.

use std::ops::Range;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Builder, ViewOpts};
use crate::engine::{diff, Code};
use crate::tui::text::{changed_ranges, hex_spans, line_spans, safe_str, units, Unit};

pub use crate::engine::diff::RowKind;

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
    /// Picks the two sides of the Diff tab and lines them up ([`diff::compare`], which the
    /// markdown report shares), then marks the differing units of each changed row.
    pub(super) fn diff_model(&self) -> DiffModel {
        let a = self.a;
        let mut m = DiffModel::default();
        let status = self.x.response.as_ref().map(|p| p.status);
        let Some(c) = diff::compare(a, status, self.o.against.as_deref()) else {
            m.notes
                .push("Nothing was signed, so there is nothing to compare.".into());
            return m;
        };
        m.step = c.step.name();
        m.left_label = c.left_label();
        m.right_label = c.right_label();
        let (l, r) = (c.left_lines(), c.right_lines());
        m.rows = c
            .rows
            .iter()
            .map(|row| {
                let lu = row.left.map(|i| (i + 1, units(l[i])));
                let ru = row.right.map(|j| (j + 1, units(r[j])));
                let (lmark, rmark) = match (row.kind, &lu, &ru) {
                    (RowKind::Changed, Some((_, a)), Some((_, b))) => {
                        let (ra, rb) = changed_ranges(a, b);
                        (Some(ra), Some(rb))
                    }
                    (RowKind::OnlyLeft, Some((_, a)), _) => (Some(0..a.len().max(1)), None),
                    (RowKind::OnlyRight, _, Some((_, b))) => (None, Some(0..b.len().max(1))),
                    _ => (None, None),
                };
                DiffRow {
                    kind: row.kind,
                    left: lu,
                    right: ru,
                    lmark,
                    rmark,
                }
            })
            .collect();
        m.first = c.first;
        m.choices.clone_from(&c.choices);
        m.against.clone_from(&c.against);
        self.diff_explain(&mut m, &c);
        m
    }

    /// Words under the diff: why this comparison, and what explains the difference.
    fn diff_explain(&self, m: &mut DiffModel, c: &diff::Comparison) {
        let (a, first, against) = (self.a, m.first, c.against.as_str());
        if c.against_refusing_dialect(a) && self.o.against.is_none() {
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
