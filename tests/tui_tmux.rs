//! The real binary in a real terminal (tmux), driven by keys as a person
//! would: set-up, build everything, race at a small N, read the lanes off the
//! screen, quit, and check that nothing is left running.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

struct Session(String);

impl Session {
    fn start() -> Self {
        Self::with_args("main", "")
    }

    /// A session of its own (`tag` tells it from others running at once).
    fn with_args(tag: &str, args: &str) -> Self {
        let name = format!("pyo3-lab-test-{tag}-{}", std::process::id());
        let cmd = format!(
            "{} --home {} {args}",
            common::bin(),
            common::home().display()
        );
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "120",
                "-y",
                "40",
                "-c",
            ])
            .arg(common::project())
            .arg(cmd)
            .status()
            .expect("tmux is installed (.ci/run installs it)");
        assert!(status.success());
        Self(name)
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &str) {
        let ok = Command::new("tmux")
            .args(["send-keys", "-t", &self.0, keys])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    fn resize(&self, width: u16, height: u16) {
        let ok = Command::new("tmux")
            .args([
                "resize-window",
                "-t",
                &self.0,
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    fn pid(&self) -> u32 {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.0, "#{pane_pid}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.0])
            .output()
            .unwrap()
            .status
            .success()
    }

    /// Polls the screen until `done` holds; fails with the last screen.
    fn wait_for(&self, what: &str, limit: Duration, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < limit,
                "timed out waiting for {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Whether the race on screen has ended: no lane waits, runs or is idle.
fn race_done(screen: &str) -> bool {
    !screen.contains("running:")
        && !screen.contains("waiting for its turn")
        && !screen.contains("press r to race")
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}

#[test]
fn a_person_builds_races_and_quits_with_the_keys_on_screen() {
    let lab = Session::start();
    let pid = lab.pid();
    let screen = lab.wait_for("set-up", Duration::from_secs(300), |s| {
        s.contains("Python 3.")
    });
    assert!(
        screen.contains("r race") && screen.contains("q quit"),
        "keys shown:\n{screen}"
    );

    lab.keys("B");
    // Every row of the build pane (crate x variant) shows a finished build.
    let builds_done = |s: &str| {
        let rows: Vec<String> = s
            .lines()
            .map(|l| l.chars().take(58).collect::<String>())
            .filter(|l| l.contains(" debug ") || l.contains(" release "))
            .collect();
        rows.len() >= 4
            && rows
                .iter()
                .all(|r| r.contains("✓ built") || r.contains("✓ up to date"))
    };
    lab.wait_for("every build", Duration::from_secs(600), builds_done);

    for _ in 0..10 {
        lab.keys("-");
    }
    lab.wait_for("N = 25", Duration::from_secs(10), |s| s.contains("N = 25"));
    lab.keys("r");
    let screen = lab.wait_for("the race to finish", Duration::from_secs(120), |s| {
        s.contains("bars: median time") && s.matches("✓ 75025").count() == 4
    });
    assert!(screen.contains("Race: fibonacci (N = 25)"), "{screen}");
    assert_eq!(
        screen.matches("✓ 75025").count(),
        4,
        "four right lanes:\n{screen}"
    );
    assert!(screen.contains("faster than python"), "{screen}");

    // At 80x24 the race keeps every lane, its time and its verdict, and the
    // key line ends whole.
    lab.resize(80, 24);
    // Drawn anew at the new size: the key line, whole, is the last.
    lab.wait_for("80x24", Duration::from_secs(10), |s| {
        s.lines().count() <= 24
            && s.matches("✓ 75025").count() == 4
            && s.lines()
                .last()
                .is_some_and(|k| k.trim_end().ends_with("? more keys"))
    });

    // The help takes the keys while it is open: r races nothing behind it,
    // the arrows scroll it, Esc closes it.
    lab.keys("?");
    lab.wait_for("help", Duration::from_secs(10), |s| {
        s.contains("Press ? or Esc to close")
    });
    lab.keys("r");
    lab.keys("Down");
    let screen = lab.wait_for("help scrolled", Duration::from_secs(10), |s| {
        s.contains("scroll (3/")
    });
    assert!(!screen.contains("running the race"), "{screen}");
    lab.keys("Escape");
    lab.wait_for("help closed", Duration::from_secs(10), |s| {
        !s.contains("Press ? or Esc to close")
    });
    // Tab goes through the views; the race is there when it comes back.
    lab.keys("Tab");
    lab.wait_for("the builds view", Duration::from_secs(10), |s| {
        s.contains("log: ")
    });
    // Sweep, GIL, Why, Program, and the race again.
    for _ in 0..5 {
        lab.keys("Tab");
    }
    lab.wait_for("the race again", Duration::from_secs(10), |s| {
        s.matches("✓ 75025").count() == 4
    });

    lab.keys("q");
    let start = Instant::now();
    while lab.alive() {
        // A poll with room for a loaded machine: without q the lab never quits.
        assert!(start.elapsed() < Duration::from_secs(30), "q did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Gone, or a zombie that only waits for tmux to reap it: nothing runs.
    let running = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z')
        })
    };
    let start = Instant::now();
    while running() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the lab process still runs"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(common::orphan_workers().is_empty(), "no worker left behind");
}

#[test]
fn esc_cancels_a_long_race_at_once_and_a_resize_loses_nothing() {
    // fib(40) in Python takes many seconds: long enough to resize and cancel.
    let lab = Session::with_args("esc", "--n 40");
    lab.wait_for("set-up", Duration::from_secs(300), |s| s.contains("ready"));
    lab.keys("r");
    lab.wait_for("the python lane to run", Duration::from_secs(600), |s| {
        s.contains("of the calls done")
    });

    lab.resize(60, 15);
    lab.wait_for("the too-small message", Duration::from_secs(10), |s| {
        s.contains("Terminal too small (60x15)")
    });
    lab.resize(120, 40);
    lab.wait_for("the race again", Duration::from_secs(10), |s| {
        s.contains("of the calls done")
    });

    lab.keys("Escape");
    let start = Instant::now();
    let screen = lab.wait_for("the cancel", Duration::from_secs(10), |s| {
        s.contains("✗ cancelled")
    });
    // At once, not at the race's end: fib(40) in Python runs for half a
    // minute and more; 10 s leaves room for a loaded machine's redraw.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "cancel took {:?}",
        start.elapsed()
    );
    assert!(
        screen.contains("race of fibonacci (N = 40) cancelled"),
        "{screen}"
    );
    // The worker's whole group is gone: none left whose lab is not running
    // it. A killed child is reaped a moment after the cancel is shown.
    let children = || {
        let out = Command::new("pgrep")
            .args(["-P", &lab.pid().to_string()])
            .output()
            .unwrap();
        common::text(&out.stdout)
    };
    let shown = Instant::now();
    while !children().is_empty() && shown.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        children().is_empty(),
        "the lab still has children: {}",
        children()
    );
    lab.keys("q");
}

/// Processes of a build of the slowbuild fixture: maturin, cargo, rustc, its build script.
fn slowbuild_processes() -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|p| {
            let cmd =
                common::text(&std::fs::read(p.path().join("cmdline")).ok()?).replace('\0', " ");
            let tool = ["maturin", "cargo", "rustc", "build-script"]
                .iter()
                .any(|t| cmd.contains(t));
            (tool && cmd.contains("slowbuild") && !cmd.starts_with("tmux")).then_some(cmd)
        })
        .collect()
}

#[test]
fn quitting_mid_build_leaves_no_process_and_no_half_build() {
    let fixture = common::project().join("tests/fixtures/slowbuild");
    let args = format!("--lab {}", fixture.display());
    let lab = Session::with_args("slow", &args);
    lab.wait_for("set-up", Duration::from_secs(300), |s| s.contains("ready"));
    lab.keys("b");
    // The build script sleeps for minutes: wait until it runs, then quit.
    let start = Instant::now();
    while !slowbuild_processes()
        .iter()
        .any(|c| c.contains("build-script"))
    {
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "the build script never started"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    lab.keys("q");
    let start = Instant::now();
    while !slowbuild_processes().is_empty() {
        // A poll: the build script sleeps for minutes unless q kills it.
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "left behind: {:?}",
            slowbuild_processes()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(lab);

    // Started again, the lab does not take the interrupted build for a good one.
    let again = Session::with_args("slow-again", &args);
    again.wait_for("set-up", Duration::from_secs(60), |s| s.contains("ready"));
    again.keys("Tab");
    let screen = again.wait_for("the builds view", Duration::from_secs(10), |s| {
        s.contains("not built")
    });
    let row = screen
        .lines()
        .find(|l| l.contains("slowbuild release"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(row.contains("not built"), "{row}");
    again.keys("q");
}

/// Watched, an experiment `new --routes` wrote: every route races as it
/// stands, and a save to the Rust port re-races it beside the routes.
#[test]
fn watching_rebuilds_and_reraces_on_save_and_keeps_the_last_good_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(common::bin())
        .args(["new", "watched", "--routes", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let exp = dir.path().join("watched");
    let args = format!("--lab {} --n 2000", exp.display());
    let lab = Session::with_args("watch", &args);
    lab.wait_for("set-up", Duration::from_secs(300), |s| {
        s.contains("Python 3.")
    });
    lab.keys("d"); // release builds only: a round is quicker
    lab.keys("w");
    // The first round: 303 primes below 2000, from python, Cython, mypyc,
    // Numba and the Rust port.
    let screen = lab.wait_for("the first round", Duration::from_secs(300), |s| {
        s.matches("✓ 303").count() == 5 && s.contains("last round")
    });
    assert!(screen.contains("watching watched"), "{screen}");
    for lane in ["cython", "mypyc", "numba"] {
        assert!(screen.contains(&format!("│{lane} ")), "{lane}:\n{screen}");
    }
    assert!(screen.contains("code as is"), "{screen}");

    // A save, and no key: the Rust lane now counts one too many.
    let lib = exp.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    let wrong = source.replace(".count() as u64\n}", ".count() as u64 + 1\n}");
    assert_ne!(wrong, source);
    std::fs::write(&lib, &wrong).unwrap();
    // The re-race ends when no lane waits or runs: its lanes' order is
    // drawn anew each round, so the Rust lane may finish first.
    let screen = lab.wait_for(
        "the re-race after the save",
        Duration::from_secs(300),
        |s| s.contains("✗ 304") && race_done(s),
    );
    assert_eq!(
        screen.matches("✓ 303").count(),
        4,
        "python and the routes are still right:\n{screen}"
    );

    // A save that does not compile: its error shows, the last numbers stay.
    std::fs::write(&lib, wrong.replace("fn is_prime", "fn is_prime(")).unwrap();
    let screen = lab.wait_for("the failed build", Duration::from_secs(300), |s| {
        s.contains("failed, last good kept") || s.contains("numbers stay")
    });
    let screen = if screen.contains("numbers stay") {
        screen
    } else {
        lab.wait_for("the message", Duration::from_secs(60), |s| {
            s.contains("numbers stay")
        })
    };
    assert!(screen.contains("✗ 304"), "the last numbers stay:\n{screen}");
    lab.keys("q");
}

#[test]
fn a_sweep_draws_its_curves_point_by_point_and_keeps_them() {
    let lab = Session::with_args("sweep", "");
    lab.wait_for("set-up", Duration::from_secs(300), |s| {
        s.contains("Python 3.")
    });
    lab.keys("d"); // release builds only: the sweep is quicker
    lab.keys("s");
    let screen = lab.wait_for("the whole sweep", Duration::from_secs(300), |s| {
        s.contains("6 of 6 sizes") && !s.contains("estimate")
    });
    assert!(screen.contains("Sweep: fibonacci"), "{screen}");
    let braille = screen
        .chars()
        .filter(|c| ('\u{2801}'..='\u{28FF}').contains(c))
        .count();
    assert!(braille > 20, "curves drawn in braille:\n{screen}");
    for lane in ["python", "rust-release", "rust-native"] {
        assert!(screen.contains(lane), "the legend names {lane}:\n{screen}");
    }
    assert!(
        screen.contains("per step of N"),
        "the growth in words:\n{screen}"
    );
    lab.keys("x");
    lab.wait_for("the speed-up view", Duration::from_secs(10), |s| {
        s.contains("speed-up over the reference")
    });
    lab.keys("q");
}

/// How long a person waits for one watched round: set-up, a maturin build, a race.
const ROUND: Duration = Duration::from_secs(300);

#[test]
fn a_save_at_any_moment_of_a_watched_round_ends_with_its_own_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(common::bin())
        .args(["new", "moments", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let exp = dir.path().join("moments");
    let lib = exp.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    // Save k makes the Rust lane count k too many: the screen tells which
    // save its numbers come from (17,984 primes below 200,000).
    let save = |k: u64| {
        let edited = source.replace(".count() as u64\n}", &format!(".count() as u64 + {k}\n}}"));
        assert_ne!(edited, source);
        std::fs::write(&lib, edited).unwrap();
    };
    let numbers_of = |k: u64| format!("✗ {}", 17984 + k);
    let lab = Session::with_args("moments", &format!("--lab {}", exp.display()));

    // 1. During set-up: watch at once, and save before set-up has ended.
    lab.wait_for("the screen", Duration::from_secs(60), |s| {
        s.contains("q quit")
    });
    lab.keys("d"); // release builds only: a round is quicker
    lab.keys("w");
    save(1);
    lab.wait_for("save 1's numbers", ROUND, |s| s.contains(&numbers_of(1)));

    // 2. During its build: a save starts a build; a second save lands while
    //    maturin runs.
    save(2);
    // The builds strip over the race: "moments release ⠋ building".
    lab.wait_for("save 2's build", ROUND, |s| s.contains(" building"));
    save(3);
    let screen = lab.wait_for("save 3's numbers", ROUND, |s| s.contains(&numbers_of(3)));
    assert!(!screen.contains(&numbers_of(2)), "{screen}");

    // 3. During its race: a save lands while a lane runs.
    save(4);
    lab.wait_for("save 4's race", ROUND, |s| s.contains("running: "));
    save(5);
    lab.wait_for("save 5's numbers", ROUND, |s| s.contains(&numbers_of(5)));

    // 4. Just after: the round has ended (its numbers are up), a save at once.
    lab.wait_for("save 5's round to end", ROUND, |s| {
        s.contains("last round") && !s.contains("running")
    });
    save(6);
    let screen = lab.wait_for("save 6's numbers", ROUND, |s| s.contains(&numbers_of(6)));
    assert!(
        screen.contains("✓ 17984"),
        "the python lane stays right:\n{screen}"
    );
    lab.keys("q");
}

#[test]
fn the_why_pane_shows_where_listsums_instructions_go() {
    let lab = Session::with_args("why", "--lab lab/listsum --n 100000");
    lab.wait_for("set-up", Duration::from_secs(300), |s| {
        s.contains("Python 3.")
    });
    lab.keys("d"); // release builds only: quicker
    lab.keys("I");
    lab.keys("r");
    lab.wait_for("the race", ROUND, |s| s.contains("bars: median time"));
    // The pane fills in as each lane's count arrives.
    lab.keys("y");
    let screen = lab.wait_for("every lane's bar and the diagnosis", ROUND, |s| {
        // The diagnosis line itself, not lab.toml's description quoting it.
        s.contains("Why: where each lane's instructions go")
            && s.lines()
                .any(|l| l.starts_with("│rust-release: ") && l.contains("convert"))
    });
    let bar = |lane: &str| {
        screen
            .lines()
            .rfind(|l| l.starts_with(&format!("│{lane} ")))
            .unwrap_or_else(|| panic!("no bar for {lane}:\n{screen}"))
            .to_owned()
    };
    // One scale: release's bar is as much shorter than python's as its
    // instructions are fewer, and pyo3 and cpython are most of it.
    let release = bar("rust-release");
    let boundary = release.matches('▓').count() + release.matches('▒').count();
    let own = release.matches('█').count() + release.matches('▞').count();
    assert!(
        boundary > own,
        "pyo3 and cpython make the release bar: {release}"
    );
    let python = bar("python");
    assert!(python.matches('░').count() > 20, "{screen}");
    let cells = |l: &str| l.chars().filter(|c| "█▓▞▒░▚·".contains(*c)).count();
    assert!(cells(&release) * 2 < cells(&python), "{screen}");
    lab.keys("y");
    lab.wait_for("the race back", Duration::from_secs(10), |s| {
        s.contains("Race: listsum")
    });
    lab.keys("q");
}

#[test]
fn a_class_race_shows_each_lanes_phases_at_80x24() {
    let lab = Session::with_args("phases", "--lab tests/fixtures/tally --n 2000");
    lab.resize(80, 24);
    lab.wait_for("set-up", Duration::from_secs(300), |s| {
        s.contains("Python 3.")
    });
    lab.keys("d"); // release builds only: every lane and its phases fit
    lab.keys("r");
    // The phases' header and the bars come with the first lane done: the
    // race has ended when no lane waits or runs any more.
    let screen = lab.wait_for("every lane done, with its phases", ROUND, |s| {
        s.contains("bars: median time") && s.contains("│phases") && race_done(s)
    });
    let header = screen
        .lines()
        .find(|l| l.starts_with("│phases"))
        .unwrap_or_default();
    assert!(
        header.contains("make") && header.contains("add") && header.contains("read"),
        "{screen}"
    );
    // Under each lane a row of phases: the reference's times, the ports'
    // speed-ups over them.
    let rows: Vec<&str> = screen.lines().filter(|l| l.starts_with("│  └")).collect();
    assert_eq!(rows.len(), 4, "a row for each lane:\n{screen}");
    assert!(
        rows[0].contains("s "),
        "the reference's own times: {}",
        rows[0]
    );
    for row in &rows[1..] {
        assert_eq!(row.matches('x').count(), 3, "a speed-up per phase: {row}");
    }
    assert!(screen.contains("✗"), "sloppy's wrong result:\n{screen}");
    lab.keys("q");
}

/// The program view, as a person uses it after `profile` and `init`: the
/// profiled functions with their shares and ports, then S swaps the ports
/// into the whole program and draws the two runs and the prediction; at
/// 80x24 too.
#[test]
fn the_program_view_shows_the_profile_and_s_swaps_the_ports_in() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("spellcheck");
    common::copy_dir(&common::project().join("lab/programs/spellcheck"), &project);
    let _ = std::fs::remove_dir_all(project.join(".pyo3-lab"));
    let profiled = common::lab_in(&project, &["profile", "--", "python", "app.py", "150"]);
    assert!(
        profiled.status.success(),
        "{}",
        common::text(&profiled.stderr)
    );
    let init = common::lab_in(&project, &["init", "--function", "edit_distance"]);
    assert!(init.status.success(), "{}", common::text(&init.stderr));
    let lab = Session::with_args("program", &format!("--lab {}", project.display()));
    lab.wait_for("set-up", Duration::from_secs(60), |s| s.contains("ready"));
    for _ in 0..5 {
        lab.keys("Tab");
    }
    // The whole view, not the first half of a frame being drawn.
    let screen = lab.wait_for("the program view", Duration::from_secs(10), |s| {
        s.contains("Program: python app.py 150") && s.contains("swap (S): the whole program")
    });
    assert!(
        screen.contains("› spellcheck.pure.edit_distance") && screen.contains("✓ edit_distance"),
        "{screen}"
    );
    assert!(
        screen.contains("suggests fn edit_distance(a: &str, b: &str) -> usize"),
        "{screen}"
    );
    lab.keys("S");
    let screen = lab.wait_for("the swap", Duration::from_secs(180), |s| {
        (s.contains("output same") && s.contains("┃ predicted")) || s.contains("OUTPUT DIFFERS")
    });
    assert!(screen.contains("output same"), "{screen}");
    assert!(screen.contains("┃ predicted"), "{screen}");
    lab.resize(80, 24);
    let small = lab.wait_for("80x24", Duration::from_secs(10), |s| {
        s.lines().count() <= 24 && s.contains("output same") && s.contains("swapped")
    });
    assert!(small.contains("swapped"), "{small}");
    lab.keys("q");
}
