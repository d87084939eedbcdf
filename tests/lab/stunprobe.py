#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Send STUN Binding requests (RFC 5389) and print the mapped addresses.

All UDP requests leave from ONE local socket, so the output tells how a NAT
maps a single internal endpoint toward several destinations: a port-preserving
(endpoint-independent) NAT shows the same mapped port everywhere, a symmetric
NAT a different one per destination.

Output, one line per server:
  server=HOST:PORT proto=udp local=IP:PORT mapped=IP:PORT
  server=HOST:PORT proto=udp local=IP:PORT timeout
Exit status: 0 if every server answered, 2 if any did not, 1 on usage error.

With --punch PEER:PORT it does UDP hole punching instead: it sends a datagram
to the peer every 100 ms from --local-port and succeeds once it has heard from
the peer's address and sent it 10 more datagrams (so the peer hears it too):
  punch peer=HOST:PORT local=IP:PORT received-from=IP:PORT sent=N received=N
  punch peer=HOST:PORT local=IP:PORT timeout sent=N received=0
"""

import argparse
import hashlib
import hmac
import os
import select
import socket
import ssl
import struct
import sys
import time
import zlib

MAGIC = 0x2112A442


def request():
    txid = os.urandom(12)
    return txid, struct.pack("!HHI", 0x0001, 0, MAGIC) + txid


def decode(data, txid):
    """(type, {attr-type: value}) of a STUN message answering txid, or None."""
    if len(data) < 20:
        return None
    mtype, mlen, magic = struct.unpack("!HHI", data[:8])
    if magic != MAGIC or data[8:20] != txid:
        return None
    attrs, pos, end = {}, 20, min(len(data), 20 + mlen)
    while pos + 4 <= end:
        atype, alen = struct.unpack("!HH", data[pos:pos + 4])
        attrs.setdefault(atype, data[pos + 4:pos + 4 + alen])
        pos += 4 + ((alen + 3) & ~3)
    return mtype, attrs


def address(attrs, atype, xor=True):
    val = attrs.get(atype)
    if not val or len(val) < 8 or val[1] != 1:
        return None
    port = struct.unpack("!H", val[2:4])[0]
    addr = struct.unpack("!I", val[4:8])[0]
    if xor:
        port ^= MAGIC >> 16
        addr ^= MAGIC
    return "%s:%d" % (socket.inet_ntoa(struct.pack("!I", addr)), port)


def parse(data, txid):
    msg = decode(data, txid)
    if not msg or msg[0] != 0x0101:
        return None
    return address(msg[1], 0x0020) or address(msg[1], 0x0001, xor=False)


def attr(atype, value):
    return struct.pack("!HH", atype, len(value)) + value + \
        b"\0" * ((4 - len(value) % 4) % 4)


def message(mtype, txid, attrs, key=None):
    body = b"".join(attrs)
    if key:
        hdr = struct.pack("!HHI", mtype, len(body) + 24, MAGIC) + txid
        body += attr(0x0008, hmac.new(key, hdr + body, hashlib.sha1).digest())
    hdr = struct.pack("!HHI", mtype, len(body) + 8, MAGIC) + txid
    crc = (zlib.crc32(hdr + body) ^ 0x5354554E) & 0xFFFFFFFF
    return hdr + body + attr(0x8028, struct.pack("!I", crc))


class Stream:
    """STUN over TCP or TLS: one connection, messages framed by length."""

    def __init__(self, server, local_port, timeout, tls, cafile):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.settimeout(timeout)
        sock.bind(("0.0.0.0", local_port))
        sock.connect(server)
        self.local = "%s:%d" % sock.getsockname()
        if tls:
            ctx = ssl.create_default_context(cafile=cafile)
            ctx.check_hostname = False
            if not cafile:
                ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock)
        self.sock, self.buf = sock, b""

    def transact(self, data, txid):
        self.sock.sendall(data)
        while True:
            while len(self.buf) >= 20:
                mlen = struct.unpack("!H", self.buf[2:4])[0]
                if len(self.buf) < 20 + mlen:
                    break
                msg, self.buf = self.buf[:20 + mlen], self.buf[20 + mlen:]
                if msg[8:20] == txid:
                    return msg
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buf += chunk

    def close(self):
        self.sock.close()


class Datagram:
    def __init__(self, server, local_port, timeout):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("0.0.0.0", local_port))
        self.server, self.timeout = server, timeout
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.connect(server)
        self.local = "%s:%d" % (probe.getsockname()[0],
                                self.sock.getsockname()[1])
        probe.close()

    def transact(self, data, txid):
        deadline = time.monotonic() + self.timeout
        interval = 0.2
        while time.monotonic() < deadline:
            self.sock.sendto(data, self.server)
            end = min(time.monotonic() + interval, deadline)
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    break
                if not select.select([self.sock], [], [], left)[0]:
                    break
                msg = self.sock.recvfrom(4096)[0]
                if msg[8:20] == txid:
                    return msg
            interval = min(interval * 2, 1.0)
        return None

    def close(self):
        self.sock.close()


def allocate(conn, user, password):
    """TURN Allocate with long-term credentials; returns (relayed, mapped)
    or raises RuntimeError.  Frees the allocation again (Refresh 0)."""
    transport = attr(0x0019, bytes([17, 0, 0, 0]))
    txid = os.urandom(12)
    msg = decode(conn.transact(message(0x0003, txid, [transport]), txid) or b"",
                 txid)
    if not msg:
        raise RuntimeError("no answer")
    if msg[0] != 0x0113 or 0x0014 not in msg[1] or 0x0015 not in msg[1]:
        raise RuntimeError("unexpected answer 0x%04x" % msg[0])
    realm, nonce = msg[1][0x0014], msg[1][0x0015]
    key = hashlib.md5(b"%s:%s:%s" % (user.encode(), realm,
                                     password.encode())).digest()
    auth = [attr(0x0006, user.encode()), attr(0x0014, realm),
            attr(0x0015, nonce)]
    txid = os.urandom(12)
    msg = decode(conn.transact(message(0x0003, txid, [transport] + auth, key),
                               txid) or b"", txid)
    if not msg:
        raise RuntimeError("no answer to the authenticated Allocate")
    if msg[0] != 0x0103:
        err = msg[1].get(0x0009, b"\0\0\0\0")
        raise RuntimeError("Allocate failed: %d %s" % (
            err[2] * 100 + err[3], err[4:].decode(errors="replace")))
    relayed = address(msg[1], 0x0016)
    mapped = address(msg[1], 0x0020)
    txid = os.urandom(12)
    conn.transact(message(0x0004, txid, [attr(0x000D, b"\0\0\0\0")] + auth,
                          key), txid)
    return relayed, mapped


def split(hostport):
    host, _, port = hostport.rpartition(":")
    return host, int(port)


def probe_udp(sock, server, timeout):
    txid, req = request()
    deadline = time.monotonic() + timeout
    interval = 0.2
    while True:
        sock.sendto(req, server)
        wait = min(interval, deadline - time.monotonic())
        if wait <= 0:
            return None
        end = time.monotonic() + wait
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                break
            data, _ = sock.recvfrom(2048)
            mapped = parse(data, txid)
            if mapped:
                return mapped
        interval = min(interval * 2, 1.0)


def probe_tcp(server, local_port, timeout):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.settimeout(timeout)
    try:
        sock.bind(("0.0.0.0", local_port))
        sock.connect(server)
        local = "%s:%d" % sock.getsockname()
        txid, req = request()
        sock.sendall(req)
        data = b""
        while len(data) < 20 or len(data) < 20 + struct.unpack("!H", data[2:4])[0]:
            chunk = sock.recv(2048)
            if not chunk:
                break
            data += chunk
        return local, parse(data, txid)
    except OSError:
        return "%s:%d" % sock.getsockname(), None
    finally:
        sock.close()


def punch(peer, local_port, timeout):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", local_port))
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect(peer)
    local = "%s:%d" % (probe.getsockname()[0], sock.getsockname()[1])
    probe.close()
    deadline = time.monotonic() + timeout
    sent = received = after = 0
    heard = None
    while time.monotonic() < deadline and after < 10:
        sock.sendto(b"punch %d" % sent, peer)
        sent += 1
        if heard:
            after += 1
        end = time.monotonic() + 0.1
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                break
            data, addr = sock.recvfrom(2048)
            if addr[0] == peer[0] and data.startswith(b"punch"):
                received += 1
                heard = heard or "%s:%d" % addr
    print("punch peer=%s:%d local=%s %s sent=%d received=%d" %
          (peer[0], peer[1], local,
           "received-from=" + heard if heard else "timeout", sent, received))
    return 0 if heard else 2


def turn_main(args):
    failed = False
    proto = "tls" if args.tls else "tcp" if args.tcp else "udp"
    for s in args.servers:
        server, local, result = split(s), "-", None
        try:
            if proto == "udp":
                conn = Datagram(server, args.local_port, args.timeout)
            else:
                conn = Stream(server, args.local_port, args.timeout,
                              args.tls, args.cafile)
            local = conn.local
            try:
                if args.allocate:
                    relayed, mapped = allocate(conn, *args.allocate)
                    result = "relayed=%s mapped=%s" % (relayed, mapped)
                else:
                    txid, req = request()
                    mapped = parse(conn.transact(req, txid) or b"", txid)
                    result = "mapped=" + mapped if mapped else None
            finally:
                conn.close()
        except (OSError, RuntimeError) as e:
            result, error = None, str(e) or type(e).__name__
        else:
            error = "timeout"
        print("server=%s proto=%s local=%s %s" % (s, proto, local,
                                                  result or "error=" + error))
        failed |= result is None
    sys.stdout.flush()
    return 2 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tcp", action="store_true", help="STUN over TCP")
    ap.add_argument("--local-port", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=2.0,
                    help="seconds per server (default 2)")
    ap.add_argument("--punch", metavar="PEER:PORT",
                    help="UDP hole punching toward PEER:PORT")
    ap.add_argument("--allocate", nargs=2, metavar=("USER", "PASS"),
                    help="TURN Allocate (and free) instead of Binding")
    ap.add_argument("--tls", action="store_true", help="STUN over TLS")
    ap.add_argument("--cafile", help="verify the TLS server with this CA")
    ap.add_argument("servers", nargs="*", metavar="HOST:PORT")
    args = ap.parse_args()
    if args.punch:
        sys.exit(punch(split(args.punch), args.local_port, args.timeout))
    if not args.servers:
        ap.error("no server given")
    if args.allocate or args.tls:
        return turn_main(args)

    failed = False
    if args.tcp:
        for s in args.servers:
            local, mapped = probe_tcp(split(s), args.local_port, args.timeout)
            print("server=%s proto=tcp local=%s %s" %
                  (s, local, "mapped=" + mapped if mapped else "timeout"))
            failed |= mapped is None
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("0.0.0.0", args.local_port))
        for s in args.servers:
            server = split(s)
            # connect() only to learn the local address used for this server
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probe.connect(server)
            local = "%s:%d" % (probe.getsockname()[0], sock.getsockname()[1])
            probe.close()
            mapped = probe_udp(sock, server, args.timeout)
            print("server=%s proto=udp local=%s %s" %
                  (s, local, "mapped=" + mapped if mapped else "timeout"))
            failed |= mapped is None
        sock.close()
    sys.stdout.flush()
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
