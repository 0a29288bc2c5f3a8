//! The interactive terminal UI.

pub mod row;
