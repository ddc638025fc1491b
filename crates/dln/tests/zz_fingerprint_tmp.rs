use dln::*;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

fn h(v: &ndarray::Array1<f64>, st: &mut DefaultHasher) { for x in v { x.to_bits().hash(st); } }

#[test]
fn fingerprint() {
    let mut out = String::new();
    for (n, d, seed) in [(20usize, 30usize, 0u64), (13, 41, 3), (50, 130, 7)] {
        let p = DataConfig { n, d, s: 3, seed, ..DataConfig::default() }.generate().unwrap();
        let alpha = uniform_alpha(0.1, d);
        let lm = p.lambda_max();
        let mut cfgs: Vec<(String, Sgd)> = vec![];
        for b in [1usize, 2, 3, 4, 5, n / 2, n - 1, n] {
            for samp in [Sampling::Iid, Sampling::Shuffle] {
                for track in [false, true] {
                    let mut s = Sgd::sgd(0.4 / lm, b).with_budget(3000, 1e-12).with_seed(seed + 11);
                    s.sampling = samp; s.track_q_sums = track;
                    cfgs.push((format!("b{b} {samp:?} {track}"), s));
                }
            }
        }
        let mut s = Sgd::gd(1.9 / lm, n).with_budget(5000, 1e-24); s.track_q_sums = true; cfgs.push(("gd big".into(), s));
        let mut s = Sgd::sgd(0.3 / lm, 2).with_budget(5000, 0.0).with_record(Record::LogSpaced(5)); s.stepsize = Schedule::StepDecay { gamma: 0.5 / lm, factor: 0.9, every: 100 }; cfgs.push(("decay rec".into(), s));
        let mut s = Sgd::gd(0.3 / lm, n).with_budget(5000, 0.0).with_record(Record::Every(7)); s.stepsize = Schedule::WarmUp { gamma: 0.8 / lm, steps: 100 }; cfgs.push(("warm rec".into(), s));
        let mut s = Sgd::sgd(0.3 / lm, 1).with_budget(5000, 1e-20); s.check_every = Some(3); cfgs.push(("ce3".into(), s));
        cfgs.push(("div gd".into(), Sgd::gd(30.0 / lm, n)));
        cfgs.push(("div sgd".into(), Sgd::sgd(30.0 / lm, 2)));
        for (name, s) in cfgs {
            let r = s.run(&p, alpha.view()).unwrap();
            let mut st = DefaultHasher::new();
            h(&r.beta, &mut st); h(&r.u, &mut st); h(&r.v, &mut st); h(&r.s, &mut st); h(&r.lambda, &mut st);
            r.train_loss.to_bits().hash(&mut st); r.steps.hash(&mut st);
            h(&r.effective.gain, &mut st); h(&r.effective.beta_tilde0, &mut st);
            if let Some(q) = &r.q_sums { h(&q.q, &mut st); h(&q.q_plus, &mut st); h(&q.q_minus, &mut st); }
            for snap in &r.history { snap.step.hash(&mut st); snap.train_loss.to_bits().hash(&mut st); h(&snap.beta, &mut st); h(&snap.gain, &mut st); }
            out += &format!("{n} {d} {name}: {} {} {:x}\n", r.status, r.steps, st.finish());
        }
    }
    std::fs::write(std::env::var("FP_OUT").unwrap(), out).unwrap();
}
