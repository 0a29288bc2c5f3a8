//! The selected exchange's detail: every tab's content, built when the selection, the verifier
//! or a view option changes, never in a draw call. Draw calls only slice and place these lines.
//!
//! This file holds the model, the tabs and the dispatch to them; each tab's lines are built in
//! a file of its own (a method of `Builder`), from the line builders in `lines`. `diff` also
//! holds the Diff tab's model; `rule` reads a dialect's rule out of a finding's message, until
//! findings carry it typed.

mod body;
mod canonical;
mod chunked;
mod dialects;
mod diff;
mod headers;
mod lines;
mod overview;
mod policy;
mod response;
mod signing;
mod string_to_sign;

use std::sync::Arc;

use ratatui::text::Line;

use crate::engine::{Analysis, DialectResult, Family, Mode};
use crate::tui::analysis::{Item, Settings};
use crate::tui::config::Theme;
use crate::tui::text;

pub use diff::{side_spans, DiffModel, DiffRow, RowKind};
pub use lines::{verdict_badge, verdict_style};

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
    /// A browser upload's policy, conditions and form (`post-policy` only).
    Policy,
}

impl Tab {
    /// Every tab, in the order of their numbers.
    pub const ALL: [Tab; 10] = [
        Tab::Overview,
        Tab::Canonical,
        Tab::StringToSign,
        Tab::Signing,
        Tab::Diff,
        Tab::Dialects,
        Tab::Headers,
        Tab::Body,
        Tab::Response,
        Tab::Policy,
    ];

    /// The tab's number (its digit key), the same in every auth mode: a mode without the tab
    /// skips its number rather than giving it to another tab.
    pub fn number(self) -> usize {
        match self {
            Tab::Overview => 1,
            Tab::Canonical => 2,
            Tab::StringToSign => 3,
            Tab::Signing => 4,
            Tab::Diff => 5,
            Tab::Dialects => 6,
            Tab::Headers => 7,
            Tab::Body => 8,
            Tab::Response => 9,
            // Past the digits: reached with Tab, as the tenth.
            Tab::Policy => 10,
        }
    }

    pub fn by_number(n: usize) -> Option<Tab> {
        Tab::ALL.iter().copied().find(|t| t.number() == n)
    }

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
            Tab::Policy => "Policy",
        }
    }
}

/// The tabs that mean something for a mode: SigV2 and Query signatures sign one string (no
/// canonical-request pane); unsigned schemes have nothing to recompute.
pub fn tabs_for(mode: Mode) -> Vec<Tab> {
    use Tab::*;
    match mode.family() {
        Family::SigV4 => vec![
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
        Family::SigV2 | Family::Query => {
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
        // The policy first: it says what the form may be; the string to sign is the
        // policy's base64.
        Family::PostPolicy => vec![
            Overview,
            StringToSign,
            Signing,
            Diff,
            Dialects,
            Headers,
            Body,
            Response,
            Policy,
        ],
        Family::Token | Family::Anonymous | Family::Unknown => {
            vec![Overview, Headers, Body, Response]
        }
    }
}

/// Why a mode has no such tab, in a few words (the status line says it when its digit is
/// pressed).
pub fn why_no_tab(mode: Mode, tab: Tab) -> &'static str {
    match (mode.family(), tab) {
        (Family::SigV2 | Family::Query | Family::PostPolicy, Tab::Canonical) => {
            "it signs one string: see 3 String to sign"
        }
        (Family::Token | Family::Anonymous | Family::Unknown, _) => {
            "nothing is signed, so nothing is recomputed"
        }
        _ => "this tab does not apply",
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
    /// Verified under auto: the verifier is this exchange's server's dialect.
    pub auto: bool,
}

impl DetailModel {
    pub fn build(id: usize, item: Arc<Item>, s: &Settings, opts: ViewOpts, theme: &Theme) -> Self {
        let analysis = s.analyze(&item);
        let tabs = tabs_for(analysis.auth.mode);
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
            auto: s.choice.is_auto(),
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
            auto: self.auto,
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
                    Tab::Policy => b.policy(),
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

struct Builder<'a> {
    x: &'a crate::exchange::Exchange,
    a: &'a Analysis,
    t: &'a Theme,
    o: &'a ViewOpts,
    auto: bool,
}

impl Builder<'_> {
    pub(super) fn verifier(&self) -> Option<&DialectResult> {
        self.a.dialect(self.a.verifier)
    }
}

pub use text::mask_key;
