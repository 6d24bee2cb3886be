//! Trying candidates as the race would call them: the project built (the
//! release build a race loads), then each family's reference and its
//! candidates called on the same inputs by the differential check, the
//! family's own inputs varied by a fixed seed so a run of init can be
//! replayed. A candidate that answers otherwise even once is not a lane.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::Verdict;
use super::render::Draft;
use crate::cancel::Cancel;
use crate::engine::Lab;
use crate::engine::experiment::Experiment;
use crate::engine::measure::verify::VerifyConfig;
use crate::engine::types::{Lane, Variant};

/// Inputs each candidate is tried on: enough to tell apart functions that
/// share a signature (levenshtein and hamming agree on many pairs of words).
pub const TRIED_INPUTS: usize = 24;
/// The seed of the first: init's trials replay with `--verify 24 --verify-seed 1`.
pub const SEED: u64 = 1;

/// Each (race, candidate, verdict) of the draft's races, built and checked
/// in `lab`.
pub fn try_candidates(
    lab: &Lab,
    dir: &Path,
    draft: &Draft,
) -> Result<Vec<(String, String, Verdict)>> {
    // The races' own files (their fixtures' lab_inputs) first: they load them.
    let written = Scratch::write(dir, &draft.files)?;
    let experiments = Experiment::load_text(dir, &draft.lab_toml)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the races written to try the candidates do not load")?;
    let verdicts = run(lab, &experiments);
    drop(written);
    verdicts
}

fn run(lab: &Lab, experiments: &[Experiment]) -> Result<Vec<(String, String, Verdict)>> {
    let cancel = Cancel::new();
    let toolchain = lab.bootstrap()?;
    let release = [Variant::release()];
    let Some(first) = experiments.first() else {
        return Ok(Vec::new());
    };
    lab.build(&toolchain, &lab.target(first, &release[0]), false, &cancel)
        .context("the project's release build, to try the candidates")?;
    let config = VerifyConfig::new(TRIED_INPUTS, Some(SEED));
    let mut verdicts = Vec::new();
    for exp in experiments {
        let records = lab.verify(&toolchain, exp, &release, &config, &cancel)?;
        let single = exp.single();
        for candidate in exp.rust.iter().skip(1) {
            let lane = Lane::rust(&candidate.label, release[0].clone(), single).name;
            let Some(record) = records.iter().find(|r| r.lane == lane) else {
                bail!("{}: no check of {} was made", exp.key, candidate.function);
            };
            let verdict = match record.disagreements.first() {
                None => Verdict::Agreed(record.tried),
                Some(d) => Verdict::Disagreed(format!(
                    "answers otherwise than {}'s twin at {}: {} against {} (the twin's)",
                    exp.key, d.input, d.lane, d.reference
                )),
            };
            verdicts.push((exp.key.clone(), candidate.function.clone(), verdict));
        }
    }
    Ok(verdicts)
}

/// The draft's files, written for the trial and taken away after it
/// (those that were there already are left as they were).
struct Scratch(Vec<std::path::PathBuf>);

impl Scratch {
    fn write(dir: &Path, files: &[(String, String)]) -> Result<Self> {
        let mut written = Vec::new();
        for (name, text) in files {
            let path = dir.join(name);
            if path.exists() {
                continue;
            }
            fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
            written.push(path);
        }
        Ok(Self(written))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = fs::remove_file(path);
        }
    }
}
