//! Cluster: join similar documents into groups and pick who stays.
//!
//! Takes the number of documents and the edges (verified pairs, and each
//! exact duplicate joined to its first copy) and returns the connected
//! components of two or more documents, with union-find. Similarity is not
//! transitive, so a member can be in a cluster through a chain of pairs
//! while being less similar than the threshold to the kept document; the
//! report shows each member's own similarity to the kept one.
//!
//! Invariants, whatever the order edges arrive in:
//! - clusters are disjoint and every document is in at most one;
//! - members are in input order, clusters are ordered by their first
//!   member, and cluster ids count up from 0 in that order.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::core::{number, DocId, Numbered};

/// Which member of a cluster survives `dedup`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Keep {
    /// The first in input order.
    #[default]
    First,
    /// The longest original text; the first among equals.
    Longest,
    /// The shortest original text; the first among equals.
    Shortest,
}

impl Keep {
    /// The policy's name, as the CLI and the report spell it.
    pub fn name(self) -> &'static str {
        match self {
            Keep::First => "first",
            Keep::Longest => "longest",
            Keep::Shortest => "shortest",
        }
    }

    /// The member to keep, given each member's length in bytes.
    /// `members` must be non-empty and in input order.
    pub fn choose(self, members: &[DocId], len: impl Fn(DocId) -> u64) -> DocId {
        let first = members[0];
        let pick = match self {
            Keep::First => None,
            // max_by_key returns the last maximum, so it walks backwards;
            // min_by_key the first minimum, so it walks forwards: ties go
            // to the earliest document either way.
            Keep::Longest => members.iter().rev().copied().max_by_key(|&d| len(d)),
            Keep::Shortest => members.iter().copied().min_by_key(|&d| len(d)),
        };
        pick.unwrap_or(first)
    }
}

/// The index of a cluster in a run's report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClusterId(pub u32);

/// A document in a cluster.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Member {
    /// The document.
    pub doc: DocId,
    /// Its Jaccard similarity to the kept member (1.0 for the kept one).
    pub similarity: f64,
    /// Whether this is the member `dedup` keeps.
    pub kept: bool,
}

/// A group of near-duplicate documents.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    /// Its index among the run's clusters.
    pub id: ClusterId,
    /// Its members in input order; exactly one is kept.
    pub members: Vec<Member>,
}

impl Cluster {
    /// The member `dedup` keeps.
    pub fn kept(&self) -> DocId {
        self.members
            .iter()
            .find(|m| m.kept)
            .map_or(self.members[0].doc, |m| m.doc)
    }
}

/// Disjoint sets over `0..n` with path halving and union by size.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..number(n)).collect(),
            size: vec![1; n],
        }
    }

    /// The representative of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grandparent = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grandparent;
            x = grandparent;
        }
        x
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

/// Disjoint sets over `0..n` that many threads may join at once. A root
/// is linked under the smaller root by compare-and-swap, so parents only
/// ever decrease and a failed link is retried from the new roots; finds
/// halve paths as they go. The sets are the same whatever the order of
/// unions; the trees are not, so callers read sets, never trees.
#[derive(Debug)]
pub struct SharedUnionFind {
    parent: Vec<AtomicU32>,
}

impl SharedUnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        SharedUnionFind {
            parent: (0..number(n)).map(AtomicU32::new).collect(),
        }
    }

    /// The representative of `x`'s set (the smallest member of it once
    /// all unions are done).
    pub fn find(&self, mut x: u32) -> u32 {
        loop {
            let parent = self.parent[x as usize].load(Ordering::Relaxed);
            if parent == x {
                return x;
            }
            let grandparent = self.parent[parent as usize].load(Ordering::Relaxed);
            // A child of the root is as close as it gets: a compare-and-swap
            // would only write its line, which under many threads' finds
            // of one big set bounced it between cores.
            if grandparent == parent {
                return parent;
            }
            // Losing this race to another halving is harmless: both move
            // `x` closer to its root.
            let _ = self.parent[x as usize].compare_exchange_weak(
                parent,
                grandparent,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            x = grandparent;
        }
    }

    /// Asks the processor to bring `x`'s parent into the cache, ahead of
    /// a [`SharedUnionFind::union`] or [`SharedUnionFind::find`] of it.
    #[inline]
    pub fn prefetch(&self, x: u32) {
        crate::core::prefetch(&self.parent[x as usize]);
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&self, a: u32, b: u32) {
        let (mut a, mut b) = (a, b);
        loop {
            (a, b) = (self.find(a), self.find(b));
            if a == b {
                return;
            }
            let (high, low) = (a.max(b), a.min(b));
            // Succeeds only while `high` is still a root.
            if self.parent[high as usize]
                .compare_exchange(high, low, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

/// The groups of two or more units (documents, passages) that `edges`
/// connect among `n` units, each in input order, ordered by first member.
pub fn components<U: Numbered>(n: usize, edges: impl IntoIterator<Item = (U, U)>) -> Vec<Vec<U>> {
    let mut sets = UnionFind::new(n);
    for (a, b) in edges {
        sets.union(a.number(), b.number());
    }
    // Walking documents in order makes members sorted, and a group's
    // position the position of its first member. A root's size, once read,
    // is replaced by its group's slot, marked by the top bit: no second
    // table of n entries (40 MB at ten million documents). Sizes below
    // 2^31 cannot carry the mark; a corpus that large keeps a table.
    const SLOT: u32 = 1 << 31;
    let mut slot_of_root: Vec<u32> = if n < SLOT as usize {
        Vec::new()
    } else {
        vec![u32::MAX; n]
    };
    let mut groups: Vec<Vec<U>> = Vec::new();
    for doc in 0..number(n) {
        let root = sets.find(doc) as usize;
        let size = sets.size[root];
        let slot = if slot_of_root.is_empty() {
            if size & SLOT != 0 {
                size & !SLOT
            } else if size < 2 {
                continue;
            } else {
                sets.size[root] = number(groups.len()) | SLOT;
                groups.push(Vec::with_capacity(size as usize));
                number(groups.len()) - 1
            }
        } else if size < 2 {
            continue;
        } else {
            if slot_of_root[root] == u32::MAX {
                slot_of_root[root] = number(groups.len());
                groups.push(Vec::with_capacity(size as usize));
            }
            slot_of_root[root]
        };
        groups[slot as usize].push(U::from_number(doc));
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_ordered_and_disjoint() {
        let edges = [(5, 2), (0, 7), (2, 9), (7, 3)].map(|(a, b)| (DocId(a), DocId(b)));
        let groups = components(10, edges);
        let ids: Vec<Vec<u32>> = groups
            .iter()
            .map(|g| g.iter().map(|d| d.0).collect())
            .collect();
        assert_eq!(ids, vec![vec![0, 3, 7], vec![2, 5, 9]]);
    }

    #[test]
    fn shared_union_find_from_many_threads_makes_the_same_sets() {
        use rayon::prelude::*;
        let n = 50_000u32;
        let mut x = 99u64;
        let edges: Vec<(u32, u32)> = (0..40_000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 33) as u32 % n, (x >> 5) as u32 % n)
            })
            .collect();
        let mut one = UnionFind::new(n as usize);
        for &(a, b) in &edges {
            one.union(a, b);
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let shared = SharedUnionFind::new(n as usize);
        pool.install(|| edges.par_iter().for_each(|&(a, b)| shared.union(a, b)));
        // Same sets: two elements share a root in one iff in the other;
        // and a shared root is its set's smallest member.
        let mut smallest = vec![u32::MAX; n as usize];
        for v in 0..n {
            let r = one.find(v) as usize;
            smallest[r] = smallest[r].min(v);
        }
        for v in 0..n {
            assert_eq!(shared.find(v), smallest[one.find(v) as usize], "{v}");
        }
    }

    #[test]
    fn no_edges_no_clusters() {
        assert!(components::<DocId>(3, []).is_empty());
        assert!(components::<DocId>(0, []).is_empty());
    }

    #[test]
    fn keep_policies() {
        let members = [DocId(0), DocId(1), DocId(2), DocId(3)];
        let lens = [5u64, 9, 2, 9];
        let len = |d: DocId| lens[d.index()];
        assert_eq!(Keep::First.choose(&members, len), DocId(0));
        assert_eq!(Keep::Longest.choose(&members, len), DocId(1));
        assert_eq!(Keep::Shortest.choose(&members, len), DocId(2));
        // Ties go to the earliest, for both policies.
        let tied = [4u64, 7, 4, 7];
        let len = |d: DocId| tied[d.index()];
        assert_eq!(Keep::Longest.choose(&members, len), DocId(1));
        assert_eq!(Keep::Shortest.choose(&members, len), DocId(0));
    }
}
