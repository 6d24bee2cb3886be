//! The scaling pane: speed-up against one thread for T threads of CPU-bound
//! work, per contender, as bars next to the ideal (the core count).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::pane;
use crate::engine::gil::scaling::CONTENDERS;
use crate::engine::types::Scaling;
use crate::tui::app::ScalingView;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, view: &ScalingView, theme: &Theme) {
    let block = pane("GIL scaling: speed-up of T threads of CPU-bound work (g runs it)".into());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = match view {
        ScalingView::NotRun => vec![Line::styled(
            "after the GIL demo: Python vs Rust holding vs Rust releasing the GIL (py.detach), beside native Rust threads",
            theme.dim(),
        )],
        ScalingView::Running(progress) => vec![Line::styled(
            match progress {
                None => "calibrating the batches…".to_owned(),
                Some((done, of)) => format!("running the batches: {done} of {of} rounds measured…"),
            },
            theme.busy(),
        )],
        ScalingView::Failed(e) => vec![Line::styled(format!("✗ {e}"), theme.bad())],
        ScalingView::Done(s) => rows(s, inner.width as usize, theme),
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn rows(s: &Scaling, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut threads: Vec<u32> = s.rows.iter().map(|r| r.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let ideal = s.cores as f64;
    // Each T gets a cell: a bar scaled so that the ideal fills it, and the figure.
    let cell = (width.saturating_sub(19) / threads.len().max(1)).max(8);
    let bar_width = cell.saturating_sub(8);
    let mut head = vec![Span::styled(
        format!("{:<19}", format!("ideal: {} cores", s.cores)),
        theme.dim(),
    )];
    for t in &threads {
        head.push(Span::styled(
            format!("{:<cell$}", format!("T={t}")),
            theme.title(),
        ));
    }
    let mut out = vec![Line::from(head)];
    for c in CONTENDERS {
        let (style, _) = theme.lane(c);
        let mut spans = vec![Span::styled(format!("{c:<19}"), style)];
        for t in &threads {
            let speedup = s
                .rows
                .iter()
                .find(|r| r.contender == c && r.threads == *t)
                .map_or(0.0, |r| r.speedup);
            let filled = ((speedup / ideal).min(1.0) * bar_width as f64).round() as usize;
            spans.push(Span::styled("█".repeat(filled), style));
            spans.push(Span::raw(format!(
                "{:<w$}",
                format!(" {speedup:.2}x"),
                w = cell - filled
            )));
        }
        out.push(Line::from(spans));
    }
    let (mark, style) = match (s.ok, s.warning) {
        (false, _) => ("✗", theme.bad()),
        (true, true) => ("⚠", theme.busy()),
        (true, false) => ("✓", theme.ok()),
    };
    out.push(Line::styled(format!("{mark} {}", s.verdict), style));
    // Pure Python holds the GIL: more than 1.3x from it is the machine's
    // speed changing between batches, not parallelism.
    if let Some(r) = s
        .rows
        .iter()
        .filter(|r| r.contender == "python" && r.threads > 1)
        .max_by(|a, b| a.speedup.total_cmp(&b.speedup))
        .filter(|r| r.speedup > 1.3)
    {
        out.push(Line::styled(
            format!(
                "⚠ pure Python gave {:.2}x with {} threads, which the GIL does not allow: the \
                 machine's speed moved between batches; run it again",
                r.speedup, r.threads
            ),
            theme.busy(),
        ));
    }
    out
}
