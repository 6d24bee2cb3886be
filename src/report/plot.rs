//! The sweep's curves as SVG, drawn with plotters: time per call against
//! size, one line per lane, log axes, labelled, with a legend; a panel per
//! swept experiment.

use super::error::FileError;
use plotters::prelude::*;

use super::Report;

const COLOURS: [RGBColor; 8] = [
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(0, 114, 178),
    RGBColor(204, 121, 167),
    RGBColor(120, 120, 120),
    RGBColor(240, 228, 66),
];

/// (lane, [(size, median seconds)]) of one swept experiment.
fn curves(report: &Report, experiment: &str) -> Vec<(String, Vec<(f64, f64)>)> {
    let mut out: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for r in report.results.iter().filter(|r| {
        r.record.experiment == experiment && r.record.failure.is_none() && r.record.correct
    }) {
        let (Some(n), Some(t)) = (r.size().map(|n| n as f64), r.median) else {
            continue;
        };
        match out.iter_mut().find(|(lane, _)| *lane == r.record.lane.name) {
            Some((_, points)) => points.push((n.max(1.0), t)),
            None => out.push((r.record.lane.name.clone(), vec![(n.max(1.0), t)])),
        }
    }
    out
}

pub fn render(report: &Report) -> Result<String, FileError> {
    if report.sweeps.is_empty() {
        return Err(FileError::NoSweep);
    }
    let mut svg = String::new();
    {
        let height = 420 * report.sweeps.len() as u32;
        let root = SVGBackend::with_string(&mut svg, (900, height)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| FileError::Draw(e.to_string()))?;
        let panels = root.split_evenly((report.sweeps.len(), 1));
        for (sweep, panel) in report.sweeps.iter().zip(panels) {
            let data = curves(report, &sweep.experiment);
            let all = data.iter().flat_map(|(_, p)| p.iter());
            let (x0, x1, y0, y1) = all.fold(
                (f64::MAX, f64::MIN, f64::MAX, f64::MIN),
                |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
            );
            if x0 > x1 {
                continue;
            }
            let mut chart = ChartBuilder::on(&panel)
                .caption(
                    format!("{}: time per call against N", sweep.experiment),
                    ("sans-serif", 20),
                )
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(
                    (x0 * 0.9..x1 * 1.1)
                        .log_scale()
                        .with_key_points(sweep.sizes.iter().map(|&n| n as f64).collect()),
                    (y0 * 0.5..y1 * 2.0).log_scale(),
                )
                .map_err(|e| FileError::Draw(e.to_string()))?;
            chart
                .configure_mesh()
                .x_desc("N")
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_desc("seconds per call (median)")
                .y_label_formatter(&|v| crate::units::seconds(*v))
                .draw()
                .map_err(|e| FileError::Draw(e.to_string()))?;
            for (i, (lane, points)) in data.iter().enumerate() {
                let colour = COLOURS[i % COLOURS.len()];
                chart
                    .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                    .map_err(|e| FileError::Draw(e.to_string()))?
                    .label(lane.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                    });
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                    .map_err(|e| FileError::Draw(e.to_string()))?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| FileError::Draw(e.to_string()))?;
        }
        root.present().map_err(|e| FileError::Draw(e.to_string()))?;
    }
    Ok(svg)
}
