//! S3 Express One Zone sessions: a `CreateSession` (`GET /bucket?session`, signed SigV4 with
//! the IAM credentials, service `s3express`) returns session credentials, and later requests
//! carry the session's token in `x-amz-s3session-token` and are signed with the session's
//! secret (S3 API reference, "CreateSession"; botocore `botocore/auth.py` `S3ExpressAuth`,
//! `botocore/utils.py` `S3ExpressIdentityCache.build_refresh_callback`, which reads
//! `Credentials/{AccessKeyId,SecretAccessKey,SessionToken,Expiration}`).
//!
//! Pure: the capture context ([`crate::pipeline`]) learns [`Session`]s from responses in
//! capture order and hands the ones seen so far to the diagnosis ([`super::diagnose::Context`]),
//! which verifies with them ([`SessionKeys`]) and explains a refused session request.

use quick_xml::events::Event;
use quick_xml::Reader;
use time::OffsetDateTime;

use super::auth::Parsed;
use super::{Analysis, Code, Finding, KeyStore};
use crate::escape::escape_str;
use crate::http::{Headers, Request, Response};

/// How long an S3 Express session lasts when its `Expiration` is not known (S3 User Guide,
/// "CreateSession": session credentials are valid for 5 minutes).
pub const SESSION_SECS: i64 = 300;

/// Session credentials a CreateSession response handed out.
#[derive(Clone)]
pub struct Session {
    pub access_key: String,
    /// Leaves this module only through [`KeyStore::secret`] (verification), never shown.
    secret: String,
    pub token: String,
    /// `Expiration`, else the CreateSession's time plus [`SESSION_SECS`].
    pub expires: Option<OffsetDateTime>,
    /// The bucket the session is for (first path segment, else the Host's first label).
    pub bucket: String,
    /// The access key that signed the CreateSession (the IAM credentials).
    pub created_by: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_key", &self.access_key)
            .field("secret", &"redacted")
            .field("expires", &self.expires)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session an endpoint hands out itself (`sigscope listen` answering CreateSession).
    pub fn new(
        access_key: String,
        secret: String,
        token: String,
        expires: OffsetDateTime,
        req: &Request,
        created_by: Option<String>,
    ) -> Session {
        Session {
            access_key,
            secret,
            token,
            expires: Some(expires),
            bucket: bucket_of(req),
            created_by,
        }
    }

    /// The CreateSession answer that hands this session out, in the shape of the S3 API
    /// reference ("CreateSession", Response Syntax), which botocore's
    /// `S3ExpressIdentityCache` reads.
    pub fn create_session_result(&self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateSessionResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Credentials><SessionToken>{}</SessionToken><SecretAccessKey>{}</SecretAccessKey><AccessKeyId>{}</AccessKeyId><Expiration>{}</Expiration></Credentials></CreateSessionResult>",
            self.token,
            self.secret,
            self.access_key,
            self.expires.map(when).unwrap_or_default()
        )
    }
}

/// A CreateSession request: `GET` with the `session` sub-resource.
pub fn is_create_session(req: &Request) -> bool {
    req.method == "GET"
        && req.query().is_some_and(|q| {
            q.split(|&b| b == b'&')
                .any(|p| p == b"session" || p == b"session=")
        })
}

/// The bucket a request addresses: the first path segment, else the Host's first label.
fn bucket_of(req: &Request) -> String {
    let path = crate::http::text(req.path());
    match path.trim_start_matches('/').split('/').next() {
        Some(b) if !b.is_empty() => b.to_string(),
        _ => req
            .host()
            .and_then(|h| h.split('.').next().map(str::to_string))
            .unwrap_or_default(),
    }
}

/// The session a successful CreateSession's response hands out; `None` for anything else.
/// `time` is when the exchange was seen (the lifetime's start when `Expiration` is absent).
pub fn learn(req: &Request, resp: &Response, time: Option<OffsetDateTime>) -> Option<Session> {
    if resp.status != 200 || !is_create_session(req) {
        return None;
    }
    let body =
        crate::http::decoded_body(resp, &resp.body, 1 << 20).unwrap_or_else(|| resp.body.clone());
    let fields = credentials(&String::from_utf8_lossy(&body));
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let expires = get("Expiration")
        .and_then(|e| super::time::parse_iso(&e))
        .or_else(|| time.map(|t| t + time::Duration::seconds(SESSION_SECS)));
    let created_by = match super::auth::detect(req).parsed {
        Parsed::V4(a) => Some(a.access_key),
        _ => None,
    };
    Some(Session {
        access_key: get("AccessKeyId")?,
        secret: get("SecretAccessKey")?,
        token: get("SessionToken")?,
        expires,
        bucket: bucket_of(req),
        created_by,
    })
}

/// The text of each element inside `<Credentials>`.
fn credentials(body: &str) -> Vec<(String, String)> {
    let mut r = Reader::from_str(body);
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) => {
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Text(t)) => {
                let inside = path.len() >= 2 && path[path.len() - 2] == "Credentials";
                if let (true, Some(name), Ok(text)) = (inside, path.last(), t.unescape()) {
                    out.push((name.clone(), text.trim().to_string()));
                }
            }
            Ok(Event::Eof) | Err(_) => return out,
            _ => {}
        }
    }
}

/// A key store that also knows the sessions learned from the capture. The user's own
/// credentials come first (a `--credentials` entry for the session key wins).
pub struct SessionKeys<'a> {
    pub base: &'a (dyn KeyStore + Sync),
    pub sessions: &'a [Session],
}

impl KeyStore for SessionKeys<'_> {
    fn secret(&self, access_key: &str) -> Option<&str> {
        self.base.secret(access_key).or_else(|| {
            self.sessions
                .iter()
                .rev()
                .find(|s| s.access_key == access_key)
                .map(|s| s.secret.as_str())
        })
    }
}

/// The request's date: its signed date, else when it was seen.
fn request_time(a: &Analysis, seen: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    a.auth
        .date
        .as_deref()
        .and_then(super::time::parse_amz)
        .or(seen)
}

/// A time as S3 writes `Expiration` (seconds, `Z`).
fn when(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The findings of S3 Express sessions: what a CreateSession handed out, which session a
/// request used, and the three ways a session request goes wrong (expired, its token in
/// `X-Amz-Security-Token`, signed with the IAM key pair rather than the session's).
pub fn findings(
    req: &Request,
    response: Option<&Response>,
    seen: Option<OffsetDateTime>,
    a: &mut Analysis,
    sessions: &[Session],
) {
    if let Some(s) = response.and_then(|r| learn(req, r, seen)) {
        let until = s.expires.map(|t| format!(", valid until {}", when(t)));
        a.findings.push(Finding::new(
            Code::S3ExpressCreateSession,
            format!(
                "CreateSession for bucket {}: session access key {}{}; its secret and token are in the response (masked in every output) and verify the session's requests later in this capture",
                escape_str(&s.bucket),
                escape_str(&s.access_key),
                until.unwrap_or_default()
            ),
        ));
        return;
    }
    let Some(ak) = a.auth.access_key.clone() else {
        return;
    };
    let token = req
        .header("x-amz-s3session-token")
        .or_else(|| session_param(req));
    let security_token = req.header("x-amz-security-token");
    let s3express = a.auth.service.as_deref() == Some("s3express");
    let mode = a.auth.mode;

    // The token in STS's header: S3 Express reads only x-amz-s3session-token.
    if s3express && token.is_none() {
        if let Some(t) = &security_token {
            let known = sessions.iter().any(|s| &s.token == t || s.access_key == ak);
            if known || response.is_some_and(|r| r.status == 403 || r.status == 400) {
                a.findings.push(Finding::new(
                    Code::S3ExpressSecurityToken,
                    "the session token travels in X-Amz-Security-Token: S3 Express reads a session's token from x-amz-s3session-token (X-Amz-S3session-Token presigned) and does not take STS's header (botocore's S3ExpressAuth deletes it); sign with the S3 Express signer".to_string(),
                ));
            }
        }
    }
    if !mode.is_s3express() {
        return;
    }
    let Some(token) = token else { return };
    let by_token = sessions.iter().rev().find(|s| s.token == token);
    if let Some(s) = by_token.filter(|s| s.access_key != ak) {
        let iam = s.created_by.as_deref() == Some(ak.as_str());
        a.findings.push(Finding::new(
            Code::S3ExpressIamCredentials,
            format!(
                "signed with access key {}{}, but the x-amz-s3session-token is the session of {}: S3 Express verifies a session request with the session's secret, so sign it (a CopyObject, a presigned URL too) with the CreateSession's credentials",
                escape_str(&ak),
                if iam { ", the IAM credentials that signed the CreateSession" } else { "" },
                escape_str(&s.access_key)
            ),
        ));
        return;
    }
    let Some(s) = by_token.or_else(|| sessions.iter().rev().find(|s| s.access_key == ak)) else {
        return;
    };
    if let (Some(exp), Some(t)) = (s.expires, request_time(a, seen)) {
        if t > exp {
            let late = (t - exp).whole_seconds();
            a.findings.push(Finding::new(
                Code::S3ExpressSessionExpired,
                format!(
                    "the S3 Express session {} expired at {} ({} before this request): sessions last 5 minutes; the client must call CreateSession again",
                    escape_str(&s.access_key),
                    when(exp),
                    super::diagnose::fmt_secs(late)
                ),
            ));
        }
    }
    if a.verdict == super::Verdict::Unverified
        || a.findings.iter().any(|f| f.code == Code::NoSecret)
    {
        return;
    }
    a.findings.push(Finding::new(
        Code::S3ExpressSessionLearned,
        format!(
            "verified with the secret of session {} (bucket {}), learned from the CreateSession response earlier in this capture",
            escape_str(&s.access_key),
            escape_str(&s.bucket)
        ),
    ));
}

fn session_param(req: &Request) -> Option<String> {
    let qp = super::auth::query_params_raw(req);
    super::auth::param(&qp, "X-Amz-S3session-Token").map(super::auth::text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Header;

    fn create_session() -> (Request, Response) {
        let req = Request {
            method: "GET".into(),
            target: b"/bucket--usw2-az1--x-s3?session".to_vec(),
            version: "HTTP/1.1".into(),
            headers: vec![Header::new("Host", "127.0.0.1")],
            ..Default::default()
        };
        let resp = Response {
            status: 200,
            body: b"<?xml version=\"1.0\"?><CreateSessionResult><Credentials><SessionToken>TOK</SessionToken><SecretAccessKey>SEC/+=</SecretAccessKey><AccessKeyId>ASIAX</AccessKeyId><Expiration>2026-12-08T00:25:47Z</Expiration></Credentials></CreateSessionResult>".to_vec(),
            ..Default::default()
        };
        (req, resp)
    }

    #[test]
    fn a_create_session_response_is_learned() {
        let (req, resp) = create_session();
        let s = learn(&req, &resp, None).expect("a session");
        assert_eq!((s.access_key.as_str(), s.token.as_str()), ("ASIAX", "TOK"));
        assert_eq!(s.bucket, "bucket--usw2-az1--x-s3");
        assert_eq!(s.expires.map(when).as_deref(), Some("2026-12-08T00:25:47Z"));
        assert!(!format!("{s:?}").contains("SEC/+="));
        let keys = SessionKeys {
            base: &super::super::NoKeys,
            sessions: &[s],
        };
        assert_eq!(keys.secret("ASIAX"), Some("SEC/+="));
        assert_eq!(keys.secret("OTHER"), None);
        // Not a CreateSession, or refused: nothing learned.
        let mut other = req.clone();
        other.target = b"/bucket--usw2-az1--x-s3/k".to_vec();
        assert!(learn(&other, &resp, None).is_none());
        let refused = Response {
            status: 403,
            ..resp.clone()
        };
        assert!(learn(&req, &refused, None).is_none());
        assert!(learn(
            &req,
            &Response {
                body: b"<Credentials><Sess".to_vec(),
                ..resp
            },
            None
        )
        .is_none());
    }
}
