//! The race pane: a bar per lane that grows with the worker's real progress,
//! then times, results and speed-ups against the reference, and the finishing
//! order. A scenario's lanes get a row of phase bars each, one column a
//! phase, so reading down a column compares the lanes on that phase.
//! However many lanes there are, each is shown: two lines a lane when they
//! fit (three with phases), one when they don't, and past that the list
//! scrolls to the lane that is running, saying how many lanes are above and
//! below.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};

use super::{fit, pane};
use crate::engine::measure::stats::{NOISY, Summary};
use crate::engine::types::{Lane, PhaseTimes};
use crate::tui::app::{App, Extras, LaneState};
use crate::tui::panes::Count;
use crate::tui::theme::Theme;
use crate::units::{bytes, count, faster_or_slower, seconds};

/// Lines kept under the lanes for the scale and the warnings.
const ORDER_LINES: u16 = 2;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, now: Instant, theme: &Theme) {
    let size = |n: Option<u64>| n.map(|n| format!(" (N = {n})")).unwrap_or_default();
    let raced = app.raced();
    let mut title = match raced {
        Some(e) => format!("Race: {}{}", e.name(), size(app.race.size)),
        None => "Race: no experiment found".into(),
    };
    if !app.races_debug() {
        title.push_str("  [release only: d]");
    }
    let block = pane(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let about = match (raced, app.expected()) {
        (Some(e), Some(answer)) => format!("{}; expect {answer}", e.exp.description),
        (Some(e), None) => e.exp.description.clone(),
        (None, _) => "add a lab.toml (pyo3-lab new NAME) or pass --lab DIR".into(),
    };
    // A long description wraps (at words) onto a second line, never cut.
    let about_height = (about.chars().count() as u16)
        .div_ceil(inner.width.max(1))
        .clamp(1, 3);
    // Two lines a lane (and its phases) when they fit, else fewer, else all
    // the room there is.
    let room = inner.height.saturating_sub(about_height + ORDER_LINES);
    let n = app.race.lanes.len() as u16;
    let lines = per_lane(app, room as usize);
    let header = u16::from(has_phases(app) && lines > 1);
    let lanes_height = (lines as u16 * n + header).min(room);
    let [about_area, lanes_area, order_area, verify_area] = Layout::vertical([
        Constraint::Length(about_height),
        Constraint::Length(lanes_height.min(room)),
        Constraint::Length(ORDER_LINES),
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::styled(about, theme.dim())).wrap(Wrap { trim: true }),
        about_area,
    );
    lanes(frame, lanes_area, app, now, theme);
    finish(
        frame,
        order_area,
        app,
        header == 0 && has_phases(app),
        theme,
    );
    verify(frame, verify_area, app, theme);
}

/// The differential check: a line per lane, and the first disagreement.
fn verify(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines: Vec<Line<'static>> = Vec::new();
    if app.race.verifying && app.race.verify.is_empty() {
        lines.push(Line::styled(
            "verify on: each race is followed by a differential check",
            theme.dim(),
        ));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for (lane, rows) in crate::engine::measure::threads::by_lane(&app.race.threads) {
        if let Some(verdict) = crate::engine::measure::threads::verdict(&rows, cores) {
            lines.push(Line::raw(format!("threads {lane}: {verdict}")));
        }
    }
    for v in &app.race.verify {
        if v.agreed == v.tried {
            lines.push(Line::styled(
                format!(
                    "✓ verify {}: {} of {} inputs agree",
                    v.lane, v.agreed, v.tried
                ),
                theme.ok(),
            ));
        } else {
            lines.push(Line::styled(
                format!(
                    "✗ verify {}: {} of {} inputs disagree",
                    v.lane,
                    v.tried - v.agreed,
                    v.tried
                ),
                theme.bad(),
            ));
            if let Some(d) = v.disagreements.first() {
                lines.push(Line::styled(
                    format!(
                        "  {}: reference {}, this lane {} (seed {})",
                        d.input, d.reference, d.lane, d.seed
                    ),
                    theme.bad(),
                ));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}

/// Every lane, two lines each when there is room, else one, else a window
/// that follows the running lane.
fn lanes(frame: &mut Frame, area: Rect, app: &App, now: Instant, theme: &Theme) {
    let all = &app.race.lanes;
    let height = area.height as usize;
    let name_width = all
        .iter()
        .map(|(l, _)| l.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(6, 24) as u16
        + 1;
    let per_lane = per_lane(app, height);
    let phased = has_phases(app) && per_lane > 1;
    let tall = per_lane == 2 + usize::from(phased);
    // A window of the lanes, with a line each for what is hidden above and below.
    let fits = height / per_lane;
    let (start, shown) = if all.len() <= fits {
        (0, all.len())
    } else {
        let room = fits.saturating_sub(2).max(1);
        let focus = all
            .iter()
            .position(|(_, s)| matches!(s, LaneState::Running { .. }))
            .unwrap_or(0);
        let start = focus.saturating_sub(room / 2).min(all.len() - room);
        (start, room)
    };
    let hidden_above = start;
    let hidden_below = all.len() - start - shown;
    let mut rows: Vec<Constraint> = Vec::new();
    if phased {
        rows.push(Constraint::Length(1));
    }
    if hidden_above > 0 {
        rows.push(Constraint::Length(1));
    }
    rows.extend((0..shown).map(|_| Constraint::Length(per_lane as u16)));
    if hidden_below > 0 {
        rows.push(Constraint::Length(1));
    }
    rows.push(Constraint::Fill(1));
    let areas = Layout::vertical(rows).split(area);
    let mut next = 0;
    if phased {
        phase_header(frame, areas[0], app, name_width, theme);
        next = 1;
    }
    if hidden_above > 0 {
        let text = format!("↑ {hidden_above} more lane(s)");
        frame.render_widget(Paragraph::new(Line::styled(text, theme.dim())), areas[next]);
        next += 1;
    }
    let rows = Rows {
        app,
        name_width,
        tall,
        phased,
        now,
        theme,
        scale: Scale::of(app),
    };
    for (lane, state) in &all[start..start + shown] {
        lane_row(frame, areas[next], &rows, lane, state);
        next += 1;
    }
    if hidden_below > 0 {
        let text = format!("↓ {hidden_below} more lane(s)");
        frame.render_widget(Paragraph::new(Line::styled(text, theme.dim())), areas[next]);
    }
}

/// What every lane row is drawn with: the app, the layout chosen for all
/// rows (name column, one line or two), the moment and the colours.
struct Rows<'a> {
    app: &'a App,
    name_width: u16,
    tall: bool,
    /// Whether each lane has a row of phase bars under it.
    phased: bool,
    now: Instant,
    theme: &'a Theme,
    scale: Option<Scale>,
}

/// One scale for every finished lane's bar: linear from zero, or
/// logarithmic when the times span more than ten times (python's seconds
/// beside release's milliseconds), from half the fastest so it still shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    low: f64,
    high: f64,
    pub log: bool,
}

impl Scale {
    fn of(app: &App) -> Option<Self> {
        Self::over(
            app.race
                .lanes
                .iter()
                .filter(|(_, s)| matches!(s, LaneState::Done { .. }))
                .flat_map(|(l, _)| app.race.samples.get(&l.name).into_iter().flatten())
                .copied(),
        )
    }

    /// The scale that holds every one of `times`.
    fn over(times: impl Iterator<Item = f64>) -> Option<Self> {
        let times: Vec<f64> = times.filter(|t| *t > 0.0).collect();
        let high = times.iter().copied().fold(f64::NAN, f64::max);
        let low = times.iter().copied().fold(f64::NAN, f64::min);
        (high > 0.0).then_some(Self {
            low: low / 2.0,
            high,
            log: high / low > 10.0,
        })
    }

    /// Where `t` falls, 0 to 1.
    fn at(&self, t: f64) -> f64 {
        let x = if self.log {
            (t.ln() - self.low.ln()) / (self.high.ln() - self.low.ln())
        } else {
            t / self.high
        };
        x.clamp(0.0, 1.0)
    }
}

/// A finished lane's bar: filled to its median on the shared scale, a
/// whisker over the range of its runs.
fn time_bar(samples: &[f64], scale: &Scale, width: usize, glyph: char) -> String {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let Some(&median) = sorted.get(sorted.len() / 2) else {
        return String::new();
    };
    let cell = |t: f64| (scale.at(t) * width as f64).round() as usize;
    let filled = cell(median).max(1).min(width);
    let high = cell(*sorted.last().unwrap_or(&median)).clamp(filled, width);
    let low = cell(sorted[0]).min(filled);
    let mut bar: Vec<char> = std::iter::repeat_n(glyph, filled).collect();
    if low < filled && sorted.len() > 1 {
        bar[low] = '├';
    }
    bar.extend(std::iter::repeat_n('─', high - filled));
    if high > filled {
        bar[high - 1] = '┤';
    }
    bar.into_iter().collect()
}

/// A lane: name, bar and time; then (below, or after the time when compact)
/// the result and speed-up, or why it stopped.
fn lane_row(frame: &mut Frame, area: Rect, rows: &Rows, lane: &Lane, state: &LaneState) {
    let Rows {
        app,
        name_width,
        tall,
        phased,
        now,
        theme,
        ..
    } = *rows;
    let area = if phased {
        let [lane_area, phase_area] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
        phase_row(frame, phase_area, rows, lane, state);
        lane_area
    } else {
        area
    };
    let (top, detail) = if tall {
        let [top, bottom] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
        let [_, detail] =
            Layout::horizontal([Constraint::Length(name_width), Constraint::Fill(1)]).areas(bottom);
        (top, detail)
    } else {
        let [top, detail] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Fill(1)]).areas(area);
        (top, detail)
    };
    let [name, bar, time] = Layout::horizontal([
        Constraint::Length(name_width),
        Constraint::Fill(1),
        Constraint::Length(11),
    ])
    .areas(top);
    let (style, glyph) = theme.lane(&lane.name);
    frame.render_widget(
        Paragraph::new(Span::styled(lane.name.as_str(), style)),
        name,
    );
    let (ratio, clock, text) = lane_state(app, lane, state, now, theme);
    let samples = app.race.samples.get(&lane.name).filter(|s| !s.is_empty());
    match (state, rows.scale, samples) {
        // Done: the time on the scale every lane shares, its runs' range
        // as a whisker.
        (LaneState::Done { .. }, Some(scale), Some(samples)) => frame.render_widget(
            Paragraph::new(Span::styled(
                time_bar(samples, &scale, bar.width as usize, glyph),
                style,
            )),
            bar,
        ),
        // Running: how much of the calls is done.
        _ => frame.render_widget(
            Gauge::default()
                .gauge_style(theme.bar())
                .ratio(ratio.clamp(0.0, 1.0))
                .label(format!("{:.0}%", ratio.clamp(0.0, 1.0) * 100.0))
                .use_unicode(true),
            bar,
        ),
    }
    frame.render_widget(Paragraph::new(clock).right_aligned(), time);
    let text = Span::styled(fit(&text.content, detail.width as usize), text.style);
    frame.render_widget(Paragraph::new(text), detail);
}

/// A lane's state in three parts: how much of its bar is filled, its clock,
/// and its words (waiting, running, its result and speed-up, or why it failed).
fn lane_state(
    app: &App,
    lane: &Lane,
    state: &LaneState,
    now: Instant,
    theme: &Theme,
) -> (f64, Span<'static>, Span<'static>) {
    let style = theme.lane(&lane.name).0;
    match state {
        LaneState::Idle => (
            0.0,
            Span::raw(""),
            Span::styled("press r to race", theme.dim()),
        ),
        LaneState::Waiting => (
            0.0,
            Span::raw(""),
            Span::styled("waiting for its turn", theme.dim()),
        ),
        LaneState::Running { since, fraction } => (
            *fraction,
            Span::styled(
                format!("{} …", seconds(now.duration_since(*since).as_secs_f64())),
                theme.busy(),
            ),
            Span::styled(
                format!("running: {:.0}% of the calls done", fraction * 100.0),
                theme.busy(),
            ),
        ),
        LaneState::Done {
            seconds: s,
            result,
            correct,
        } => {
            let speed = match app.reference_time() {
                Some((reference, r)) if !lane.reference => {
                    format!("   {}", faster_or_slower(r / s, &reference.name))
                }
                _ => String::new(),
            };
            let code = app.raced().and_then(|v| v.code_of(&lane.name));
            let extra = extras_text(app.race.extras.get(&lane.name), code);
            let verdict = if *correct {
                Span::styled(format!("✓ {result}{speed}{extra}"), theme.ok())
            } else {
                let wanted = app
                    .expected()
                    .unwrap_or_else(|| "the reference lane's".into());
                Span::styled(format!("✗ {result} ≠ {wanted} (wrong result)"), theme.bad())
            };
            (1.0, Span::styled(seconds(*s), style), verdict)
        }
        LaneState::Failed(why) => (
            0.0,
            Span::raw(""),
            Span::styled(format!("✗ {why}"), theme.bad()),
        ),
    }
}

/// How many lines each lane gets in `height`: two (three with a row of
/// phases) when every lane fits so, else one plus the phases, else one.
fn per_lane(app: &App, height: usize) -> usize {
    let n = app.race.lanes.len().max(1);
    let phases = usize::from(has_phases(app));
    // The phases' names take a line above the lanes.
    [2 + phases, 1 + phases, 1]
        .into_iter()
        .find(|&lines| lines * n + usize::from(lines > 1) * phases <= height)
        .unwrap_or(1)
}

/// The phases' columns for a lane row's width: the label column, then one
/// column a phase.
fn phase_columns(area: Rect, name_width: u16, phases: usize) -> (Rect, Vec<Rect>) {
    let [label, rest] =
        Layout::horizontal([Constraint::Length(name_width), Constraint::Fill(1)]).areas(area);
    let columns = Layout::horizontal((0..phases).map(|_| Constraint::Ratio(1, phases as u32)))
        .split(rest)
        .to_vec();
    (label, columns)
}

/// The phases' names over their columns, once above the lanes.
fn phase_header(frame: &mut Frame, area: Rect, app: &App, name_width: u16, theme: &Theme) {
    let Some(names) = phase_names(app) else {
        return;
    };
    let (label, columns) = phase_columns(area, name_width, names.len());
    frame.render_widget(Paragraph::new(Line::styled("phases", theme.dim())), label);
    for (name, column) in names.iter().zip(columns) {
        let text = fit(name, column.width.saturating_sub(1) as usize);
        frame.render_widget(Paragraph::new(Line::styled(text, theme.dim())), column);
    }
}

/// The phases in the order the reference (else the first lane) ran them.
fn phase_names(app: &App) -> Option<Vec<String>> {
    let first = app
        .race
        .lanes
        .iter()
        .filter_map(|(l, _)| app.race.phases.get(&l.name))
        .find(|p| !p.is_empty())?;
    Some(first.iter().map(|p| p.name.clone()).collect())
}

/// Whether the race is a scenario's: its lanes were timed phase by phase.
fn has_phases(app: &App) -> bool {
    app.race.phases.values().any(|p| !p.is_empty())
}

/// Under a lane: one column per phase (named once, in the header above the
/// lanes), each a bar of its median on the scale every lane's same phase
/// shares and its speed-up over the reference's phase (the reference shows
/// its time).
fn phase_row(frame: &mut Frame, area: Rect, rows: &Rows, lane: &Lane, state: &LaneState) {
    let Rows {
        app,
        name_width,
        theme,
        ..
    } = *rows;
    let (Some(names), Some(mine)) = (phase_names(app), app.race.phases.get(&lane.name)) else {
        return;
    };
    if !matches!(state, LaneState::Done { .. }) {
        return;
    }
    let reference = app
        .race
        .lanes
        .iter()
        .find(|(l, _)| l.reference)
        .and_then(|(l, _)| app.race.phases.get(&l.name));
    let median_of = |phases: &[PhaseTimes], name: &str| {
        let p = phases.iter().find(|p| p.name == name)?;
        Summary::of(&p.times).map(|s| s.median)
    };
    let (style, glyph) = theme.lane(&lane.name);
    let (label, columns) = phase_columns(area, name_width, names.len());
    frame.render_widget(Paragraph::new(Line::styled("  └", theme.dim())), label);
    for (name, column) in names.iter().zip(columns) {
        let Some(median) = median_of(mine, name) else {
            continue;
        };
        let scale = Scale::over(
            app.race
                .phases
                .values()
                .filter_map(|phases| median_of(phases, name)),
        );
        let figure = match reference.and_then(|r| median_of(r, name)) {
            Some(theirs) if !lane.reference => format!("{:.1}x", theirs / median),
            _ => seconds(median),
        };
        let width = column.width as usize;
        let bar_width = width.saturating_sub(figure.chars().count() + 2).max(1);
        let bar = scale.map_or_else(String::new, |s| time_bar(&[median], &s, bar_width, glyph));
        let pad = bar_width.saturating_sub(bar.chars().count());
        let line = Line::from(vec![
            Span::styled(bar, style),
            Span::raw(" ".repeat(pad + 1)),
            Span::styled(figure, style),
        ]);
        frame.render_widget(Paragraph::new(fit_line(line, width)), column);
    }
}

/// A line no wider than `width` (a narrow column cuts its end).
fn fit_line(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    Line::raw(fit(&text, width))
}

/// Memory, instructions and a route's cost beside the time: "· +7.6 MiB ·
/// 3.21 G instr · built 3.0 s, 200 KiB · rewrote 1/4 lines".
fn extras_text(extras: Option<&Extras>, code: Option<String>) -> String {
    let code = code.map(|c| format!(" · {c}")).unwrap_or_default();
    let Some(e) = extras else {
        return code;
    };
    let mut out = String::new();
    // Below this a peak is page noise, not something the calls allocated.
    if let Some(m) = e.memory.filter(|&m| m > 256 << 10) {
        out.push_str(&format!(" · +{}", bytes(m)));
    }
    match &e.instructions {
        Some(Count::PerCall(n)) => out.push_str(&format!(" · {} instr", count(*n))),
        Some(Count::Failed) => out.push_str(" · instr n/a"),
        None => {}
    }
    if let Some(cost) = &e.cost {
        out.push_str(&format!(" · {cost}"));
    }
    out + &code
}

/// Under the lanes: what the bars' scale is, and a word beside any lane
/// whose runs differ too much to trust one of them.
fn finish(frame: &mut Frame, area: Rect, app: &App, phases_hidden: bool, theme: &Theme) {
    let mut lines = Vec::new();
    if phases_hidden {
        let hint = if app.races_debug() {
            "phase bars need a line more a lane: d races release builds only"
        } else {
            "phase bars need a line more a lane: a taller terminal shows them"
        };
        lines.push(Line::styled(fit(hint, area.width as usize), theme.dim()));
    }
    if let Some(scale) = Scale::of(app) {
        let runs = app.race.samples.values().map(Vec::len).max().unwrap_or(0);
        let whiskers = if runs > 1 {
            format!("whiskers: the range of {runs} runs")
        } else {
            "r again adds runs, and whiskers".to_owned()
        };
        let axis = if scale.log {
            "log scale"
        } else {
            "linear scale"
        };
        lines.push(Line::styled(
            fit(
                &format!("bars: median time, {axis}; {whiskers}"),
                area.width as usize,
            ),
            theme.dim(),
        ));
    }
    for (lane, samples) in &app.race.samples {
        let Some(s) = Summary::of(samples) else {
            continue;
        };
        let text = if samples.len() > 1 && s.max > 2.0 * s.min {
            format!(
                "⚠ {lane}: its runs differ {:.1}x ({} to {}): another program interfered, \
                 or the machine is busy",
                s.max / s.min,
                seconds(s.min),
                seconds(s.max)
            )
        } else if samples.len() > 2 && s.stddev > NOISY * s.mean {
            format!(
                "⚠ {lane}: noisy, σ is {:.0}% of the mean: close other programs, or r again \
                 for more runs",
                100.0 * s.stddev / s.mean
            )
        } else {
            continue;
        };
        lines.push(Line::styled(fit(&text, area.width as usize), theme.busy()));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
