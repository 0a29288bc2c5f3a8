use super::*;

/// Pseudo-random bytes (no RNG needed: the CRCs only need varied input).
fn data(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn raw(a: Algorithm, d: &[u8]) -> u64 {
    unb64(&a.compute(d))
        .unwrap()
        .iter()
        .fold(0u64, |c, b| (c << 8) | u64::from(*b))
}

/// The combination against the CRC of the concatenation, computed by the crates
/// (crc32fast, crc32c, crc) over the joined bytes: the oracle is not this code.
#[test]
fn crc_combine_is_the_crc_of_the_concatenation() {
    for a in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
        for (n1, n2) in [(0, 5), (1, 1), (4096, 4096), (10_000, 1808), (3, 65_537)] {
            let (x, y) = (data(n1, 1), data(n2, 2));
            let joined = [x.clone(), y.clone()].concat();
            assert_eq!(
                crc_combine(a, raw(a, &x), raw(a, &y), n2 as u64),
                Some(raw(a, &joined)),
                "{} {n1}+{n2}",
                a.name()
            );
        }
    }
    assert_eq!(crc_combine(Algorithm::Sha256, 1, 2, 3), None);
}

#[test]
fn crc32_combine_agrees_with_crc32fast() {
    let (x, y) = (data(777, 3), data(1234, 4));
    let mut h = crc32fast::Hasher::new();
    h.update(&x);
    let mut g = crc32fast::Hasher::new();
    g.update(&y);
    h.combine(&g);
    let want = h.finalize();
    let got = crc_combine(
        Algorithm::Crc32,
        u64::from(crc32fast::hash(&x)),
        u64::from(crc32fast::hash(&y)),
        1234,
    );
    assert_eq!(got, Some(u64::from(want)));
}

fn part(number: u32, a: Algorithm, d: &[u8]) -> PartSeen {
    PartSeen {
        number,
        len: d.len() as u64,
        checksums: vec![(a, a.compute(d))],
    }
}

fn complete(xml: &str, headers: &[(&str, &str)]) -> Request {
    Request {
        method: "POST".into(),
        target: b"/b/k?uploadId=U".to_vec(),
        version: "HTTP/1.1".into(),
        headers: headers
            .iter()
            .map(|(n, v)| crate::http::Header::new(*n, *v))
            .collect(),
        body: xml.as_bytes().to_vec(),
        ..Default::default()
    }
}

fn xml(parts: &[(u32, &str, &str)]) -> String {
    let mut s = String::from("<CompleteMultipartUpload>");
    for (n, el, v) in parts {
        s +=
            &format!("<Part><ETag>\"e\"</ETag><{el}>{v}</{el}><PartNumber>{n}</PartNumber></Part>");
    }
    s + "</CompleteMultipartUpload>"
}

#[test]
fn composite_and_full_object_from_the_parts() {
    let (p1, p2) = (data(4096, 5), data(1000, 6));
    let whole = [p1.clone(), p2.clone()].concat();
    for a in [
        Algorithm::Crc32,
        Algorithm::Crc32c,
        Algorithm::Crc64Nvme,
        Algorithm::Sha256,
    ] {
        let mut seen = UploadSeen::default();
        seen.add(part(2, a, &p2));
        seen.add(part(1, a, &p1));
        let el = format!("Checksum{}", a.name());
        let body = xml(&[(1, &el, &a.compute(&p1)), (2, &el, &a.compute(&p2))]);
        let (listed, _) = listed(body.as_bytes());
        assert_eq!(listed.len(), 2);
        let got = object_checksum(&complete(&body, &[]), &listed, &seen).unwrap();
        if a == Algorithm::Crc64Nvme {
            // CRC64NVME's only type: the whole object's CRC.
            assert_eq!(got.kind, ChecksumType::FullObject);
            assert_eq!(got.value, a.compute(&whole));
        } else {
            let mut raw = unb64(&a.compute(&p1)).unwrap();
            raw.extend(unb64(&a.compute(&p2)).unwrap());
            assert_eq!(got.kind, ChecksumType::Composite);
            assert_eq!(got.value, format!("{}-2", a.compute(&raw)));
        }
        if a != Algorithm::Sha256 {
            let full = complete(&body, &[("x-amz-checksum-type", "FULL_OBJECT")]);
            let got = object_checksum(&full, &listed, &seen).unwrap();
            assert_eq!(got.value, a.compute(&whole), "{}", a.name());
        }
    }
}

#[test]
fn a_part_listed_with_another_checksum_is_named() {
    let (p1, p2) = (data(100, 7), data(50, 8));
    let a = Algorithm::Crc32;
    let mut seen = UploadSeen::default();
    seen.add(part(1, a, &p1));
    seen.add(part(2, a, &p2));
    let good = xml(&[
        (1, "ChecksumCRC32", &a.compute(&p1)),
        (2, "ChecksumCRC32", &a.compute(&p2)),
    ]);
    let ctx = MultipartContext::Complete(seen.clone());
    let (f, wrong) = findings(&complete(&good, &[]), None, &ctx);
    assert!(f.is_empty() && !wrong, "{f:?}");
    let bad = xml(&[
        (1, "ChecksumCRC32", &a.compute(&p1)),
        (2, "ChecksumCRC32", "AAAAAA=="),
    ]);
    let (f, wrong) = findings(&complete(&bad, &[]), None, &ctx);
    assert!(wrong);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].code, Code::MultipartChecksumMismatch);
    assert!(
        f[0].message.contains("part 2 with ChecksumCRC32 AAAAAA=="),
        "{}",
        f[0].message
    );
}

#[test]
fn roles() {
    let req = |m: &str, t: &str| Request {
        method: m.into(),
        target: t.as_bytes().to_vec(),
        version: "HTTP/1.1".into(),
        ..Default::default()
    };
    assert_eq!(role(&req("POST", "/b/k?uploads")), Role::Create(None));
    assert_eq!(
        role(&req("PUT", "/b/k?partNumber=3&uploadId=a%2Bb")),
        Role::Part {
            upload: "a+b".into(),
            number: 3
        }
    );
    assert_eq!(
        role(&req("POST", "/b/k?uploadId=x")),
        Role::Complete { upload: "x".into() }
    );
    assert_eq!(role(&req("GET", "/b/k")), Role::Read);
    assert_eq!(role(&req("PUT", "/b/k")), Role::Other);
    assert_eq!(role(&req("DELETE", "/b/k?uploadId=x")), Role::Other);
}
