//! Reading a dialect's rule out of a finding's message.
//!
//! Temporary: findings carry their dialects and rules as text today; once they are typed this
//! file goes, and the Diff tab reads the rule from the finding.

/// The `dialect (rule)` part of a server-likely-dialect / dialect-mismatch message for one
/// dialect.
pub(super) fn rule_for(message: &str, dialect: &str) -> Option<String> {
    let i = message.find(&format!("{dialect} ("))?;
    let rest = &message[i + dialect.len() + 2..];
    let mut depth = 1usize;
    for (j, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(rest[..j].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_extraction_handles_nested_parentheses() {
        let m = "dialects that would reject it: keystone-legacy (canonical query (x) string: a), minio (payload)";
        assert_eq!(
            rule_for(m, "keystone-legacy").unwrap(),
            "canonical query (x) string: a"
        );
        assert_eq!(rule_for(m, "minio").unwrap(), "payload");
        assert!(rule_for(m, "aws").is_none());
    }
}
