//! `keystone`: current python-keystoneclient `Ec2Signer` (keystoneclient/contrib/ec2/utils.py at
//! bd3d26799d) behind keystone's ec2tokens API and heat's ec2token middleware.

use super::*;

pub(super) const DIALECT_SIGV4: SigV4Rules = SigV4Rules {
    // canonical_query_str(verb, params) returns '' for POST (cf5e45dd, 0.11.0).
    form_post_query: FormPostQuery::EmptyForPost,
    // _calc_signature_4 uses heat's `req.path`, which webob decodes and re-quotes leaving
    // sub-delims literal (`$`, `+`, `~`); no normalisation, whatever the service.
    path: PathRule {
        normalize: PathNormalize::None,
        encode: PathEncode::DecodeRequoteLenient,
        plus: PathPlus::Plus,
    },
    s3_path: PathRule {
        normalize: PathNormalize::None,
        encode: PathEncode::DecodeRequoteLenient,
        plus: PathPlus::Plus,
    },
    // webob decodes req.params (`+` is a space); _canonical_qs quotes keys with safe='' and
    // values with safe='-_~' after sorting a dict (one value per name).
    query: QueryRule {
        style: QueryStyle::Reencode { tilde_in_names_escaped: false },
        plus: QueryPlus::Space,
        duplicates: DuplicateOrder::LastWins,
    },
    // canonical_header_str: value.strip() only.
    header_values: HeaderTrim::StripOnly,
    duplicate_headers: DuplicateHeaders::JoinComma,
    // Signed headers absent from the request are skipped silently.
    missing_signed_header: MissingHeader::Skip,
    // Port stripped when User-Agent matches Boto/2.[0-9].[0-2] (fb6792ad, LP#1197553).
    host: HostRule::StripPortForOldBoto2,
    // body_hash comes from heat: sha256 of the body received; x-amz-content-sha256 is ignored.
    payload: PayloadRule {
        from_header: false,
        when_absent: MissingPayload::BodyHash,
        // heat hashes the body it received whatever the auth placement.
        presigned_s3_unsigned: false,
    },
    // The date is read from X-Amz-Date only ("Request date mismatch" otherwise).
    date: DateSource::AmzDateOnly,
    // heat pops `Signature` but not `X-Amz-Signature`.
    presigned_keeps_signature: true,
    session_token: SessionToken::Signed,
    required_signed: RequiredSigned {
        host: false,
        amz_headers: false,
        amz_headers_s3_only: false,
    },
    // The payload hash is its caller's (`body_hash`): the payload mode is not its decision,
    // so it refuses none.
    streaming: StreamingModes {
        signed_trailer: true,
        unsigned_trailer: true,
        sigv4a: true,
    },
    // Nor are the checksums: it refuses none.
    checksums: ChecksumRules {
        read: None,
        full_object_crc_only: false,
    },
    // The host is its caller's too (the `host` of the credentials it is handed); callers
    // behind HTTP/1.1 WSGI servers get an HTTP/2 request from a proxy that writes
    // `:authority` into Host (RFC 9113 §8.3.1 has intermediaries do so).
    h2_host: H2Host::Authority,
    // Nothing in front of it rewrites Accept-Encoding.
    gfe_accept_encoding: false,
};

pub static DIALECT: Dialect = Dialect {
    name: "keystone",
    summary: "python-keystoneclient >= 0.11 Ec2Signer (keystone ec2tokens, heat ec2token)",
    sigv4: DIALECT_SIGV4,
    // Keystone's s3tokens only HMACs a string to sign built by the proxy in front of it.
    sigv2: None,
    query: Some(QueryRules {
        versions: &[0, 1, 2],
        // heat passes req.host (the Host header, port included) unchanged.
        host_lowercase: false,
        drop_default_port: false,
        // _calc_signature_2 always uses HmacSHA256.
        force_sha256: true,
        tilde_in_names_escaped: false,
    }),
    sources: &[
        "openstack/python-keystoneclient keystoneclient/contrib/ec2/utils.py @bd3d26799d (Ec2Signer)",
        "openstack/keystone keystone/api/ec2tokens.py @30ef2ffa65",
        "openstack/heat heat/api/aws/ec2token.py @526defd06e",
    ],
};
