//! `keystone-legacy`: python-keystoneclient 0.9.0 `Ec2Signer` (keystoneclient/contrib/ec2/utils.py)
//! as keystone's ec2tokens API ran it behind heat's ec2token middleware, before commit cf5e45dd
//! (0.11.0, LP#1360892). heat passes `req.params` (query and form body merged), so the form
//! parameters of a POST land in the canonical query: the bug that rejected every cfn-push-stats
//! request. Only the knobs that differ from `keystone` are commented here.

use super::*;

pub static DIALECT: Dialect = Dialect {
    name: "keystone-legacy",
    summary: "python-keystoneclient <= 0.10 Ec2Signer: POST form params in the canonical query",
    sigv4: SigV4Rules {
        // _calc_signature_4 puts _canonical_qs(params) on line 3 for every verb.
        form_post_query: FormPostQuery::MergeFormBody,
        ..super::keystone::DIALECT_SIGV4
    },
    sigv2: None,
    query: Some(QueryRules {
        versions: &[0, 1, 2],
        host_lowercase: false,
        drop_default_port: false,
        force_sha256: true,
        // It ran on Python 2, whose quote(name, safe='') escaped '~'.
        tilde_in_names_escaped: true,
    }),
    sources: &[
        "openstack/python-keystoneclient keystoneclient/contrib/ec2/utils.py @0.9.0 (Ec2Signer._calc_signature_0/1/2/4)",
        "openstack/heat heat/api/aws/ec2token.py (params = req.params, host = req.host, body_hash = sha256(body))",
    ],
};
