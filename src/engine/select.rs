//! Index selection: the fewest column orders of each complete relation that serve every
//! access the plan makes, after Soufflé's automatic index selection (Subotić et al.,
//! "Automatic index selection for large-scale Datalog computation", VLDB 2018).
//!
//! An access binds a set of columns (its *signature*); an order serves it when the bound
//! columns are the order's first columns. The signatures served by one order form a chain
//! `S1 ⊂ S2 ⊂ ...`, so the fewest orders is a minimum chain cover of the signatures, found
//! as a maximum matching in the bipartite graph with an edge `S → T` for every `S ⊊ T`
//! (Dilworth): every matched edge joins two signatures into one chain. An intersection
//! (see `Op::Intersect`) also needs the column it extends with right after the bound ones:
//! it demands `S` and `S ∪ {j}` on one chain, one after the other, which is fixed before
//! the matching.

use crate::lang::ir::RelId;
use petgraph::graph::{NodeIndex, UnGraph};

/// One access to a complete relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The relation accessed.
    pub rel: RelId,
    /// Its number of columns.
    pub arity: usize,
    /// The bound columns, as a bit set.
    pub bound: u64,
    /// For an intersection: the column that must follow the bound ones.
    pub next: Option<usize>,
}

/// A relation sorted by a permutation of its columns: lookups bind a prefix of `order`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexSpec {
    /// The relation.
    pub rel: RelId,
    /// Its columns in sort order.
    pub order: Vec<usize>,
}

/// The column orders to build, and for each access the one that serves it.
pub fn select(accesses: &[Access]) -> (Vec<IndexSpec>, Vec<usize>) {
    let mut indices = Vec::new();
    let mut served = vec![usize::MAX; accesses.len()];
    let mut rels: Vec<RelId> = accesses.iter().map(|a| a.rel).collect();
    rels.sort_unstable();
    rels.dedup();
    for rel in rels {
        let mine: Vec<usize> = (0..accesses.len()).filter(|&i| accesses[i].rel == rel).collect();
        let arity = accesses[mine[0]].arity;
        let mut cover = Cover::default();
        let nodes: Vec<usize> = mine.iter().map(|&i| cover.add(&accesses[i])).collect();
        let (orders, chain_of) = cover.chains(arity);
        let first = indices.len();
        indices.extend(orders.into_iter().map(|order| IndexSpec { rel, order }));
        for (&i, &node) in mine.iter().zip(&nodes) {
            served[i] = first + chain_of[node];
        }
    }
    (indices, served)
}

/// The signatures of one relation, with the links intersections force.
#[derive(Default)]
struct Cover {
    masks: Vec<u64>,
    succ: Vec<Option<usize>>,
    pred: Vec<Option<usize>>,
}

impl Cover {
    fn node(&mut self, mask: u64) -> usize {
        self.masks.push(mask);
        self.succ.push(None);
        self.pred.push(None);
        self.masks.len() - 1
    }

    /// The node that serves `access`, adding what it needs.
    fn add(&mut self, access: &Access) -> usize {
        let Some(j) = access.next else {
            return match self.masks.iter().position(|&m| m == access.bound) {
                Some(n) => n,
                None => self.node(access.bound),
            };
        };
        let then = access.bound | (1 << j);
        // A forced link that already exists serves it.
        for s in 0..self.masks.len() {
            if self.masks[s] == access.bound && self.succ[s].is_some_and(|t| self.masks[t] == then) {
                return s;
            }
        }
        let free = |c: &Cover, mask: u64, pred: bool| {
            (0..c.masks.len()).find(|&n| c.masks[n] == mask && if pred { c.pred[n] } else { c.succ[n] }.is_none())
        };
        let s = free(self, access.bound, false).unwrap_or_else(|| self.node(access.bound));
        let t = free(self, then, true).filter(|&t| t != s).unwrap_or_else(|| self.node(then));
        self.succ[s] = Some(t);
        self.pred[t] = Some(s);
        s
    }

    /// One order per chain of a minimum chain cover, and each node's chain.
    fn chains(mut self, arity: usize) -> (Vec<Vec<usize>>, Vec<usize>) {
        let n = self.masks.len();
        // Left copy `i`, right copy `n + i`; `i — n + j` when signature i may precede j.
        let mut graph = UnGraph::<(), ()>::with_capacity(2 * n, n * n);
        for _ in 0..2 * n {
            graph.add_node(());
        }
        let subset = |a: u64, b: u64| a != b && a & b == a;
        for i in (0..n).filter(|&i| self.succ[i].is_none()) {
            for j in (0..n).filter(|&j| self.pred[j].is_none() && subset(self.masks[i], self.masks[j])) {
                graph.add_edge(NodeIndex::new(i), NodeIndex::new(n + j), ());
            }
        }
        let matching = petgraph::algo::maximum_matching(&graph);
        for i in 0..n {
            if self.succ[i].is_some() {
                continue;
            }
            if let Some(m) = matching.mate(NodeIndex::new(i)) {
                let j = m.index() - n;
                self.succ[i] = Some(j);
                self.pred[j] = Some(i);
            }
        }
        let mut orders = Vec::new();
        let mut chain_of = vec![0; n];
        for head in (0..n).filter(|&i| self.pred[i].is_none()) {
            let (mut order, mut have, mut at) = (Vec::new(), 0u64, Some(head));
            while let Some(node) = at {
                let new = self.masks[node] & !have;
                order.extend((0..arity).filter(|c| new & (1 << c) != 0));
                have |= new;
                chain_of[node] = orders.len();
                at = self.succ[node];
            }
            order.extend((0..arity).filter(|c| have & (1 << c) == 0));
            orders.push(order);
        }
        (orders, chain_of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(bound: &[usize], next: Option<usize>) -> Access {
        Access { rel: 0, arity: 3, bound: bound.iter().map(|c| 1 << c).sum(), next }
    }

    /// Whether the order serves the access: bound columns first, then `next`.
    fn serves(order: &[usize], a: &Access) -> bool {
        let k = a.bound.count_ones() as usize;
        order[..k].iter().all(|c| a.bound & (1 << c) != 0) && a.next.is_none_or(|j| order[k] == j)
    }

    #[test]
    fn a_chain_of_signatures_shares_one_order() {
        let accesses = [access(&[0], None), access(&[0, 2], None), access(&[0, 1, 2], None)];
        let (indices, served) = select(&accesses);
        assert_eq!(indices, vec![IndexSpec { rel: 0, order: vec![0, 2, 1] }]);
        assert_eq!(served, vec![0, 0, 0]);
    }

    #[test]
    fn incomparable_signatures_need_two_orders_and_no_more() {
        let accesses = [access(&[0], None), access(&[1], None), access(&[0, 1], None), access(&[1, 2], None)];
        let (indices, served) = select(&accesses);
        assert_eq!(indices.len(), 2);
        for (a, &i) in accesses.iter().zip(&served) {
            assert!(serves(&indices[i].order, a), "{a:?} by {:?}", indices[i]);
        }
    }

    #[test]
    fn intersections_get_their_column_next() {
        // Both extend from column 0: one needs column 1 next, the other column 2.
        let accesses = [access(&[0], Some(1)), access(&[0], Some(2)), access(&[0, 1], None), access(&[0, 2], None)];
        let (indices, served) = select(&accesses);
        assert_eq!(indices.len(), 2);
        for (a, &i) in accesses.iter().zip(&served) {
            assert!(serves(&indices[i].order, a), "{a:?} by {:?}", indices[i]);
        }
    }
}
