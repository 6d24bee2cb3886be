//! Which exports race together. A signature says what a function accepts,
//! not what it computes: an export with a Python twin of its own heads a
//! family of its own, and an export without one is only a *candidate* for
//! the families whose head takes the same parameters. A candidate becomes a
//! lane when it answers what the reference answers on the family's inputs
//! (tried by `trial`, as the race would call it), else it is named with
//! the first input where it disagreed.

use super::Project;
use super::inputs::{self, Inputs, NotTaken};
use super::rust::RustFunction;
use super::twins::{self, Twin};

/// Exports raced against one Python twin.
pub struct Family<'a> {
    /// The export the family is named for: its first lane.
    pub head: &'a RustFunction,
    /// Exports of the same parameters and no twin of their own, not tried
    /// yet (or not triable: the family has no inputs).
    pub candidates: Vec<&'a RustFunction>,
    /// Candidates tried that answered otherwise, and where.
    pub rejected: Vec<(&'a RustFunction, String)>,
    /// Candidates that agreed, lanes after the head: on how many inputs.
    pub agreed: Vec<(&'a RustFunction, usize)>,
    pub twin: Option<Twin>,
    pub inputs: Result<Option<Inputs>, NotTaken>,
    pub benchmarks: usize,
}

/// What trying a candidate against a family's reference found.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The same answers on this many inputs.
    Agreed(usize),
    /// The first input where it answered otherwise, said as a person would.
    Disagreed(String),
}

impl Family<'_> {
    pub fn name(&self) -> &str {
        &self.head.name
    }

    /// Its lanes: the head, then the candidates that agreed.
    pub fn lanes(&self) -> impl Iterator<Item = &RustFunction> {
        std::iter::once(self.head).chain(self.agreed.iter().map(|(f, _)| *f))
    }

    /// The names its benchmarks may call: the exports', and the twin's.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .lanes()
            .chain(self.candidates.iter().copied())
            .map(|f| f.name.as_str())
            .collect();
        if let Some(t) = self
            .twin
            .as_ref()
            .filter(|t| !names.contains(&t.def.name.as_str()))
        {
            names.push(&t.def.name);
        }
        names
    }

    /// Whether its candidates can be tried: a twin to answer, and inputs.
    pub fn triable(&self) -> bool {
        !self.candidates.is_empty() && self.twin.is_some() && self.has_inputs()
    }

    /// A benchmark's arguments, or the twin's defaults.
    pub fn has_inputs(&self) -> bool {
        matches!(self.inputs, Ok(Some(_)))
            || self
                .twin
                .as_ref()
                .is_some_and(|t| t.def.toml_defaults().is_some())
    }

    /// Takes what trying each candidate found: agreed, a lane; disagreed,
    /// named with why.
    pub fn settle(&mut self, verdicts: &[(String, Verdict)]) {
        let mut untried = Vec::new();
        for c in std::mem::take(&mut self.candidates) {
            match verdicts.iter().find(|(name, _)| *name == c.name) {
                Some((_, Verdict::Agreed(n))) => self.agreed.push((c, *n)),
                Some((_, Verdict::Disagreed(why))) => self.rejected.push((c, why.clone())),
                None => untried.push(c),
            }
        }
        self.candidates = untried;
    }

    /// "search: twin search_py in word_count/__init__.py (NAME_py); 3
    /// benchmark call(s)", then a line for each export: why it is, or is
    /// not, a lane of this race.
    pub fn describe(&self) -> Vec<String> {
        let twin = self.twin.as_ref().map_or_else(
            || "no Python twin".to_owned(),
            |t| format!("twin {} in {} ({})", t.def.name, t.file, t.rule),
        );
        let mut out = vec![format!(
            "{}: {twin}; {} benchmark call(s)",
            self.name(),
            self.benchmarks
        )];
        let head = self.name();
        out.push(match &self.twin {
            Some(t) => format!("  {head}: a lane, its own twin {}", t.def.name),
            None => format!("  {head}: a lane, heads the family (no twin found)"),
        });
        for (f, n) in &self.agreed {
            out.push(format!(
                "  {}: a lane, no twin of its own, answers as {head}'s twin on {n} inputs",
                f.name
            ));
        }
        for c in &self.candidates {
            out.push(format!(
                "  {}: not a lane: the same parameters as {head}, not tried ({})",
                c.name,
                self.why_untried()
            ));
        }
        for (c, why) in &self.rejected {
            out.push(format!("  {}: not a lane: {why}", c.name));
        }
        out
    }

    fn why_untried(&self) -> &'static str {
        match &self.twin {
            None => "no Python twin to answer",
            Some(_) if self.has_inputs() => "not tried yet",
            Some(_) => "no inputs to try it on",
        }
    }
}

fn same_parameters(a: &RustFunction, b: &RustFunction) -> bool {
    let types = |f: &RustFunction| f.params.iter().map(|p| p.1.clone()).collect::<Vec<_>>();
    types(a) == types(b)
}

/// The project's families, in the order their heads are exported.
pub fn of(project: &Project) -> Vec<Family<'_>> {
    let functions = &project.exports.functions;
    let twins: Vec<Option<Twin>> = functions
        .iter()
        .map(|f| twins::find(&[f.name.as_str()], &project.scan.modules))
        .collect();
    // Each export with a twin of its own heads a family; each without one is
    // a candidate of every such family of its parameters, else of the first
    // twinless family of its parameters, else heads one itself.
    let mut heads: Vec<(usize, Vec<&RustFunction>)> = functions
        .iter()
        .enumerate()
        .filter(|(i, _)| twins[*i].is_some())
        .map(|(i, f)| (i, vec![f]))
        .collect();
    for (i, f) in functions
        .iter()
        .enumerate()
        .filter(|(i, _)| twins[*i].is_none())
    {
        let mut joined = false;
        for (h, members) in heads.iter_mut() {
            if twins[*h].is_some() && same_parameters(members[0], f) {
                members.push(f);
                joined = true;
            }
        }
        if joined {
            continue;
        }
        match heads
            .iter_mut()
            .find(|(h, m)| twins[*h].is_none() && same_parameters(m[0], f))
        {
            Some((_, members)) => members.push(f),
            None => heads.push((i, vec![f])),
        }
    }
    heads.sort_by_key(|(i, _)| *i);
    heads
        .into_iter()
        .map(|(i, members)| family(project, members, twins[i].clone()))
        .collect()
}

fn family<'a>(
    project: &'a Project,
    members: Vec<&'a RustFunction>,
    twin: Option<Twin>,
) -> Family<'a> {
    let mut family = Family {
        head: members[0],
        candidates: members[1..].to_vec(),
        rejected: Vec::new(),
        agreed: Vec::new(),
        twin,
        inputs: Ok(None),
        benchmarks: 0,
    };
    let calls = inputs::calls_of(&family.names(), &project.scan.tests);
    family.benchmarks = calls.len();
    let reference = family.twin.as_ref().map(|t| t.def.name.as_str());
    family.inputs = inputs::from_calls(&calls, reference, &project.name);
    family
}

/// A candidate joins the first family it agreed with: the others drop it.
pub fn settle_all(families: &mut [Family], verdicts: &[(String, String, Verdict)]) {
    let mut joined: Vec<String> = Vec::new();
    for family in families.iter_mut() {
        let head = family.name().to_owned();
        family.candidates.retain(|c| !joined.contains(&c.name));
        let mine: Vec<(String, Verdict)> = verdicts
            .iter()
            .filter(|(h, _, _)| *h == head)
            .map(|(_, c, v)| (c.clone(), v.clone()))
            .collect();
        family.settle(&mine);
        joined.extend(family.agreed.iter().map(|(f, _)| f.name.clone()));
    }
    // A candidate that agreed elsewhere is no rejection here.
    for family in families.iter_mut() {
        family.rejected.retain(|(c, _)| !joined.contains(&c.name));
    }
}
