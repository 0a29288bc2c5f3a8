//! The binary's subcommands, one file each, and the options they share.

mod alloc;
pub mod capture;
pub use alloc::tune as tune_allocator;
pub mod dialects;
pub mod listen;
pub mod options;
pub mod replay;
pub mod report;
pub mod tui;
