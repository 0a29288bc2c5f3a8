//! pcap and pcapng files read as a stream of link-layer frames (never the whole file in memory).

use std::io::Read;

use pcap_parser::pcapng::{Block, SecretsType};
use pcap_parser::{create_reader, PcapBlockOwned, PcapError};

const MAX_BLOCK: usize = 256 << 20;

/// One captured frame.
pub struct Frame<'a> {
    /// 1-based, as Wireshark numbers frames.
    pub number: u64,
    /// Nanoseconds since the Unix epoch.
    pub ts_nanos: i128,
    pub linktype: i32,
    pub data: &'a [u8],
    /// Bytes on the wire (larger than `data` when the snap length cut the frame).
    pub orig_len: u32,
    /// pcapng: the interface it was captured on, numbered across the whole file (every
    /// section's interfaces after the previous ones'), as [`read_frames`]'s `on_interface`
    /// announced it. None in a legacy pcap.
    pub iface: Option<u32>,
}

#[derive(Clone, Copy)]
struct Interface {
    /// Its number across the file.
    global: u32,
    linktype: i32,
    /// Timestamp units per second.
    resolution: u64,
    offset_secs: i64,
}

/// What a pcapng file says besides its frames.
pub enum Meta<'a> {
    /// The TLS key log text of a Decryption Secrets Block.
    Secrets(&'a [u8]),
    /// An interface: its number across the file, and its name (`if_name`, else
    /// "interface N" with N its index in its section, as Wireshark's `frame.interface_id`).
    Interface(u32, String),
}

/// Reads every frame, calling `on_frame` for each (and `on_meta` with each pcapng interface
/// and Decryption Secrets Block); returns the problem that stopped reading early
/// (truncation, corruption), if any. Frames before the damage have all been delivered.
pub fn read_frames<R: Read + Send>(
    reader: R,
    mut on_frame: impl FnMut(Frame<'_>),
    mut on_meta: impl FnMut(Meta<'_>),
) -> Result<u64, String> {
    let mut rdr = match create_reader(1 << 20, reader) {
        Ok(r) => r,
        Err(PcapError::Eof) => return Err("empty file".into()),
        Err(PcapError::HeaderNotRecognized) => return Err("not a pcap or pcapng file".into()),
        Err(e) => return Err(format!("cannot read capture header: {e:?}")),
    };
    let mut number = 0u64;
    // Legacy pcap: one link type and resolution for the file.
    let mut legacy: Option<(i32, bool)> = None;
    // pcapng: interfaces of the current section, by id.
    let mut ifaces: Vec<Interface> = Vec::new();
    let mut globals = 0u32;
    let mut capacity = 1usize << 20;
    loop {
        match rdr.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy = Some((h.network.0, h.is_nanosecond_precision()));
                    }
                    PcapBlockOwned::Legacy(b) => {
                        number += 1;
                        let (linktype, nano) = legacy.unwrap_or((1, false));
                        let sub = if nano {
                            b.ts_usec as i128
                        } else {
                            b.ts_usec as i128 * 1000
                        };
                        on_frame(Frame {
                            number,
                            ts_nanos: b.ts_sec as i128 * 1_000_000_000 + sub,
                            linktype,
                            data: b.data,
                            orig_len: b.origlen,
                            iface: None,
                        });
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => ifaces.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        let name = match idb.if_name() {
                            Some(Ok(n)) if !n.is_empty() => n.to_string(),
                            _ => format!("interface {}", ifaces.len()),
                        };
                        on_meta(Meta::Interface(globals, name));
                        ifaces.push(Interface {
                            global: globals,
                            linktype: idb.linktype.0,
                            resolution: idb.ts_resolution().unwrap_or(1_000_000),
                            offset_secs: idb.if_tsoffset,
                        });
                        globals = globals.saturating_add(1);
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        number += 1;
                        let known = ifaces.get(epb.if_id as usize).copied();
                        let iface = known.unwrap_or(Interface {
                            global: u32::MAX,
                            linktype: 1,
                            resolution: 1_000_000,
                            offset_secs: 0,
                        });
                        let raw = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                        let res = iface.resolution.max(1) as i128;
                        let ts = (raw as i128 / res) * 1_000_000_000
                            + (raw as i128 % res) * 1_000_000_000 / res;
                        on_frame(Frame {
                            number,
                            ts_nanos: ts + iface.offset_secs as i128 * 1_000_000_000,
                            linktype: iface.linktype,
                            // `data` carries the block's padding to 32 bits: the frame is
                            // its first `caplen` bytes (pcap-parser's `packet_data`).
                            data: &epb.data[..(epb.caplen as usize).min(epb.data.len())],
                            orig_len: epb.origlen,
                            iface: known.map(|i| i.global),
                        });
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        number += 1;
                        let first = ifaces.first().copied();
                        let linktype = first.map(|i| i.linktype).unwrap_or(1);
                        on_frame(Frame {
                            number,
                            ts_nanos: 0,
                            linktype,
                            data: spb.data,
                            orig_len: spb.origlen,
                            iface: first.map(|i| i.global),
                        });
                    }
                    PcapBlockOwned::NG(Block::DecryptionSecrets(dsb))
                        if dsb.secrets_type == SecretsType::TlsKeyLog =>
                    {
                        let len = (dsb.secrets_len as usize).min(dsb.data.len());
                        on_meta(Meta::Secrets(&dsb.data[..len]));
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                rdr.consume(offset);
            }
            Err(PcapError::Eof) => return Ok(number),
            Err(PcapError::Incomplete(_)) => {
                if let Err(e) = rdr.refill() {
                    return Err(format!("read error after frame {number}: {e:?}"));
                }
            }
            Err(PcapError::BufferTooSmall) => {
                // One block larger than the buffer (jumbo frames, huge pcapng blocks).
                capacity *= 4;
                if capacity > MAX_BLOCK || !rdr.grow(capacity) {
                    return Err(format!(
                        "block after frame {number} is larger than {MAX_BLOCK} bytes"
                    ));
                }
                if let Err(e) = rdr.refill() {
                    return Err(format!("read error after frame {number}: {e:?}"));
                }
            }
            Err(PcapError::UnexpectedEof) => {
                return Err(format!(
                    "capture truncated inside the block after frame {number}"
                ))
            }
            Err(e) => return Err(format!("corrupt block after frame {number}: {e:?}")),
        }
    }
}
