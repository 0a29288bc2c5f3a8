#!/usr/bin/env python3
"""The fixtures' HTTP/1.1 server (tests/captures/gen/server.py) behind Python's ssl.

Usage: tls_server.py HOST PORT CERT KEY [GROUP]
(GROUP: the only key-exchange group the server takes, to force a HelloRetryRequest.)
It accepts TLS 1.2 and 1.3; the client picks the version and cipher suite. With
NO_ENCRYPT_THEN_MAC=1 in the environment it refuses encrypt-then-MAC (RFC 7366).
"""
import os
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../gen"))
import server  # noqa: E402


def main():
    host, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    srv = server.Server((host, port), server.Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20:ECDHE+AES")
    if os.environ.get("NO_ENCRYPT_THEN_MAC"):
        ctx.options |= 0x80000  # SSL_OP_NO_ENCRYPT_THEN_MAC: MAC then encrypt for CBC
    ctx.load_cert_chain(cert, key)
    if len(sys.argv) > 5:
        ctx.set_ecdh_curve(sys.argv[5])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    sys.stderr.write("srv: listening on %s %d\n" % (host, port))
    sys.stderr.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
