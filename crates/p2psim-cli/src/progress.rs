//! Progress bars on a terminal (hidden otherwise, so that logs and pipes stay clean).

use std::io::IsTerminal;

/// A bar of `len` steps, drawn only when standard error is a terminal.
pub(crate) fn bar(len: u64, template: &str, prefix: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(len);
    b.set_style(indicatif::ProgressStyle::with_template(template).expect("a valid template").progress_chars("=> "));
    b.set_prefix(prefix.to_owned());
    b
}
