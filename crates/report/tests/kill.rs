//! A `reproduce` killed with SIGKILL at random moments never leaves a damaged result behind.
//!
//! The results directory first holds a complete earlier result (one configuration, "old"); a
//! `reproduce` of another configuration ("new") into it is killed at moments drawn uniformly over
//! the measured duration of one whole run (seeded ChaCha). After each kill every result file must
//! be byte for byte either its old or its new version (both known from uninterrupted reference
//! runs); `timings.json`, whose numbers are wall times, must at least be complete JSON. The
//! temporary files the kills strand may remain until the next run, which must remove them all.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dln_report::experiments::{Options, find};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The experiments reproduced: two of the quickest (a whole `reproduce --quick` takes ~35 s in
/// the test profile on 2 busy cores; these two ~1.5 s).
const ONLY: [&str; 2] = ["theorem1_alpha", "edge_of_stability"];
/// Kills.
const KILLS: usize = 24;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dln-report-kill-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// `reproduce --quick --only ONLY` with `config` into `out` (no static images, no book).
fn reproduce(out: &Path, config: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dln-report"));
    cmd.args(["reproduce", "--quick", "--only", &ONLY.join(","), "--no-static", "--no-book", "--quiet"])
        .arg("--config")
        .arg(config)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// The override that sets the data seed of experiment `name` to `seed`, wherever its
/// configuration keeps it (at the top or in a nested table).
fn seed_override(name: &str, seed: u64) -> toml::Table {
    fn walk(v: &serde_json::Value, seed: u64) -> Option<toml::Table> {
        let map = v.as_object()?;
        let mut table = toml::Table::new();
        if map.contains_key("seed") {
            table.insert("seed".into(), toml::Value::Integer(seed as i64));
            return Some(table);
        }
        let (key, inner) = map.iter().find_map(|(k, v)| Some((k, walk(v, seed)?)))?;
        table.insert(key.clone(), toml::Value::Table(inner));
        Some(table)
    }
    let entry = find(name).unwrap();
    let config = (entry.config)(&Options { quick: true, overrides: None }).unwrap();
    walk(&config, seed).unwrap_or_else(|| panic!("{name} has no seed in its configuration"))
}

/// Runs `reproduce` to the end; returns its wall time.
fn complete(out: &Path, config: &Path) -> Duration {
    let t = Instant::now();
    let status = reproduce(out, config).status().unwrap();
    assert!(status.success(), "an uninterrupted reproduce into {} failed", out.display());
    t.elapsed()
}

/// Whether `name` is a temporary file of an atomic write (`.NAME.PID-N.tmp`).
fn is_temp(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}

/// Every file below `dir`, as paths relative to it, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    dln_report::output::files::below(dir).unwrap()
}

/// Copies every result file of `from` over `to` (temporary files already in `to` stay).
fn restore(from: &Path, to: &Path) {
    for rel in files(from) {
        let target = to.join(&rel);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(from.join(&rel), target).unwrap();
    }
}

/// Which version each result file of `work` is.
#[derive(Debug, Default)]
struct Versions {
    old: usize,
    new: usize,
    /// Files whose old and new versions are the same bytes (the shared scripts in `assets/`).
    same: usize,
    temps: usize,
}

/// Checks `work` after a kill: every reference file present, each equal to its old or new
/// version (`timings.json`: complete JSON), nothing else but temporary files.
fn check(work: &Path, old: &Path, new: &Path, kill: usize) -> Versions {
    let mut seen = Versions::default();
    let reference = files(old);
    for rel in files(work) {
        let name = rel.file_name().unwrap().to_string_lossy().into_owned();
        if is_temp(&name) {
            seen.temps += 1;
            continue;
        }
        assert!(reference.contains(&rel), "kill {kill}: unexpected file {}", rel.display());
        let bytes = fs::read(work.join(&rel)).unwrap();
        let (is_old, is_new) = (bytes == fs::read(old.join(&rel)).unwrap(), bytes == fs::read(new.join(&rel)).unwrap());
        if name == "timings.json" {
            let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&bytes);
            assert!(parsed.is_ok(), "kill {kill}: timings.json is not complete JSON");
        } else if is_old && is_new {
            seen.same += 1;
        } else if is_old {
            seen.old += 1;
        } else if is_new {
            seen.new += 1;
        } else {
            panic!("kill {kill}: {} is neither its old nor its new version ({} bytes)", rel.display(), bytes.len());
        }
    }
    for rel in &reference {
        assert!(work.join(rel).is_file(), "kill {kill}: {} vanished", rel.display());
    }
    seen
}

#[test]
fn killed_reproduce_leaves_every_file_old_or_new_and_the_next_run_cleans_up() {
    let root = scratch("results");
    let (old, new, work) = (root.join("old"), root.join("new"), root.join("work"));
    let (old_cfg, new_cfg) = (root.join("old.toml"), root.join("new.toml"));
    let config = |seed: u64| {
        let tables = ONLY.iter().map(|name| (name.to_string(), toml::Value::Table(seed_override(name, seed))));
        toml::to_string(&tables.collect::<toml::Table>()).unwrap()
    };
    fs::write(&old_cfg, config(1)).unwrap();
    fs::write(&new_cfg, config(2)).unwrap();
    complete(&old, &old_cfg);
    let duration = complete(&new, &new_cfg);
    let differ = files(old.as_path())
        .iter()
        .filter(|rel| rel.file_name().unwrap() != "timings.json")
        .filter(|rel| fs::read(old.join(rel)).unwrap() != fs::read(new.join(rel)).unwrap())
        .count();
    assert!(differ >= 4, "the old and new results must differ for the test to tell them apart");

    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let (mut mixed, mut running, mut last_pid) = (0, 0, 0);
    fs::create_dir_all(&work).unwrap();
    for kill in 0..KILLS {
        restore(&old, &work);
        let wait = Duration::from_secs_f64(rng.random_range(0.0..duration.as_secs_f64()));
        let mut child = reproduce(&work, &new_cfg).spawn().unwrap();
        last_pid = child.id();
        std::thread::sleep(wait);
        if child.try_wait().unwrap().is_none() {
            running += 1;
        }
        child.kill().unwrap(); // SIGKILL on unix
        child.wait().unwrap();
        let seen = check(&work, &old, &new, kill);
        if seen.old > 0 && seen.new > 0 {
            mixed += 1;
        }
        eprintln!("kill {kill} after {wait:?}: {seen:?}");
    }
    eprintln!("{KILLS} kills over {duration:?}: {running} while running, {mixed} between two files");
    assert!(running > 0, "no kill happened while reproduce was running");

    // Where the kills above happened to strand none, strand what a kill while writing timings.json
    // or a figure would: a partial temporary file, named as the atomic writer names them, of a
    // process that no longer runs.
    for dir in [work.clone(), work.join(ONLY[0])] {
        fs::write(dir.join(format!(".timings.json.{last_pid}-0.tmp")), "{\"experiments\": [").unwrap();
    }
    // The next, uninterrupted run completes the new version and removes every stranded temporary file.
    complete(&work, &new_cfg);
    let seen = check(&work, &old, &new, KILLS);
    assert_eq!(seen.temps, 0, "temporary files left behind: {:?}", files(&work));
    assert_eq!(seen.old, 0, "every file is the new version after a complete run");
    fs::remove_dir_all(&root).unwrap();
}
