//! Start-up timing, for measuring release builds (see packaging/README.md).
//!
//! With `WRITEBACK_SETUP_FIRST_FRAME_EXIT=1` in the environment the app prints how long it took
//! from launch to its first presented frame, then closes. Nothing changes for a normal launch.

use eframe::egui;
use std::sync::OnceLock;
use std::time::Instant;

/// The environment variable that turns the probe on.
pub const FIRST_FRAME_EXIT_VAR: &str = "WRITEBACK_SETUP_FIRST_FRAME_EXIT";

static LAUNCHED: OnceLock<Instant> = OnceLock::new();

/// Remembers when the process started its work; called first thing in `main`.
pub fn mark_launch() {
    LAUNCHED.get_or_init(Instant::now);
}

fn launched() -> Instant {
    *LAUNCHED.get_or_init(Instant::now)
}

pub(super) fn probe_requested() -> bool {
    std::env::var_os(FIRST_FRAME_EXIT_VAR).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Wraps the app: frame 1 is drawn as usual; when frame 2 starts, frame 1 has been presented, so
/// the elapsed time is printed and the window is asked to close (which saves state as usual).
pub(super) struct FirstFrameProbe<A> {
    pub app: A,
    frames: u32,
}

impl<A> FirstFrameProbe<A> {
    pub fn new(app: A) -> Self {
        FirstFrameProbe { app, frames: 0 }
    }
}

impl<A: eframe::App> eframe::App for FirstFrameProbe<A> {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.frames += 1;
        match self.frames {
            1 => ui.ctx().request_repaint(),
            2 => {
                let elapsed = launched().elapsed();
                println!(
                    "first frame presented {:.1} ms after launch",
                    elapsed.as_secs_f64() * 1000.0
                );
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
            _ => {}
        }
        self.app.ui(ui, frame);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.app.save(storage);
    }
}
