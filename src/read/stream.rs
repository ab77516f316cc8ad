//! Stream: a corpus read again, in batches, each document checked against
//! the id the first pass gave it.
//!
//! Later passes (verification, the passage grain, the HTML report) read
//! the corpus again, all of it or only some documents. Each batch is read
//! on a thread of its own while the caller works on the one before, so
//! that parsing and decompressing overlap the work; records keep their
//! order. A document whose id is not the one pass 1 recorded at its place
//! means the input changed: the `InputChanged` error, never silent garbage.

use crate::core::{DocId, Ids};
use crate::error::{Error, Result};
use crate::read::{Corpus, Document, Origin, Record};

/// Documents per parallel batch, and the text bytes that end a batch early;
/// big enough to keep every thread busy, small enough to bound memory.
pub(crate) const BATCH_DOCS: usize = 4096;
pub(crate) const BATCH_BYTES: usize = 32 << 20;
/// Documents in the first batch of a stream (see [`batches_of`]).
const FIRST_BATCH_DOCS: usize = 256;

/// Streams the `wanted` documents (ascending) of `corpus` in batches of
/// `(id, document)`: only those when the corpus can read them alone
/// ([`Corpus::records_at`]: the other lines are skipped unparsed), else
/// picked from a full stream. Each is checked against pass 1's id.
pub(crate) fn wanted_documents(
    corpus: &dyn Corpus,
    ids: &Ids,
    origins: &[Origin],
    wanted: &[DocId],
    mut each: impl FnMut(Vec<(DocId, Document)>) -> Result<()>,
) -> Result<()> {
    if wanted.is_empty() {
        return Ok(());
    }
    let origins = Box::new(wanted.iter().map(|d| origins[d.index()]));
    let Some(records) = corpus.records_at(origins) else {
        let mut is_wanted = vec![false; ids.len()];
        for d in wanted {
            is_wanted[d.index()] = true;
        }
        return documents(corpus, ids, |mut batch| {
            batch.retain(|(id, _)| is_wanted[id.index()]);
            each(batch)
        });
    };
    let mut next = 0usize;
    batches_of(records, |records| {
        let mut batch = Vec::with_capacity(records.len());
        for record in records {
            let expected = wanted.get(next).map(|&d| ids.get(d));
            match (record, expected) {
                (Ok(doc), Some(id)) if doc.id == id => {
                    batch.push((wanted[next], doc));
                    next += 1;
                }
                (Ok(doc), expected) => {
                    return Err(Error::InputChanged {
                        expected: expected.unwrap_or("the end of the corpus").to_string(),
                        found: Some(doc.id),
                    })
                }
                (Err(_), expected) => {
                    return Err(Error::InputChanged {
                        expected: expected.unwrap_or("the end of the corpus").to_string(),
                        found: None,
                    })
                }
            }
        }
        each(batch)
    })?;
    if next < wanted.len() {
        return Err(Error::InputChanged {
            expected: ids.get(wanted[next]).to_string(),
            found: None,
        });
    }
    Ok(())
}

/// [`documents`], with each batch's work in two parts: `map`, which has
/// the thread pool to itself, and `fold`, which takes the batches in
/// order with what `map` made of them. One batch's fold runs alongside
/// the next one's map, so that the pool is not left idle while a serial
/// fold runs: the passage grain's folds were a fifth of its passes.
/// The folds see the batches in order, so what they build does not
/// depend on timing; one batch more is held (its text, and what `map`
/// made of it).
pub(crate) fn documents_overlapped<R: Send>(
    corpus: &dyn Corpus,
    ids: &Ids,
    map: impl Fn(&mut Vec<(DocId, Document)>) -> Result<R> + Sync,
    mut fold: impl FnMut(Vec<(DocId, Document)>, R) -> Result<()> + Send,
) -> Result<()> {
    let mut pending: Option<(Vec<(DocId, Document)>, R)> = None;
    documents(corpus, ids, |mut batch| {
        let before = pending.take();
        let fold = &mut fold;
        let (folded, mapped) = rayon::join(
            move || before.map_or(Ok(()), |(batch, made)| fold(batch, made)),
            || map(&mut batch),
        );
        folded?;
        pending = Some((batch, mapped?));
        Ok(())
    })?;
    pending.map_or(Ok(()), |(batch, made)| fold(batch, made))
}

/// Streams `corpus` in batches to `each`, reading the next batch on a
/// thread of its own while `each` works on the current one: parsing and
/// decompressing overlap sketching instead of leaving the other cores idle.
/// Records keep their order; an error from `each` stops the reading.
pub(crate) fn batches(
    corpus: &dyn Corpus,
    each: impl FnMut(Vec<Record>) -> Result<()>,
) -> Result<()> {
    batches_of(corpus.records(), each)
}

/// [`batches`] over any stream of records.
pub(crate) fn batches_of(
    records: Box<dyn Iterator<Item = Record> + Send + '_>,
    mut each: impl FnMut(Vec<Record>) -> Result<()>,
) -> Result<()> {
    std::thread::scope(|scope| {
        // Two batches in flight: enough to hide reading, bounded memory.
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Record>>(2);
        let reader = scope.spawn(move || {
            // The workers wait for the first batch, so it is small; later
            // ones double up to full size, which only the reader's pace
            // limits by then.
            let mut size = FIRST_BATCH_DOCS;
            let mut batch = Vec::with_capacity(size);
            let mut bytes = 0;
            for record in records {
                if let Ok(doc) = &record {
                    bytes += doc.text.len();
                }
                batch.push(record);
                if batch.len() >= size || bytes >= BATCH_BYTES {
                    if send.send(std::mem::take(&mut batch)).is_err() {
                        return; // the consumer stopped on an error
                    }
                    bytes = 0;
                    size = (size * 2).min(BATCH_DOCS);
                }
            }
            if !batch.is_empty() {
                let _ = send.send(batch);
            }
        });
        let mut result = Ok(());
        for batch in receive {
            result = each(batch);
            if result.is_err() {
                break;
            }
        }
        if let Err(panic) = reader.join() {
            std::panic::resume_unwind(panic);
        }
        result
    })
}

/// Streams the documents of `corpus` in batches of `(id, document)`,
/// checking each id against pass 1's `ids`: a later pass must see the
/// corpus the first one saw.
pub(crate) fn documents(
    corpus: &dyn Corpus,
    ids: &Ids,
    mut each: impl FnMut(Vec<(DocId, Document)>) -> Result<()>,
) -> Result<()> {
    let mut next = 0usize;
    batches(corpus, |records| {
        let mut batch = Vec::with_capacity(records.len());
        for doc in records.into_iter().filter_map(|r| r.ok()) {
            if next >= ids.len() {
                return Err(Error::InputChanged {
                    expected: "the end of the corpus".to_string(),
                    found: Some(doc.id),
                });
            }
            let expected = ids.get(DocId::at(next));
            if expected != doc.id {
                return Err(Error::InputChanged {
                    expected: expected.to_string(),
                    found: Some(doc.id),
                });
            }
            batch.push((DocId::at(next), doc));
            next += 1;
        }
        each(batch)
    })?;
    if next < ids.len() {
        return Err(Error::InputChanged {
            expected: ids.get(DocId::at(next)).to_string(),
            found: None,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(n: usize) -> (Vec<Document>, Ids) {
        let docs: Vec<Document> = (0..n)
            .map(|i| Document::new(format!("d{i}"), format!("text {i}")))
            .collect();
        let mut ids = Ids::default();
        for doc in &docs {
            ids.push(&doc.id);
        }
        (docs, ids)
    }

    /// Many batches, so that folds and maps overlap: the folds still see
    /// every document once, in order, with what the map made of it.
    #[test]
    fn overlapped_folds_take_the_batches_in_order() {
        let (docs, ids) = corpus(3 * BATCH_DOCS + 17);
        let mut seen = Vec::new();
        documents_overlapped(
            &docs,
            &ids,
            |batch| Ok(batch.iter().map(|(_, d)| d.text.len()).collect::<Vec<_>>()),
            |batch, lengths| {
                for ((doc, document), length) in batch.iter().zip(lengths) {
                    assert_eq!(document.text.len(), length);
                    seen.push(*doc);
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, (0..docs.len()).map(DocId::at).collect::<Vec<_>>());
    }

    /// An error from either part ends the stream with that error.
    #[test]
    fn overlapped_errors_stop_the_stream() {
        let (docs, ids) = corpus(2 * BATCH_DOCS);
        let failing = |at: usize| Error::InputChanged {
            expected: format!("batch {at}"),
            found: None,
        };
        let mut folded = 0;
        let result = documents_overlapped(
            &docs,
            &ids,
            |_| Ok(()),
            |batch, ()| {
                folded += 1;
                if folded == 2 {
                    return Err(failing(batch.len()));
                }
                Ok(())
            },
        );
        assert!(matches!(result, Err(Error::InputChanged { .. })));
        assert_eq!(folded, 2, "no fold after the failing one");
        let result = documents_overlapped(
            &docs,
            &ids,
            |batch| {
                if batch[0].0.index() > 0 {
                    return Err(failing(0));
                }
                Ok(())
            },
            |_, ()| Ok(()),
        );
        assert!(matches!(result, Err(Error::InputChanged { .. })));
    }
}
