//! The terminal UI: snapshots of every tab, state and input handling, filters, exports, the
//! README's key and filter tables, and the real binary driven in tmux. One test binary (see
//! tests/support); fixtures beside it: snapshots/, tokens.http and gen/.

#[path = "../support/mod.rs"]
mod support;

mod app;
mod e2e;
mod export;
mod filter;
mod flows;
mod readme;
mod replay;
mod snapshots;
mod state;
