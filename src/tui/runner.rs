//! Runs the app's jobs on background threads against the engine, one at a
//! time, each with its own cancel token; everything they learn comes back to
//! the event loop as `AppEvent`s.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::engine::Lab;
use crate::engine::build::{Target, Variant};
use crate::engine::cancel::Cancel;
use crate::engine::gil::GilMode;
use crate::engine::race::{Lane, RaceConfig};

use super::app::{AppEvent, Job};

pub struct Runner {
    lab: Arc<Lab>,
    tx: UnboundedSender<AppEvent>,
    current: Option<Cancel>,
}

impl Runner {
    pub fn new(lab: Lab, tx: UnboundedSender<AppEvent>) -> Self {
        Self {
            lab: Arc::new(lab),
            tx,
            current: None,
        }
    }

    pub fn start(&mut self, job: Job) {
        let cancel = Cancel::new();
        self.current = Some(cancel.clone());
        let (lab, tx) = (Arc::clone(&self.lab), self.tx.clone());
        std::thread::spawn(move || {
            let result = run(&lab, &job, &cancel, &tx);
            let result = if cancel.is_cancelled() {
                Err(format!("{} cancelled", job.describe()))
            } else {
                result
            };
            let _ = tx.send(AppEvent::JobDone(result));
        });
    }

    /// Kills the running job's process groups at once; its thread then ends.
    pub fn cancel(&mut self) {
        if let Some(c) = self.current.take() {
            c.cancel();
        }
    }
}

/// The builds a job needs before it can run.
fn needs(lab: &Lab, job: &Job) -> Result<Vec<Target>, String> {
    Ok(match job {
        Job::Setup => vec![],
        Job::Build(variant) => lab
            .all_targets()
            .into_iter()
            .filter(|t| variant.is_none_or(|v| t.variant == v))
            .collect(),
        Job::Race { experiment, .. } => {
            let exp = lab
                .experiment(experiment)
                .ok_or_else(|| format!("no experiment {experiment:?}"))?;
            Variant::ALL.map(|v| lab.target(exp, v)).to_vec()
        }
        Job::Gil { variant } => vec![lab.gil_target(*variant)],
    })
}

fn run(
    lab: &Lab,
    job: &Job,
    cancel: &Cancel,
    tx: &UnboundedSender<AppEvent>,
) -> Result<(), String> {
    let toolchain = lab.bootstrap().map_err(|e| format!("{e:#}"))?;
    let _ = tx.send(AppEvent::Toolchain(toolchain.clone()));
    if *job == Job::Setup {
        for target in lab.all_targets() {
            let _ = tx.send(AppEvent::BuildKnown(
                target.clone(),
                lab.existing(&toolchain, &target),
            ));
        }
        return Ok(());
    }
    let mut failed: Vec<String> = Vec::new();
    for target in needs(lab, job)? {
        if cancel.is_cancelled() {
            break;
        }
        if let Err(e) = lab.build(&toolchain, &target, false, cancel) {
            failed.push(format!("build of {target} failed: {e}"));
        }
    }
    if !failed.is_empty() {
        return Err(failed.join("; "));
    }
    match job {
        Job::Race { experiment, size } => {
            let exp = lab.experiment(experiment).ok_or("the experiment is gone")?;
            let cfg = RaceConfig {
                size: *size,
                runs: 1,
                warmup: 0,
                timeout: None,
                lanes: Lane::for_experiment(exp),
            };
            let problems: Vec<String> = lab
                .race(&toolchain, exp, &cfg, cancel)?
                .into_iter()
                .filter_map(|r| r.problem().map(|p| format!("{} {p}", r.lane.name())))
                .collect();
            if !problems.is_empty() {
                return Err(problems.join("; "));
            }
        }
        Job::Gil { variant } => {
            for mode in [GilMode::Held, GilMode::Released] {
                if cancel.is_cancelled() {
                    break;
                }
                let run = lab.gil(&toolchain, mode, *variant, cancel);
                let _ = tx.send(AppEvent::GilDone(run));
            }
            if !cancel.is_cancelled() {
                let _ = tx.send(AppEvent::ScalingStarted);
                let scaling = lab.scaling(&toolchain, *variant, cancel);
                let _ = tx.send(AppEvent::ScalingDone(scaling));
            }
        }
        Job::Setup | Job::Build(_) => {}
    }
    Ok(())
}
