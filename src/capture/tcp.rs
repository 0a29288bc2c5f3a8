//! TCP reassembly of one direction of a connection: in-order delivery, out-of-order segments
//! held back, retransmissions and overlaps dropped (the first copy wins, as in tshark), gaps
//! reported, sequence numbers unwrapped to 64 bits.

use std::collections::BTreeMap;

/// What reassembly hands to the stream parser, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Data(&'a [u8]),
    /// This many bytes were never captured.
    Gap(u64),
}

/// Out-of-order data held per direction before a gap is declared.
pub const MAX_PENDING: usize = 32 << 20;

#[derive(Default)]
pub struct Direction {
    /// Sequence number of stream offset 0.
    isn: Option<u32>,
    /// Next stream offset expected.
    next: u64,
    pending: BTreeMap<u64, Vec<u8>>,
    pending_bytes: usize,
    pub retransmitted_bytes: u64,
    pub gap_bytes: u64,
}

impl Direction {
    /// The 64-bit stream offset of `seq`: the 32-bit distance from the ISN, placed in the
    /// 2^32 window nearest to where the stream is now (sequence wrap-around).
    fn offset_of(&self, seq: u32) -> u64 {
        let isn = self.isn.unwrap_or(seq);
        let rel = seq.wrapping_sub(isn) as u64;
        let base = self.next & !0xffff_ffff;
        let mut best = base + rel;
        for cand in [
            base.wrapping_add(rel).wrapping_add(1 << 32),
            (base + rel).wrapping_sub(1 << 32),
        ] {
            if cand.abs_diff(self.next) < best.abs_diff(self.next) && cand < (1 << 62) {
                best = cand;
            }
        }
        best
    }

    /// Out-of-order bytes held back, waiting for the gap before them.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// Feeds one segment; delivers whatever became contiguous.
    pub fn push(&mut self, seq: u32, syn: bool, payload: &[u8], out: &mut impl FnMut(Piece<'_>)) {
        if syn {
            // The SYN consumes one sequence number; a retransmitted SYN changes nothing.
            if self.isn.is_none() || self.next == 0 {
                self.isn = Some(seq.wrapping_add(1));
            }
        }
        if payload.is_empty() {
            return;
        }
        if self.isn.is_none() {
            // Capture started mid-connection: the first byte seen is offset 0.
            self.isn = Some(seq);
        }
        let start = self.offset_of(seq);
        let end = start + payload.len() as u64;
        if end <= self.next {
            self.retransmitted_bytes += payload.len() as u64;
            return;
        }
        if start <= self.next {
            let skip = (self.next - start) as usize;
            self.retransmitted_bytes += skip as u64;
            out(Piece::Data(&payload[skip..]));
            self.next = end;
            self.drain(out);
        } else if !self.pending.contains_key(&start) {
            self.pending_bytes += payload.len();
            self.pending.insert(start, payload.to_vec());
            if self.pending_bytes > MAX_PENDING {
                self.skip_gap(out);
            }
        } else {
            self.retransmitted_bytes += payload.len() as u64;
        }
    }

    fn drain(&mut self, out: &mut impl FnMut(Piece<'_>)) {
        while let Some((&start, _)) = self.pending.first_key_value() {
            if start > self.next {
                break;
            }
            let data = self.pending.remove(&start).unwrap_or_default();
            self.pending_bytes -= data.len();
            let end = start + data.len() as u64;
            if end > self.next {
                let skip = (self.next - start) as usize;
                out(Piece::Data(&data[skip..]));
                self.next = end;
            } else {
                self.retransmitted_bytes += data.len() as u64;
            }
        }
    }

    /// Declares the bytes before the first held segment lost, and moves on.
    fn skip_gap(&mut self, out: &mut impl FnMut(Piece<'_>)) {
        if let Some((&start, _)) = self.pending.first_key_value() {
            let gap = start - self.next;
            self.gap_bytes += gap;
            out(Piece::Gap(gap));
            self.next = start;
            self.drain(out);
        }
    }

    /// End of the connection or of the capture: everything held is delivered, gaps included.
    pub fn flush(&mut self, out: &mut impl FnMut(Piece<'_>)) {
        while !self.pending.is_empty() {
            self.skip_gap(out);
        }
    }

    pub fn held_bytes(&self) -> usize {
        self.pending_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(d: &mut Direction, segs: &[(u32, bool, &[u8])]) -> Vec<String> {
        let mut v = Vec::new();
        for (seq, syn, p) in segs {
            d.push(*seq, *syn, p, &mut |x| {
                v.push(match x {
                    Piece::Data(b) => String::from_utf8_lossy(b).into_owned(),
                    Piece::Gap(n) => format!("<gap {n}>"),
                })
            });
        }
        d.flush(&mut |x| {
            v.push(match x {
                Piece::Data(b) => String::from_utf8_lossy(b).into_owned(),
                Piece::Gap(n) => format!("<gap {n}>"),
            })
        });
        v
    }

    #[test]
    fn reorders_drops_duplicates_and_reports_gaps() {
        let mut d = Direction::default();
        let got = collect(
            &mut d,
            &[
                (100, true, b""),
                (107, false, b"world"),
                (101, false, b"hello "),
                (101, false, b"HELLO "),
                (120, false, b"!"),
            ],
        );
        assert_eq!(got.concat(), "hello world<gap 8>!");
        assert_eq!(d.retransmitted_bytes, 6);
        assert_eq!(d.gap_bytes, 8);
    }

    #[test]
    fn overlap_keeps_first_copy_and_wraps() {
        let mut d = Direction::default();
        let isn = u32::MAX - 3;
        let got = collect(
            &mut d,
            &[
                (isn, true, b""),
                (isn.wrapping_add(1), false, b"abcdef"),
                (isn.wrapping_add(4), false, b"XXXghi"),
            ],
        );
        assert_eq!(got.concat(), "abcdefghi");
    }

    #[test]
    fn mid_connection_start() {
        let mut d = Direction::default();
        let got = collect(
            &mut d,
            &[(5000, false, b"GET /"), (5005, false, b" HTTP/1.1")],
        );
        assert_eq!(got.concat(), "GET / HTTP/1.1");
    }
}
