//! The program view: the profiled program's functions as bars of their
//! share of its run (own time solid, with callees light), each with what a
//! port could buy the whole program and the port it has; the selected one's
//! recorded calls; and the last swap as two bars, the prediction marked on
//! the swapped one.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{fit, pane, spinner};
use crate::engine::measure::stats::median;
use crate::program::profile::Profile;
use crate::program::swap::Report;
use crate::tui::app::ProgramPane;
use crate::tui::theme::Theme;
use crate::units::{seconds, thousands};

/// A row's columns besides its bar: the share, the bound, the port.
const PORT: usize = 16;
const FIXED: usize = 2 + 7 + 9 + 2 + PORT;

/// The name column: a third of the width, from 26 to 48 characters.
fn name_width(width: u16) -> usize {
    (width as usize / 3).clamp(26, 48)
}
const SWAP_ROWS: u16 = 5;

pub fn draw(frame: &mut Frame, area: Rect, pane_: &ProgramPane, now: Instant, theme: &Theme) {
    let title = pane_
        .profile
        .as_ref()
        .map_or("Program".to_owned(), |p| format!("Program: {}", p.command));
    let block = pane(fit(&title, area.width.saturating_sub(6) as usize));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(profile) = &pane_.profile else {
        let dir = pane_
            .dir
            .as_ref()
            .map_or(".".into(), |d| d.display().to_string());
        let text = format!(
            "No profile of a program here ({dir}/.pyo3-lab). In the project, run the program under \
             the lab: pyo3-lab profile -- python app.py. It says where the time goes, what a port \
             of each function could buy the program, and records the real calls; then S here runs \
             the program with the Rust ports swapped in."
        );
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.dim())).wrap(Wrap { trim: true }),
            inner,
        );
        return;
    };
    let [summary, table, detail, swap] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(2),
        Constraint::Length(SWAP_ROWS),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(summary_lines(profile, inner.width, theme)),
        summary,
    );
    draw_functions(frame, table, profile, pane_.selected, theme);
    frame.render_widget(
        Paragraph::new(detail_lines(profile, pane_.selected, inner.width, theme)),
        detail,
    );
    draw_swap(frame, swap, pane_, now, theme);
}

fn summary_lines(p: &Profile, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let bar = bar_width(width);
    let name = name_width(width);
    let overhead = (p.profiled_wall_seconds / p.wall_seconds - 1.0) * 100.0;
    vec![
        Line::from(vec![
            Span::styled(seconds(p.wall_seconds), theme.title()),
            Span::raw(format!(
                " as it is · sampled by py-spy at 1 kHz, {overhead:+.0}% under it"
            )),
        ]),
        Line::styled(
            format!(
                "{:<name$}  {:<w$} {:>8}  port",
                "function",
                fit("share: own █ + callees ░", bar + 7),
                "buys",
                w = bar + 7
            ),
            theme.dim(),
        ),
    ]
}

fn draw_functions(frame: &mut Frame, area: Rect, p: &Profile, selected: usize, theme: &Theme) {
    let rows = area.height as usize;
    // The selected row stays in sight.
    let first = selected.saturating_sub(rows.saturating_sub(1));
    let bar_width = bar_width(area.width);
    let name_w = name_width(area.width);
    let lines: Vec<Line> = p
        .functions
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, f)| {
            let name = match &f.module {
                Some(m) if m != "__main__" => format!("{m}.{}", f.name),
                _ => f.name.clone(),
            };
            let own = (f.own_share * bar_width as f64).round() as usize;
            let with = ((f.total_share * bar_width as f64).round() as usize).max(own);
            let bar = format!(
                "{}{}{}",
                "█".repeat(own.min(bar_width)),
                "░".repeat(with.min(bar_width) - own.min(bar_width)),
                " ".repeat(bar_width - with.min(bar_width))
            );
            let port = f.twin.as_ref().map_or("-".to_owned(), |t| {
                format!("✓ {}", t.rsplit('.').next().unwrap_or(t))
            });
            let marker = if i == selected { "›" } else { " " };
            let style = if f.twin.is_some() {
                theme.rust()
            } else {
                theme.python()
            };
            Line::from(vec![
                Span::styled(format!("{marker} "), theme.key()),
                Span::raw(format!("{:<w$}", fit(&name, name_w - 2), w = name_w - 2)),
                Span::raw("  "),
                Span::styled(bar, style),
                Span::raw(format!(" {:>5.1}%", f.total_share * 100.0)),
                Span::raw(format!(
                    " {:>8}",
                    f.bound.map_or("all".into(), |b| format!("≤{b:.1}x"))
                )),
                Span::styled(format!("  {}", fit(&port, PORT)), theme.ok()),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn bar_width(width: u16) -> usize {
    (width as usize)
        .saturating_sub(FIXED + name_width(width))
        .max(8)
}

fn detail_lines(p: &Profile, selected: usize, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let Some(f) = p.functions.get(selected) else {
        return Vec::new();
    };
    let recorded = p
        .recorded
        .iter()
        .find(|r| Some(&r.module) == f.module.as_ref() && r.name == f.name);
    let width = width as usize;
    match recorded {
        Some(r) => vec![
            Line::raw(fit(
                &format!(
                    "{}: {} calls, {} recorded, {} each · {}",
                    f.name,
                    thousands(r.calls),
                    r.kept,
                    seconds(r.mean_call_seconds),
                    r.types
                ),
                width,
            )),
            Line::styled(
                fit(
                    &match &r.not_replayable {
                        Some(why) => format!("not replayable: {why}"),
                        None => format!("suggests {}", r.signature),
                    },
                    width,
                ),
                theme.dim(),
            ),
        ],
        None => vec![Line::styled(
            fit(
                &format!(
                    "{}: not recorded (profile --record {} records it)",
                    f.name, f.name
                ),
                width,
            ),
            theme.dim(),
        )],
    }
}

fn draw_swap(frame: &mut Frame, area: Rect, pane_: &ProgramPane, now: Instant, theme: &Theme) {
    let mut lines = vec![Line::styled(
        "swap (S): the whole program, as it is and with the ports swapped in",
        theme.title(),
    )];
    if let Some((since, said)) = &pane_.swapping {
        lines.push(Line::styled(
            format!("{} {said}", spinner(*since, now)),
            theme.busy(),
        ));
    } else if let Some(report) = &pane_.swap {
        lines.extend(swap_lines(report, area.width as usize, theme));
    } else {
        lines.push(Line::styled(
            "not run yet: S runs it, in paired rounds, beside the profile's prediction",
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn swap_lines(r: &Report, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    if r.baseline_seconds.is_empty() || r.swapped_seconds.is_empty() {
        return vec![Line::styled(
            fit(
                &format!("OUTPUT DIFFERS: {}", r.difference.as_deref().unwrap_or("")),
                width,
            ),
            theme.bad(),
        )];
    }
    let base = median(&mut r.baseline_seconds.clone());
    let swapped = median(&mut r.swapped_seconds.clone());
    let bar_width = width.saturating_sub(22);
    let cells = |t: f64| {
        ((t / base.max(swapped)) * bar_width as f64)
            .round()
            .max(1.0) as usize
    };
    let mut swapped_bar = "█".repeat(cells(swapped).min(bar_width));
    // The prediction, marked where its time would end on the same scale.
    if let Some(predicted) = r.predicted.filter(|p| *p > 0.0) {
        let at = cells(base / predicted).min(bar_width.saturating_sub(1));
        let mut chars: Vec<char> = swapped_bar.chars().collect();
        chars.resize(at.max(chars.len()), ' ');
        if at < chars.len() {
            chars[at] = '┃';
        } else {
            chars.push('┃');
        }
        swapped_bar = chars.into_iter().collect();
    }
    let verdict = match (r.speedup, r.interval) {
        (Some(s), Some((low, high))) => format!(
            "{s:.2}x faster ({low:.2}-{high:.2}x, {}){} · {}",
            if r.significant {
                "significant"
            } else {
                "not significant"
            },
            r.predicted
                .map_or(String::new(), |p| format!(" · ┃ predicted {p:.2}x")),
            if r.output_same {
                "output same"
            } else {
                "OUTPUT DIFFERS"
            }
        ),
        _ => "too few rounds for a speed-up".into(),
    };
    vec![
        Line::from(vec![
            Span::raw(format!("as it is {:>10} ", seconds(base))),
            Span::styled("█".repeat(cells(base).min(bar_width)), theme.python()),
        ]),
        Line::from(vec![
            Span::raw(format!("swapped  {:>10} ", seconds(swapped))),
            Span::styled(swapped_bar, theme.rust()),
        ]),
        Line::styled(
            fit(&verdict, width),
            if r.output_same {
                theme.ok()
            } else {
                theme.bad()
            },
        ),
    ]
}
