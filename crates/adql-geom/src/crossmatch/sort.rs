//! Ordering probe sources by cell: a least-significant-digit radix sort on the key bits only, moving the
//! coordinates with the keys so that the probe loop then reads them sequentially (gathering them by row
//! afterwards costs a cache miss per source).

/// A probe source to sort: its cell key and row, and its coordinates.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Keyed {
    /// Cell key of the source.
    pub key: u32,
    /// Row of the source in the probe input.
    pub row: u32,
    /// Right ascension, degrees.
    pub ra: f64,
    /// Declination, degrees.
    pub dec: f64,
}

/// Bits per radix pass: 2^11 counters fit in L1.
const DIGIT_BITS: u32 = 11;

/// Below this many sources a comparison sort is cheaper than the radix passes' counter arrays.
const SMALL: usize = 1024;

/// Sorts `items` by key (stably: `items` come in row order, and equal keys keep it) for keys below
/// `2^key_bits`; `scratch` is reused between calls.
pub(crate) fn sort_by_key(items: &mut Vec<Keyed>, key_bits: u32, scratch: &mut Vec<Keyed>) {
    if items.len() < SMALL {
        items.sort_by_key(|k| k.key);
        return;
    }
    scratch.clear();
    scratch.resize(items.len(), Keyed::default());
    let radix = 1usize << DIGIT_BITS;
    let mask = (radix - 1) as u32;
    let mut counts = vec![0usize; radix];
    let mut shift = 0;
    while shift < key_bits.clamp(1, 32) {
        counts.fill(0);
        for k in items.iter() {
            if let Some(c) = counts.get_mut(((k.key >> shift) & mask) as usize) {
                *c += 1;
            }
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let here = *c;
            *c = sum;
            sum += here;
        }
        for k in items.iter() {
            if let Some(c) = counts.get_mut(((k.key >> shift) & mask) as usize) {
                if let Some(slot) = scratch.get_mut(*c) {
                    *slot = *k;
                }
                *c += 1;
            }
        }
        std::mem::swap(items, scratch);
        shift += DIGIT_BITS;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably_like_a_comparison_sort() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for (n, bits) in [
            (10usize, 3u32),
            (5000, 1),
            (5000, 13),
            (70_000, 22),
            (3000, 32),
        ] {
            let mut items: Vec<Keyed> = (0..n as u32)
                .map(|row| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let key = if bits == 32 {
                        (state >> 32) as u32
                    } else {
                        (state % (1 << bits)) as u32
                    };
                    Keyed {
                        key,
                        row,
                        ra: f64::from(row),
                        dec: -f64::from(row),
                    }
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_by_key(|k| (k.key, k.row));
            sort_by_key(&mut items, bits, &mut Vec::new());
            assert_eq!(items, expected, "n = {n}, bits = {bits}");
        }
    }
}
