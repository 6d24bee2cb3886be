//! The app's update rules, event by event: jobs, keys, watch rounds.

use super::fixtures::{self, done, lab_experiments, targets};
use super::*;
use crate::engine::types::{BuildInfo, RunOutcome};

/// The app of a used home: its builds there, so `r` races every lane.
fn app() -> App {
    fixtures::built_app()
}

fn race(n: u64) -> Job {
    Job::Race(RaceJob::quick(
        "fibonacci",
        Some(n),
        Some(Variant::defaults().to_vec()),
    ))
}

#[test]
fn one_job_at_a_time_and_the_same_job_never_stacks() {
    let mut app = app();
    assert_eq!(app.on_action(Action::Race), Some(Effect::Start(race(35))));
    assert_eq!(app.on_action(Action::Race), None, "same job ignored");
    assert!(app.pending.is_none());
    assert_eq!(app.on_action(Action::Gil), None, "another job waits");
    assert_eq!(app.on_action(Action::BuildAll), None);
    assert_eq!(app.pending, Some(Job::Build(None)), "latest wins");
    let next = app.on_event(done());
    assert_eq!(next, Some(Effect::Start(Job::Build(None))));
    assert!(app.pending.is_none());
}

/// In a new home, `r` answers python against release first, while the
/// other builds wait; then the whole race follows, its debug lane waiting,
/// not cancelled, in between.
#[test]
fn a_new_home_races_release_first_then_every_lane() {
    let mut app = fixtures::app();
    let release_only = Job::Race(RaceJob::quick(
        "fibonacci",
        Some(35),
        Some(vec![Variant::release()]),
    ));
    assert_eq!(
        app.on_action(Action::Race),
        Some(Effect::Start(release_only))
    );
    assert_eq!(app.pending, Some(race(35)));
    let next = app.on_event(done());
    assert_eq!(next, Some(Effect::Start(race(35))));
    let debug = app
        .race
        .lanes
        .iter()
        .find(|(l, _)| l.name == "rust-debug")
        .map(|(_, s)| s.clone());
    assert_eq!(debug, Some(LaneState::Waiting));
    // Pressed while set-up runs, the whole race still follows the first.
    let mut busy = fixtures::app();
    busy.on_action(Action::Gil);
    busy.on_action(Action::Race);
    assert!(
        matches!(&busy.pending, Some(Job::Race(r)) if r.variants == Some(vec![Variant::release()]))
    );
    assert_eq!(busy.then, Some(race(35)));
    busy.on_event(done());
    assert_eq!(busy.pending, Some(race(35)));
}

#[test]
fn cancel_drops_the_waiting_job_too() {
    let mut app = app();
    app.on_action(Action::Race);
    app.on_action(Action::Gil);
    assert_eq!(app.on_action(Action::Cancel), Some(Effect::Cancel));
    assert!(app.pending.is_none());
    assert_eq!(
        app.on_event(AppEvent::job_done(Err(LabError::Cancelled))),
        None
    );
    assert!(!app.is_busy());
    assert!(
        app.race
            .lanes
            .iter()
            .all(|(_, s)| *s == LaneState::Failed("cancelled".into()))
    );
    assert_eq!(app.on_action(Action::Cancel), None, "nothing to cancel");
}

#[test]
fn n_stops_at_its_bounds() {
    let mut app = app();
    app.experiments[0].size = Some(93);
    app.on_action(Action::NUp);
    assert_eq!(app.experiments[0].size, Some(93));
    assert!(app.message.as_ref().unwrap().1.contains("0..=93"));
    app.experiments[0].size = Some(0);
    app.on_action(Action::NDown);
    assert_eq!(app.experiments[0].size, Some(0));
    app.on_action(Action::NUp);
    assert_eq!(app.experiments[0].size, Some(1), "by one on a small range");
}

#[test]
fn a_large_knob_doubles_and_the_picker_cycles() {
    let mut app = app();
    app.on_action(Action::NextExperiment);
    assert_eq!(app.current().unwrap().key(), "listsum");
    assert_eq!(
        app.raced().unwrap().key(),
        "listsum",
        "an idle race pane follows the picker"
    );
    app.on_action(Action::NUp);
    assert_eq!(app.current().unwrap().size, Some(2_000_000));
    app.on_action(Action::NUp);
    assert_eq!(
        app.current().unwrap().size,
        Some(2_000_000),
        "clamped to max"
    );
    app.on_action(Action::NDown);
    assert_eq!(app.current().unwrap().size, Some(1_000_000));
    assert_eq!(
        app.on_action(Action::Race),
        Some(Effect::Start(Job::Race(RaceJob::quick(
            "listsum",
            Some(1_000_000),
            Some(Variant::defaults().to_vec())
        ))))
    );
    app.on_action(Action::NextExperiment);
    assert_eq!(app.current().unwrap().key(), "fibonacci");
    assert_eq!(
        app.raced().unwrap().key(),
        "listsum",
        "a running race stays on screen"
    );
}

#[test]
fn a_failed_rebuild_keeps_the_last_good_build() {
    let mut app = app();
    let t = targets()[0].clone();
    let info = BuildInfo {
        inputs: "x".into(),
        crate_dir: None,
        seconds: 1.0,
        wheel_bytes: 1,
        module: "m.so".into(),
        module_bytes: 1,
        line_table_bytes: 0,
        module_sha256: "y".into(),
        fresh: false,
        clean: None,
        pyo3: None,
        packages: Vec::new(),
    };
    app.builds
        .states
        .insert(t.clone(), BuildState::Ready(info.clone()));
    app.on_event(AppEvent::Engine(Box::new(Event::BuildStarted(t.clone()))));
    app.on_event(AppEvent::Engine(Box::new(Event::BuildFinished(
        t.clone(),
        Err(LabError::Build("error[E0308]: mismatched types".into())),
    ))));
    assert_eq!(
        app.builds.states[&t],
        BuildState::Failed("error[E0308]: mismatched types".into(), Some(info))
    );
}

#[test]
fn debug_lanes_can_be_left_out_and_the_engine_names_the_lanes() {
    let mut app = app();
    let names =
        |app: &App| -> Vec<String> { app.race.lanes.iter().map(|(l, _)| l.name.clone()).collect() };
    assert_eq!(
        names(&app),
        ["python", "rust-debug", "rust-release", "rust-native"]
    );
    app.on_action(Action::ToggleDebugLanes);
    assert_eq!(names(&app), ["python", "rust-release", "rust-native"]);
    assert_eq!(
        app.on_action(Action::Race),
        Some(Effect::Start(Job::Race(RaceJob::quick(
            "fibonacci",
            Some(35),
            Some(vec![Variant::release()])
        ))))
    );
    assert_eq!(
        app.expected().as_deref(),
        Some("9227465"),
        "asked of the engine"
    );
}

#[test]
fn one_experiment_says_so_when_e_is_pressed() {
    let mut app = App::new(&lab_experiments()[..1], targets());
    app.on_action(Action::NextExperiment);
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .1
            .contains("only one experiment")
    );
}

#[test]
fn a_save_mid_round_starts_the_round_over_and_a_failed_build_keeps_the_numbers() {
    let mut app = app();
    assert_eq!(
        app.on_action(Action::ToggleWatch),
        Some(Effect::Watch(Some("fibonacci".into())))
    );
    let saved = |app: &mut App| {
        app.on_event(AppEvent::FilesChanged(
            "fibonacci".into(),
            vec!["/lab/fibonacci/src/lib.rs".into()],
        ))
    };
    assert_eq!(saved(&mut app), Some(Effect::Start(race(35))));
    assert_eq!(saved(&mut app), Some(Effect::Cancel), "latest wins");
    assert_eq!(app.pending, Some(race(35)));
    assert_eq!(
        app.on_event(AppEvent::job_done(Err(LabError::Cancelled))),
        Some(Effect::Start(race(35))),
        "the round starts over"
    );
    // The round ends with numbers; the next save's build fails.
    let lane = fixtures::lane("rust-release");
    app.on_event(AppEvent::Engine(Box::new(Event::LaneFinished {
        lane: lane.clone(),
        run: 0,
        warmup: false,
        outcome: RunOutcome::Done {
            seconds: 0.03,
            result: "9227465".into(),
            correct: true,
            phases: Vec::new(),
        },
    })));
    app.on_event(done());
    assert!(
        app.watch.as_ref().unwrap().last.is_some(),
        "the round is timed"
    );
    saved(&mut app);
    let mut failed = fixtures::report(vec![], &["build fibonacci (release) failed: E0308"]);
    failed
        .builds
        .push((targets()[1].clone(), Err(LabError::Build("E0308".into()))));
    app.on_event(AppEvent::job_done(Ok(failed)));
    let kept = app.race.lanes.iter().find(|(l, _)| *l == lane).unwrap();
    assert!(matches!(kept.1, LaneState::Done { .. }), "{kept:?}");
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .1
            .contains("last good build's numbers stay")
    );
    // Saves of another experiment, or after w is off, do nothing.
    assert_eq!(
        app.on_action(Action::ToggleWatch),
        Some(Effect::Watch(None))
    );
    assert_eq!(saved(&mut app), None);
}

#[test]
fn a_batch_with_job_done_and_a_save_keeps_both_effects_in_order() {
    let mut app = app();
    // Set-up runs; watching queues the first round behind it.
    assert_eq!(app.request(Job::Setup), Some(Effect::Start(Job::Setup)));
    app.on_action(Action::ToggleWatch);
    let save =
        || AppEvent::FilesChanged("fibonacci".into(), vec!["/lab/fibonacci/src/lib.rs".into()]);
    assert_eq!(app.on_event(save()), None, "queued behind set-up");
    // One batch: set-up ends (the round starts) and a save lands (the round
    // starts over). Both effects reach the runner, in order.
    let effects = crate::tui::updates(&mut app, [done(), save()]);
    assert_eq!(effects, [Effect::Start(race(35)), Effect::Cancel]);
    assert_eq!(app.pending, Some(race(35)));
    // The cancelled round ends, and the new one really starts.
    let effects = crate::tui::updates(&mut app, [AppEvent::job_done(Err(LabError::Cancelled))]);
    assert_eq!(effects, [Effect::Start(race(35))]);
    assert!(app.is_busy());
}

/// The race on screen finished: every lane done in `seconds`.
fn finished(app: &mut App, seconds: f64) {
    let lanes: Vec<Lane> = app.race.lanes.iter().map(|(l, _)| l.clone()).collect();
    for lane in lanes {
        app.on_event(AppEvent::Engine(Box::new(Event::LaneFinished {
            lane,
            run: 0,
            warmup: false,
            outcome: RunOutcome::Done {
                seconds,
                result: "1".into(),
                correct: true,
                phases: Vec::new(),
            },
        })));
    }
    app.on_event(done());
}

#[test]
fn a_toggle_never_starts_work_and_never_clears_results() {
    let mut app = app();
    app.on_action(Action::Race);
    finished(&mut app, 0.5);
    for toggle in [
        Action::ToggleVerify,
        Action::ToggleDebugLanes,
        Action::ToggleInstructions,
        Action::ToggleVerify,
        Action::ToggleDebugLanes,
    ] {
        assert_eq!(app.on_action(toggle), None, "{toggle:?} starts nothing");
        assert!(!app.is_busy());
    }
    assert!(
        every_lane(&app, |s| matches!(s, LaneState::Done { .. })),
        "the results stay"
    );
}

/// Whether every lane on the race pane is in a state `holds` accepts.
fn every_lane(app: &App, holds: impl Fn(&LaneState) -> bool) -> bool {
    app.race.lanes.iter().all(|(_, s)| holds(s))
}

#[test]
fn a_key_under_the_help_goes_to_the_help() {
    let mut app = app();
    app.on_action(Action::Help);
    assert_eq!(app.on_action(Action::Race), None, "no race behind the help");
    assert_eq!(app.on_action(Action::NextExperiment), None);
    assert_eq!(app.selected, 0);
    app.on_action(Action::ScrollDown);
    assert_eq!(app.help_scroll, 3);
    app.on_action(Action::Cancel);
    assert!(!app.show_help && !app.is_busy(), "Esc closes the help only");
}

#[test]
fn each_experiment_keeps_its_race_and_sweep_while_another_is_shown() {
    let mut app = app();
    app.on_action(Action::Race);
    finished(&mut app, 0.25);
    app.sweep.experiment = "fibonacci".into();
    app.sweep.sizes = vec![1, 2];
    app.on_action(Action::NextExperiment);
    assert_ne!(app.raced().unwrap().key(), "fibonacci");
    assert!(
        every_lane(&app, |s| matches!(s, LaneState::Idle)),
        "the other experiment starts idle"
    );
    assert!(
        app.sweep.sizes.is_empty(),
        "and has no sweep of fibonacci's"
    );
    assert!(
        app.message
            .as_ref()
            .is_some_and(|(_, m)| m.contains("selected")),
        "the message speaks of the one selected now"
    );
    while app.current().unwrap().key() != "fibonacci" {
        app.on_action(Action::NextExperiment);
    }
    assert_eq!(app.raced().unwrap().key(), "fibonacci");
    assert!(
        every_lane(
            &app,
            |s| matches!(s, LaneState::Done { seconds, .. } if *seconds == 0.25)
        ),
        "fibonacci's race came back"
    );
    assert_eq!(app.sweep.sizes, [1, 2], "and its sweep");
}
