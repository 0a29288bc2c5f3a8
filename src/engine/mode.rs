//! Auth modes grouped by family: the code that treats every SigV4 mode alike matches on
//! [`Family`], so a new mode is classified once, here, and the compiler then finds every
//! `match` on a family that has to learn about a new family.

use super::auth::Mode;

/// The scheme a mode belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// AWS Signature Version 4 and the schemes built like it.
    SigV4,
    /// S3 Signature Version 2 (`AWS AK:sig`).
    SigV2,
    /// EC2/Query signatures, versions 0 to 2.
    Query,
    /// Credentials that are decoded, never verified (Basic, Bearer, X-Auth-Token).
    Token,
    /// No credentials.
    Anonymous,
    /// Credentials of a scheme sigscope does not know.
    Unknown,
}

impl Family {
    /// A signature scheme: a secret would let it be verified.
    pub fn is_signature(self) -> bool {
        match self {
            Family::SigV4 | Family::SigV2 | Family::Query => true,
            Family::Token | Family::Anonymous | Family::Unknown => false,
        }
    }
}

impl Mode {
    /// Every mode, in the order the JSON contract documents them.
    pub const ALL: &'static [Mode] = &[
        Mode::Sigv4Header,
        Mode::Sigv4Query,
        Mode::Sigv4Streaming,
        Mode::Sigv2Header,
        Mode::Sigv2Query,
        Mode::QueryV0,
        Mode::QueryV1,
        Mode::QueryV2,
        Mode::Anonymous,
        Mode::Basic,
        Mode::Bearer,
        Mode::XAuthToken,
        Mode::Unknown,
    ];

    pub fn family(self) -> Family {
        match self {
            Mode::Sigv4Header | Mode::Sigv4Query | Mode::Sigv4Streaming => Family::SigV4,
            Mode::Sigv2Header | Mode::Sigv2Query => Family::SigV2,
            Mode::QueryV0 | Mode::QueryV1 | Mode::QueryV2 => Family::Query,
            Mode::Basic | Mode::Bearer | Mode::XAuthToken => Family::Token,
            Mode::Anonymous => Family::Anonymous,
            Mode::Unknown => Family::Unknown,
        }
    }

    /// Signed in the URL (a presigned URL) rather than in a header.
    pub fn is_presigned(self) -> bool {
        matches!(self, Mode::Sigv4Query | Mode::Sigv2Query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_is_listed_once_with_a_unique_name() {
        let mut names: Vec<&str> = Mode::ALL.iter().map(|m| m.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Mode::ALL.len());
        for m in Mode::ALL {
            assert_eq!(
                m.family().is_signature(),
                m.is_signature(),
                "{}",
                m.as_str()
            );
            assert_eq!(m.is_sigv4(), m.family() == Family::SigV4, "{}", m.as_str());
        }
    }
}
