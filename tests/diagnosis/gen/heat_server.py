#!/usr/bin/env python3
"""A heat-like CloudWatch endpoint for tests/diagnosis/scenarios.pcap.

usage: heat_server.py {legacy,current} KS_LEGACY_ROOT KS_CURRENT_ROOT CREDENTIALS --port N

samples/gen/demo_server.py (heat's EC2Token middleware + keystone's
/v2.0/ec2tokens check + heat's AWS error XML), imported as it is, with the
Ec2Signer it runs swapped for the chosen python-keystoneclient:

  legacy   keystoneclient/contrib/ec2/utils.py of the 0.9.0 sdist
  current  the same file of the current wheel (see make.sh for the version)

Both are loaded by tests/vectors/real/gen/common.py's load_keystone_signers()
(the REAL library code, not a re-implementation).  keystone's own
check_signature around the signer is demo_server's keystone 2014.1 one for
both instances: a request that the signer accepts never reaches its
quirky retry branch.  Secrets come from CREDENTIALS (an AWS shared
credentials file: keystone's EC2 credential store).
"""

import argparse
import os
import signal
import socket
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "samples", "gen"))
sys.path.insert(0, os.path.join(ROOT, "tests", "vectors", "real", "gen"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("signer", choices=("legacy", "current"))
    ap.add_argument("legacy_root")
    ap.add_argument("current_root")
    ap.add_argument("credentials")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    os.environ["SIGSCOPE_PORT"] = str(args.port)
    import common  # noqa: E402
    import demo_server  # noqa: E402

    def log(msg, _name="heat-%s:%d" % (args.signer, args.port)):
        sys.stderr.write("%s: %s\n" % (_name, msg))
        sys.stderr.flush()
    demo_server.log = log

    common.load_keystone_signers(args.legacy_root, args.current_root)
    mod = common.keystone_module("keystone-legacy" if args.signer == "legacy"
                                 else "keystone")
    demo_server.Ec2Signer = mod.Ec2Signer
    log("keystone verifier: Ec2Signer from %s" % mod.__file__)
    demo_server.load_secrets(args.credentials)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(16)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    log("listening on 127.0.0.1:%d" % args.port)
    try:
        while True:
            sock, peer = srv.accept()
            threading.Thread(target=demo_server.handle, args=(sock, peer),
                             daemon=True).start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.close()


if __name__ == "__main__":
    main()
