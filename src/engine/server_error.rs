//! What a server's error body says it computed: S3/MinIO/RGW XML (`StringToSign`,
//! `CanonicalRequest`, …), Query/EC2 `ErrorResponse`, JSON protocols and Keystone. With it the
//! verification can be compared against the server's own strings, no secret needed.

use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Serialize;

use crate::http::Response;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServerExpected {
    pub code: String,
    pub canonical_request: Option<String>,
    pub string_to_sign: Option<String>,
    pub signature_provided: Option<String>,
    /// The region the server expected (`AuthorizationHeaderMalformed`).
    pub region: Option<String>,
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_time: Option<String>,
    /// The headers S3 refused as unsigned (`AccessDenied`, "There were headers present in the
    /// request which were not signed": `<HeadersNotSigned>`, comma-separated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers_not_signed: Option<String>,
    /// The S3 code this answer amounts to, for servers that put the reason in `<Message>` under
    /// a generic code (Garage: `AccessDenied` "Forbidden: Invalid signature").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub means: Option<&'static str>,
}

impl ServerExpected {
    /// The code that says why, as S3 would have said it: [`ServerExpected::means`] or the code.
    pub fn meaning(&self) -> &str {
        self.means.unwrap_or(&self.code)
    }
}

/// [`ServerExpected::means`] of a refusal by a rule of the server's signing (Garage's
/// `InvalidRequest` for a repeated query parameter or an unsigned `x-amz-*` header).
pub const SIGNING_RULE: &str = "refused by a signing rule";

/// Garage 2.5's messages under generic codes (crates.io garage_api_common 2.5.0
/// signature/payload.rs, common_error.rs; seen in tests/conformance/garage-2.5.0), and the S3
/// code each amounts to.
fn garage_meaning(code: &str, message: &str) -> Option<&'static str> {
    let m = |s: &str| message.contains(s);
    match code {
        "AccessDenied" if m("Forbidden: Invalid signature") => Some("SignatureDoesNotMatch"),
        "AccessDenied" if m("Forbidden: No such key") => Some("InvalidAccessKeyId"),
        "InvalidRequest" if m("Date is too old") => Some("RequestTimeTooSkewed"),
        // A rule of its signing refused the request: a repeated query parameter, an x-amz-*
        // header not signed, a signed header absent, no x-amz-content-sha256. Not an S3 code:
        // sigscope's name for "refused by how it was signed".
        "InvalidRequest"
            if m("Query parameter repeated")
                || m("duplicate query parameter")
                || m("should be signed")
                || m("is not present")
                || m("Missing X-Amz-Content-Sha256") =>
        {
            Some(SIGNING_RULE)
        }
        _ => None,
    }
}

/// `StringToSignBytes` / `CanonicalRequestBytes`: space-separated hex bytes.
fn from_hex_bytes(s: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = s
        .split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).ok())
        .collect();
    bytes.map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The text between two markers in messages of services that embed their canonical strings
/// ("The Canonical String for this request should have been\n'…'").
fn quoted_after(msg: &str, marker: &str) -> Option<String> {
    let at = msg.find(marker)? + marker.len();
    let rest = &msg[at..];
    let open = rest.find('\'')? + 1;
    let close = rest[open..]
        .find("'\n")
        .or_else(|| rest[open..].rfind('\''))?;
    Some(rest[open..open + close].to_string())
}

fn parse_xml(body: &str) -> Option<ServerExpected> {
    let mut r = Reader::from_str(body);
    let mut path: Vec<String> = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) => {
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned())
            }
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Text(t)) => {
                if let (Some(name), Ok(text)) = (path.last(), t.unescape()) {
                    if !text.trim().is_empty() && !fields.iter().any(|(k, _)| k == name) {
                        fields.push((name.clone(), text.into_owned()));
                    }
                }
            }
            Ok(Event::CData(t)) => {
                if let Some(name) = path.last() {
                    fields.push((name.clone(), String::from_utf8_lossy(&t).into_owned()));
                }
            }
            Ok(Event::Eof) => break,
            Err(_) => break,
            _ => {}
        }
    }
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let code = get("Code")?;
    let message = get("Message");
    let mut e = ServerExpected {
        code,
        canonical_request: get("CanonicalRequest")
            .or_else(|| get("CanonicalRequestBytes").and_then(|b| from_hex_bytes(&b))),
        string_to_sign: get("StringToSign")
            .or_else(|| get("StringToSignBytes").and_then(|b| from_hex_bytes(&b))),
        signature_provided: get("SignatureProvided"),
        region: get("Region"),
        access_key: get("AWSAccessKeyId"),
        request_time: get("RequestTime"),
        server_time: get("ServerTime"),
        headers_not_signed: get("HeadersNotSigned"),
        means: None,
        message: message.clone(),
    };
    if let Some(m) = &message {
        e.means = garage_meaning(&e.code, m);
        e.canonical_request = e
            .canonical_request
            .or_else(|| quoted_after(m, "Canonical String for this request should have been"));
        e.string_to_sign = e
            .string_to_sign
            .or_else(|| quoted_after(m, "String-to-Sign should have been"));
        // "the region 'us-east-1' is wrong; expecting 'eu-west-1'"
        if e.region.is_none() {
            if let Some(i) = m.find("expecting '") {
                let rest = &m[i + 11..];
                e.region = rest.find('\'').map(|j| rest[..j].to_string());
            }
        }
    }
    Some(e)
}

fn parse_json(body: &str) -> Option<ServerExpected> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    // Keystone: {"error": {"code": 401, "title": "Unauthorized", "message": "..."}}
    if let Some(err) = v.get("error").filter(|e| e.is_object()) {
        let code = err
            .get("title")
            .and_then(|t| t.as_str())
            .map(String::from)
            .or_else(|| err.get("code").map(|c| c.to_string()))?;
        return Some(ServerExpected {
            means: None,
            code,
            message: err
                .get("message")
                .and_then(|m| m.as_str())
                .map(String::from),
            ..Default::default()
        });
    }
    // AWS JSON protocols: {"__type": "…#InvalidSignatureException", "message": "…"}
    let ty = v
        .get("__type")
        .or_else(|| v.get("code"))
        .and_then(|t| t.as_str())?;
    let code = ty.rsplit('#').next().unwrap_or(ty).to_string();
    let message = v
        .get("message")
        .or_else(|| v.get("Message"))
        .and_then(|m| m.as_str())
        .map(String::from);
    Some(ServerExpected {
        means: None,
        canonical_request: message
            .as_deref()
            .and_then(|m| quoted_after(m, "Canonical String for this request should have been")),
        string_to_sign: message
            .as_deref()
            .and_then(|m| quoted_after(m, "String-to-Sign should have been")),
        code,
        message,
        ..Default::default()
    })
}

/// Parses an error response body (4xx/5xx); `None` for successes and bodies that say nothing.
pub fn parse(resp: &Response) -> Option<ServerExpected> {
    if resp.status < 400 {
        return None;
    }
    let body =
        crate::http::decoded_body(resp, &resp.body, 4 << 20).unwrap_or_else(|| resp.body.clone());
    let text = String::from_utf8_lossy(&body);
    let t = text.trim_start();
    if t.starts_with('<') {
        parse_xml(t)
    } else if t.starts_with('{') {
        parse_json(t)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Header;

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![Header::new("Content-Type", "application/xml")],
            body: body.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn s3_signature_does_not_match() {
        // Shape of AWS S3's body (aws-sdk-js#557), with the canonical request S3 adds for v4.
        let r = resp(403, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972</StringToSign><SignatureProvided>aa</SignatureProvided><StringToSignBytes>41 57 53</StringToSignBytes><CanonicalRequest>GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD</CanonicalRequest><CanonicalRequestBytes>47 45 54</CanonicalRequestBytes><RequestId>1</RequestId></Error>");
        let e = parse(&r).unwrap();
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert!(e
            .string_to_sign
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256\n20130524T000000Z\n"));
        assert!(e.canonical_request.unwrap().ends_with("\nUNSIGNED-PAYLOAD"));
        assert_eq!(e.signature_provided.as_deref(), Some("aa"));
        assert_eq!(e.access_key.as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
    }

    #[test]
    fn gcs_signature_does_not_match() {
        // Google Cloud Storage's shape (xcir/libvmod-awsrest#32, GoogleCloudPlatform/gsutil#1349):
        // no byte dumps, no request id; its front end's Accept-Encoding as in
        // siderolabs/talos-backup#64.
        let r = resp(403, "<?xml version='1.0' encoding='UTF-8'?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method.</Message><StringToSign>GOOG4-HMAC-SHA256\n20261208T003431Z\n20261208/auto/storage/goog4_request\nb68e</StringToSign><CanonicalRequest>PUT\n/bucket/obj\n\naccept-encoding:identity,gzip(gfe)\nhost:storage.googleapis.com\n\naccept-encoding;host\nUNSIGNED-PAYLOAD</CanonicalRequest></Error>");
        let e = parse(&r).unwrap();
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert!(e.string_to_sign.unwrap().starts_with("GOOG4-HMAC-SHA256\n"));
        assert_eq!(
            e.canonical_request.unwrap().lines().nth(3),
            Some("accept-encoding:identity,gzip(gfe)")
        );
        assert!(e.message.unwrap().contains("Google secret key"));
    }

    #[test]
    fn bytes_only_and_region_and_skew() {
        let e = parse(&resp(403, "<Error><Code>SignatureDoesNotMatch</Code><StringToSignBytes>47 45 54 0a 2f</StringToSignBytes></Error>")).unwrap();
        assert_eq!(e.string_to_sign.as_deref(), Some("GET\n/"));
        let e = parse(&resp(400, "<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region></Error>")).unwrap();
        assert_eq!(e.region.as_deref(), Some("eu-west-1"));
        let e = parse(&resp(403, "<Error><Code>RequestTimeTooSkewed</Code><RequestTime>20130524T000000Z</RequestTime><ServerTime>2013-05-24T00:20:00Z</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds></Error>")).unwrap();
        assert_eq!(e.server_time.as_deref(), Some("2013-05-24T00:20:00Z"));
    }

    #[test]
    fn query_json_and_keystone() {
        let e = parse(&resp(403, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.\n\nThe Canonical String for this request should have been\n'POST\n/\n\nhost:sts.amazonaws.com\n\nhost\nabc'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20150830T123600Z\nx\ny'\n</Message></Error><RequestId>r</RequestId></ErrorResponse>")).unwrap();
        assert_eq!(
            e.canonical_request.as_deref(),
            Some("POST\n/\n\nhost:sts.amazonaws.com\n\nhost\nabc")
        );
        assert_eq!(
            e.string_to_sign.as_deref(),
            Some("AWS4-HMAC-SHA256\n20150830T123600Z\nx\ny")
        );
        let e = parse(&resp(400, "{\"__type\":\"com.amazon.coral.service#InvalidSignatureException\",\"message\":\"Signature expired\"}")).unwrap();
        assert_eq!(e.code, "InvalidSignatureException");
        let e = parse(&resp(401, "{\"error\": {\"code\": 401, \"title\": \"Unauthorized\", \"message\": \"Invalid EC2 signature.\"}}")).unwrap();
        assert_eq!(
            (e.code.as_str(), e.message.as_deref()),
            ("Unauthorized", Some("Invalid EC2 signature."))
        );
        assert!(parse(&resp(200, "<Error><Code>X</Code></Error>")).is_none());
        assert!(parse(&resp(500, "plain text")).is_none());
        // Cut-off XML still yields what was read.
        assert_eq!(
            parse(&resp(500, "<Error><Code>Cut</Code><Message>unterminat"))
                .unwrap()
                .code,
            "Cut"
        );
    }
}
