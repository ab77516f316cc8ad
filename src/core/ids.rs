//! Document ids: the position of each document in a run, and the ids it is
//! reported by.
//!
//! Every stage names documents by [`DocId`], their index in input order,
//! and keeps per-document tables indexed by it. The reported ids (paths,
//! `id` fields, `FILE:LINE`) live once, in [`Ids`].

/// Pushes `item`, growing a full vector by a quarter rather than doubling
/// it: per-document tables of tens of millions of entries should not carry
/// up to 100% of slack. (Large buffers are grown in place by the system
/// allocator, so the smaller steps cost little.)
pub(crate) fn push_lean<T>(v: &mut Vec<T>, item: T) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.capacity() / 4).max(1024));
    }
    v.push(item);
}

/// A position in a table of documents, passages, clusters or regions, as
/// the `u32` that ids hold.
///
/// Every such table is counted where it grows, and a run that would pass
/// `u32::MAX` stops there with an error (`Error::TooManyDocuments`); past
/// that check a position always fits. Failing here is a bug in textdup, so
/// it panics, loudly, where `as u32` would wrap silently.
pub(crate) fn number(index: usize) -> u32 {
    u32::try_from(index).expect("table positions are checked below 2^32 where counted")
}

/// The position of a document in the run: its index among the documents
/// read, in input order. Skipped inputs get no id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocId(pub u32);

/// A unit numbered from 0 in input order (a document, a passage): what
/// union-find groups and per-unit tables index.
pub trait Numbered: Copy {
    /// The unit numbered `n`.
    fn from_number(n: u32) -> Self;
    /// Its number.
    fn number(self) -> u32;
}

impl Numbered for DocId {
    fn from_number(n: u32) -> Self {
        DocId(n)
    }
    fn number(self) -> u32 {
        self.0
    }
}

impl DocId {
    /// The document at `index` of per-document tables.
    ///
    /// # Panics
    /// Past `u32::MAX`: every run stops with an error before it has that
    /// many documents.
    pub fn at(index: usize) -> DocId {
        DocId(number(index))
    }

    /// The id as an index into per-document tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The ids of a run's documents, indexed by [`DocId`], in one buffer: a
/// few bytes of overhead each rather than a `String` each, which at tens
/// of millions of documents is most of a run's memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    text: String,
    ends: Vec<u64>,
}

impl Ids {
    /// Adds the next document's id.
    pub fn push(&mut self, id: &str) {
        if self.text.capacity() - self.text.len() < id.len() {
            let more = (self.text.capacity() / 4).max(id.len()).max(4096);
            self.text.reserve_exact(more);
        }
        self.text.push_str(id);
        push_lean(&mut self.ends, self.text.len() as u64);
    }

    /// The id of `doc`.
    ///
    /// # Panics
    /// If `doc` is not a document of this run (`doc.index() >= self.len()`).
    pub fn get(&self, doc: DocId) -> &str {
        let i = doc.index();
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// The number of documents.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Bytes held, spare capacity included.
    pub fn memory(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * size_of::<u64>()
    }
}

/// Documents whose id an earlier document has too: see [`Ids::repeated`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepeatedIds {
    /// How many documents repeat an earlier one's id.
    pub count: u64,
    /// The first such document in input order.
    pub first: DocId,
}

impl Ids {
    /// The documents whose id an earlier document has too, if any: a
    /// report names documents by id, and a crawl that fetched a URL twice
    /// gives two documents one id, which its readers should hear of.
    ///
    /// Ids are compared by a 64-bit hash, sorted: eight bytes a document
    /// for the moment of the call, rather than a set of the ids. Distinct
    /// ids that share a hash (about one pair in 2⁶⁴ / n² runs) could only
    /// add to `count`, and only when a true repeat is there to name as
    /// `first`, which is checked against the text of the ids.
    pub fn repeated(&self) -> Option<RepeatedIds> {
        use rayon::prelude::*;
        let hash = |i: usize| xxhash_rust::xxh3::xxh3_64(self.get(DocId::at(i)).as_bytes());
        let mut hashes: Vec<u64> = (0..self.len()).into_par_iter().map(hash).collect();
        hashes.par_sort_unstable();
        let count = hashes.windows(2).filter(|w| w[0] == w[1]).count() as u64;
        if count == 0 {
            return None;
        }
        // Only the repeated hashes are looked for again, in input order.
        let mut twice: Vec<u64> = hashes
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        twice.dedup();
        drop(hashes);
        let mut seen: std::collections::HashSet<&str, ahash::RandomState> = Default::default();
        let first = (0..self.len())
            .filter(|&i| twice.binary_search(&hash(i)).is_ok())
            .find(|&i| !seen.insert(self.get(DocId::at(i))))
            .map(DocId::at)?;
        Some(RepeatedIds { count, first })
    }
}

impl<'a> FromIterator<&'a str> for Ids {
    fn from_iter<T: IntoIterator<Item = &'a str>>(iter: T) -> Self {
        let mut ids = Ids::default();
        for id in iter {
            ids.push(id);
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_back_by_doc_id() {
        let ids: Ids = ["a.txt", "", "b.txt"].into_iter().collect();
        assert_eq!(ids.len(), 3);
        assert_eq!(ids.get(DocId(0)), "a.txt");
        assert_eq!(ids.get(DocId(1)), "");
        assert_eq!(ids.get(DocId(2)), "b.txt");
    }

    #[test]
    fn repeated_ids_are_counted_and_the_first_repeat_named() {
        let ids: Ids = ["a", "b", "a", "c", "b", "a"].into_iter().collect();
        let repeated = ids.repeated().expect("a and b repeat");
        assert_eq!(repeated.count, 3);
        assert_eq!(repeated.first, DocId(2));
        let unique: Ids = ["a", "b", "c", ""].into_iter().collect();
        assert_eq!(unique.repeated(), None);
        assert_eq!(Ids::default().repeated(), None);
        // The empty id is an id like any other.
        let blank: Ids = ["x", "", ""].into_iter().collect();
        assert_eq!(blank.repeated().map(|r| r.first), Some(DocId(2)));
    }
}
