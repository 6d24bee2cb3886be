//! Runs the app's jobs on a background thread through the engine pipeline,
//! one at a time, each with its own cancel token. Progress arrives through
//! the engine's events; the job's report comes back as `AppEvent::JobDone`.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::cancel::Cancel;
use crate::engine::Lab;
use crate::engine::error::LabError;

use super::app::{AppEvent, Job};
use super::watch::Watch;

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
            let result = lab.run(&job, &cancel);
            let result = if cancel.is_cancelled() {
                Err(LabError::Cancelled)
            } else {
                result
            };
            let _ = tx.send(AppEvent::job_done(result));
        });
    }

    /// Runs the program view's swap on a thread of its own: the project set
    /// up and built (its build events reach the builds pane as a job's do),
    /// then the rounds; Esc cancels it as it cancels a job.
    pub fn swap(&mut self, request: super::app::SwapRequest) {
        use crate::program::{run, swap};
        let cancel = Cancel::new();
        self.current = Some(cancel.clone());
        let (lab, tx) = (Arc::clone(&self.lab), self.tx.clone());
        std::thread::spawn(move || {
            let said = tx.clone();
            let say: crate::program::Say = Box::new(move |line| {
                let _ = said.send(AppEvent::SwapSaid(line));
            });
            let result = run::Program::parse(&request.cmd, &request.cwd).and_then(|program| {
                let options = swap::Options {
                    rounds: swap::ROUNDS as usize,
                    timeout: std::time::Duration::from_secs(run::TIMEOUT_SECONDS),
                };
                crate::program::swap_in(&request.dir, lab, &program, &[], &options, say, cancel)
            });
            let _ = tx.send(AppEvent::SwapDone(Box::new(result.map_err(Arc::new))));
        });
    }

    /// Starts watching an experiment's files; changes come back as events.
    pub fn watch(&self, key: &str) -> Result<Watch, super::watch::WatchError> {
        let exp = self.lab.experiment(key)?;
        super::watch::start(&exp, self.tx.clone())
    }

    /// Kills the running job's process groups at once; its thread then ends.
    pub fn cancel(&mut self) {
        if let Some(c) = self.current.take() {
            c.cancel();
        }
    }
}
