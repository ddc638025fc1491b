use dln::*;
use std::time::Instant;
fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let (n, d, s) = (args[0], args[1], args[2]);
    let alpha: f64 = std::env::var("ALPHA").ok().map(|a| a.parse().unwrap()).unwrap_or(0.1);
    let p = DataConfig { n, d, s, seed: 1, ..DataConfig::default() }.generate().unwrap();
    let a = uniform_alpha(alpha, d);
    let g = p.x.dot(&p.x.t());
    let t = Instant::now();
    let l = dln::linalg::cholesky(&g).unwrap();
    println!("cholesky {:.3} s {}", t.elapsed().as_secs_f64(), l[[n-1,n-1]]);
    let t = Instant::now();
    let sol = BregmanSolver::default().theorem1(p.x.view(), p.y.view(), a.view()).unwrap();
    println!("iters {} res {:.3e} time {:.3}", sol.iterations, sol.residual, t.elapsed().as_secs_f64());
}
#[allow(dead_code)]
fn chol_time() {}
