//! The pcap writer: Ethernet/IPv4/TCP frames with real checksums, connections and their segments.

#[allow(unused_imports)]
use super::*;

// ------------------------------------------------------------------------------------ pcap

pub(crate) struct Pcap {
    pub(crate) w: BufWriter<File>,
    pub(crate) frame: Vec<u8>,
    pub(crate) bytes: u64,
    pub(crate) packets: u64,
}

#[derive(Clone, Copy)]
pub(crate) struct Ep {
    pub(crate) ip: [u8; 4],
    pub(crate) port: u16,
}

pub(crate) const FIN: u8 = 0x01;

pub(crate) const SYN: u8 = 0x02;

pub(crate) const PSH: u8 = 0x08;

pub(crate) const ACK: u8 = 0x10;

pub(crate) fn csum_add(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    if let [b] = chunks.remainder() {
        sum += (*b as u32) << 8;
    }
    // fold now and then so a 64 KiB payload cannot overflow
    (sum & 0xffff) + (sum >> 16)
}

pub(crate) fn csum_fin(mut sum: u32) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

impl Pcap {
    pub(crate) fn create(path: &str) -> std::io::Result<Pcap> {
        let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        h.extend_from_slice(&262_144u32.to_le_bytes()); // snaplen
        h.extend_from_slice(&1u32.to_le_bytes()); // DLT_EN10MB
        w.write_all(&h)?;
        Ok(Pcap {
            w,
            frame: Vec::with_capacity(2048),
            bytes: 24,
            packets: 0,
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn packet(
        &mut self,
        ts_us: u64,
        src: Ep,
        dst: Ep,
        ip_id: u16,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) -> std::io::Result<()> {
        let syn = flags & SYN != 0;
        let tcp_len = if syn { 24 } else { 20 }; // SYNs carry an MSS option
        let ip_len = 20 + tcp_len + payload.len();
        let f = &mut self.frame;
        f.clear();
        // Ethernet: locally administered MACs derived from the IPs
        f.extend_from_slice(&[0x02, 0, dst.ip[0], dst.ip[1], dst.ip[2], dst.ip[3]]);
        f.extend_from_slice(&[0x02, 0, src.ip[0], src.ip[1], src.ip[2], src.ip[3]]);
        f.extend_from_slice(&[0x08, 0x00]);
        // IPv4
        let ip0 = f.len();
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&(ip_len as u16).to_be_bytes());
        f.extend_from_slice(&ip_id.to_be_bytes());
        f.extend_from_slice(&[0x40, 0, 64, 6, 0, 0]); // DF, TTL 64, TCP, checksum
        f.extend_from_slice(&src.ip);
        f.extend_from_slice(&dst.ip);
        let ipc = csum_fin(csum_add(0, &f[ip0..ip0 + 20]));
        f[ip0 + 10..ip0 + 12].copy_from_slice(&ipc.to_be_bytes());
        // TCP
        let t0 = f.len();
        f.extend_from_slice(&src.port.to_be_bytes());
        f.extend_from_slice(&dst.port.to_be_bytes());
        f.extend_from_slice(&seq.to_be_bytes());
        f.extend_from_slice(&(if flags & ACK != 0 { ack } else { 0 }).to_be_bytes());
        f.push(((tcp_len / 4) as u8) << 4);
        f.push(flags);
        f.extend_from_slice(&65535u16.to_be_bytes()); // window
        f.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        if syn {
            f.extend_from_slice(&[2, 4]);
            f.extend_from_slice(&(MSS as u16).to_be_bytes());
        }
        f.extend_from_slice(payload);
        let mut sum = 0u32;
        sum = csum_add(sum, &src.ip);
        sum = csum_add(sum, &dst.ip);
        sum = csum_add(sum, &[0, 6]);
        sum = csum_add(sum, &((tcp_len + payload.len()) as u16).to_be_bytes());
        sum = csum_add(sum, &f[t0..]);
        let tc = csum_fin(sum);
        f[t0 + 16..t0 + 18].copy_from_slice(&tc.to_be_bytes());

        let len = f.len() as u32;
        let mut rec = [0u8; 16];
        rec[0..4].copy_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
        rec[4..8].copy_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
        rec[8..12].copy_from_slice(&len.to_le_bytes());
        rec[12..16].copy_from_slice(&len.to_le_bytes());
        self.w.write_all(&rec)?;
        self.w.write_all(f)?;
        self.bytes += 16 + len as u64;
        self.packets += 1;
        Ok(())
    }
}

// ------------------------------------------------------------------------------------ TCP

pub(crate) struct Conn {
    pub(crate) client: Ep,
    pub(crate) server: Ep,
    pub(crate) cseq: u32,
    pub(crate) sseq: u32,
    pub(crate) cid: u16,
    pub(crate) sid: u16,
    pub(crate) left: u32,
    /// The response the server still owes, with the request's expected verdict.
    pub(crate) pending: Option<Vec<u8>>,
}

pub(crate) struct Out {
    pub(crate) pcap: Pcap,
    pub(crate) ts: u64,
    pub(crate) rng: Rng,
}

impl Out {
    pub(crate) fn tick(&mut self, lo: u64, hi: u64) -> u64 {
        self.ts += self.rng.range(lo, hi);
        self.ts
    }

    pub(crate) fn c2s(&mut self, c: &mut Conn, flags: u8, data: &[u8]) -> std::io::Result<()> {
        let ts = self.tick(2, 30);
        c.cid = c.cid.wrapping_add(1);
        self.pcap
            .packet(ts, c.client, c.server, c.cid, c.cseq, c.sseq, flags, data)?;
        c.cseq = c
            .cseq
            .wrapping_add(data.len() as u32 + u32::from(flags & (SYN | FIN) != 0));
        Ok(())
    }

    pub(crate) fn s2c(&mut self, c: &mut Conn, flags: u8, data: &[u8]) -> std::io::Result<()> {
        let ts = self.tick(2, 30);
        c.sid = c.sid.wrapping_add(1);
        self.pcap
            .packet(ts, c.server, c.client, c.sid, c.sseq, c.cseq, flags, data)?;
        c.sseq = c
            .sseq
            .wrapping_add(data.len() as u32 + u32::from(flags & (SYN | FIN) != 0));
        Ok(())
    }

    /// One application write, as MSS-sized segments; the peer ACKs every second one.
    pub(crate) fn send(
        &mut self,
        c: &mut Conn,
        from_client: bool,
        data: &[u8],
    ) -> std::io::Result<()> {
        let n = data.len().div_ceil(MSS);
        for (i, seg) in data.chunks(MSS).enumerate() {
            let last = i + 1 == n;
            let flags = if last { PSH | ACK } else { ACK };
            if from_client {
                self.c2s(c, flags, seg)?;
                if i % 2 == 1 || last {
                    self.s2c(c, ACK, &[])?;
                }
            } else {
                self.s2c(c, flags, seg)?;
                if i % 2 == 1 || last {
                    self.c2s(c, ACK, &[])?;
                }
            }
        }
        Ok(())
    }
}
