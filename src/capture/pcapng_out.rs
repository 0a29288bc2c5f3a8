//! Writing pcapng: the Section Header Block with one Interface Description Block, and Enhanced
//! Packet Blocks, for every file sigscope saves (`listen --save`, `capture -w`); read back by
//! [`super::packets`], and by tshark.
//!
//! Block layouts from the pcapng specification (draft-ietf-opsawg-pcapng, §4.1 Section Header
//! Block, §4.2 Interface Description Block with `if_name` and `if_tsresol`, §4.3 Enhanced
//! Packet Block).

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

/// Section Header Block and one Interface Description Block (link type, snap length, the
/// interface's name as `if_name`, so that a report of the file names it as the live capture
/// did; nanosecond timestamps).
pub fn header(linktype: i32, snaplen: u32, iface: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(128);
    b.extend_from_slice(&0x0A0D_0D0Au32.to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    b.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&(-1i64).to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    b.extend_from_slice(&interface(linktype, snaplen, iface));
    b
}

/// An Interface Description Block: the next interface of the section (numbered from 0 in
/// the order they are written), its name as `if_name` (at most 256 bytes), nanosecond
/// timestamps. `listen --save` writes one per replay (issue 17), named for it.
pub fn interface(linktype: i32, snaplen: u32, iface: &str) -> Vec<u8> {
    let mut cut = iface.len().min(256);
    while !iface.is_char_boundary(cut) {
        cut -= 1;
    }
    let name = &iface.as_bytes()[..cut];
    // No name, no `if_name` option.
    let name_opt = if name.is_empty() {
        0
    } else {
        4 + name.len() + pad4(name.len())
    };
    let idb_len = (32 + name_opt) as u32;
    let mut b = Vec::with_capacity(32 + name_opt);
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&idb_len.to_le_bytes());
    b.extend_from_slice(&(linktype as u16).to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&snaplen.to_le_bytes());
    if !name.is_empty() {
        b.extend_from_slice(&2u16.to_le_bytes()); // if_name
        b.extend_from_slice(&(name.len() as u16).to_le_bytes());
        b.extend_from_slice(name);
        b.resize(b.len() + pad4(name.len()), 0);
    }
    b.extend_from_slice(&9u16.to_le_bytes()); // if_tsresol
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&[9, 0, 0, 0]); // 10^-9 s
    b.extend_from_slice(&0u32.to_le_bytes()); // opt_endofopt
    b.extend_from_slice(&idb_len.to_le_bytes());
    b
}

/// One Enhanced Packet Block onto `b`, on the first interface.
pub fn packet(b: &mut Vec<u8>, ts_nanos: i128, data: &[u8], orig_len: u32) {
    packet_on(b, 0, ts_nanos, data, orig_len);
}

/// One Enhanced Packet Block onto `b`, on interface `iface`.
pub fn packet_on(b: &mut Vec<u8>, iface: u32, ts_nanos: i128, data: &[u8], orig_len: u32) {
    let ts = ts_nanos.max(0) as u64;
    let total = 32 + data.len() + pad4(data.len());
    b.extend_from_slice(&6u32.to_le_bytes());
    b.extend_from_slice(&(total as u32).to_le_bytes());
    b.extend_from_slice(&iface.to_le_bytes());
    b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
    b.extend_from_slice(&(ts as u32).to_le_bytes());
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&orig_len.max(data.len() as u32).to_le_bytes());
    b.extend_from_slice(data);
    b.resize(b.len() + pad4(data.len()), 0);
    b.extend_from_slice(&(total as u32).to_le_bytes());
}
