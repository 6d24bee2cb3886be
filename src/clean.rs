//! `pyo3-lab clean`: the lab home's size by kind, then what goes and what it
//! frees, in words. The finding and removing is `engine::home::clean`.

use std::process::ExitCode;
use std::time::SystemTime;

use crate::engine::home::clean::{self, Options, Reason};
use crate::engine::home::places::Home;
use crate::units::bytes;

pub fn run(dir: &std::path::Path, options: Options) -> ExitCode {
    let home = match Home::open(dir) {
        Ok(home) => home,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    // Set-ups and builds hold the home's lock: nothing another lab is
    // building or unpacking is removed under it.
    let mut lock = match home.lock() {
        Ok(lock) => lock,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    if lock.try_write().is_err() {
        eprintln!(
            "another pyo3-lab is working in {}: waiting for it to finish before cleaning",
            home.root().display()
        );
    }
    let _held = match lock.write() {
        Ok(held) => held,
        Err(e) => {
            eprintln!("error: cannot lock the lab home: {e}");
            return ExitCode::FAILURE;
        }
    };
    show_usage(&home);
    let removals = clean::plan(&home, &options, SystemTime::now());
    let failures = clean::remove(&removals, options.dry_run);
    let freed: u64 = removals.iter().map(|r| r.bytes).sum();
    let verb = if options.dry_run {
        "would free"
    } else {
        "freed"
    };
    if removals.is_empty() {
        println!("nothing to remove: no build's crate folder is gone");
        let unplaced = clean::unplaced(&home);
        if unplaced > 0 && !options.all {
            println!(
                "{unplaced} older build(s) do not say which folder they came from: \
                 --unused-for DAYS or --all removes them"
            );
        }
    } else {
        for r in &removals {
            println!("  {:>10}  {}: {}", bytes(r.bytes), r.what, why(&r.reason));
        }
        println!("{verb} {}", bytes(freed));
    }
    for f in &failures {
        eprintln!("error: {f}");
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn show_usage(home: &Home) {
    let usage = clean::usage(home);
    let total: u64 = usage.values().sum();
    println!("lab home {}: {}", home.root().display(), bytes(total));
    for (kind, size) in &usage {
        println!("  {:>10}  {}", bytes(*size), kind.describe());
    }
}

fn why(reason: &Reason) -> String {
    match reason {
        Reason::Gone(dir) => format!("its crate folder {} is gone", dir.display()),
        Reason::Unused(Some(dir)) => format!("not used lately ({})", dir.display()),
        Reason::Unused(None) => "not used lately".into(),
        Reason::All => "--all".into(),
    }
}
