//! Live capture on an interface (`sigscope capture -i IFACE [FILTER…]`, issue 16): libpcap
//! (through the `pcap` crate) reads packets; each goes through the same decoder, TCP
//! reassembly and HTTP parsing as a file ([`capture::Replayer::frame`]); exchanges go to the
//! feed (the UI, or the JSON printer) through a bounded hand-off ([`handoff`]); packets are
//! saved as captured (`-w`, [`save`]).
//!
//! One thread captures, reassembles and saves; it never waits on the UI. A second forwards
//! exchanges to the feed.

pub mod devices;
pub mod handoff;
pub mod save;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::capture::{self, decode::Decoder, Replayer};
use crate::exchange::Exchange;
use crate::feed::FeedEvent;
use crate::words::count_s;

/// Keeps whole packets: libpcap's own default (`MAXIMUM_SNAPLEN` in `pcap-int.h`), as
/// tcpdump uses when no `-s` is given.
pub const SNAPLEN: i32 = 262_144;
/// The kernel buffer libpcap is asked for (tcpdump's `-B` in KiB; dumpcap defaults to 2 MiB,
/// too little for bursts of thousands of requests a second on loopback).
pub const BUFFER_BYTES: i32 = 64 << 20;
/// How long the loop waits for packets before it looks at its clock (flushes, status, stop
/// requests); also libpcap's timeout, after which the kernel hands over a partly filled
/// buffer block: the longest a packet waits outside immediate mode.
const READ_TIMEOUT_MS: i32 = 20;
/// Packets read between flushes of the saved file and hand-offs of exchanges.
const BATCH_PACKETS: u64 = 256;
/// Longest time between flushes while packets keep arriving.
const BATCH_TIME: Duration = Duration::from_millis(20);
/// Drops are said as a notice at most this often.
const WARN_EVERY: Duration = Duration::from_secs(5);
/// How often the status line is refreshed and idle connections are looked for.
const STATUS_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum SniffError {
    #[error(
        "cannot capture on {iface}: permission denied ({why}). Capturing needs the CAP_NET_RAW capability: run as root (sudo sigscope …), or give it to the binary once with: sudo setcap cap_net_raw,cap_net_admin=eip \"$(command -v sigscope)\". Interfaces here: {interfaces}"
    )]
    Permission {
        iface: String,
        why: String,
        interfaces: String,
    },
    #[error("there is no interface named {iface}. Interfaces here: {interfaces}")]
    NoSuchInterface { iface: String, interfaces: String },
    #[error("the capture filter `{filter}` is not valid: {why}")]
    Filter { filter: String, why: String },
    #[error("cannot capture on {iface}: {why}")]
    Open { iface: String, why: String },
    #[error("cannot write {path}: {source}")]
    Save {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot list interfaces: {0}")]
    List(String),
}

/// What to capture and how.
#[derive(Clone)]
pub struct Config {
    pub interface: String,
    /// A BPF expression, compiled by libpcap (empty: everything).
    pub filter: String,
    pub promisc: bool,
    /// Each packet handed over as it arrives (see [`open`] for the cost), rather than within
    /// the 20 ms read timeout.
    pub immediate: bool,
    pub snaplen: i32,
    pub buffer_bytes: i32,
    pub save: Option<save::Spec>,
    /// Body cap, key log, response wait: as for files.
    pub capture: capture::Options,
    /// Connections silent this long are ended (their bytes read as at a close).
    pub idle_timeout: Duration,
    /// Exchanges the hand-off holds for a consumer behind before updates are not shown.
    pub handoff_capacity: usize,
}

/// An open capture, its filter set: errors are known before a UI takes the terminal.
pub struct Sniffer {
    cap: pcap::Capture<pcap::Active>,
    linktype: i32,
    cfg: Config,
    saver: Option<save::Saver>,
}

/// How a capture went.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub packets: u64,
    pub kernel_dropped: u64,
    pub interface_dropped: u64,
    pub exchanges: u64,
    /// Exchanges captured but not handed to the feed because it was behind.
    pub ui_dropped: u64,
    pub idle_flushed: u64,
    /// Why the capture ended by itself (an interface that went down), if it did.
    pub ended: Option<String>,
    pub stats: capture::Stats,
}

impl Summary {
    /// The status line: packets, drops (with a warning when there are any), connections,
    /// bytes held. Short enough for the UI's header, which shortens what does not fit.
    fn status(&self, label: &str, open: usize, held: usize) -> String {
        let mut s = format!(
            "{label}: {}, {} dropped by the kernel, {} by the interface, {} open, {} held",
            count_s(self.packets, "packet"),
            self.kernel_dropped,
            self.interface_dropped,
            count_s(open as u64, "connection"),
            human_bytes(held as u64),
        );
        s += &self.drops();
        s
    }

    /// The drops, as a warning; empty when nothing was dropped.
    pub fn drops(&self) -> String {
        let mut parts = Vec::new();
        if self.kernel_dropped > 0 {
            parts.push(format!(
                "{} dropped by the kernel",
                count_s(self.kernel_dropped, "packet")
            ));
        }
        if self.interface_dropped > 0 {
            parts.push(format!(
                "{} dropped by the interface",
                count_s(self.interface_dropped, "packet")
            ));
        }
        if self.ui_dropped > 0 {
            parts.push(format!(
                "{} not shown (the display fell behind)",
                count_s(self.ui_dropped, "exchange")
            ));
        }
        match parts.is_empty() {
            true => String::new(),
            false => format!(" — warning: {}", parts.join(", ")),
        }
    }

    /// One line for the end of the capture.
    pub fn line(&self, label: &str) -> String {
        let mut s = format!(
            "{label}: {} captured, {}",
            count_s(self.packets, "packet"),
            count_s(self.exchanges, "exchange"),
        );
        if self.idle_flushed > 0 {
            s += &format!(
                ", {} ended after being idle",
                count_s(self.idle_flushed, "connection")
            );
        }
        s + &self.drops()
    }
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 10 << 20 => format!("{} MiB", n >> 20),
        n if n >= 10 << 10 => format!("{} KiB", n >> 10),
        n => count_s(n, "byte"),
    }
}

/// Opens `cfg.interface` (whole packets, a large buffer, promiscuous only if asked; immediate
/// mode if asked), sets the filter, and creates the saved file.
///
/// Immediate mode is not the default: libpcap on Linux serves it with TPACKET_V2 rather than
/// TPACKET_V3 (`pcap-linux.c`; also said in snort3/libdaq `modules/pcap/README.pcap.md`),
/// whose ring has one frame per packet sized for the snap length, so a 64 MiB buffer holds
/// a few hundred whole-packet frames: measured, 65,285 kernel drops in 8 s at 20,490
/// requests/s on lo. Without it, TPACKET_V3 packs packets into blocks the kernel hands over
/// when full or after the read timeout (20 ms): the buffer holds its size in packets, for
/// at most 20 ms of latency. (TPACKET_V3 also never wakes a blocking read while no packet
/// comes, hence the non-blocking reads and our own `poll`.)
pub fn open(cfg: Config) -> Result<Sniffer, SniffError> {
    let names = devices::names().unwrap_or_default();
    if cfg.interface != "any" && !names.is_empty() && !names.contains(&cfg.interface) {
        return Err(SniffError::NoSuchInterface {
            iface: cfg.interface.clone(),
            interfaces: names.join(", "),
        });
    }
    let inactive = pcap::Capture::from_device(cfg.interface.as_str())
        .map_err(|e| open_error(&cfg.interface, e, &names))?
        .immediate_mode(cfg.immediate)
        .snaplen(cfg.snaplen)
        .buffer_size(cfg.buffer_bytes)
        .promisc(cfg.promisc)
        .precision(pcap::Precision::Nano)
        .timeout(READ_TIMEOUT_MS);
    // Non-blocking, with our own poll (`wait_readable`): libpcap's read timeout does not
    // wake a blocked read on Linux when no packet comes (TPACKET_V3 blocks until one
    // does), and the loop must flush, refresh the status and see Ctrl-C while it is quiet.
    let mut cap = inactive
        .open()
        .and_then(|c| c.setnonblock())
        .map_err(|e| open_error(&cfg.interface, e, &names))?;
    if cfg.interface == "any" {
        // Linux cooked v2 carries the interface index; libpcap gives v1 unless asked
        // (tcpdump's `-y LINUX_SLL2`). Where it cannot, v1 is read as well.
        let _ = cap.set_datalink(pcap::Linktype(276));
    }
    cap.filter(&cfg.filter, true)
        .map_err(|e| SniffError::Filter {
            filter: cfg.filter.clone(),
            why: pcap_words(e),
        })?;
    let linktype = cap.get_datalink().0;
    let saver = match &cfg.save {
        Some(spec) => Some(
            save::Saver::create(spec.clone(), linktype, cfg.snaplen as u32, &cfg.interface)
                .map_err(|e| SniffError::Save {
                    path: spec.path.display().to_string(),
                    source: e,
                })?,
        ),
        None => None,
    };
    Ok(Sniffer {
        cap,
        linktype,
        cfg,
        saver,
    })
}

/// libpcap's message, without the crate's wrapping.
fn pcap_words(e: pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(s) => s,
        other => other.to_string(),
    }
}

fn open_error(iface: &str, e: pcap::Error, names: &[String]) -> SniffError {
    let why = pcap_words(e);
    let lower = why.to_lowercase();
    let interfaces = names.join(", ");
    // libpcap's `pcap-linux.c` says "You don't have permission to perform this capture on
    // that device" (PCAP_ERROR_PERM_DENIED) or quotes socket()'s EPERM.
    if lower.contains("permission") || lower.contains("operation not permitted") {
        SniffError::Permission {
            iface: iface.to_string(),
            why,
            interfaces,
        }
    } else if lower.contains("no such device") {
        SniffError::NoSuchInterface {
            iface: iface.to_string(),
            interfaces,
        }
    } else {
        SniffError::Open {
            iface: iface.to_string(),
            why,
        }
    }
}

impl Sniffer {
    /// "capturing on lo (port 8080)".
    pub fn short_label(&self) -> String {
        let mut s = format!("capturing on {}", self.cfg.interface);
        if !self.cfg.filter.is_empty() {
            s += &format!(" ({})", self.cfg.filter);
        }
        s
    }

    /// "capturing on lo (port 8080), saving to x.pcapng".
    pub fn label(&self) -> String {
        let mut s = self.short_label();
        if let Some(sv) = &self.saver {
            s += &format!(", saving to {}", sv.current().display());
        }
        s
    }

    /// The link type libpcap delivers (1 Ethernet, 276 Linux cooked v2…).
    pub fn linktype(&self) -> i32 {
        self.linktype
    }

    /// Captures until `stop` is set or the interface goes away, handing exchanges, status
    /// lines and notices to `hand`, then `Done` (or, on an error, closing it). What was
    /// captured is kept either way.
    pub fn run(self, mut hand: handoff::Handoff, stop: &AtomicBool) -> Result<Summary, SniffError> {
        // The status line names the interface and filter only: the UI's header has room
        // for about half its width.
        let mut label = self.cfg.interface.clone();
        if !self.cfg.filter.is_empty() {
            label += &format!(" ({})", self.cfg.filter);
        }
        let mut summary = self.capture_loop(&label, &mut hand, stop)?;
        summary.ui_dropped = hand.dropped();
        if let Some(why) = &summary.ended {
            hand.send(FeedEvent::Notice(why.clone()));
        }
        hand.send(FeedEvent::Status(summary.line(&label)));
        hand.send(FeedEvent::Done);
        Ok(summary)
    }

    fn capture_loop(
        mut self,
        label: &str,
        hand: &mut handoff::Handoff,
        stop: &AtomicBool,
    ) -> Result<Summary, SniffError> {
        let out = std::cell::RefCell::new(Vec::<Exchange>::new());
        let mut sink = |x: Exchange| out.borrow_mut().push(x);
        let name = self.cfg.interface.clone();
        let mut r = Replayer::new(&name, 0, self.cfg.capture.clone(), &mut sink);
        // Exchanges carry the interface's name, as a report of the saved file gives them.
        r.name_interface(&name);
        let mut decoder = Decoder::default();
        let mut seen: HashMap<(SocketAddr, SocketAddr), i128, foldhash::fast::RandomState> =
            HashMap::default();
        let mut s = Summary::default();
        let (mut batch_start, mut last_status) = (Instant::now(), Instant::now());
        let mut in_batch = 0u64;
        let mut warned_drops = 0u64;
        let mut last_warning = Instant::now() - WARN_EVERY;
        while !stop.load(Ordering::Relaxed) {
            match self.cap.next_packet() {
                Ok(p) => {
                    s.packets += 1;
                    in_batch += 1;
                    let ts =
                        p.header.ts.tv_sec as i128 * 1_000_000_000 + p.header.ts.tv_usec as i128;
                    if let Some(sv) = &mut self.saver {
                        sv.packet(ts, p.data, p.header.len)
                            .map_err(|e| save_error(sv, e))?;
                    }
                    if let Some(k) = r.frame(&mut decoder, self.linktype, s.packets, ts, p.data) {
                        seen.insert(k, ts);
                    }
                }
                Err(pcap::Error::TimeoutExpired) => {
                    // Nothing more queued: the end of a batch.
                    if in_batch > 0 {
                        self.flush_batch(&out, hand, &mut s)?;
                        in_batch = 0;
                        batch_start = Instant::now();
                    }
                    wait_readable(&self.cap, READ_TIMEOUT_MS);
                }
                Err(e) => {
                    s.ended = Some(format!(
                        "the capture on {} ended: {}; what was captured is kept",
                        self.cfg.interface,
                        pcap_words(e)
                    ));
                    break;
                }
            }
            if in_batch >= BATCH_PACKETS || batch_start.elapsed() >= BATCH_TIME {
                self.flush_batch(&out, hand, &mut s)?;
                in_batch = 0;
                batch_start = Instant::now();
            }
            if last_status.elapsed() >= STATUS_EVERY {
                last_status = Instant::now();
                s.idle_flushed += end_idle(&mut r, &mut seen, self.cfg.idle_timeout);
                self.read_stats(&mut s);
                s.ui_dropped = hand.dropped();
                let status = s.status(label, r.open_connections(), r.held_bytes());
                hand.send(FeedEvent::Status(status));
                let dropped = s.kernel_dropped + s.interface_dropped;
                // Said when it grows, at most every few seconds (the status line has it
                // all the time).
                if dropped > warned_drops && last_warning.elapsed() >= WARN_EVERY {
                    warned_drops = dropped;
                    last_warning = Instant::now();
                    hand.send(FeedEvent::Notice(
                        s.drops().trim_start_matches(" — ").to_string(),
                    ));
                }
            }
        }
        self.read_stats(&mut s);
        s.stats = r.finish();
        self.flush_batch(&out, hand, &mut s)?;
        Ok(s)
    }

    /// Flushes the saved file and hands the exchanges completed since the last batch on.
    fn flush_batch(
        &mut self,
        out: &std::cell::RefCell<Vec<Exchange>>,
        hand: &mut handoff::Handoff,
        s: &mut Summary,
    ) -> Result<(), SniffError> {
        if let Some(sv) = &mut self.saver {
            sv.flush().map_err(|e| save_error(sv, e))?;
        }
        let batch = std::mem::take(&mut *out.borrow_mut());
        s.exchanges += batch.len() as u64;
        hand.offer(batch);
        Ok(())
    }

    fn read_stats(&mut self, s: &mut Summary) {
        if let Ok(st) = self.cap.stats() {
            s.kernel_dropped = st.dropped as u64;
            s.interface_dropped = st.if_dropped as u64;
        }
    }
}

/// Waits until the capture has packets, or `ms` milliseconds pass.
fn wait_readable(cap: &pcap::Capture<pcap::Active>, ms: i32) {
    use std::os::fd::AsRawFd;
    let mut fds = libc::pollfd {
        fd: cap.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd, valid for the call; the descriptor is the open capture's, which
    // outlives it. An error (EINTR from Ctrl-C) only means the loop looks again sooner.
    #[allow(unsafe_code)]
    unsafe {
        libc::poll(&mut fds, 1, ms);
    }
}

fn save_error(sv: &save::Saver, e: std::io::Error) -> SniffError {
    SniffError::Save {
        path: sv.current().display().to_string(),
        source: e,
    }
}

/// Ends the connections silent for longer than `idle` (measured on the packets' clock
/// against the wall clock); returns how many.
fn end_idle(
    r: &mut Replayer<'_>,
    seen: &mut HashMap<(SocketAddr, SocketAddr), i128, foldhash::fast::RandomState>,
    idle: Duration,
) -> u64 {
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let limit = idle.as_nanos() as i128;
    // Connections that closed by themselves are no longer watched.
    seen.retain(|k, _| r.has_connection(k));
    let idle_keys: Vec<_> = seen
        .iter()
        .filter(|(_, &t)| now - t > limit)
        .map(|(k, _)| *k)
        .collect();
    let n = idle_keys.len() as u64;
    for k in idle_keys {
        seen.remove(&k);
        r.end_connection(k, now);
    }
    r.tick(now);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every committed capture, fed a packet at a time through [`Replayer::frame`] (the live
    /// path), gives the exchanges `capture::replay` gives for the file.
    #[test]
    fn packet_at_a_time_gives_what_replay_gives() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/captures");
        let mut seen = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            let mut whole = Vec::new();
            capture::replay(&bytes[..], "f", 0, Default::default(), &mut |x| {
                whole.push(x)
            });
            let mut one = Vec::new();
            let mut sink = |x: Exchange| one.push(x);
            let mut r = Replayer::new("f", 0, Default::default(), &mut sink);
            let mut d = Decoder::default();
            let _ = capture::packets::read_frames(
                &bytes[..],
                |f| {
                    r.frame(&mut d, f.linktype, f.number, f.ts_nanos, f.data);
                },
                |_| {},
            );
            r.finish();
            let show = |v: &[Exchange]| {
                v.iter()
                    .map(|x| {
                        (
                            x.index,
                            x.source.clone(),
                            x.request.method.clone(),
                            x.request.target.clone(),
                            x.request.body.clone(),
                            x.response.as_ref().map(|r| (r.status, r.body.clone())),
                            x.notes.len(),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(show(&one), show(&whole), "{name}");
            seen += whole.len();
        }
        assert!(seen > 10, "the fixtures hold exchanges");
    }
}
