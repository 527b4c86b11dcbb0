//! A deterministic layout for the report's network picture: stress majorization per
//! connected component, components packed in rows. No randomness: nodes start on a circle
//! in index order (names sorted), a fixed number of rounds runs, and positions are rounded,
//! so the same network always gets the same picture, byte for byte.

/// A position in the picture.
type Point = (f64, f64);

/// Positions in a `width × height` box (with a margin), one per node.
///
/// Each connected component is laid out on its own by stress majorization (see
/// `component_layout`); the components are then packed in rows, largest first, and the
/// whole picture is fitted to the box.
pub fn layout(nodes: usize, edges: &[(usize, usize)], width: f64, height: f64) -> Vec<(f64, f64)> {
    if nodes == 0 {
        return Vec::new();
    }
    // Parallel edges pull once: a pair related three ways is not three times as close.
    let mut adjacency: Vec<(usize, usize)> =
        edges.iter().filter(|(a, b)| a != b).map(|&(a, b)| (a.min(b), a.max(b))).collect();
    adjacency.sort_unstable();
    adjacency.dedup();
    let mut pos = vec![(0.0, 0.0); nodes];
    let laid: Vec<(Vec<usize>, Vec<Point>)> = components(nodes, &adjacency)
        .into_iter()
        .map(|members| {
            let local = component_layout(&members, &adjacency);
            (members, local)
        })
        .collect();
    // One unit for every component (a hop is a hop); rows about 1.5 times as wide as the
    // packed picture is tall, since the box is wider than tall.
    let extent = |local: &[(f64, f64)]| {
        let (min_x, max_x) = local.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
        let (min_y, max_y) = local.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
        (min_x, max_x, min_y, max_y)
    };
    let boxes: Vec<(f64, f64)> = laid
        .iter()
        .map(|(_, l)| {
            let (a, b, c, d) = extent(l);
            (b - a, d - c)
        })
        .collect();
    let area: f64 = boxes.iter().map(|(w, h)| (w + 1.0) * (h + 1.0)).sum();
    let widest = boxes.iter().map(|b| b.0).fold(0.0, f64::max);
    let row_limit = widest.max(area.sqrt() * 1.5);
    let (mut x, mut y, mut row_height) = (0.0f64, 0.0f64, 0.0f64);
    for (members, local) in &laid {
        let (min_x, max_x, min_y, max_y) = extent(local);
        let (bw, bh) = (max_x - min_x, max_y - min_y);
        if x > 0.0 && x + bw > row_limit {
            x = 0.0;
            y += row_height + 1.0;
            row_height = 0.0;
        }
        for (&node, &(px, py)) in members.iter().zip(local) {
            pos[node] = (x + px - min_x, y + py - min_y);
        }
        x += bw + 1.0;
        row_height = row_height.max(bh);
    }
    fit(&pos, width, height)
}

/// Connected components, largest first (ties: lowest node first), members in index order.
pub fn components(nodes: usize, adjacency: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..nodes).collect();
    fn root(parent: &mut [usize], mut a: usize) -> usize {
        while parent[a] != a {
            parent[a] = parent[parent[a]];
            a = parent[a];
        }
        a
    }
    for &(a, b) in adjacency {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for n in 0..nodes {
        let r = root(&mut parent, n);
        groups.entry(r).or_default().push(n);
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().collect();
    out.sort_by_key(|g| (std::cmp::Reverse(g.len()), g[0]));
    out
}

/// Stress majorization (Gansner, Koren and North, 2004) of one connected component:
/// positions whose distances match the hop distances of the graph as well as possible,
/// which is what Graphviz's `neato` does. Deterministic: the start is a circle in index
/// order and every round updates the nodes in index order.
fn component_layout(members: &[usize], adjacency: &[(usize, usize)]) -> Vec<(f64, f64)> {
    let n = members.len();
    if n == 1 {
        return vec![(0.0, 0.0)];
    }
    let local: std::collections::HashMap<usize, usize> = members.iter().enumerate().map(|(i, &m)| (m, i)).collect();
    let mut neighbours = vec![Vec::new(); n];
    for (a, b) in adjacency {
        if let (Some(&a), Some(&b)) = (local.get(a), local.get(b)) {
            neighbours[a].push(b);
            neighbours[b].push(a);
        }
    }
    // Hop distances by breadth-first search from every node: O(n · edges).
    let mut dist = vec![vec![0.0f64; n]; n];
    for (source, row) in dist.iter_mut().enumerate() {
        let mut hops = vec![usize::MAX; n];
        hops[source] = 0;
        let mut queue = std::collections::VecDeque::from([source]);
        while let Some(a) = queue.pop_front() {
            for &b in &neighbours[a] {
                if hops[b] == usize::MAX {
                    hops[b] = hops[a] + 1;
                    queue.push_back(b);
                }
            }
        }
        // Target distances grow with the square root of the hops: dense cores (many pairs one
        // hop apart) get room while long tails stay short.
        for (d, &h) in row.iter_mut().zip(&hops) {
            *d = (h as f64).sqrt();
        }
    }
    let radius = (n as f64).sqrt();
    let mut pos: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let angle = std::f64::consts::TAU * i as f64 / n as f64;
            (radius * angle.cos(), radius * angle.sin())
        })
        .collect();
    for _ in 0..300 {
        for i in 0..n {
            let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
            for j in 0..n {
                if i == j {
                    continue;
                }
                let d = dist[i][j];
                let w = 1.0 / (d * d);
                let (dx, dy) = (pos[i].0 - pos[j].0, pos[i].1 - pos[j].1);
                let len = (dx * dx + dy * dy).sqrt().max(1e-6);
                sx += w * (pos[j].0 + d * dx / len);
                sy += w * (pos[j].1 + d * dy / len);
                sw += w;
            }
            pos[i] = (sx / sw, sy / sw);
        }
    }
    pos
}

/// Scales positions into the box, keeping the aspect ratio, rounded to one decimal (what
/// the SVG carries). Labels hang to the right of their node, so that side gets more room.
fn fit(pos: &[(f64, f64)], width: f64, height: f64) -> Vec<(f64, f64)> {
    let margin = 40.0;
    let label_room = (width * 0.12).min(160.0);
    let (w, h) = ((width - 2.0 * margin - label_room).max(1.0), (height - 2.0 * margin).max(1.0));
    let (min_x, max_x) = pos.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let (min_y, max_y) = pos.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let scale = (w / (max_x - min_x).max(1e-9)).min(h / (max_y - min_y).max(1e-9));
    let (off_x, off_y) = (margin + (w - (max_x - min_x) * scale) / 2.0, margin + (h - (max_y - min_y) * scale) / 2.0);
    let round = |v: f64| (v * 10.0).round() / 10.0;
    pos.iter().map(|&(x, y)| (round(off_x + (x - min_x) * scale), round(off_y + (y - min_y) * scale))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_deterministic_and_inside_the_box() {
        let edges = [(0, 1), (1, 2), (2, 0), (3, 4)];
        let a = layout(6, &edges, 800.0, 600.0);
        let b = layout(6, &edges, 800.0, 600.0);
        assert_eq!(a, b);
        for &(x, y) in &a {
            assert!((40.0..=760.0).contains(&x) && (40.0..=560.0).contains(&y), "({x}, {y})");
        }
        // Connected nodes end up closer than the isolated node is to them, on average.
        let d = |i: usize, j: usize| ((a[i].0 - a[j].0).powi(2) + (a[i].1 - a[j].1).powi(2)).sqrt();
        assert!(d(0, 1) < d(0, 5) || d(0, 1) < d(1, 5));
    }

    #[test]
    fn small_cases() {
        assert!(layout(0, &[], 100.0, 100.0).is_empty());
        assert_eq!(layout(1, &[], 200.0, 100.0).len(), 1);
        let two = layout(2, &[(0, 1)], 400.0, 300.0);
        assert_ne!(two[0], two[1]);
    }
}
