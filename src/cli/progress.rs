//! Byte progress bars on stderr: bytes, total, rate and ETA, drawn only when stderr is a
//! terminal and `--quiet` was not given.

use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jitstore_oss::transfer::ProgressFn;

/// A progress bar labelled `label`, and the callback that drives it (`(done, total)`, as the
/// transfer layer reports: multipart and ranged transfers report their combined bytes).
pub(crate) fn progress_bar(label: &str) -> (ProgressBar, ProgressFn) {
    let bar = ProgressBar::with_draw_target(None, draw_target());
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_owned());
    let driven = bar.clone();
    let callback: ProgressFn = Arc::new(move |done, total| {
        if let Some(t) = total {
            if driven.length() != Some(t) {
                driven.set_length(t);
            }
        }
        driven.set_position(done);
    });
    (bar, callback)
}

/// The callback of `bar` for a transfer's options: `None` when the bar is hidden (not a
/// terminal, `--quiet`), so the transfer skips its per-chunk progress accounting altogether.
pub(crate) fn when_drawn(bar: &ProgressBar, progress: ProgressFn) -> Option<ProgressFn> {
    (!bar.is_hidden()).then_some(progress)
}

/// Stderr when it is a terminal and `--quiet` is off; hidden otherwise.
fn draw_target() -> ProgressDrawTarget {
    if super::output::mode().quiet || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    }
}
