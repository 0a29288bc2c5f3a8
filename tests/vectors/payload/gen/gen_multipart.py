#!/usr/bin/env python3
"""Real boto3 multipart uploads with flexible checksums, over HTTPS to `sigscope listen` in
proxy mode in front of moto's S3 server (run by generate_multipart.sh, which starts both and
keeps what the listener saves).

boto3's upload_file (s3transfer) splits the file into parts of `multipart_chunksize`; S3 and
s3transfer refuse parts under 5 MiB (s3transfer/utils.py ChunksizeAdjuster, MIN_UPLOAD_CHUNKSIZE),
so the generator lowers s3transfer's floor to 4 KiB and moto's (S3_UPLOAD_PART_MIN_SIZE, set by
the script) likewise, to keep the capture small: 10 000 bytes in parts of 4096, 4096, 1808.
Everything on the wire is boto3's; moto answers.

The uploads, in order (keys say which; the manifest lists what each sent and moto answered):
  composite-crc32    upload_file, ExtraArgs ChecksumAlgorithm=CRC32, then head_object and
                     get_object with ChecksumMode=ENABLED.
  composite-sha256   the same with SHA256.
  default            upload_file without ChecksumAlgorithm (what boto3 does by default), then
                     head_object with ChecksumMode=ENABLED.
  bad-part           CRC32; a before-sign hook on CompleteMultipartUpload changes part 2's
                     <ChecksumCRC32> in the XML (its first base64 character) before it is
                     signed, so the request is well signed but names a checksum part 2 was
                     not uploaded with.

Usage: gen_multipart.py ENDPOINT CA_FILE MANIFEST_OUT
"""
import io
import json
import re
import sys

import boto3
import botocore.config
import s3transfer.utils
from boto3.s3.transfer import TransferConfig

ENDPOINT, CA_FILE, MANIFEST = sys.argv[1:4]
AK = "AKIDEXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
DATA = bytes((i * i * 31 + i * 7 + 3) % 251 for i in range(10000))  # parts differ
PART = 4096

# s3transfer's floor on the part size (5 MiB), lowered for a small capture.
_d = s3transfer.utils.ChunksizeAdjuster.__init__.__defaults__
s3transfer.utils.ChunksizeAdjuster.__init__.__defaults__ = (_d[0], 1024, _d[2])


def client():
    cfg = botocore.config.Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1, "mode": "standard"},
    )
    return boto3.session.Session().client(
        "s3", region_name="us-east-1", endpoint_url=ENDPOINT, verify=CA_FILE,
        aws_access_key_id=AK, aws_secret_access_key=SK, config=cfg)


def corrupt_part_two(request, **_):
    body = request.body if isinstance(request.body, bytes) else request.body.encode()
    parts = re.findall(rb"<ChecksumCRC32>([^<]*)</ChecksumCRC32>", body)
    if len(parts) < 2:
        return
    old = parts[1]
    new = (b"B" if old[:1] != b"B" else b"C") + old[1:]
    request.data = body.replace(b"<ChecksumCRC32>" + old, b"<ChecksumCRC32>" + new, 1)


def main():
    s3 = client()
    s3.create_bucket(Bucket="mpu")
    cfg = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=1,
                         use_threads=False)
    manifest = []
    for key, alg in [("composite-crc32", "CRC32"), ("composite-sha256", "SHA256"),
                     ("default", None), ("bad-part", "CRC32")]:
        c = client()
        if key == "bad-part":
            c.meta.events.register("before-sign.s3.CompleteMultipartUpload", corrupt_part_two)
        extra = {"ChecksumAlgorithm": alg} if alg else {}
        entry = {"key": key, "algorithm": alg, "size": len(DATA)}
        try:
            c.upload_fileobj(io.BytesIO(DATA), "mpu", key, ExtraArgs=extra, Config=cfg)
            entry["uploaded"] = True
        except Exception as e:  # the server's refusal is part of the record
            entry["uploaded"] = False
            entry["error"] = str(e)
        if entry["uploaded"]:
            h = s3.head_object(Bucket="mpu", Key=key, ChecksumMode="ENABLED")
            entry["head"] = {k: v for k, v in h.items() if k.startswith("Checksum")}
            if key != "default":
                s3.get_object(Bucket="mpu", Key=key, ChecksumMode="ENABLED")["Body"].read()
        manifest.append(entry)
    with open(MANIFEST, "w") as f:
        json.dump({"boto3": boto3.__version__, "uploads": manifest}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
