//! Taking the terminal for the UI and giving it back, whatever way the UI ends.

use std::io::Stdout;

use anyhow::{Context as _, Result};
use crossterm::{cursor, execute, terminal};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

/// Puts the terminal back: on exit, on panic, before suspending.
fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        crossterm::event::DisableMouseCapture,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
}

fn enter_terminal() -> Result<()> {
    terminal::enable_raw_mode().context("the terminal refused raw mode")?;
    execute!(
        std::io::stdout(),
        terminal::EnterAlternateScreen,
        crossterm::event::EnableMouseCapture,
        cursor::Hide
    )?;
    Ok(())
}

/// The terminal in raw mode on the alternate screen for as long as this lives: taken on
/// creation, given back on drop (the loop ending, with an error too) and on a panic of the UI
/// thread.
pub(super) struct TerminalGuard {
    pub(super) term: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    pub(super) fn enter() -> Result<TerminalGuard> {
        // The UI runs on this thread: a panic here restores the terminal before the message is
        // printed. A panic on a worker (one exchange's analysis, a detail being built) is
        // contained there and logged; printing it would scribble over the UI.
        let ui_thread = std::thread::current().id();
        let prev_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() == ui_thread {
                restore_terminal();
                prev_hook(info);
            } else {
                tracing::error!(panic = %crate::escape::escape_str(&info.to_string()), "worker panicked");
            }
        }));
        enter_terminal()?;
        let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
        term.clear()?;
        Ok(TerminalGuard { term })
    }

    /// Ctrl-Z: gives the terminal back, stops the process, and takes the terminal again once
    /// continued.
    pub(super) fn suspend(&mut self) -> Result<()> {
        restore_terminal();
        #[cfg(unix)]
        // SAFETY: raising a signal on our own process; execution resumes on SIGCONT.
        #[allow(unsafe_code)]
        unsafe {
            libc::raise(libc::SIGTSTP);
        }
        let entered = enter_terminal();
        let _ = self.term.clear();
        entered
    }

    /// Gives the terminal back while `f` runs (the editor of `E`) and takes it again after.
    pub(super) fn outside<T>(&mut self, f: impl FnOnce() -> T) -> T {
        restore_terminal();
        let out = f();
        let _ = enter_terminal();
        // Not `Terminal::clear`, which first asks the terminal where its cursor is (an
        // answer that can be lost on the way back from another program): the screen is
        // cleared and both of ratatui's buffers emptied, so the next frame is drawn whole.
        use ratatui::backend::Backend as _;
        let _ = self.term.backend_mut().clear();
        self.term.swap_buffers();
        self.term.swap_buffers();
        out
    }

    /// Continued after a stop from outside: the shell may have reset the terminal meanwhile.
    pub(super) fn retake(&mut self) {
        if enter_terminal().is_ok() {
            let _ = self.term.clear();
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // Unwinding from a panic of the UI thread: the hook has put the terminal back already,
        // and the hook cannot be taken while panicking (that would abort).
        if std::thread::panicking() {
            return;
        }
        restore_terminal();
        let _ = std::panic::take_hook();
    }
}
