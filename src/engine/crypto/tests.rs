use super::*;

/// An AWS scope (`AWS4` prefix, `aws4_request`).
fn aws<'a>(date: &'a str, region: &'a str, service: &'a str) -> KeyScope<'a> {
    KeyScope {
        signing: Signing::HmacSha256,
        access_key: "",
        key_prefix: "AWS4",
        date,
        region,
        service,
        terminator: "aws4_request",
    }
}

#[test]
fn cached_chains_are_the_derived_ones_whatever_the_order() {
    let cache = KeyCache::default();
    let scopes = [
        ("s1", "20150830", "us-east-1", "s3"),
        ("s1", "20150830", "us-east-1", "iam"),
        ("s2", "20150830", "us-east-1", "s3"),
        // The secret's length keeps `s1` + `2…` apart from `s12` + `…`.
        ("s12", "0150830", "us-east-1", "s3"),
    ];
    for round in 0..3 {
        for (i, (secret, date, region, service)) in scopes.iter().enumerate() {
            let (secret, date, region, service) = if round == 1 {
                scopes[scopes.len() - 1 - i]
            } else {
                (*secret, *date, *region, *service)
            };
            let got = cache.chain(secret, &aws(date, region, service));
            let want = derive_chain(secret, &aws(date, region, service));
            assert_eq!(got.k_signing, want.k_signing, "{secret} {date} {service}");
            assert_eq!(got.k_date, want.k_date);
        }
    }
}

#[test]
fn chains_are_found_by_secret_and_scope() {
    let keys = SigningKeys::default();
    let a = keys.chain("secret-a", &aws("20150830", "us-east-1", "s3"));
    let b = keys.chain("secret-b", &aws("20150830", "us-east-1", "s3"));
    assert_ne!(a.k_signing, b.k_signing);
    assert_eq!(keys.map.lock().unwrap().len(), 2);
    // The same secret and scope: found in the map (this thread's last chain is `b`'s), as a
    // marked entry shows.
    let key = chain_key("secret-a", &aws("20150830", "us-east-1", "s3"));
    keys.map.lock().unwrap().get_mut(&key).unwrap().k_date = [7; 32];
    let again = keys.chain("secret-a", &aws("20150830", "us-east-1", "s3"));
    assert_eq!(again.k_date, [7; 32]);
    assert_eq!(again.k_signing, a.k_signing);
    assert_eq!(keys.map.lock().unwrap().len(), 2);
    // And then the thread's last chain.
    keys.map.lock().unwrap().clear();
    let last = keys.chain("secret-a", &aws("20150830", "us-east-1", "s3"));
    assert_eq!(last.k_date, [7; 32]);
    // The fields are length-prefixed: moving a character from one field to the next is
    // another key.
    assert_ne!(
        chain_key("s1", &aws("20150830", "r", "s3")),
        chain_key("s12", &aws("0150830", "r", "s3"))
    );
    assert_ne!(
        chain_key(
            "s",
            &KeyScope {
                terminator: "t",
                ..aws("d", "ab", "c")
            }
        ),
        chain_key(
            "s",
            &KeyScope {
                terminator: "t",
                ..aws("d", "a", "bc")
            }
        )
    );
}

#[test]
fn search_memo_remembers_outcomes() {
    let cache = KeyCache::default();
    assert_eq!(cache.search_outcome("GET /a"), None);
    cache.remember_search("GET /a".into(), Some("double-encoded path".into()));
    cache.remember_search("GET /b".into(), None);
    assert_eq!(
        cache.search_outcome("GET /a"),
        Some(Some("double-encoded path".into()))
    );
    // One search that found nothing is not yet a rule for the shape: the next request of it
    // is searched again, until NEGATIVE_AFTER searches agree.
    assert_eq!(cache.search_outcome("GET /b"), None);
    for _ in 1..NEGATIVE_AFTER {
        cache.remember_search("GET /b".into(), None);
    }
    assert_eq!(cache.search_outcome("GET /b"), Some(None));
    // An explanation found later replaces the count.
    cache.remember_search("GET /b".into(), Some("host without its port".into()));
    assert_eq!(
        cache.search_outcome("GET /b"),
        Some(Some("host without its port".into()))
    );
}

#[test]
fn aws_documentation_signing_key() {
    // AWS General Reference, "Examples of how to derive a signing key" (IAM, 20150830).
    let c = derive_chain(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        &aws("20150830", "us-east-1", "iam"),
    );
    assert_eq!(
        hex::encode(c.k_signing),
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    );
    let cache = KeyCache::default();
    let again = cache.chain(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        &aws("20150830", "us-east-1", "iam"),
    );
    assert_eq!(again.k_signing, c.k_signing);
    assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    assert_eq!(to_hex(&[0, 0x7f, 0xff, 0x10]), "007fff10");
}

#[test]
fn constant_time_compare() {
    assert!(signatures_equal("abc", "abc"));
    assert!(!signatures_equal("abc", "abd"));
    assert!(!signatures_equal("abc", "abcd"));
}
