//! The ambient clock: the `Clock` of the request, job or command being served.
//!
//! The web layer installs the application's clock around each request, the job runner around each
//! job, the binary around each command, so that the store's timestamps, the use cases and the pages
//! read one clock that a test can set, without a clock parameter on each of the few hundred functions
//! that stamp a record. Outside any scope (a command that did not install one), the process default
//! set at start-up applies, and failing that the system clock in Europe/Paris.

use std::future::Future;
use std::sync::OnceLock;

use parcours_domain::temps::Clock;

tokio::task_local! {
    static CURRENT: Clock;
}

static PROCESS_DEFAULT: OnceLock<Clock> = OnceLock::new();

/// The clock of the process, for code that runs outside a request or a job (set once, at start-up).
pub fn set_default(clock: Clock) {
    let _ = PROCESS_DEFAULT.set(clock);
}

/// The clock in force here.
pub fn clock() -> Clock {
    CURRENT
        .try_with(Clock::clone)
        .unwrap_or_else(|_| PROCESS_DEFAULT.get().cloned().unwrap_or_default())
}

/// Runs `f` with `clock` as the ambient clock.
pub async fn with_clock<F: Future>(clock: Clock, f: F) -> F::Output {
    CURRENT.scope(clock, f).await
}
