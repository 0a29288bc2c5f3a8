//! The interfaces libpcap can capture on: `capture -D`, and the list the errors name.

use super::SniffError;

/// Interface names, in libpcap's order (`any` included where the system has it).
pub fn names() -> Result<Vec<String>, SniffError> {
    Ok(pcap::Device::list()
        .map_err(|e| SniffError::List(super::pcap_words(e)))?
        .into_iter()
        .map(|d| d.name)
        .collect())
}

/// One line per interface, numbered as tcpdump's `-D` numbers them: name, description,
/// state and addresses.
pub fn listing() -> Result<String, SniffError> {
    let devs = pcap::Device::list().map_err(|e| SniffError::List(super::pcap_words(e)))?;
    let mut out = String::new();
    for (i, d) in devs.iter().enumerate() {
        let mut line = format!("{}. {}", i + 1, crate::escape::escape_str(&d.name));
        if let Some(desc) = &d.desc {
            line += &format!(" ({})", crate::escape::escape_str(desc));
        }
        let f = &d.flags;
        let mut state = Vec::new();
        if f.is_loopback() {
            state.push("loopback");
        }
        state.push(if f.is_up() { "up" } else { "down" });
        if f.is_running() {
            state.push("running");
        }
        line += &format!(" [{}]", state.join(", "));
        let addrs: Vec<String> = d.addresses.iter().map(|a| a.addr.to_string()).collect();
        if !addrs.is_empty() {
            line += &format!(" {}", addrs.join(" "));
        }
        out += &line;
        out.push('\n');
    }
    Ok(out)
}
