//! `pyo3-lab profile -- CMD`: where the program's time goes, by py-spy's
//! samples (taken from outside the process, at 1 kHz, idle time counted so
//! shares are of the wall clock); what porting each function could buy the
//! whole program at most, 1 / (1 - its share with callees); which functions
//! have a Rust port already; and, for the top candidates, a bounded sample
//! of their real calls, with the types they take and the signature those
//! suggest.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::run::{Program, Ran};
use super::signature::{self, Seen};
use super::{PY_SPY, Port, Setting};

/// Samples a second py-spy takes.
const RATE: u32 = 1000;
/// A program whose first run took less is run again and timed warm: the
/// first run writes its `.pyc` files and fills the file cache (the lesson's
/// 0.9 s program once took 1.06 s fresh from a copy), as the swap's rounds
/// come after an untimed run each. A longer program is timed on its first.
const WARM_UNDER_SECONDS: f64 = 5.0;

/// What `profile` is asked.
pub struct Options {
    pub top: usize,
    pub record: Vec<String>,
    pub timeout: Duration,
}

/// One function of the program, as the samples saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Function {
    pub name: String,
    /// Its dotted module where the program imported it, `__main__` for the
    /// script itself.
    pub module: Option<String>,
    pub file: String,
    pub line: u32,
    /// Counted by the recording run, for the functions recorded.
    pub calls: Option<u64>,
    pub own_seconds: f64,
    /// Of the profiled run's wall time, start-up included.
    pub own_share: f64,
    pub total_share: f64,
    /// 1 / (1 - total_share): the program's speed-up were the function and
    /// all it calls to take no time. None: the whole run.
    pub bound: Option<f64>,
    /// `module.export` of its Rust port, when the project has one.
    pub twin: Option<String>,
}

/// A recorded function: how it was really called.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    pub name: String,
    pub module: String,
    pub calls: u64,
    pub kept: u64,
    /// The pickle of the kept calls: (args, kwargs, result, seconds) each.
    pub pickle: Option<String>,
    pub types: String,
    pub signature: String,
    pub not_replayable: Option<String>,
    pub mean_call_seconds: f64,
    /// Its Python source, for a port's scaffold.
    #[serde(default)]
    pub source: Option<String>,
}

/// What `profile` found: `--json`, and `.pyo3-lab/profile.json` for `swap`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub command: String,
    /// The command as given, and where it ran: what `swap` runs again.
    pub cmd: Vec<String>,
    pub cwd: PathBuf,
    /// The program alone, and under the profiler.
    pub wall_seconds: f64,
    pub profiled_wall_seconds: f64,
    pub profiler: String,
    pub samples: u64,
    /// What the samples covered of the profiled run: the rest is start-up
    /// and imports before the first sample, which no function is charged.
    pub sampled_seconds: f64,
    /// The interpreter's own start-up (`python -c pass`, the fastest of
    /// three), which no function is charged.
    #[serde(default)]
    pub startup_seconds: f64,
    pub functions: Vec<Function>,
    pub recorded: Vec<Recorded>,
}

impl Profile {
    pub fn read(state: &Path) -> Option<Self> {
        serde_json::from_slice(&std::fs::read(state.join("profile.json")).ok()?).ok()
    }
}

/// Profiles, records, prints; the profile for the caller to save.
pub fn profile(setting: &Setting, program: &Program, options: &Options) -> Result<Profile> {
    let python = setting.toolchain.venv_python.clone();
    let argv: Vec<OsString> = program.argv.iter().map(Into::into).collect();
    (setting.say)(format!("{}: as it is", program.shown));
    let as_it_is = || -> Result<_> {
        let run = setting.run(program, &python, &argv, options.timeout)?;
        if run.code != Some(0) {
            bail!("{}", run.failure(program));
        }
        Ok(run)
    };
    let mut plain = as_it_is()?;
    if plain.seconds < WARM_UNDER_SECONDS {
        plain = as_it_is()?;
    }
    (setting.say)(format!(
        "{}: under py-spy, {RATE} samples a second",
        program.shown
    ));
    let state = setting.state();
    std::fs::create_dir_all(&state).with_context(|| format!("cannot write {}", state.display()))?;
    let speedscope = state.join("profile.speedscope.json");
    let py_spy = setting
        .tools
        .as_ref()
        .map(|t| t.join("bin").join("py-spy"))
        .context("py-spy was not installed")?;
    let mut args: Vec<OsString> = [
        "record",
        "--idle",
        "--function",
        "--nonblocking",
        "--format",
        "speedscope",
        "--rate",
        &RATE.to_string(),
        "--output",
    ]
    .iter()
    .map(Into::into)
    .collect();
    args.push(speedscope.clone().into());
    args.push("--".into());
    args.push(python.clone().into());
    args.extend(argv.iter().cloned());
    let profiled = setting.run(program, &py_spy, &args, options.timeout)?;
    if !speedscope.is_file() {
        bail!(
            "py-spy took no samples ({}): it reads the program's memory, which needs ptrace \
             (run as the same user; in a container, --cap-add SYS_PTRACE)",
            profiled.stderr_tail().trim()
        );
    }
    let mut functions = read_samples(&speedscope)?;
    let startup = startup_seconds(setting, program, options.timeout)?;
    functions.of_wall(plain.seconds, startup);
    let candidates = candidates(&functions, setting, program, options);
    (setting.say)(format!(
        "{}: recording the calls of {}",
        program.shown,
        candidates
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let (recorded, modules) = record(setting, program, &candidates, options.timeout)?;
    let ports = setting.ports();
    for f in &mut functions.rows {
        f.module = modules.get(&real(&f.file)).cloned();
        f.twin = twin_of(&ports, f).map(Port::port);
        f.calls = recorded
            .iter()
            .find(|r| Some(&r.module) == f.module.as_ref() && r.name == f.name)
            .map(|r| r.calls);
    }
    let profile = Profile {
        command: program.shown.clone(),
        cmd: program.cmd.clone(),
        cwd: program.cwd.clone(),
        wall_seconds: plain.seconds,
        profiled_wall_seconds: profiled.seconds,
        profiler: format!(
            "{PY_SPY}, sampling {RATE} times a second from outside the process, idle time counted"
        ),
        samples: functions.samples,
        sampled_seconds: functions.seconds,
        startup_seconds: startup,
        functions: functions.rows,
        recorded,
    };
    std::fs::write(
        state.join("profile.json"),
        serde_json::to_vec_pretty(&profile)?,
    )?;
    Ok(profile)
}

/// The interpreter's start-up, with the program's path: the fastest of
/// three runs of `python -c pass`.
fn startup_seconds(setting: &Setting, program: &Program, timeout: Duration) -> Result<f64> {
    let args: Vec<OsString> = vec!["-c".into(), "pass".into()];
    let mut fastest = f64::INFINITY;
    for _ in 0..3 {
        let ran = setting.run(program, &setting.toolchain.venv_python, &args, timeout)?;
        fastest = fastest.min(ran.seconds);
    }
    Ok(fastest)
}

/// The tools `profile` needs for `program`.
pub fn tools(program: &Program) -> Vec<String> {
    let mut tools = vec![PY_SPY.to_owned()];
    tools.extend(program.tools());
    tools
}

fn twin_of<'p>(ports: &'p [Port], f: &Function) -> Option<&'p Port> {
    ports
        .iter()
        .find(|p| Some(&p.module) == f.module.as_ref() && p.name == f.name)
}

fn real(file: &str) -> String {
    std::fs::canonicalize(file).map_or_else(|_| file.to_owned(), |p| p.display().to_string())
}

struct Samples {
    samples: u64,
    /// What the samples cover: the run less the interpreter's start, which
    /// has no Python frame to sample.
    seconds: f64,
    rows: Vec<Function>,
}

impl Samples {
    /// Shares of the program's own wall time, `wall` seconds without the
    /// profiler, not of the samples alone: Amdahl's law is about the time
    /// the user waits, and the interpreter's start-up, `startup` seconds,
    /// has no Python frame to charge. (py-spy's own start and its wait to
    /// attach are not the program's: a share of py-spy's wall made a 0.27 s
    /// run's bound 2.2x, and the swap measured 7.2x.) What ran before the
    /// first sample is taken to be like what the samples saw.
    fn of_wall(&mut self, wall: f64, startup: f64) {
        let factor = ((wall - startup) / wall).clamp(0.0, 1.0);
        for f in &mut self.rows {
            f.own_share *= factor;
            f.total_share *= factor;
            f.bound = bound(f.total_share);
        }
    }
}

/// The speedscope file's main thread: each function's own samples (where it
/// was the innermost Python frame) and total ones (anywhere on the stack,
/// once per sample however deep its recursion).
fn read_samples(path: &Path) -> Result<Samples> {
    let doc: Value = serde_json::from_slice(&std::fs::read(path)?)
        .with_context(|| format!("py-spy's {} is not JSON", path.display()))?;
    let frames = doc["shared"]["frames"]
        .as_array()
        .context("py-spy's file has no frames")?;
    let profiles = doc["profiles"].as_array().context("no profiles")?;
    let main = profiles
        .iter()
        .find(|p| p["name"].as_str().is_some_and(|n| n.contains("MainThread")))
        .or_else(|| profiles.first())
        .context("py-spy sampled no thread")?;
    let stacks = main["samples"].as_array().context("no samples")?;
    let weights: Vec<f64> = main["weights"]
        .as_array()
        .map(|w| w.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let mut own: HashMap<usize, (f64, f64)> = HashMap::new();
    let mut all = 0.0;
    for (i, stack) in stacks.iter().enumerate() {
        let weight = weights.get(i).copied().unwrap_or(1.0 / f64::from(RATE));
        all += weight;
        let ids: Vec<usize> = stack
            .as_array()
            .map(|s| {
                s.iter()
                    .filter_map(|v| v.as_u64().map(|v| v as usize))
                    .collect()
            })
            .unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        for &id in &ids {
            if seen.insert(id) {
                own.entry(id).or_default().1 += weight;
            }
        }
        if let Some(&leaf) = ids.last() {
            own.entry(leaf).or_default().0 += weight;
        }
    }
    let mut rows: Vec<Function> = own
        .into_iter()
        .filter_map(|(id, (mine, total))| {
            let frame = frames.get(id)?;
            let total_share = total / all.max(f64::MIN_POSITIVE);
            Some(Function {
                name: frame["name"].as_str()?.to_owned(),
                module: None,
                file: frame["file"].as_str().unwrap_or_default().to_owned(),
                line: frame["line"].as_u64().unwrap_or(0) as u32,
                calls: None,
                own_seconds: mine,
                own_share: mine / all.max(f64::MIN_POSITIVE),
                total_share,
                bound: bound(total_share),
                twin: None,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.own_share
            .total_cmp(&a.own_share)
            .then(b.total_share.total_cmp(&a.total_share))
    });
    Ok(Samples {
        samples: stacks.len() as u64,
        seconds: all,
        rows,
    })
}

/// Amdahl: what taking the share's time to nothing gives the whole run.
pub fn bound(share: f64) -> Option<f64> {
    (share < 0.999).then(|| 1.0 / (1.0 - share))
}

/// The functions to record: the `top` of the program's own code by own
/// time (not the standard library's, not a module's top level), and those
/// `--record` names.
fn candidates<'f>(
    samples: &'f Samples,
    setting: &Setting,
    program: &Program,
    options: &Options,
) -> Vec<&'f Function> {
    let cwd = &program.cwd;
    let own_code = |f: &Function| {
        let file = Path::new(&f.file);
        !f.name.starts_with('<')
            && (file.starts_with(&setting.dir)
                || file.starts_with(cwd) && !file.starts_with(setting.lab.home.root())
                || setting
                    .path
                    .first()
                    .is_some_and(|site| file.starts_with(site)))
    };
    let mut chosen: Vec<&Function> = samples
        .rows
        .iter()
        .filter(|f| own_code(f))
        .take(options.top)
        .collect();
    for name in &options.record {
        if let Some(f) = samples.rows.iter().find(|f| &f.name == name)
            && !chosen.contains(&f)
        {
            chosen.push(f);
        }
    }
    chosen
}

#[derive(Deserialize)]
struct RecordedFile {
    functions: Vec<RecordedRaw>,
    modules: HashMap<String, String>,
}

#[derive(Deserialize)]
struct RecordedRaw {
    name: String,
    module: String,
    params: Option<Vec<String>>,
    source: Option<String>,
    calls: u64,
    seconds: f64,
    kept: u64,
    pickle: Option<String>,
    not_replayable: Option<String>,
    types: Vec<Seen>,
}

/// Runs the program once more with the candidates wrapped as their modules
/// are imported: their calls counted, a bounded sample kept.
fn record(
    setting: &Setting,
    program: &Program,
    candidates: &[&Function],
    timeout: Duration,
) -> Result<(Vec<Recorded>, HashMap<String, String>)> {
    let out = setting.state().join("calls");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    let spec = serde_json::json!({
        "targets": candidates.iter().map(|f| serde_json::json!({"file": f.file, "name": f.name})).collect::<Vec<_>>(),
    });
    let spec_file = setting.state().join("record.json");
    std::fs::write(&spec_file, spec.to_string())?;
    let mut args: Vec<OsString> = vec![
        "record".into(),
        spec_file.into(),
        out.clone().into(),
        "--".into(),
    ];
    args.extend(program.argv.iter().map(Into::into));
    let ran: Ran = setting.runner(program, args, timeout)?;
    if ran.code != Some(0) {
        bail!("recording its calls: {}", ran.failure(program));
    }
    let file: RecordedFile = serde_json::from_slice(
        &std::fs::read(out.join("recorded.json")).context("the recording run wrote nothing")?,
    )?;
    let recorded = file
        .functions
        .into_iter()
        .map(|r| {
            let params = r.params.unwrap_or_default();
            Recorded {
                types: signature::describe(&params, &r.types),
                signature: signature::rust(&r.name, &params, &r.types),
                name: r.name,
                module: r.module,
                calls: r.calls,
                kept: r.kept,
                pickle: r.pickle,
                not_replayable: r.not_replayable,
                mean_call_seconds: r.seconds / r.calls.max(1) as f64,
                source: r.source,
            }
        })
        .collect();
    Ok((recorded, file.modules))
}

/// The report as a person reads it.
pub fn text(profile: &Profile, shown: usize) -> String {
    use crate::units::seconds as duration;
    let mut out = format!(
        "{}: {} as it is, {} under the profiler ({:+.0}%); {}\n\n",
        profile.command,
        duration(profile.wall_seconds),
        duration(profile.profiled_wall_seconds),
        (profile.profiled_wall_seconds / profile.wall_seconds - 1.0) * 100.0,
        profile.profiler
    );
    out.push_str(&format!(
        "shares of the program's own {} (its {} of interpreter start-up charged to no function)\n\n",
        duration(profile.wall_seconds),
        duration(profile.startup_seconds)
    ));
    out.push_str(&format!(
        "  {:<28} {:>6} {:>6} {:>9} {:>9}  {}\n",
        "function", "own", "total", "calls", "port buys", "Rust port"
    ));
    for f in profile.functions.iter().take(shown) {
        let name = match &f.module {
            Some(m) => format!("{m}.{}", f.name),
            None => f.name.clone(),
        };
        out.push_str(&format!(
            "  {:<28} {:>5.1}% {:>5.1}% {:>9} {:>9}  {}\n",
            crate::units::fit(&name, 28),
            f.own_share * 100.0,
            f.total_share * 100.0,
            f.calls.map_or("-".into(), crate::units::thousands),
            f.bound.map_or("all".into(), |b| format!("≤ {b:.2}x")),
            f.twin.as_deref().unwrap_or("-"),
        ));
    }
    out.push_str(
        "  (own: its own code; total: with what it calls; port buys: the whole program's \
         speed-up at most, were it and its callees to take no time)\n",
    );
    for r in &profile.recorded {
        out.push_str(&format!(
            "\n{}.{}: {} calls, {} kept ({} a call on average)\n  {}\n  suggests {}\n",
            r.module,
            r.name,
            crate::units::thousands(r.calls),
            r.kept,
            duration(r.mean_call_seconds),
            r.types,
            r.signature
        ));
        if let Some(why) = &r.not_replayable {
            out.push_str(&format!("  not replayable: {why}\n"));
        }
    }
    out.push_str(&next_steps(profile));
    out
}

/// What to run next, from what the profile found: each replayable recorded
/// function raced on its calls (its port's race, or a port's scaffold), and
/// the swap once any port exists.
fn next_steps(profile: &Profile) -> String {
    let mut steps: Vec<(String, String)> = Vec::new();
    for r in profile
        .recorded
        .iter()
        .filter(|r| r.not_replayable.is_none())
    {
        let port = profile
            .functions
            .iter()
            .find(|f| f.name == r.name && f.module.as_deref() == Some(r.module.as_str()))
            .and_then(|f| f.twin.as_deref());
        steps.push(match port {
            Some(port) => (
                format!("race {port} on the recorded calls"),
                format!("pyo3-lab init --function {}", r.name),
            ),
            None => (
                format!("write a port of {}.{}, raced on them", r.module, r.name),
                format!("pyo3-lab new {0}_port --from {1}:{0}", r.name, r.module),
            ),
        });
    }
    if profile.functions.iter().any(|f| f.twin.is_some()) {
        steps.push((
            "what the ports buy the program".into(),
            format!("pyo3-lab swap -- {}", profile.command),
        ));
    }
    if steps.is_empty() {
        return String::new();
    }
    let width = steps.iter().map(|s| s.0.chars().count()).max().unwrap_or(0);
    let mut out = String::from("\nnext:\n");
    for (what, command) in steps {
        out.push_str(&format!("  {what:<width$}  {command}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amdahl_bounds_what_a_port_buys_by_the_share() {
        assert_eq!(bound(0.5), Some(2.0));
        assert!((bound(0.05).unwrap() - 1.0 / 0.95).abs() < 1e-12);
        assert_eq!(bound(1.0), None);
    }

    fn function(name: &str, twin: Option<&str>) -> Function {
        Function {
            name: name.into(),
            module: Some("spell.pure".into()),
            file: "spell/pure.py".into(),
            line: 1,
            calls: Some(10),
            own_seconds: 0.1,
            own_share: 0.5,
            total_share: 0.5,
            bound: Some(2.0),
            twin: twin.map(Into::into),
        }
    }

    fn recorded(name: &str, not_replayable: Option<&str>) -> Recorded {
        Recorded {
            name: name.into(),
            module: "spell.pure".into(),
            calls: 10,
            kept: 10,
            pickle: Some("calls.pickle".into()),
            types: "a: str".into(),
            signature: "fn f(a: &str) -> usize".into(),
            not_replayable: not_replayable.map(Into::into),
            mean_call_seconds: 0.01,
            source: None,
        }
    }

    #[test]
    fn the_profile_ends_with_what_to_run_next() {
        let profile = Profile {
            command: "python app.py".into(),
            cmd: vec!["python".into(), "app.py".into()],
            cwd: PathBuf::from("."),
            wall_seconds: 1.0,
            profiled_wall_seconds: 1.01,
            profiler: "py-spy".into(),
            samples: 1000,
            sampled_seconds: 1.0,
            startup_seconds: 0.01,
            functions: vec![
                function("distance", Some("spell._rust.distance")),
                function("closest", None),
                function("load", None),
            ],
            recorded: vec![
                recorded("distance", None),
                recorded("closest", None),
                recorded("load", Some("a: an open file")),
            ],
        };
        let text = text(&profile, 10);
        let next = &text[text.find("\nnext:\n").expect(&text)..];
        assert!(
            next.contains("race spell._rust.distance on the recorded calls")
                && next.contains("pyo3-lab init --function distance\n"),
            "{next}"
        );
        assert!(
            next.contains("pyo3-lab new closest_port --from spell.pure:closest\n"),
            "{next}"
        );
        assert!(!next.contains("load"), "not replayable: {next}");
        assert!(next.contains("pyo3-lab swap -- python app.py\n"), "{next}");
    }

    #[test]
    fn own_and_total_shares_come_from_the_main_threads_stacks() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.json");
        // main -> fib -> fib (recursion counts once), main -> io.
        let doc = serde_json::json!({
            "shared": {"frames": [
                {"name": "main", "file": "app.py", "line": 1},
                {"name": "fib", "file": "app.py", "line": 5},
                {"name": "io", "file": "app.py", "line": 9},
            ]},
            "profiles": [{"name": "Thread 1 \"MainThread\"", "type": "sampled",
                "samples": [[0, 1, 1], [0, 1], [0, 1, 1, 1], [0, 2]],
                "weights": [0.001, 0.001, 0.001, 0.001]}],
        });
        std::fs::write(&file, doc.to_string()).unwrap();
        let mut s = read_samples(&file).unwrap();
        assert_eq!(s.samples, 4);
        let fib = s.rows.iter().find(|f| f.name == "fib").unwrap();
        assert!((fib.own_share - 0.75).abs() < 1e-9);
        assert!((fib.total_share - 0.75).abs() < 1e-9);
        assert_eq!(fib.bound, Some(4.0));
        let main = s.rows.iter().find(|f| f.name == "main").unwrap();
        assert_eq!(main.own_share, 0.0);
        assert_eq!(main.bound, None);
        assert_eq!(s.rows[0].name, "fib", "ranked by own time");
        // A 5 ms run, 1 ms of it the interpreter's start-up.
        s.of_wall(0.005, 0.001);
        let fib = s.rows.iter().find(|f| f.name == "fib").unwrap();
        assert!((fib.total_share - 0.6).abs() < 1e-9, "{}", fib.total_share);
        assert!((fib.bound.unwrap() - 2.5).abs() < 1e-9);
        // A start-up longer than the run leaves nothing to share out.
        s.of_wall(0.005, 0.01);
        assert_eq!(s.rows[0].total_share, 0.0);
    }
}
