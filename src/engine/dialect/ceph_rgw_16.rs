//! `ceph-rgw-16.2`: Ceph RGW 16.2 (pacific), the release Debian 12 ships (`radosgw`
//! 16.2.15+ds-0+deb12u2). Its rules are `ceph-rgw`'s (read in newer source) except where the
//! real 16.2.15 judged otherwise in the conformance corpus (`tests/conformance/rgw-16.2.15`,
//! made by `tests/conformance/gen/make.sh` against `../shared/servers/start-ceph-rgw.sh`), which
//! also holds the canonical request and string to sign RGW logged for each request:
//! - a repeated query parameter: RGW 16.2 logged only the last value in its canonical query
//!   string (`prefix=a&prefix=b` signed as `prefix=b`; cases `query-repeated-*`): its
//!   get_v4_canonical_qs reads the parameters from a map that keeps one value per name;
//! - an `x-amz-*` header sent without being signed is accepted (case `header-unsigned-amz`);
//!   the rule that refuses it (rgw_auth_s3.cc, "x-amz-* header not signed") came later;
//! - SigV2 sub-resources: `encryption` and `object-lock` are not in 16.2's
//!   `signed_subresources`, `policyStatus` and `publicAccessBlock` are (cases
//!   `v2-subresource-*`: RGW's logged string to sign names the resource it signed).

use super::*;

pub static DIALECT: Dialect = Dialect {
    name: "ceph-rgw-16.2",
    summary: "Ceph RGW 16.2 pacific (judged by a real radosgw 16.2.15)",
    sigv4: SigV4Rules {
        query: QueryRule {
            duplicates: DuplicateOrder::LastWins,
            ..super::ceph_rgw::DIALECT.sigv4.query
        },
        required_signed: RequiredSigned { host: true, amz_headers: false, amz_headers_s3_only: false },
        ..super::ceph_rgw::DIALECT.sigv4
    },
    sigv2: Some(SigV2Rules {
        subresources: &[
            "acl", "cors", "delete", "lifecycle", "location", "logging", "notification",
            "partNumber", "policy", "policyStatus", "publicAccessBlock", "requestPayment",
            "response-cache-control", "response-content-disposition", "response-content-encoding",
            "response-content-language", "response-content-type", "response-expires", "tagging",
            "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website",
        ],
        sort_subresources: false,
        date_line: V2DateLine::EmptyIfAmzDate,
        subresource_plus_is_space: false,
        bucket_root_slash: false,
        virtual_hosted: false,
    }),
    query: None,
    sources: &[
        "radosgw 16.2.15 (Debian 12), judged in tests/conformance/rgw-16.2.15 (answers.tsv, strings.tsv)",
        "ceph/ceph src/rgw/rgw_auth_s3.cc (get_v4_canonical_qs, signed_subresources), as in ceph-rgw",
    ],
};
