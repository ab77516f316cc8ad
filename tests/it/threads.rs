use crate::common::{planted_corpus, textdup, write_jsonl};

/// The clusters file is byte-identical with one thread and with several.
#[test]
fn output_does_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    write_jsonl(&input, &planted_corpus(3, 150, 3, 0.3));
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = textdup()
            .args(["scan", "-q"])
            .arg(&input)
            .env("RAYON_NUM_THREADS", threads)
            .assert()
            .success();
        outputs.push(out.get_output().stdout.clone());
    }
    assert!(outputs[0].len() > 1000, "the corpus must have clusters");
    assert_eq!(outputs[0], outputs[1], "1 vs 2 threads");
    assert_eq!(outputs[0], outputs[2], "1 vs 3 threads");

    // The --threads flag does the same as the environment variable.
    let out = textdup()
        .args(["scan", "-q", "-j", "2"])
        .arg(&input)
        .assert()
        .success();
    assert_eq!(out.get_output().stdout, outputs[0]);
}
