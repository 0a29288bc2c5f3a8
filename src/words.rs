//! Counts in words: "1 frame", "2 frames", so that every message that prints a count agrees
//! with it.

/// `n` and the noun in the number `n` calls for: [`count`]`(1, "frame", "frames")` is
/// "1 frame", any other `n` takes the plural.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// [`count`] for nouns whose plural adds an s ("exchange", "connection", "byte").
pub fn count_s(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_takes_the_singular_every_other_count_the_plural() {
        assert_eq!(count_s(0u64, "frame"), "0 frames");
        assert_eq!(count_s(1u64, "TCP connection"), "1 TCP connection");
        assert_eq!(count_s(2u64, "HTTP exchange"), "2 HTTP exchanges");
        assert_eq!(count(1u64, "byte was", "bytes were"), "1 byte was");
        assert_eq!(count(11u64, "byte was", "bytes were"), "11 bytes were");
        assert_eq!(count(21u64, "request", "requests"), "21 requests");
    }
}
