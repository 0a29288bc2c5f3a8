//! Signing the generated requests (SigV4, SigV2) and the capture's clock.

#[allow(unused_imports)]
use super::*;

// ------------------------------------------------------------------------------------ signing

pub(crate) type HmacSha256 = Hmac<Sha256>;

pub(crate) fn hmac256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = HmacSha256::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub(crate) fn signing_key(secret: &str, date: &str, service: &str) -> [u8; 32] {
    let k = hmac256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac256(&k, REGION.as_bytes());
    let k = hmac256(&k, service.as_bytes());
    hmac256(&k, b"aws4_request")
}

pub(crate) fn sigv4(
    key: &[u8; 32],
    amz_date: &str,
    scope: &str,
    canonical_request: &str,
) -> String {
    let sts = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    hex::encode(hmac256(key, sts.as_bytes()))
}

pub(crate) fn sigv2(secret: &str, sts: &str) -> String {
    let mut m = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    m.update(sts.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
pub(crate) fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub(crate) struct Clock {
    /// `YYYYMMDD`, `YYYYMMDDTHHMMSSZ`, RFC 1123 date
    pub(crate) date: String,
    pub(crate) amz: String,
    pub(crate) http: String,
    pub(crate) sec: u64,
}

impl Clock {
    pub(crate) fn at(&mut self, secs: u64) {
        if secs == self.sec {
            return;
        }
        self.sec = secs;
        let days = (secs / 86_400) as i64;
        let (y, m, d) = civil(days);
        let (hh, mm, ss) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        self.date = format!("{y:04}{m:02}{d:02}");
        self.amz = format!("{}T{hh:02}{mm:02}{ss:02}Z", self.date);
        const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MON: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        self.http = format!(
            "{}, {d:02} {} {y} {hh:02}:{mm:02}:{ss:02} GMT",
            WD[(days % 7) as usize],
            MON[m as usize - 1]
        );
    }
}
