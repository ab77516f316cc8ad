"""Near-duplicate clustering with a peer library, for side-by-side runs.

    python peers.py {datasketch,rensa,gaoya,datatrove} CORPUS.jsonl PRED.jsonl
        [--threshold 0.8] [--num-perm 128] [--ngram 5] [--seed 1] [--threads 2]

Reads {"id", "text"} JSON Lines, shingles each text the way users of these
libraries usually do (lowercase, punctuation to spaces, word n-grams joined
by a space), sketches with the library's fastest bulk API, finds candidates
with its LSH index, keeps the candidates whose *estimated* Jaccard
similarity reaches the threshold (both libraries' own deduplicators do
this), and writes one {"id", "cluster"} line per document: the connected
components of the kept pairs. gaoya takes whole texts and shingles them in
Rust itself (its word analyzer over the same lowercased, punctuation-free
text), and its query keeps only the candidates at the threshold.
datatrove runs its own MinHash pipeline as its users do, on files: the
corpus split into one file per thread, then its signature, bucket and
cluster steps (16 buckets of 8 hashes; it keeps every pair that shares a
bucket, with no estimate or threshold), whose cluster ids are read back
from its output.

Stage times go to stderr as `stage NAME SECONDS` lines; `from-memory` is
the whole of the library's part, from texts in a list to clusters (reading
the JSON is left out: it is the same for every tool).
"""

import argparse
import json
import os
import re
import sys
import tempfile
import time

PUNCT = re.compile(r"[^\w\s]")


def shingles(text, n):
    words = PUNCT.sub(" ", text.lower()).split()
    if len(words) < n:
        return [" ".join(words)]
    return list({" ".join(words[i : i + n]) for i in range(len(words) - n + 1)})


class UnionFind:
    def __init__(self, n):
        self.parent = list(range(n))

    def find(self, x):
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def run_datasketch(token_sets, args):
    from datasketch import MinHash, MinHashLSH

    t = time.perf_counter()
    encoded = [[s.encode("utf-8") for s in tokens] for tokens in token_sets]
    sketches = MinHash.bulk(encoded, num_perm=args.num_perm, seed=args.seed)
    stage("sketch", t)

    t = time.perf_counter()
    lsh = MinHashLSH(threshold=args.threshold, num_perm=args.num_perm)
    with lsh.insertion_session() as session:
        for i, m in enumerate(sketches):
            session.insert(i, m)
    pairs = []
    for i, m in enumerate(sketches):
        for j in lsh.query(m):
            if j > i and m.jaccard(sketches[j]) >= args.threshold:
                pairs.append((i, j))
    stage("lsh+verify", t)
    return pairs


def run_rensa(token_sets, args):
    from rensa import RMinHash, RMinHashLSH

    t = time.perf_counter()
    sketches = RMinHash.from_token_sets(token_sets, num_perm=args.num_perm, seed=args.seed)
    stage("sketch", t)

    t = time.perf_counter()
    # 16 bands of 8 rows: rensa's documented setting for 128 permutations.
    lsh = RMinHashLSH(threshold=args.threshold, num_perm=args.num_perm, num_bands=16)
    lsh.insert_many(sketches)
    pairs = []
    for i, candidates in enumerate(lsh.query_all(sketches)):
        for j in candidates:
            if j > i and sketches[i].jaccard(sketches[j]) >= args.threshold:
                pairs.append((i, j))
    stage("lsh+verify", t)
    return pairs


def run_gaoya(texts, args):
    from gaoya.minhash import MinHashStringIndex

    t = time.perf_counter()
    # 16 bands of 8 rows of 32-bit hashes, as for rensa; "smallvec" buckets
    # are gaoya's advice when near copies are few per document.
    index = MinHashStringIndex(
        hash_size=32,
        jaccard_threshold=args.threshold,
        num_bands=16,
        band_size=args.num_perm // 16,
        analyzer="word",
        lowercase=True,
        ngram_range=(args.ngram, args.ngram),
        id_container="smallvec",
    )
    ids = list(range(len(texts)))
    index.par_bulk_insert_docs(ids, texts)
    stage("sketch+index", t)

    t = time.perf_counter()
    pairs = []
    for i, found in enumerate(index.par_bulk_query(texts)):
        pairs.extend((i, j) for j in found if j > i)
    stage("lsh+verify", t)
    return pairs


def run_datatrove(ids, texts, args, work):
    """The pairs (member, its cluster's first member) of datatrove's
    clusters, from its MinHash steps 1 to 3 run over `texts` in `work`."""
    import struct

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.utils.hashing import HashConfig

    t = time.perf_counter()
    # One file per thread: datatrove parallelizes over files.
    shards = max(1, args.threads)
    starts = [len(texts) * r // shards for r in range(shards + 1)]
    os.makedirs(f"{work}/input")
    for r in range(shards):
        with open(f"{work}/input/{r:03d}.jsonl", "w", encoding="utf-8") as out:
            for i in range(starts[r], starts[r + 1]):
                out.write(json.dumps({"id": ids[i], "text": texts[i]}) + "\n")
    stage("split", t)

    config = MinhashConfig(
        n_grams=args.ngram,
        num_buckets=16,
        hashes_per_bucket=args.num_perm // 16,
        seed=args.seed,
        hash_config=HashConfig(precision=64),
    )
    steps = [
        ("signatures", [JsonlReader(f"{work}/input"), MinhashDedupSignature(f"{work}/sigs", config=config)], shards),
        ("buckets", [MinhashDedupBuckets(f"{work}/sigs", f"{work}/buckets", config=config)], 16),
        ("clusters", [MinhashDedupCluster(f"{work}/buckets", f"{work}/clusters", config=config, save_cluster_id=True)], 1),
    ]
    for name, pipeline, tasks in steps:
        t = time.perf_counter()
        LocalPipelineExecutor(
            pipeline=pipeline,
            tasks=tasks,
            workers=min(tasks, args.threads),
            logging_dir=f"{work}/logs/{name}",
        ).run()
        stage(name, t)

    first = {}
    pairs = []
    for r in range(shards):
        path = f"{work}/clusters/{r:06d}.clusters"
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        for doc, cluster in struct.iter_unpack("<II", data):
            i = starts[r] + doc
            if cluster in first:
                pairs.append((first[cluster], i))
            else:
                first[cluster] = i
    return pairs


def stage(name, start):
    print(f"stage {name} {time.perf_counter() - start:.3f}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tool", choices=["datasketch", "rensa", "gaoya", "datatrove"])
    parser.add_argument("corpus")
    parser.add_argument("pred")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--ngram", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    t = time.perf_counter()
    ids, texts = [], []
    with open(args.corpus, encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            ids.append(doc["id"])
            texts.append(doc["text"])
    stage("read", t)

    # From here on is the library's work, as its users do it: from texts in
    # memory to clusters (the `from-memory` line).
    start = time.perf_counter()
    if args.tool == "datatrove":
        with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(args.pred))) as work:
            pairs = run_datatrove(ids, texts, args, work)
    elif args.tool == "gaoya":
        t = time.perf_counter()
        pairs = run_gaoya([PUNCT.sub(" ", text.lower()) for text in texts], args)
    else:
        t = time.perf_counter()
        token_sets = [shingles(text, args.ngram) for text in texts]
        stage("shingle", t)
        pairs = (run_datasketch if args.tool == "datasketch" else run_rensa)(token_sets, args)

    sets = UnionFind(len(ids))
    for i, j in pairs:
        sets.union(i, j)
    labels = [sets.find(i) for i in range(len(ids))]
    stage("from-memory", start)
    with open(args.pred, "w", encoding="utf-8") as out:
        for i, doc_id in enumerate(ids):
            out.write(json.dumps({"id": doc_id, "cluster": labels[i]}) + "\n")


if __name__ == "__main__":
    # datatrove's workers are processes started by spawn: this guard keeps
    # them from running main() again.
    main()
