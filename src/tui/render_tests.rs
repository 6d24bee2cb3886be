//! What a person sees, drawn on ratatui's `TestBackend` from engine events
//! injected into the app (no real build or race), checked against snapshots.

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::app::fixtures::{self, done, lane};
use super::app::{App, AppEvent, LaneState, View};
use super::keys::Action;
use super::theme::Theme;
use super::ui;
use crate::engine::error::LabError;
use crate::engine::event::Event;
use crate::engine::gil::scaling::analyse;
use crate::engine::types::{
    Activity, GilMode, GilRun, Lane, LogLine, RunOutcome, Segment, Thread, Variant,
};

const COLOR: Theme = Theme { color: true };

fn render(
    app: &App,
    now: Instant,
    width: u16,
    height: u16,
    theme: &Theme,
) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| ui::draw(f, app, now, theme)).unwrap();
    terminal
}

/// The three sizes the UI is judged at: the smallest it takes, the usual,
/// and a big one.
const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 50)];

/// The view on screen at the three sizes, each a snapshot; the key line
/// ends whole at each.
fn at_three_sizes(app: &App, name: &str) {
    for (w, h) in SIZES {
        let shot = render(app, Instant::now(), w, h, &COLOR)
            .backend()
            .to_string();
        let keys = shot
            .lines()
            .last()
            .unwrap_or_default()
            .trim_matches('"')
            .trim_end();
        assert!(
            keys.ends_with("? more keys") || keys.ends_with("? close"),
            "{name} at {w}x{h}: the key line is cut: {keys:?}"
        );
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), shot);
    }
}

fn screen(app: &App, now: Instant) -> String {
    render(app, now, 120, 40, &COLOR).backend().to_string()
}

use fixtures::info;

/// An app after set-up: the toolchain known, every build up to date.
fn ready_app() -> App {
    let mut app = fixtures::app();
    let known = fixtures::targets()
        .into_iter()
        .map(|t| {
            let release = t.variant == Variant::release();
            let info = info(
                if release { 17.2 } else { 15.1 },
                if release { 540_000 } else { 8_000_000 },
                true,
            );
            (t, Some(info))
        })
        .collect();
    app.on_event(AppEvent::job_done(Ok(fixtures::report(known, &[]))));
    app.message = None;
    app
}

fn engine(app: &mut App, event: Event) {
    app.on_event(AppEvent::Engine(Box::new(event)));
}

fn finish(app: &mut App, lane: Lane, outcome: RunOutcome) {
    engine(
        app,
        Event::LaneFinished {
            lane,
            run: 0,
            warmup: false,
            outcome,
        },
    );
}

fn ran(seconds: f64, result: &str, correct: bool) -> RunOutcome {
    RunOutcome::Done {
        seconds,
        result: result.into(),
        correct,
        phases: Vec::new(),
    }
}

#[test]
fn lanes_show_real_progress_mid_race() {
    let mut app = ready_app();
    app.on_action(Action::Race);
    engine(
        &mut app,
        Event::LaneStarted {
            lane: lane("rust-release"),
        },
    );
    engine(
        &mut app,
        Event::LaneProgress {
            lane: lane("rust-release"),
            fraction: 1.0,
        },
    );
    finish(&mut app, lane("rust-release"), ran(0.0412, "9227465", true));
    engine(
        &mut app,
        Event::LaneStarted {
            lane: lane("python"),
        },
    );
    engine(
        &mut app,
        Event::LaneProgress {
            lane: lane("python"),
            fraction: 0.5,
        },
    );
    let t0 = Instant::now();
    for (_, s) in &mut app.race.lanes {
        if let LaneState::Running { since, .. } = s {
            *since = t0;
        }
    }
    let shot = screen(&app, t0 + Duration::from_millis(1234));
    assert!(shot.contains("50% of the calls"), "{shot}");
    assert!(shot.contains("1.234 s …"), "python's elapsed time ticks");
    assert!(shot.contains("41.20 ms"), "rust-release done");
    assert!(
        shot.contains("Esc cancel"),
        "cancel is offered while running"
    );
    insta::assert_snapshot!(shot);
}

#[test]
fn a_finished_race_keeps_times_ratios_and_order() {
    let mut app = ready_app();
    app.on_action(Action::Race);
    for (name, seconds) in [
        ("python", 1.9),
        ("rust-debug", 0.163),
        ("rust-release", 0.0414),
        ("rust-native", 0.0301),
    ] {
        engine(&mut app, Event::LaneStarted { lane: lane(name) });
        finish(&mut app, lane(name), ran(seconds, "9227465", true));
    }
    app.on_event(done());
    let shot = screen(&app, Instant::now());
    assert!(
        shot.contains("✓ 9227465   45.9x faster than python"),
        "{shot}"
    );
    assert!(shot.contains("bars: median time, log scale"), "{shot}");
    assert!(shot.contains("faster than python"), "the summary message");
    // Bars compare: each as long as its time on one (log) scale.
    let bar = |lane: &str| {
        let (_, glyph) = COLOR.lane(lane);
        shot.lines()
            .find(|l| l.contains(&format!("│{lane} ")))
            .map_or(0, |l| l.matches(glyph).count())
    };
    assert!(
        bar("python") > bar("rust-debug")
            && bar("rust-debug") > bar("rust-release")
            && bar("rust-release") > bar("rust-native"),
        "{shot}"
    );
    insta::assert_snapshot!(shot);
}

/// A finished four-lane race, each lane's runs given.
fn raced(app: &mut App, lanes: &[(&str, &[f64])]) {
    app.on_action(Action::Race);
    for (name, runs) in lanes {
        for &seconds in *runs {
            engine(app, Event::LaneStarted { lane: lane(name) });
            finish(app, lane(name), ran(seconds, "9227465", true));
        }
    }
    app.on_event(done());
}

#[test]
fn at_80x24_every_lane_of_a_four_lane_race_shows_its_time_and_verdict() {
    let mut app = ready_app();
    raced(
        &mut app,
        &[
            ("python", &[2.786]),
            ("rust-debug", &[0.2488]),
            ("rust-release", &[0.0702]),
            ("rust-native", &[0.0704]),
        ],
    );
    for (w, h) in [(80, 24), (120, 40), (200, 50)] {
        let shot = render(&app, Instant::now(), w, h, &COLOR)
            .backend()
            .to_string();
        for (lane, time, verdict) in [
            ("python", "2.786 s", "✓ 9227465"),
            ("rust-debug", "248.80 ms", "11.2x faster than python"),
            ("rust-release", "70.20 ms", "39.7x faster than python"),
            ("rust-native", "70.40 ms", "39.6x faster than python"),
        ] {
            let row = shot.lines().position(|l| l.contains(&format!("│{lane} ")));
            let row = row.unwrap_or_else(|| panic!("{w}x{h}: no {lane}:\n{shot}"));
            let here: String = shot.lines().skip(row).take(2).collect();
            assert!(
                here.contains(time) && here.contains(verdict),
                "{w}x{h}: {lane}:\n{shot}"
            );
        }
    }
    at_three_sizes(&app, "race");
}

/// A scenario's race: each lane's phases, run by run.
#[test]
fn a_scenario_race_shows_a_row_of_phase_bars_under_each_lane() {
    let mut app = ready_app();
    app.on_action(Action::Race);
    let phases = |insert: f64, lookup: f64| {
        vec![("insert".to_owned(), insert), ("lookup".to_owned(), lookup)]
    };
    for (name, insert, lookup) in [
        ("python", 0.020, 0.010),
        ("rust-debug", 0.040, 0.030),
        ("rust-release", 0.004, 0.010),
        ("rust-native", 0.002, 0.001),
    ] {
        for _ in 0..2 {
            engine(&mut app, Event::LaneStarted { lane: lane(name) });
            let outcome = RunOutcome::Done {
                seconds: insert + lookup,
                result: "{'lookup': 5}".into(),
                correct: true,
                phases: phases(insert, lookup),
            };
            finish(&mut app, lane(name), outcome);
        }
    }
    app.on_event(done());
    for (w, h) in SIZES {
        let shot = render(&app, Instant::now(), w, h, &COLOR)
            .backend()
            .to_string();
        let lines: Vec<&str> = shot.lines().collect();
        let header = lines.iter().position(|l| l.contains("│phases "));
        let header = header.unwrap_or_else(|| panic!("{w}x{h}: no phase names:\n{shot}"));
        assert!(
            lines[header].contains("insert") && lines[header].contains("lookup"),
            "{shot}"
        );
        // Under each lane its phases; the reference shows times, the
        // others their speed-up over the reference's same phase.
        let under = |lane: &str| {
            let at = lines.iter().position(|l| l.contains(&format!("│{lane} ")));
            let at = at.unwrap_or_else(|| panic!("{w}x{h}: no {lane}:\n{shot}"));
            lines[at..]
                .iter()
                .find(|l| l.contains("│  └"))
                .unwrap_or_else(|| panic!("{w}x{h}: no phases under {lane}:\n{shot}"))
        };
        assert!(under("python").contains("20.00 ms"), "{shot}");
        let release = under("rust-release");
        assert!(
            release.contains("5.0x") && release.contains("1.0x"),
            "insert 5x, lookup a tie: {release}\n{shot}"
        );
        assert!(under("rust-debug").contains("0.5x"), "{shot}");
    }
    at_three_sizes(&app, "race_phases");
}

#[test]
fn a_lane_slower_than_python_is_called_slower_and_wild_runs_get_a_word() {
    let mut app = ready_app();
    raced(
        &mut app,
        &[
            ("python", &[0.0911, 0.0921]),
            ("rust-debug", &[0.1874, 0.4102]),
            ("rust-release", &[0.0253, 0.0262]),
            ("rust-native", &[0.02, 0.021]),
        ],
    );
    let shot = render(&app, Instant::now(), 80, 24, &COLOR)
        .backend()
        .to_string();
    assert!(shot.contains("slower than python"), "{shot}");
    assert!(!shot.contains("0.2x faster"), "{shot}");
    assert!(
        shot.contains("⚠ rust-debug: its runs differ 2.2x"),
        "a word beside a doubtful number: {shot}"
    );
    assert!(shot.contains("whiskers: the range of 2 runs"), "{shot}");
}

#[test]
fn a_wrong_result_shows_the_expected_value() {
    let mut app = ready_app();
    app.on_action(Action::Race);
    finish(&mut app, lane("rust-debug"), ran(0.1, "42", false));
    finish(
        &mut app,
        lane("rust-release"),
        RunOutcome::Failed("panicked (PanicException: boom)".into()),
    );
    let shot = screen(&app, Instant::now());
    assert!(shot.contains("✗ 42 ≠ 9227465 (wrong result)"), "{shot}");
    assert!(shot.contains("✗ panicked (PanicException: boom)"), "{shot}");
}

#[test]
fn a_failed_build_keeps_its_log_and_first_error_on_screen() {
    let mut app = ready_app();
    let target = fixtures::targets()[1].clone();
    assert_eq!(
        (target.krate.as_str(), target.variant.clone()),
        ("fibonacci", Variant::release())
    );
    app.on_action(Action::Build);
    engine(&mut app, Event::BuildStarted(target.clone()));
    for line in [
        "🔗 Found pyo3 bindings",
        "   Compiling fibonacci v0.1.0 (lab/fibonacci)",
        "error[E0308]: mismatched types",
        " --> src/lib.rs:12:5",
        "error: could not compile `fibonacci` (lib) due to 1 previous error",
        "💥 maturin failed",
    ] {
        engine(&mut app, Event::BuildLine(target.clone(), line.into()));
    }
    engine(
        &mut app,
        Event::BuildFinished(
            target,
            Err(LabError::Build("error[E0308]: mismatched types".into())),
        ),
    );
    app.on_event(AppEvent::job_done(Ok(fixtures::report(
        vec![],
        &["build fibonacci (release) failed: error[E0308]: mismatched types"],
    ))));
    let shot = screen(&app, Instant::now());
    assert!(shot.contains("✗ failed, last good kept"), "{shot}");
    assert!(
        shot.contains("✗ fibonacci (release): error[E0308]: mismatched types"),
        "the first error, whole: {shot}"
    );
    assert!(shot.contains("--> src/lib.rs:12:5"), "the log stays");
    assert!(
        shot.contains("✗ build fibonacci (release) failed"),
        "one clear message"
    );
    insta::assert_snapshot!(shot);
}

/// A timeline as the gil crate and gil_demo.py would mark it.
fn held_timeline() -> Vec<Segment> {
    let seg = |thread, start, end, activity| Segment {
        thread,
        start,
        end,
        activity,
    };
    vec![
        seg(Thread::Python, 0.0, 0.0005, Activity::Python),
        seg(Thread::Python, 0.0005, 0.1005, Activity::Sleeping),
        seg(Thread::Python, 0.1005, 2.002, Activity::WaitingForGil),
        seg(Thread::Python, 2.002, 2.003, Activity::Python),
        seg(Thread::Rust, 0.001, 2.002, Activity::RustWithGil),
    ]
}

fn gil_run(app: &mut App, mode: GilMode, lines: &[(f64, &str)], ok: bool, verdict: &str) {
    engine(app, Event::GilStarted(mode));
    for &(t, text) in lines {
        engine(app, Event::GilLine(mode, LogLine::new(t, text.into())));
    }
    engine(
        app,
        Event::GilDone(GilRun {
            mode,
            function: mode.function().into(),
            events: vec![],
            marks: vec![],
            timeline: if mode == GilMode::Held {
                held_timeline()
            } else {
                vec![]
            },
            python_waited: 1.9,
            seconds: 2.0,
            result: Some("[[2, 4, 6], [2, 4, 6]]".into()),
            verdict: verdict.into(),
            ok,
        }),
    );
}

#[test]
fn the_gil_panes_show_both_interleavings_and_verdicts() {
    let mut app = ready_app();
    app.on_action(Action::Gil);
    gil_run(
        &mut app,
        GilMode::Held,
        &[
            (0.0, "Py: Enter double_list_py..."),
            (0.001, "Rust: Enter double_list..."),
            (1.001, "Rust: Acquire GIL..."),
            (2.002, "Rust: Exit..."),
            (2.003, "Py: Exit..."),
        ],
        true,
        "Python thread blocked 1.90 s: \"Py: Exit...\" waited for the GIL while Rust slept holding it",
    );
    gil_run(
        &mut app,
        GilMode::Released,
        &[
            (0.0, "Py: Enter double_list_py..."),
            (0.001, "Rust: Enter double_list..."),
            (0.1, "Py: Exit..."),
            (1.001, "Rust: Acquire GIL..."),
            (2.002, "Rust: Exit..."),
        ],
        true,
        "Python thread ran on time",
    );
    app.on_event(done());
    let terminal = render(&app, Instant::now(), 120, 40, &COLOR);
    let shot = terminal.backend().to_string();
    assert!(shot.contains("✓ Python thread blocked 1.90 s"), "{shot}");
    // Python and Rust lines differ in colour, not only in column.
    let buffer = terminal.backend().buffer();
    let colour_of = |needle: &str| {
        let row = (0..40).find(|&y| {
            (0..120)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .contains(needle)
        });
        let y = row.unwrap_or_else(|| panic!("{needle} not on screen"));
        let x = (0..120)
            .find(|&x| buffer[(x, y)].symbol() == "R" || buffer[(x, y)].symbol() == "P")
            .unwrap();
        buffer[(x + 5, y)].fg
    };
    assert_ne!(colour_of("Rust: Acquire GIL"), colour_of("Py: Enter"));
    insta::assert_snapshot!(shot);
    at_three_sizes(&app, "gil");
}

#[test]
fn help_is_generated_from_the_key_map() {
    let mut app = ready_app();
    app.on_action(Action::Help);
    let shot = screen(&app, Instant::now());
    for b in super::keys::BINDINGS {
        let knob = matches!(b.action, Action::NUp | Action::NDown);
        assert!(knob || shot.contains(b.help), "help lacks {:?}", b.label);
    }
    assert!(
        shot.contains("size knob of fibonacci (by one, up to 93; range 0..=93)"),
        "{shot}"
    );
    insta::assert_snapshot!(shot);
    // The knob's help follows the selected experiment.
    app.on_action(Action::Help);
    app.on_action(Action::NextExperiment);
    app.on_action(Action::Help);
    let shot = screen(&app, Instant::now());
    assert!(
        shot.contains("size knob of listsum (doubling / halving, up to 2000000"),
        "{shot}"
    );
}

#[test]
fn every_lane_is_shown_however_many_there_are() {
    use crate::engine::experiment::fixtures::with_rust;
    let mut exp = with_rust(
        "ports",
        10,
        100,
        false,
        &["straight", "fast", "parallel", "simd"],
    );
    exp.description = "A long description of an experiment that says what it races and why, \
                       so long that it cannot fit on one line of the race pane"
        .into();
    let mut app = App::new(&[exp], fixtures::targets());
    app.on_action(Action::Race);
    let names: Vec<Lane> = app.race.lanes.iter().map(|(l, _)| l.clone()).collect();
    assert_eq!(names.len(), 9, "python + four functions in two builds");
    for (i, lane) in names.iter().enumerate() {
        engine(&mut app, Event::LaneStarted { lane: lane.clone() });
        finish(
            &mut app,
            lane.clone(),
            ran(2.1e-8 * (i + 1) as f64, "7", true),
        );
    }
    let shot = screen(&app, Instant::now());
    for lane in &names {
        assert!(
            shot.contains(lane.name.as_str()),
            "{} is shown:\n{shot}",
            lane.name
        );
    }
    assert!(
        shot.contains("so long that it cannot fit"),
        "wrapped, not cut: {shot}"
    );
    assert!(
        shot.contains("21.0 ns"),
        "nanoseconds keep their digits: {shot}"
    );
    assert!(!shot.contains("0.0 µs"), "{shot}");
    // At 80x24 the race has the room: nine lanes, a line each, all shown.
    let short = render(&app, Instant::now(), 80, 24, &COLOR)
        .backend()
        .to_string();
    for lane in &names {
        assert!(
            short.contains(&format!("│{} ", lane.name)),
            "{} at 80x24:\n{short}",
            lane.name
        );
    }
    assert!(!short.contains("more lane(s)"), "{short}");
}

#[test]
fn a_tiny_terminal_asks_to_be_enlarged() {
    let app = ready_app();
    let shot = render(&app, Instant::now(), 50, 12, &COLOR)
        .backend()
        .to_string();
    assert!(shot.contains("Terminal too small (50x12)"), "{shot}");
    assert!(shot.contains("80x24"), "{shot}");
    insta::assert_snapshot!(shot);
}

#[test]
fn no_color_draws_without_colours() {
    let mut app = ready_app();
    app.on_action(Action::Gil);
    gil_run(
        &mut app,
        GilMode::Held,
        &[
            (0.0, "Py: Enter double_list_py..."),
            (0.001, "Rust: Enter double_list..."),
        ],
        false,
        "no",
    );
    let terminal = render(&app, Instant::now(), 120, 40, &Theme { color: false });
    for cell in terminal.backend().buffer().content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
}

#[test]
fn long_crate_names_never_run_into_the_variant() {
    let mut exp = crate::engine::experiment::fixtures::experiment("pyo3-ffi-pure", 10, 100, false);
    exp.name = "pyo3-ffi-pure".into();
    let targets = [Variant::debug(), Variant::release()]
        .map(|v| crate::engine::types::Target::new("pyo3-ffi-pure", std::path::Path::new("/x"), v));
    let app = App::new(&[exp], targets.to_vec());
    let shot = screen(&app, Instant::now());
    assert!(shot.contains("pyo3-ffi-pure debug"), "{shot}");
    assert!(!shot.contains("pyo3-ffi-puredebug"), "{shot}");
}

#[test]
fn the_build_pane_marks_the_selected_variant() {
    let mut app = ready_app();
    app.view = View::Builds;
    let shot = screen(&app, Instant::now());
    assert!(shot.contains("▸fibonacci release"), "{shot}");
    assert!(
        !shot.contains("home "),
        "no size before a set-up says it: {shot}"
    );
    app.builds.home_bytes = Some(307 << 20);
    let shot = screen(&app, Instant::now());
    assert!(
        shot.contains("[selected: release]  home 307.0 MiB"),
        "{shot}"
    );
    app.on_action(Action::ToggleVariant);
    let shot = screen(&app, Instant::now());
    assert!(
        shot.contains("▸fibonacci debug") && shot.contains("▸gil       debug"),
        "{shot}"
    );
}

#[test]
fn the_timeline_fits_every_width() {
    let mut app = ready_app();
    app.on_action(Action::Gil);
    gil_run(
        &mut app,
        GilMode::Held,
        &[(0.0, "Py: Enter double_list_py..."), (2.003, "Py: Exit...")],
        true,
        "late",
    );
    for width in [80u16, 120, 200] {
        let shot = render(&app, Instant::now(), width, 40, &COLOR)
            .backend()
            .to_string();
        let py_row = shot
            .lines()
            .find(|l| l.contains("│py   "))
            .unwrap_or_else(|| panic!("no timeline at {width}:\n{shot}"));
        assert!(
            py_row.contains('~') && py_row.contains('░'),
            "sleep then a long wait: {py_row}"
        );
        let waits = py_row.matches('░').count();
        // Columns: half the screen less the borders and the "py   " label.
        let cols = (width / 2) as usize - 8;
        assert!(
            waits * 10 > cols * 8,
            "the wait fills most of the row at {width}: {py_row}"
        );
        let rust_row = shot.lines().find(|l| l.contains("│rust ")).unwrap();
        assert!(rust_row.contains('█'), "{rust_row}");
        assert!(shot.contains("waits for"), "legend at {width}");
    }
    insta::assert_snapshot!(
        render(&app, Instant::now(), 80, 30, &COLOR)
            .backend()
            .to_string()
    );
}

#[test]
fn the_scaling_pane_draws_speedups_against_the_ideal() {
    let mut app = ready_app();
    app.view = View::Gil;
    let raw = |c: &str, t: u32, w: f64| (c.to_owned(), t, w);
    let scaling = analyse(
        2,
        vec![
            raw("rust-native", 1, 0.1),
            raw("rust-native", 2, 0.102),
            raw("rust-native", 4, 0.204),
            raw("python", 1, 0.1),
            raw("python", 2, 0.22),
            raw("python", 4, 0.45),
            raw("rust-gil-held", 1, 0.1),
            raw("rust-gil-held", 2, 0.2),
            raw("rust-gil-held", 4, 0.4),
            raw("rust-gil-released", 1, 0.1),
            raw("rust-gil-released", 2, 0.1),
            raw("rust-gil-released", 4, 0.2),
        ],
    );
    engine(&mut app, Event::ScalingDone(Ok(scaling)));
    let shot = screen(&app, Instant::now());
    assert!(shot.contains("ideal: 2 cores"), "{shot}");
    assert!(shot.contains("2.00x") && shot.contains("0.91x"), "{shot}");
    assert!(shot.contains("✓ releasing the GIL scales"), "{shot}");
    assert!(
        shot.contains("rust-native"),
        "the yardstick is shown: {shot}"
    );
    insta::assert_snapshot!(shot);
}

#[test]
fn a_busy_machine_shows_a_warning_in_the_scaling_pane() {
    let mut app = ready_app();
    app.view = View::Gil;
    let raw = |c: &str, t: u32, w: f64| (c.to_owned(), t, w);
    let rows = [
        "rust-native",
        "python",
        "rust-gil-held",
        "rust-gil-released",
    ]
    .into_iter()
    .flat_map(|c| [raw(c, 1, 0.1), raw(c, 2, 0.19)])
    .collect();
    engine(&mut app, Event::ScalingDone(Ok(analyse(2, rows))));
    let shot = screen(&app, Instant::now());
    assert!(
        shot.contains("⚠ can't tell: only 1.1 cores were free"),
        "{shot}"
    );
    assert!(!shot.contains("✗"), "a warning, not a failure: {shot}");
}

fn record(lane: Lane, seconds: f64) -> crate::engine::types::LaneRecord {
    crate::engine::types::LaneRecord {
        times: vec![seconds],
        result: Some("1".into()),
        memory: vec![Some(0)],
        ..crate::engine::types::LaneRecord::new("fibonacci", lane, String::new())
    }
}

#[test]
fn a_sweep_draws_a_curve_per_lane_on_log_axes() {
    let mut app = ready_app();
    app.on_action(Action::Sweep);
    assert!(app.sweep.running);
    for n in [20u64, 22, 24, 26, 28, 30] {
        let python = 1e-6 * 1.618f64.powi(n as i32);
        engine(
            &mut app,
            Event::SweepPoint(crate::engine::types::SweepPoint {
                size: n,
                records: vec![
                    record(lane("python"), python),
                    record(lane("rust-release"), python / 50.0),
                ],
            }),
        );
    }
    app.on_event(done());
    let shot = screen(&app, Instant::now());
    assert!(shot.contains("Sweep: fibonacci"), "{shot}");
    assert!(shot.contains("6 of 6 sizes"), "{shot}");
    assert!(shot.contains("python: x1.618 per step of N"), "{shot}");
    let braille = shot
        .chars()
        .filter(|c| ('\u{2801}'..='\u{28FF}').contains(c))
        .count();
    assert!(braille > 20, "{shot}");
    insta::assert_snapshot!(shot);
    at_three_sizes(&app, "sweep");
    app.on_action(Action::SweepView);
    let shot = screen(&app, Instant::now());
    assert!(shot.contains("speed-up over the reference"), "{shot}");
    assert!(shot.contains("50.00x"), "the speed-up axis: {shot}");
}

#[test]
fn the_why_pane_stacks_each_lanes_instructions_by_who_spent_them() {
    use crate::engine::types::Instructions;
    use crate::engine::types::{Breakdown, Category};
    let mut app = ready_app();
    app.on_action(Action::ToggleInstructions);
    app.on_action(Action::Why);
    let lanes = [lane("python"), lane("rust-release")];
    engine(
        &mut app,
        Event::RaceStarted {
            lanes: lanes.to_vec(),
            size: None,
        },
    );
    let split = |shares: [f64; 7], hot_lines| Breakdown {
        categories: Category::ALL.into_iter().zip(shares).collect(),
        hot_self: vec![],
        hot_inclusive: vec![],
        symbols: true,
        line_tables: true,
        hot_lines,
        scenario: false,
    };
    let counted = |b: Breakdown, diagnosis: Option<&str>| Instructions {
        per_call: b.total(),
        counted_size: None,
        scale: 1.0,
        breakdown: Some(b),
        diagnosis: diagnosis.map(Into::into),
        folded: vec![],
        python_hot: vec![],
        python_hot_failure: None,
    };
    engine(
        &mut app,
        Event::Counted(
            lanes[0].clone(),
            Ok(Box::new(counted(
                split([0.0, 0.0, 0.0, 0.0, 960.0, 30.0, 10.0], vec![]),
                None,
            ))),
        ),
    );
    let said =
        "rust-release: 71% of its instructions convert the arguments (cpython 52%, pyo3 19%)";
    engine(
        &mut app,
        Event::Counted(
            lanes[1].clone(),
            Ok(Box::new(counted(
                split(
                    [240.0, 190.0, 0.0, 520.0, 0.0, 30.0, 20.0],
                    vec![crate::engine::types::HotLine {
                        file: "src/lib.rs".into(),
                        line: 9,
                        text: "total += x * x;".into(),
                        instructions: 200.0,
                        share: 0.2,
                    }],
                ),
                Some(said),
            ))),
        ),
    );
    let shot = screen(&app, Instant::now());
    assert!(
        shot.contains("Why: where each lane's instructions go"),
        "{shot}"
    );
    let bar = |lane: &str| {
        shot.lines()
            .rfind(|l| l.contains(&format!("│{lane} ")))
            .unwrap_or_else(|| panic!("no bar for {lane}:\n{shot}"))
            .to_owned()
    };
    assert!(
        bar("python").matches('░').count() > 50,
        "interpreter: {}",
        bar("python")
    );
    let rust = bar("rust-release");
    assert!(
        rust.matches('▒').count() > rust.matches('█').count(),
        "cpython beats crate: {rust}"
    );
    assert!(
        shot.contains("██ crate") && shot.contains("▒▒ cpython"),
        "a legend: {shot}"
    );
    assert!(shot.contains("71% of its instructions convert"), "{shot}");
    assert!(
        shot.contains("rust-release src/lib.rs:9  20%  total += x * x;"),
        "the crate's hottest line: {shot}"
    );
    insta::assert_snapshot!(shot);
    at_three_sizes(&app, "why");
}

/// The routes lesson as loaded from its folder: beside each route lane's
/// time, whether its code had to change (read from its file against the
/// reference's).
#[test]
fn a_route_lane_says_whether_its_code_had_to_change() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/routes/fib");
    let (exps, errors) = crate::engine::experiment::discover(std::slice::from_ref(&dir));
    assert!(errors.is_empty(), "{errors:?}");
    let targets = vec![crate::engine::types::Target::new(
        &exps[0].key,
        &dir,
        Variant::release(),
    )];
    let mut app = App::new(&exps, targets);
    app.on_action(Action::Race);
    let lanes: Vec<Lane> = app.race.lanes.iter().map(|(l, _)| l.clone()).collect();
    for l in lanes {
        finish(&mut app, l, ran(0.001, "832040", true));
    }
    app.on_event(done());
    let shot = screen(&app, Instant::now());
    let row = |lane: &str| {
        let at = shot
            .lines()
            .position(|l| l.contains(&format!("│{lane} ")))
            .unwrap_or_else(|| panic!("no {lane}:\n{shot}"));
        shot.lines().skip(at).take(2).collect::<String>()
    };
    assert!(row("cython-typed").contains("rewrote 1/4 lines"), "{shot}");
    assert!(row("mypyc").contains("code as is"), "{shot}");
    assert!(!row("python").contains("code"), "{shot}");
}

/// The program view of the lesson's spell checker: its profile as bars of
/// share, the selected function's recorded calls, and a swap with the
/// prediction marked; at 80x24 every row fits whole.
#[test]
fn the_program_view_ranks_functions_by_share_and_marks_the_prediction_on_the_swap() {
    use crate::program::profile::{Function, Profile, Recorded};
    use crate::program::swap::Report;
    let function = |name: &str, own: f64, total: f64, twin: Option<&str>| Function {
        name: name.into(),
        module: Some("spellcheck.pure".into()),
        file: "pure.py".into(),
        line: 1,
        calls: Some(62_100),
        own_seconds: own * 0.7,
        own_share: own,
        total_share: total,
        bound: crate::program::profile::bound(total),
        twin: twin.map(Into::into),
    };
    let mut app = ready_app();
    app.view = View::Program;
    app.program.profile = Some(Profile {
        command: "python app.py".into(),
        cmd: vec!["python".into(), "app.py".into()],
        cwd: "/p".into(),
        wall_seconds: 0.696,
        profiled_wall_seconds: 0.725,
        profiler: "py-spy".into(),
        samples: 700,
        sampled_seconds: 0.70,
        startup_seconds: 0.02,
        functions: vec![
            function(
                "edit_distance",
                0.944,
                0.944,
                Some("spellcheck._native.edit_distance"),
            ),
            function("closest", 0.012, 0.957, None),
        ],
        recorded: vec![Recorded {
            name: "edit_distance".into(),
            module: "spellcheck.pure".into(),
            calls: 62_100,
            kept: 48,
            pickle: None,
            types: "a: str (2-11 chars), b: str (2-11 chars) -> int (1-11)".into(),
            signature: "fn edit_distance(a: &str, b: &str) -> usize".into(),
            not_replayable: None,
            mean_call_seconds: 10.75e-6,
            source: None,
        }],
    });
    app.program.swap = Some(Report {
        command: "python app.py".into(),
        rounds: 10,
        swapped: vec!["spellcheck.pure.edit_distance".into()],
        baseline_seconds: vec![0.754; 10],
        swapped_seconds: vec![0.0474; 10],
        speedup: Some(15.07),
        interval: Some((12.5, 16.84)),
        p: Some(0.002),
        significant: true,
        test: None,
        predicted: Some(12.67),
        prediction: None,
        output_same: true,
        difference: None,
        why: Vec::new(),
    });
    let shot = render(&app, Instant::now(), 80, 24, &COLOR)
        .backend()
        .to_string();
    assert!(shot.contains("› spellcheck.pure.edit_di"), "{shot}");
    assert!(shot.contains("≤17.9x  ✓ edit_distance"), "{shot}");
    assert!(
        shot.contains("suggests fn edit_distance(a: &str, b: &str) -> usize"),
        "{shot}"
    );
    assert!(shot.contains("┃"), "the prediction is marked: {shot}");
    assert!(
        shot.contains(
            "15.07x faster (12.50-16.84x, significant) · ┃ predicted 12.67x · output same"
        ),
        "{shot}"
    );
    at_three_sizes(&app, "program");
    // Down selects the next function, and its detail says it was not recorded.
    app.on_action(Action::SelectDown);
    let shot = render(&app, Instant::now(), 80, 24, &COLOR)
        .backend()
        .to_string();
    assert!(shot.contains("› spellcheck.pure.closest"), "{shot}");
    assert!(shot.contains("closest: not recorded"), "{shot}");
}

/// Without a profile the view says how to make one, and S says so too.
#[test]
fn the_program_view_without_a_profile_says_how_to_make_one() {
    let mut app = ready_app();
    app.view = View::Program;
    app.program = Default::default();
    app.program.dir = Some("/p".into());
    let shot = screen(&app, Instant::now());
    assert!(
        shot.contains("No profile of a program here (/p/.pyo3-lab)"),
        "{shot}"
    );
    assert!(app.on_action(Action::Swap).is_none());
    assert!(
        app.message
            .as_ref()
            .is_some_and(|(_, m)| m.contains("no profile in /p")),
        "{:?}",
        app.message
    );
}
