//! A minimal experiment written the way ARCHITECTURE.md's "add an experiment in five steps" says,
//! compiled and run end to end: config → validate → run → (frame, plot, summary) → files.

use anyhow::{Result, bail};
use dln::{Sgd, Status};
use dln_report::experiments::{Experiment, Setting, Validate, execute_config};
use plotly::{Plot, Scatter};
use polars::df;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

/// Step 1, the configuration: the shared setting plus this experiment's own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Config {
    setting: Setting,
    /// Initialisation scales α to compare.
    alphas: Vec<f64>,
    /// GD's stepsize as a fraction of 1/λ_max(XᵀX/n).
    fraction: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self { setting: Setting::default(), alphas: vec![1.0, 0.3, 0.1], fraction: 0.5 }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate()?;
        if self.alphas.iter().any(|a| !(a.is_finite() && *a > 0.0)) {
            bail!("alphas must be finite and > 0");
        }
        if !(self.fraction > 0.0 && self.fraction < 2.0) {
            bail!("fraction must be in (0, 2) (got {})", self.fraction);
        }
        Ok(())
    }
}

/// Step 2, the typed rows `run` returns.
#[derive(Debug, Clone, Serialize)]
struct Row {
    alpha: f64,
    status: Status,
    beta: Vec<f64>,
    beta_star: Vec<f64>,
    test_risk: f64,
}

#[derive(Debug, Clone, Serialize)]
struct Output {
    rows: Vec<Row>,
}

#[derive(Debug, Clone, Serialize)]
struct Summary {
    /// Test risk at each α, in the order of `alphas`.
    test_risk: Vec<f64>,
}

struct AlphaScan;

impl Experiment for AlphaScan {
    const NAME: &'static str = "alpha_scan";
    const ABOUT: &'static str = "GD's test risk for a few initialisation scales";
    type Config = Config;
    type Output = Output;
    type Summary = Summary;

    fn quick() -> Config {
        Config::default()
    }

    fn run(cfg: &Config) -> Result<Output> {
        let problem = cfg.setting.problem(0)?;
        let gamma = cfg.fraction / problem.lambda_max();
        let rows = dln_report::sweep::par_map(&cfg.alphas, |&alpha| {
            let alpha_vec = dln::uniform_alpha(alpha, problem.d());
            let run = Sgd::gd(gamma, problem.n()).with_budget(500_000, 1e-14).run(&problem, alpha_vec.view())?;
            Ok(Row {
                alpha,
                status: run.status,
                beta: run.beta.to_vec(),
                beta_star: problem.beta_star.to_vec(),
                test_risk: problem.test_risk(run.beta.view()),
            })
        });
        Ok(Output { rows: rows.into_iter().collect::<Result<_>>()? })
    }

    /// Step 3, the three views.
    fn frame(out: &Output) -> Result<DataFrame> {
        Ok(df!(
            "alpha" => out.rows.iter().map(|r| r.alpha).collect::<Vec<_>>(),
            "status" => out.rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(),
            "test_risk" => out.rows.iter().map(|r| r.test_risk).collect::<Vec<_>>(),
        )?)
    }

    fn plot(out: &Output, _cfg: &Config) -> Result<Plot> {
        let mut plot = Plot::new();
        let x: Vec<f64> = out.rows.iter().map(|r| r.alpha).collect();
        let y: Vec<f64> = out.rows.iter().map(|r| r.test_risk).collect();
        plot.add_trace(Scatter::new(x, y).name("GD"));
        Ok(plot)
    }

    fn summary(out: &Output, _cfg: &Config) -> Result<Summary> {
        Ok(Summary { test_risk: out.rows.iter().map(|r| r.test_risk).collect() })
    }
}

#[test]
fn a_new_experiment_runs_end_to_end() {
    let cfg = Config::default();
    let product = execute_config::<AlphaScan>(&cfg).expect("runs");
    assert_eq!(product.name, "alpha_scan");
    assert_eq!(product.data.height(), cfg.alphas.len());
    // The summary is the serialised typed struct; the risk is ½‖β − β*‖² for x ~ N(0, I),
    // recomputed here from the rows.
    let out = AlphaScan::run(&cfg).unwrap();
    let risks: Vec<f64> =
        product.summary["test_risk"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    for (row, risk) in out.rows.iter().zip(&risks) {
        assert_eq!(row.status, Status::Converged, "α = {}", row.alpha);
        let direct: f64 = row.beta.iter().zip(&row.beta_star).map(|(b, s)| (b - s) * (b - s)).sum::<f64>() / 2.0;
        assert!((direct - risk).abs() <= 1e-12 * direct.max(1.0), "α = {}: {direct} vs {risk}", row.alpha);
    }
    // Smaller α is closer to the sparse (min-ℓ1) regime: on this sparse β* the risk falls with α.
    assert!(risks.windows(2).all(|w| w[1] < w[0]), "risk vs α: {risks:?}");
    // A bad configuration is rejected before any work, in one line.
    let Err(err) = execute_config::<AlphaScan>(&Config { fraction: 3.0, ..cfg }) else { panic!("accepted") };
    assert!(!format!("{err:#}").contains('\n'));
    // The files.
    let dir = std::env::temp_dir().join(format!("dln-minimal-experiment-{}", std::process::id()));
    let written = dln_report::output::write_experiment(&dir, &product).expect("writes");
    assert!(written.iter().all(|p| p.exists()));
    let _ = std::fs::remove_dir_all(&dir);
}
