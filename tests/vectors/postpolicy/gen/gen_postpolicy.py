"""Browser-upload forms made by real clients, posted by a real HTTP client to `sigscope listen`.

SigV4 forms: botocore's `S3Client.generate_presigned_post` (the form fields and the signed
policy are botocore's; nothing is signed here). SigV2 forms: boto 2's
`S3Connection.build_post_form_args`. Each form is posted with `requests` (multipart/form-data,
the file last), valid and with one condition violated, to the listener given on the command
line, which saves the exchanges. The cases and what S3 answers for each (the codes and
messages are S3's documented ones, written here by hand, not read from sigscope) go to the
JSON manifest; the script fails if the listener answered otherwise.

    python gen_postpolicy.py http://127.0.0.1:PORT OUT.json
"""

import base64
import json
import os
import subprocess
import tempfile
import sys
from xml.etree import ElementTree

import botocore.config
import botocore.session
import requests

AK, SK = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION = ("ASIAIOSFODNN7SESSION", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
           "FQoGZXIvYXdzEXAMPLESESSIONTOKEN//////////wEaDExample")
# Long enough that the committed forms stay unexpired while the tests read them.
TWENTY_YEARS = 20 * 365 * 24 * 3600
BUCKET = "bucket"


def s3_client(url, creds, version="s3v4"):
    """An S3 client; botocore's default (no signature_version) signs its POST forms with
    SigV2 (HmacV1PostAuth), `s3v4` with SigV4 (S3SigV4PostAuth)."""
    s = botocore.session.get_session()
    ak, sk, token = creds
    config = botocore.config.Config(signature_version=version) if version else None
    return s.create_client("s3", region_name="us-east-1", endpoint_url=url,
                           aws_access_key_id=ak, aws_secret_access_key=sk,
                           aws_session_token=token, config=config)


V4_CONDITIONS = [
    ["starts-with", "$key", "uploads/"],
    ["content-length-range", 1, 1024],
    ["starts-with", "$Content-Type", "text/"],
    {"x-amz-meta-owner": "alice"},
    {"success_action_status": "201"},
]
V4_FIELDS = {"Content-Type": "text/plain", "x-amz-meta-owner": "alice",
             "success_action_status": "201"}


def v4_form(url, expires=TWENTY_YEARS, creds=(AK, SK, None), version="s3v4"):
    c = s3_client(url, creds, version)
    return c.generate_presigned_post(BUCKET, "uploads/${filename}", Fields=dict(V4_FIELDS),
                                     Conditions=[list(x) if isinstance(x, list) else dict(x)
                                                 for x in V4_CONDITIONS],
                                     ExpiresIn=expires)


def v2_form(url_host, port):
    """boto 2's form, made by gen_boto2.py under Python 2 (BOTO2_PYTHON, its path BOTO2_PATH)."""
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.environ["BOTO2_PATH"])
    out = subprocess.run([os.environ["BOTO2_PYTHON"], os.path.join(here, "gen_boto2.py"),
                          url_host, str(port), AK, SK, str(TWENTY_YEARS)],
                         env=env, check=True, capture_output=True, text=True).stdout
    made = json.loads(out)
    return made["boto"], dict(made["fields"])


def tamper_policy(b64):
    doc = json.loads(base64.b64decode(b64))
    for c in doc["conditions"]:
        if isinstance(c, list) and c[0] == "content-length-range":
            c[2] = 10 ** 9
    return base64.b64encode(json.dumps(doc).encode()).decode()


def post(url, fields, data, filename="hello.txt", ctype="text/plain", bucket=BUCKET):
    # A list keeps the fields in order; requests writes `files` after `data`.
    r = requests.post(f"{url}/{bucket}", data=list(fields.items()),
                      files={"file": (filename, data, ctype)}, timeout=10)
    return r


def post_curl(url, fields, data, filename="hello.txt", ctype="text/plain", bucket=BUCKET):
    """The same form sent by curl: `--form-string` for each field (no `@`/`<` magic), `-F` for
    the file, which curl writes last."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "upload")
        with open(path, "wb") as fh:
            fh.write(data)
        out = os.path.join(d, "body")
        args = ["curl", "-sS", "-o", out, "-w", "%{http_code}"]
        for k, v in fields.items():
            args += ["--form-string", f"{k}={v}"]
        args += ["-F", f"file=@{path};filename={filename};type={ctype}", f"{url}/{bucket}"]
        status = int(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
        with open(out, "rb") as fh:
            return status, fh.read()


def main():
    url, out = sys.argv[1], sys.argv[2]
    host, port = url.split("//")[1].split(":")
    small = b"hello from a browser upload\n" * 3
    big = b"x" * 2000
    cases = []

    def case(name, client, fields, expect_status, expect_code, expect_message, finding,
             data=small, bucket=BUCKET, note="", sender="requests"):
        if sender == "curl":
            status, content = post_curl(url, fields, data, bucket=bucket)
        else:
            r = post(url, fields, data, bucket=bucket)
            status, content = r.status_code, r.content
        got_code, got_message = None, ""
        if status >= 300:
            err = ElementTree.fromstring(content)
            got_code, got_message = err.findtext("Code"), err.findtext("Message")
        cases.append({
            "case": name, "client": client, "bucket": bucket, "file_length": len(data),
            "expect_status": expect_status, "expect_code": expect_code,
            "expect_message": expect_message, "expect_finding": finding,
            "got_status": status, "got_code": got_code, "note": note, "sender": sender,
            "signature_version": "sigv4" if "x-amz-signature" in fields else "sigv2",
        })
        if (status, got_code) != (expect_status, expect_code) or \
                (expect_message and expect_message not in got_message):
            print(f"{name}: expected {expect_status} {expect_code} {expect_message!r}, got {status}: {content!r}",
                  file=sys.stderr)
            sys.exit(1)

    v4 = f"botocore {botocore.__version__} generate_presigned_post"
    f = v4_form(url)["fields"]
    case("v4-valid", v4, f, 201, None, None, None)
    case("v4-wrong-key-prefix", v4, {**f, "key": "other/${filename}"}, 403, "AccessDenied",
         'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]',
         "policy-condition-failed")
    case("v4-too-large", v4, f, 400, "EntityTooLarge", None, "policy-length-range", data=big)
    case("v4-wrong-content-type", v4, {**f, "Content-Type": "image/png"}, 403, "AccessDenied",
         'Policy Condition failed: ["starts-with", "$content-type", "text/"]',
         "policy-condition-failed")
    case("v4-extra-field", v4, {**f, "x-amz-meta-extra": "1"}, 403, "AccessDenied",
         "Invalid according to Policy: Extra input fields: x-amz-meta-extra",
         "policy-field-uncovered")
    case("v4-wrong-bucket", v4, f, 403, "AccessDenied",
         'Policy Condition failed: ["eq", "$bucket", "bucket"]', "policy-condition-failed",
         bucket="other-bucket")
    case("v4-tampered-policy", v4, {**f, "policy": tamper_policy(f["policy"])}, 403,
         "SignatureDoesNotMatch", None, None)
    fe = v4_form(url, expires=-60)["fields"]
    case("v4-expired", v4, fe, 403, "AccessDenied", "Invalid according to Policy: Policy expired.",
         "policy-expired")
    fs = v4_form(url, creds=SESSION)["fields"]
    case("v4-session-token", v4, fs, 201, None, None, None,
         note="x-amz-security-token is a form field and a policy condition")

    boto_version, g = v2_form(host, int(port))
    fd = v4_form(url, version=None)["fields"]
    case("botocore-default-v2-valid", v4.replace("generate_presigned_post", "generate_presigned_post (no signature_version: SigV2)"),
         fd, 201, None, None, None, note="botocore's default POST form is SigV2")
    case("botocore-default-v2-wrong-content-type", v4, {**fd, "Content-Type": "text"}, 403,
         "AccessDenied", 'Policy Condition failed: ["starts-with", "$content-type", "text/"]',
         "policy-condition-failed")

    v2 = f"boto {boto_version} build_post_form_args (Python 2.7)"
    case("v2-valid", v2, g, 204, None, None, None)
    case("v2-too-large", v2, g, 400, "EntityTooLarge", None, "policy-length-range", data=big)
    case("v2-wrong-key-prefix", v2, {**g, "key": "elsewhere/${filename}"}, 403, "AccessDenied",
         'Policy Condition failed: ["starts-with", "$key", "uploads/"]', "policy-condition-failed")
    case("v2-tampered-policy", v2, {**g, "policy": tamper_policy(g["policy"])}, 403,
         "SignatureDoesNotMatch", None, None)

    # The same forms sent by curl -F: another multipart writer.
    case("curl-v4-valid", v4, f, 201, None, None, None, sender="curl")
    case("curl-v4-extra-field", v4, {**f, "x-ignore-me": "1", "acl": "public-read"}, 403,
         "AccessDenied", "Invalid according to Policy: Extra input fields: acl",
         "policy-field-uncovered", sender="curl", note="x-ignore-* needs no condition")
    case("curl-v2-valid", v2, g, 204, None, None, None, sender="curl")

    curl = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()[1]
    with open(out, "w") as fh:
        json.dump({"generator": "gen_postpolicy.py: " + v4 + "; " + v2 + "; requests " +
                   requests.__version__ + "; curl " + curl, "cases": cases}, fh, indent=2,
                  sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main()
