"""Run every generator with a frozen clock and write the fixtures.

usage: generate.py KEYSTONE_LEGACY_ROOT KEYSTONE_CURRENT_ROOT
(roots of the extracted python-keystoneclient 0.9.0 sdist and current wheel;
generate.sh downloads and extracts them)
"""

import os
import sys

# Hermetic environment for both boto generations: no user config, no
# credentials from the environment.  Must happen before importing them.
for k in list(os.environ):
    if k.startswith(("AWS_", "BOTO_", "EC2_", "S3_")):
        del os.environ[k]
os.environ["BOTO_CONFIG"] = os.devnull
os.environ["BOTO_PATH"] = os.devnull
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "*"
for k in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
          "ALL_PROXY", "all_proxy"):
    os.environ.pop(k, None)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from freezegun import freeze_time  # noqa: E402

import common  # noqa: E402


def main():
    legacy_root, current_root = sys.argv[1], sys.argv[2]
    common.load_keystone_signers(legacy_root, current_root)
    common.KS_LIBRARY["keystone-legacy"] = \
        "python-keystoneclient %s Ec2Signer" % sys.argv[3]
    common.KS_LIBRARY["keystone"] = \
        "python-keystoneclient %s Ec2Signer" % sys.argv[4]

    srv = common.CaptureServer()
    logs = common.LogCapture("boto", "botocore.auth")

    import gen_boto2
    import gen_botocore
    import gen_keystoneclient

    skipped = []
    with freeze_time(common.FROZEN_TIME):
        skipped += gen_boto2.run(srv, logs) or []
        skipped += gen_botocore.run(srv, logs) or []
        skipped += gen_keystoneclient.run(srv, logs) or []

    for name, why in skipped:
        print("SKIPPED %s: %s" % (name, why))


if __name__ == "__main__":
    main()
