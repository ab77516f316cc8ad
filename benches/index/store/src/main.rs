//! Sorted (key, document) tables in a memory map against redb, on the
//! lookups an index query makes: for a band key, how many documents share
//! it, the first 64 of them and the last one.
//!
//!     cargo run --release -- [ENTRIES] [LOOKUPS] [DIR]
//!
//! Entries are (u64 key, u32 document) as one band table holds them, with
//! one key in ten shared by a few documents (near-duplicates); lookups ask
//! for keys present and absent in equal parts, in random order. Each store
//! is timed building from unsorted entries, on its size on disk, and on
//! lookups with a warm page cache.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use memmap2::Mmap;
use redb::{Database, TableDefinition};

const HEADS: usize = 64;
const TABLE: TableDefinition<(u64, u32), ()> = TableDefinition::new("band");

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn entries(n: usize) -> Vec<(u64, u32)> {
    let mut state = 7;
    let mut out = Vec::with_capacity(n);
    let mut doc = 0u32;
    while out.len() < n {
        let key = splitmix(&mut state);
        let copies = if splitmix(&mut state) % 10 == 0 {
            2 + splitmix(&mut state) % 4
        } else {
            1
        };
        for _ in 0..copies {
            out.push((key, doc));
            doc += 1;
        }
    }
    out.truncate(n);
    out
}

fn lookups(entries: &[(u64, u32)], m: usize) -> Vec<u64> {
    let mut state = 11;
    (0..m)
        .map(|i| {
            if i % 2 == 0 {
                entries[(splitmix(&mut state) % entries.len() as u64) as usize].0
            } else {
                splitmix(&mut state) | 1 << 63
            }
        })
        .collect()
}

struct Sorted {
    map: Mmap,
}

impl Sorted {
    fn build(path: &Path, entries: &[(u64, u32)]) -> Sorted {
        let mut sorted = entries.to_vec();
        sorted.sort_unstable();
        let mut out = BufWriter::new(File::create(path).unwrap());
        for (key, doc) in &sorted {
            out.write_all(&key.to_le_bytes()).unwrap();
            out.write_all(&doc.to_le_bytes()).unwrap();
        }
        let file = out.into_inner().unwrap();
        file.sync_all().unwrap();
        Sorted {
            map: unsafe { Mmap::map(&File::open(path).unwrap()).unwrap() },
        }
    }

    fn key(&self, i: usize) -> u64 {
        u64::from_le_bytes(self.map[i * 12..i * 12 + 8].try_into().unwrap())
    }

    fn doc(&self, i: usize) -> u32 {
        u32::from_le_bytes(self.map[i * 12 + 8..i * 12 + 12].try_into().unwrap())
    }

    fn partition(&self, n: usize, below: impl Fn(u64) -> bool) -> usize {
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if below(self.key(mid)) {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        lo
    }

    /// Bucket size, heads and last: what a query reads.
    fn bucket(&self, key: u64, heads: &mut Vec<u32>) -> (usize, Option<u32>) {
        let n = self.map.len() / 12;
        let lo = self.partition(n, |k| k < key);
        let hi = self.partition(n, |k| k <= key);
        heads.clear();
        heads.extend((lo..hi.min(lo + HEADS)).map(|i| self.doc(i)));
        (hi - lo, (hi > lo).then(|| self.doc(hi - 1)))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(10_000_000, |a| a.parse().unwrap());
    let m: usize = args.get(2).map_or(1_000_000, |a| a.parse().unwrap());
    let dir = std::path::PathBuf::from(
        args.get(3)
            .cloned()
            .unwrap_or_else(|| "target/index-store".into()),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let entries = entries(n);
    let keys = lookups(&entries, m);
    println!("{n} entries, {m} lookups (half absent)");
    println!("| store | build s | MB on disk | bytes/entry | lookups/s (warm) | found |");
    println!("|---|---|---|---|---|---|");

    let path = dir.join("sorted.bin");
    let t = Instant::now();
    let sorted = Sorted::build(&path, &entries);
    let build = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path).unwrap().len();
    let mut heads = Vec::new();
    for &k in &keys {
        sorted.bucket(k, &mut heads); // warm the pages
    }
    let t = Instant::now();
    let mut found = 0;
    for &k in &keys {
        let (len, last) = sorted.bucket(k, &mut heads);
        found += len + heads.len() + last.map_or(0, |_| 1);
    }
    let rate = m as f64 / t.elapsed().as_secs_f64();
    println!(
        "| sorted table, mmap | {build:.2} | {:.0} | {:.1} | {rate:.0} | {found} |",
        size as f64 / 1e6,
        size as f64 / n as f64
    );

    let path = dir.join("redb.db");
    let _ = std::fs::remove_file(&path);
    let t = Instant::now();
    let db = Database::create(&path).unwrap();
    {
        // Inserted in key order, redb's best case (and sorted as the
        // other store sorts).
        let mut sorted = entries.clone();
        sorted.sort_unstable();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(TABLE).unwrap();
            for &(key, doc) in &sorted {
                table.insert((key, doc), ()).unwrap();
            }
        }
        txn.commit().unwrap();
    }
    let build = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path).unwrap().len();
    let txn = db.begin_read().unwrap();
    let table = txn.open_table(TABLE).unwrap();
    let bucket = |key: u64, heads: &mut Vec<u32>| -> (usize, Option<u32>) {
        heads.clear();
        let mut len = 0;
        let mut last = None;
        // Counting a bucket means walking it: redb keeps no rank.
        for item in table.range((key, 0)..=(key, u32::MAX)).unwrap() {
            let (k, _) = item.unwrap();
            let doc = k.value().1;
            if heads.len() < HEADS {
                heads.push(doc);
            }
            last = Some(doc);
            len += 1;
        }
        (len, last)
    };
    for &k in &keys {
        bucket(k, &mut heads);
    }
    let t = Instant::now();
    found = 0;
    for &k in &keys {
        let (len, last) = bucket(k, &mut heads);
        found += len + heads.len() + last.map_or(0, |_| 1);
    }
    let rate = m as f64 / t.elapsed().as_secs_f64();
    println!(
        "| redb 2 (B-tree) | {build:.2} | {:.0} | {:.1} | {rate:.0} | {found} |",
        size as f64 / 1e6,
        size as f64 / n as f64
    );
}
