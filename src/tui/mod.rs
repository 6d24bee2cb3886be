//! The terminal UI: one event loop over key presses, engine events and a
//! render tick; the screen is redrawn at most ~30 times a second while work
//! runs, and only on input when nothing does.

pub mod app;
pub mod keys;
pub mod panes;
mod runner;
pub mod theme;
pub mod ui;
mod watch;
pub mod widgets;

#[cfg(test)]
mod render_tests;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Result;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc::{self, UnboundedReceiver};

use crate::engine::Lab;
use crate::engine::event::{Event, Sink};
use crate::engine::experiment::LoadError;
use app::{App, AppEvent, Effect, Job};
use runner::Runner;
use theme::Theme;

const FRAME: Duration = Duration::from_millis(33);

/// Starts the lab in the terminal. `make_lab` gets the sink to report through,
/// and returns the lab with the experiments that failed to load.
pub fn run(make_lab: impl FnOnce(Sink) -> (Lab, Vec<LoadError>), n: Option<u64>) -> ExitCode {
    let (tx, rx) = mpsc::unbounded_channel();
    let log = Arc::new(Mutex::new(None::<File>));
    let sink_log = Arc::clone(&log);
    let sink_tx = tx.clone();
    let sink: Sink = Arc::new(move |event: Event| {
        log_event(&sink_log, &event);
        let _ = sink_tx.send(AppEvent::Engine(Box::new(event)));
    });
    let (lab, load_errors) = make_lab(sink);
    let mut app = App::new(&lab.experiments(), lab.all_targets());
    if let Err(e) = app.set_size(n) {
        eprintln!("error: --n: {e}");
        return ExitCode::from(2);
    }
    if !load_errors.is_empty() {
        let said: Vec<String> = load_errors.iter().map(ToString::to_string).collect();
        app.message = Some((app::Level::Error, said.join("; ")));
    }
    let log_path = lab.home.log_file();
    *log.lock().unwrap() = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .ok();
    write_log(
        &log,
        &format!("pyo3-lab {} started", env!("CARGO_PKG_VERSION")),
    );
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the event loop: {e}");
            return ExitCode::FAILURE;
        }
    };
    // ratatui::init installs a panic hook that restores the terminal first.
    let mut terminal = ratatui::init();
    let mut runner = Runner::new(lab, tx);
    let result = runtime.block_on(event_loop(&mut terminal, app, &mut runner, rx, &log));
    runner.cancel();
    ratatui::restore();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#} (log: {})", log_path.display());
            ExitCode::FAILURE
        }
    }
}

/// Engine events go to the log file, never onto the screen's raw output;
/// each line with the seconds since the lab started, so the log says where
/// a slow first minute went.
fn log_event(log: &Mutex<Option<File>>, event: &Event) {
    let line = match event {
        Event::Status(s) => format!("[setup] {s}"),
        Event::BuildStarted(t) => format!("[build {t}] started"),
        Event::BuildLine(t, l) => format!("[build {t}] {l}"),
        Event::BuildFinished(t, r) => {
            format!("[build {t}] finished: {:?}", r.as_ref().map(|i| i.seconds))
        }
        Event::LaneFinished { lane, outcome, .. } => format!("[race {lane}] {outcome:?}"),
        Event::GilLine(m, l) => format!("[gil {}] {:.3} {}", m.name(), l.t, l.text),
        _ => return,
    };
    write_log(log, &line);
}

fn write_log(log: &Mutex<Option<File>>, line: &str) {
    static STARTED: OnceLock<Instant> = OnceLock::new();
    let t = STARTED.get_or_init(Instant::now).elapsed();
    if let Some(f) = log.lock().unwrap().as_mut() {
        let _ = writeln!(f, "{:8.3} {line}", t.as_secs_f64());
    }
}

/// Applies a batch of events to the app, in order, and returns every effect
/// they asked for, in order: a batch may hold "job done" (start the queued
/// job) and a save (cancel it and start over), and both must happen.
fn updates(app: &mut App, events: impl IntoIterator<Item = AppEvent>) -> Vec<Effect> {
    events.into_iter().filter_map(|e| app.on_event(e)).collect()
}

/// Carries out effects in order; true when one of them is to quit.
fn apply(
    effects: Vec<Effect>,
    app: &mut App,
    runner: &mut Runner,
    watching: &mut Option<watch::Watch>,
) -> bool {
    let mut queue = std::collections::VecDeque::from(effects);
    while let Some(effect) = queue.pop_front() {
        match effect {
            Effect::Start(job) => runner.start(job),
            Effect::Swap(request) => runner.swap(request),
            Effect::Cancel => runner.cancel(),
            // Dropping the file watcher stops watching.
            Effect::Watch(None) => *watching = None,
            Effect::Watch(Some(key)) => match runner.watch(&key) {
                Ok(w) => {
                    *watching = Some(w);
                    // A first round at once: numbers to compare the next save with.
                    queue.extend(app.on_event(AppEvent::FilesChanged(key, vec![])));
                }
                Err(e) => {
                    app.watch = None;
                    app.message = Some((app::Level::Error, e.to_string()));
                }
            },
            Effect::Quit => return true,
        }
    }
    false
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    mut app: App,
    runner: &mut Runner,
    mut rx: UnboundedReceiver<AppEvent>,
    log: &Mutex<Option<File>>,
) -> Result<()> {
    let theme = Theme::from_env();
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(FRAME);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    // Frame-rate bookkeeping for the log: frames drawn while work ran.
    let (mut busy_frames, mut busy_since) = (0u64, None::<Instant>);

    if let Some(Effect::Start(job)) = app.request(Job::Setup) {
        runner.start(job);
    }
    let mut watching = None;
    terminal.draw(|f| ui::draw(f, &app, Instant::now(), &theme))?;
    loop {
        let mut redraw_now = false;
        let effects: Vec<Effect> = tokio::select! {
            maybe = input.next() => match maybe {
                Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => {
                    redraw_now = true;
                    // Under the help, the app sends every key to the help.
                    let action = keys::action_for(&key);
                    action.and_then(|a| app.on_action(a)).into_iter().collect()
                }
                Some(Ok(TermEvent::Resize(..))) => { redraw_now = true; vec![] }
                Some(Ok(_)) => vec![],
                Some(Err(e)) => return Err(e.into()),
                None => vec![Effect::Quit],
            },
            Some(event) = rx.recv() => {
                dirty = true;
                // Take the whole batch before drawing: one frame, not one per log line.
                let batch = std::iter::once(event).chain(std::iter::from_fn(|| rx.try_recv().ok()));
                updates(&mut app, batch)
            },
            _ = tick.tick(), if app.is_busy() || dirty => { redraw_now = true; vec![] },
            // While watching, the status line's "last round N s ago" ticks once a second.
            _ = clock.tick(), if app.watch.is_some() => { redraw_now = true; vec![] },
        };
        if apply(effects, &mut app, runner, &mut watching) || app.quit {
            break;
        }
        if redraw_now {
            terminal.draw(|f| ui::draw(f, &app, Instant::now(), &theme))?;
            dirty = false;
            if app.is_busy() {
                busy_frames += 1;
                busy_since.get_or_insert_with(Instant::now);
            } else if let Some(since) = busy_since.take() {
                let secs = since.elapsed().as_secs_f64();
                write_log(
                    log,
                    &format!(
                        "[ui] {busy_frames} frames in {secs:.1} s of work: {:.1} frames/s",
                        busy_frames as f64 / secs.max(1e-9)
                    ),
                );
                busy_frames = 0;
            }
        }
    }
    Ok(())
}
