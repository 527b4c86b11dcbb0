//! A deterministic force-directed layout (Fruchterman–Reingold) for the report's network
//! picture. No randomness: nodes start on a circle in index order (names sorted), a fixed
//! number of rounds runs with a fixed cooling schedule, and positions are rounded, so the
//! same network always gets the same picture, byte for byte.

/// Positions in a `width × height` box (with a margin), one per node.
pub fn force_directed(nodes: usize, edges: &[(usize, usize)], width: f64, height: f64) -> Vec<(f64, f64)> {
    if nodes == 0 {
        return Vec::new();
    }
    let margin = 60.0;
    let (w, h) = ((width - 2.0 * margin).max(1.0), (height - 2.0 * margin).max(1.0));
    if nodes == 1 {
        return vec![(width / 2.0, height / 2.0)];
    }
    let area = w * h;
    let k = (area / nodes as f64).sqrt();
    let mut pos: Vec<(f64, f64)> = (0..nodes)
        .map(|i| {
            let angle = std::f64::consts::TAU * i as f64 / nodes as f64;
            (w / 2.0 + w / 2.5 * angle.cos(), h / 2.0 + h / 2.5 * angle.sin())
        })
        .collect();
    let mut adjacency: Vec<(usize, usize)> = edges.iter().filter(|(a, b)| a != b).copied().collect();
    adjacency.sort_unstable();
    adjacency.dedup();
    let rounds = 300;
    let mut disp = vec![(0.0f64, 0.0f64); nodes];
    for round in 0..rounds {
        let temperature = w.min(h) / 10.0 * (1.0 - round as f64 / rounds as f64) + 0.5;
        disp.iter_mut().for_each(|d| *d = (0.0, 0.0));
        for i in 0..nodes {
            for j in (i + 1)..nodes {
                let (dx, dy) = (pos[i].0 - pos[j].0, pos[i].1 - pos[j].1);
                let dist = (dx * dx + dy * dy).sqrt().max(0.01);
                let force = k * k / dist;
                let (fx, fy) = (dx / dist * force, dy / dist * force);
                disp[i].0 += fx;
                disp[i].1 += fy;
                disp[j].0 -= fx;
                disp[j].1 -= fy;
            }
        }
        for &(a, b) in &adjacency {
            let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
            let dist = (dx * dx + dy * dy).sqrt().max(0.01);
            let force = dist * dist / k;
            let (fx, fy) = (dx / dist * force, dy / dist * force);
            disp[a].0 -= fx;
            disp[a].1 -= fy;
            disp[b].0 += fx;
            disp[b].1 += fy;
        }
        for i in 0..nodes {
            // A weak pull to the centre keeps separate components from drifting apart.
            disp[i].0 -= (pos[i].0 - w / 2.0) * 0.05 * k / 10.0;
            disp[i].1 -= (pos[i].1 - h / 2.0) * 0.05 * k / 10.0;
            let len = (disp[i].0 * disp[i].0 + disp[i].1 * disp[i].1).sqrt();
            if len > 0.0 {
                let step = len.min(temperature);
                pos[i].0 = (pos[i].0 + disp[i].0 / len * step).clamp(0.0, w);
                pos[i].1 = (pos[i].1 + disp[i].1 / len * step).clamp(0.0, h);
            }
        }
    }
    // Stretch to fill the box, then round: the SVG carries one decimal.
    let (min_x, max_x) = pos.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let (min_y, max_y) = pos.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let scale = |v: f64, lo: f64, hi: f64, size: f64| {
        let t = if hi - lo > 1e-9 { (v - lo) / (hi - lo) } else { 0.5 };
        ((margin + t * size) * 10.0).round() / 10.0
    };
    pos.iter().map(|&(x, y)| (scale(x, min_x, max_x, w), scale(y, min_y, max_y, h))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_deterministic_and_inside_the_box() {
        let edges = [(0, 1), (1, 2), (2, 0), (3, 4)];
        let a = force_directed(6, &edges, 800.0, 600.0);
        let b = force_directed(6, &edges, 800.0, 600.0);
        assert_eq!(a, b);
        for &(x, y) in &a {
            assert!((60.0..=740.0).contains(&x) && (60.0..=540.0).contains(&y), "({x}, {y})");
        }
        // Connected nodes end up closer than the isolated node is to them, on average.
        let d = |i: usize, j: usize| ((a[i].0 - a[j].0).powi(2) + (a[i].1 - a[j].1).powi(2)).sqrt();
        assert!(d(0, 1) < d(0, 5) || d(0, 1) < d(1, 5));
    }

    #[test]
    fn small_cases() {
        assert!(force_directed(0, &[], 100.0, 100.0).is_empty());
        assert_eq!(force_directed(1, &[], 200.0, 100.0), vec![(100.0, 50.0)]);
        let two = force_directed(2, &[(0, 1)], 400.0, 300.0);
        assert_ne!(two[0], two[1]);
    }
}
