//! HPACK's Huffman code (RFC 7541 §5.2, Appendix B), decoded four bits at a time by a state
//! machine built once from the code table: a state is an internal node of the code tree
//! (256 of them), and each (state, nibble) entry says which node the four bits lead to, the
//! symbol they completed (at most one: no code is shorter than five bits), whether they hit
//! EOS (an error, §5.2), and whether stopping there is a valid end (padding of at most seven
//! bits, all ones, §5.2). The same design as nghttp2's `lib/nghttp2_hd_huffman_data.c`,
//! whose table is generated rather than written out; here it is generated at first use.
//! `fluke-hpack` builds a `HashMap` of the codes for every string it decodes, which cost
//! most of the time of reading HTTP/2 captures (issue 13).

use std::sync::OnceLock;

/// (code, length in bits) of symbols 0..=255 and EOS (256), RFC 7541 Appendix B.
pub const CODES: [(u32, u8); 257] = [
    (0x1ff8, 13),
    (0x7fffd8, 23),
    (0xfffffe2, 28),
    (0xfffffe3, 28),
    (0xfffffe4, 28),
    (0xfffffe5, 28),
    (0xfffffe6, 28),
    (0xfffffe7, 28),
    (0xfffffe8, 28),
    (0xffffea, 24),
    (0x3ffffffc, 30),
    (0xfffffe9, 28),
    (0xfffffea, 28),
    (0x3ffffffd, 30),
    (0xfffffeb, 28),
    (0xfffffec, 28),
    (0xfffffed, 28),
    (0xfffffee, 28),
    (0xfffffef, 28),
    (0xffffff0, 28),
    (0xffffff1, 28),
    (0xffffff2, 28),
    (0x3ffffffe, 30),
    (0xffffff3, 28),
    (0xffffff4, 28),
    (0xffffff5, 28),
    (0xffffff6, 28),
    (0xffffff7, 28),
    (0xffffff8, 28),
    (0xffffff9, 28),
    (0xffffffa, 28),
    (0xffffffb, 28),
    (0x14, 6),
    (0x3f8, 10),
    (0x3f9, 10),
    (0xffa, 12),
    (0x1ff9, 13),
    (0x15, 6),
    (0xf8, 8),
    (0x7fa, 11),
    (0x3fa, 10),
    (0x3fb, 10),
    (0xf9, 8),
    (0x7fb, 11),
    (0xfa, 8),
    (0x16, 6),
    (0x17, 6),
    (0x18, 6),
    (0x0, 5),
    (0x1, 5),
    (0x2, 5),
    (0x19, 6),
    (0x1a, 6),
    (0x1b, 6),
    (0x1c, 6),
    (0x1d, 6),
    (0x1e, 6),
    (0x1f, 6),
    (0x5c, 7),
    (0xfb, 8),
    (0x7ffc, 15),
    (0x20, 6),
    (0xffb, 12),
    (0x3fc, 10),
    (0x1ffa, 13),
    (0x21, 6),
    (0x5d, 7),
    (0x5e, 7),
    (0x5f, 7),
    (0x60, 7),
    (0x61, 7),
    (0x62, 7),
    (0x63, 7),
    (0x64, 7),
    (0x65, 7),
    (0x66, 7),
    (0x67, 7),
    (0x68, 7),
    (0x69, 7),
    (0x6a, 7),
    (0x6b, 7),
    (0x6c, 7),
    (0x6d, 7),
    (0x6e, 7),
    (0x6f, 7),
    (0x70, 7),
    (0x71, 7),
    (0x72, 7),
    (0xfc, 8),
    (0x73, 7),
    (0xfd, 8),
    (0x1ffb, 13),
    (0x7fff0, 19),
    (0x1ffc, 13),
    (0x3ffc, 14),
    (0x22, 6),
    (0x7ffd, 15),
    (0x3, 5),
    (0x23, 6),
    (0x4, 5),
    (0x24, 6),
    (0x5, 5),
    (0x25, 6),
    (0x26, 6),
    (0x27, 6),
    (0x6, 5),
    (0x74, 7),
    (0x75, 7),
    (0x28, 6),
    (0x29, 6),
    (0x2a, 6),
    (0x7, 5),
    (0x2b, 6),
    (0x76, 7),
    (0x2c, 6),
    (0x8, 5),
    (0x9, 5),
    (0x2d, 6),
    (0x77, 7),
    (0x78, 7),
    (0x79, 7),
    (0x7a, 7),
    (0x7b, 7),
    (0x7ffe, 15),
    (0x7fc, 11),
    (0x3ffd, 14),
    (0x1ffd, 13),
    (0xffffffc, 28),
    (0xfffe6, 20),
    (0x3fffd2, 22),
    (0xfffe7, 20),
    (0xfffe8, 20),
    (0x3fffd3, 22),
    (0x3fffd4, 22),
    (0x3fffd5, 22),
    (0x7fffd9, 23),
    (0x3fffd6, 22),
    (0x7fffda, 23),
    (0x7fffdb, 23),
    (0x7fffdc, 23),
    (0x7fffdd, 23),
    (0x7fffde, 23),
    (0xffffeb, 24),
    (0x7fffdf, 23),
    (0xffffec, 24),
    (0xffffed, 24),
    (0x3fffd7, 22),
    (0x7fffe0, 23),
    (0xffffee, 24),
    (0x7fffe1, 23),
    (0x7fffe2, 23),
    (0x7fffe3, 23),
    (0x7fffe4, 23),
    (0x1fffdc, 21),
    (0x3fffd8, 22),
    (0x7fffe5, 23),
    (0x3fffd9, 22),
    (0x7fffe6, 23),
    (0x7fffe7, 23),
    (0xffffef, 24),
    (0x3fffda, 22),
    (0x1fffdd, 21),
    (0xfffe9, 20),
    (0x3fffdb, 22),
    (0x3fffdc, 22),
    (0x7fffe8, 23),
    (0x7fffe9, 23),
    (0x1fffde, 21),
    (0x7fffea, 23),
    (0x3fffdd, 22),
    (0x3fffde, 22),
    (0xfffff0, 24),
    (0x1fffdf, 21),
    (0x3fffdf, 22),
    (0x7fffeb, 23),
    (0x7fffec, 23),
    (0x1fffe0, 21),
    (0x1fffe1, 21),
    (0x3fffe0, 22),
    (0x1fffe2, 21),
    (0x7fffed, 23),
    (0x3fffe1, 22),
    (0x7fffee, 23),
    (0x7fffef, 23),
    (0xfffea, 20),
    (0x3fffe2, 22),
    (0x3fffe3, 22),
    (0x3fffe4, 22),
    (0x7ffff0, 23),
    (0x3fffe5, 22),
    (0x3fffe6, 22),
    (0x7ffff1, 23),
    (0x3ffffe0, 26),
    (0x3ffffe1, 26),
    (0xfffeb, 20),
    (0x7fff1, 19),
    (0x3fffe7, 22),
    (0x7ffff2, 23),
    (0x3fffe8, 22),
    (0x1ffffec, 25),
    (0x3ffffe2, 26),
    (0x3ffffe3, 26),
    (0x3ffffe4, 26),
    (0x7ffffde, 27),
    (0x7ffffdf, 27),
    (0x3ffffe5, 26),
    (0xfffff1, 24),
    (0x1ffffed, 25),
    (0x7fff2, 19),
    (0x1fffe3, 21),
    (0x3ffffe6, 26),
    (0x7ffffe0, 27),
    (0x7ffffe1, 27),
    (0x3ffffe7, 26),
    (0x7ffffe2, 27),
    (0xfffff2, 24),
    (0x1fffe4, 21),
    (0x1fffe5, 21),
    (0x3ffffe8, 26),
    (0x3ffffe9, 26),
    (0xffffffd, 28),
    (0x7ffffe3, 27),
    (0x7ffffe4, 27),
    (0x7ffffe5, 27),
    (0xfffec, 20),
    (0xfffff3, 24),
    (0xfffed, 20),
    (0x1fffe6, 21),
    (0x3fffe9, 22),
    (0x1fffe7, 21),
    (0x1fffe8, 21),
    (0x7ffff3, 23),
    (0x3fffea, 22),
    (0x3fffeb, 22),
    (0x1ffffee, 25),
    (0x1ffffef, 25),
    (0xfffff4, 24),
    (0xfffff5, 24),
    (0x3ffffea, 26),
    (0x7ffff4, 23),
    (0x3ffffeb, 26),
    (0x7ffffe6, 27),
    (0x3ffffec, 26),
    (0x3ffffed, 26),
    (0x7ffffe7, 27),
    (0x7ffffe8, 27),
    (0x7ffffe9, 27),
    (0x7ffffea, 27),
    (0x7ffffeb, 27),
    (0xffffffe, 28),
    (0x7ffffec, 27),
    (0x7ffffed, 27),
    (0x7ffffee, 27),
    (0x7ffffef, 27),
    (0x7fffff0, 27),
    (0x3ffffee, 26),
    (0x3fffffff, 30),
];

const EMIT: u8 = 1;
const FAIL: u8 = 2;
const ACCEPT: u8 = 4;

#[derive(Clone, Copy, Default)]
struct Step {
    next: u8,
    sym: u8,
    flags: u8,
}

/// The string is not a valid Huffman encoding (EOS inside it, or bad padding).
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid;

/// A node of the code tree while the table is built: children, or a symbol.
#[derive(Clone, Copy)]
enum Node {
    Inner([u16; 2]),
    Leaf(u16),
}

fn tree() -> Vec<Node> {
    let mut nodes = vec![Node::Inner([0, 0])];
    for (sym, &(code, len)) in CODES.iter().enumerate() {
        let mut at = 0usize;
        for i in (0..len).rev() {
            let bit = usize::from((code >> i) & 1 == 1);
            let Node::Inner(kids) = nodes[at] else {
                unreachable!("the code table is prefix-free")
            };
            if i == 0 {
                let leaf = nodes.len();
                nodes.push(Node::Leaf(u16::try_from(sym).unwrap_or(256)));
                set_kid(&mut nodes, at, bit, leaf);
            } else if kids[bit] == 0 {
                let inner = nodes.len();
                nodes.push(Node::Inner([0, 0]));
                set_kid(&mut nodes, at, bit, inner);
                at = inner;
            } else {
                at = usize::from(kids[bit]);
            }
        }
    }
    nodes
}

fn set_kid(nodes: &mut [Node], at: usize, bit: usize, kid: usize) {
    if let Node::Inner(k) = &mut nodes[at] {
        k[bit] = u16::try_from(kid).unwrap_or(0);
    }
}

/// The (state, nibble) table: 256 states of 16 steps.
fn table() -> &'static [Step] {
    static TABLE: OnceLock<Vec<Step>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let nodes = tree();
        // Number the inner nodes (the root is state 0), and note for each whether the path
        // to it is all ones and at most seven bits long: a valid place to stop.
        let mut state_of = vec![0u8; nodes.len()];
        let mut inner = Vec::new();
        let mut accept = Vec::new();
        let mut stack = vec![(0usize, 0u32, true)];
        while let Some((at, depth, ones)) = stack.pop() {
            if let Node::Inner(kids) = nodes[at] {
                state_of[at] = u8::try_from(inner.len()).unwrap_or(0);
                inner.push(at);
                accept.push(ones && depth <= 7);
                stack.push((usize::from(kids[0]), depth + 1, false));
                stack.push((usize::from(kids[1]), depth + 1, ones));
            }
        }
        let mut steps = vec![Step::default(); inner.len() * 16];
        for (state, &start) in inner.iter().enumerate() {
            for nibble in 0..16u8 {
                let mut at = start;
                let mut step = Step::default();
                for i in (0..4).rev() {
                    let Node::Inner(kids) = nodes[at] else { break };
                    at = usize::from(kids[usize::from((nibble >> i) & 1)]);
                    if let Node::Leaf(sym) = nodes[at] {
                        if sym == 256 {
                            step.flags |= FAIL;
                            break;
                        }
                        step.flags |= EMIT;
                        step.sym = u8::try_from(sym).unwrap_or(0);
                        at = 0;
                    }
                }
                step.next = state_of[at];
                if accept[usize::from(step.next)] && step.flags & FAIL == 0 {
                    step.flags |= ACCEPT;
                }
                steps[state * 16 + usize::from(nibble)] = step;
            }
        }
        steps
    })
}

/// Decodes a Huffman-coded string, appending to `out`.
pub fn decode_into(src: &[u8], out: &mut Vec<u8>) -> Result<(), Invalid> {
    let t = table();
    out.reserve(src.len() * 8 / 5);
    let mut state = 0usize;
    let mut accept = true;
    for &byte in src {
        for nibble in [byte >> 4, byte & 0x0f] {
            let step = t[state * 16 + usize::from(nibble)];
            if step.flags & FAIL != 0 {
                return Err(Invalid);
            }
            if step.flags & EMIT != 0 {
                out.push(step.sym);
            }
            state = usize::from(step.next);
            accept = step.flags & ACCEPT != 0;
        }
    }
    if accept {
        Ok(())
    } else {
        Err(Invalid)
    }
}

/// Decodes a Huffman-coded string.
pub fn decode(src: &[u8]) -> Result<Vec<u8>, Invalid> {
    let mut out = Vec::new();
    decode_into(src, &mut out)?;
    Ok(out)
}
