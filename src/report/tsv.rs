//! `report --format tsv`: the capture's inventory, one line per request, without verifying
//! anything (as `tshark -T fields` would list it).

use crate::escape::{escape_bytes, escape_str};
use crate::exchange::Exchange;

pub const TSV_HEADER: &str =
    "index\tsource\ttime\tclient\tserver\tmethod\ttarget\thost\tauth\taccess_key\tstatus\n";

/// One line of `--format tsv`: the request as listed, no verification (fields escaped, so a
/// tab or newline from the capture cannot break the table).
pub fn to_tsv(x: &Exchange) -> String {
    use crate::http::Headers;
    let r = &x.request;
    let d = crate::engine::auth::detect(r);
    let f = |s: &str| escape_str(s);
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
        x.index,
        f(&x.source),
        x.time
            .map(crate::engine::time::format_rfc3339)
            .unwrap_or_default(),
        f(x.client.as_deref().unwrap_or("")),
        f(x.server.as_deref().unwrap_or("")),
        f(&r.method),
        escape_bytes(&r.target),
        f(&r.header("host").unwrap_or_default()),
        d.info.mode.as_str(),
        f(d.info.access_key.as_deref().unwrap_or("")),
        x.response
            .as_ref()
            .map(|s| s.status.to_string())
            .unwrap_or_default()
    )
}
