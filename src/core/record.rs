//! The fixed-size encoding of records that go to disk: sorted runs and
//! mapped result files.

/// A value with a fixed-size, little-endian encoding.
pub(crate) trait Record: Sized {
    /// Bytes encoded; at most 32.
    const SIZE: usize;
    /// Writes the record to `out[..SIZE]`, little-endian.
    fn put(&self, out: &mut [u8]);
    /// Reads a record written by [`Record::put`].
    fn get(bytes: &[u8]) -> Self;
}

/// Reads a little-endian `u32` at `at`.
pub(crate) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// Reads a little-endian `u64` at `at`.
pub(crate) fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}
