#!/usr/bin/python3
"""MIT GSS-API peer for the sshstack gssapi interop tests.

Runs one Kerberos GSS context through python-gssapi (MIT libgssapi_krb5)
and speaks a trivial framed protocol on stdin/stdout:

  frame = 4-byte big-endian length, then the bytes.

Frames from the Go test are raw tokens during establishment and
commands afterwards (first byte = op). Every frame this script writes
starts with a status byte: 0 = ok (rest is data), 1 = error (rest is
the error text).

usage: peer.py accept [principal]
       peer.py init <service@host> <flags>   (flags: letters m r s d c i)

Commands after establishment:
  M<msg>               -> MIC over msg
  V<4-byte n><msg><mic> -> verify MIC (empty data on success)
  W<conf byte><msg>     -> wrap token
  U<token>              -> <conf byte><message>
  I                     -> JSON with names, flags, delegation
  D<path>               -> store delegated credentials in FILE:<path>
  Q                     -> quit
"""
import json
import os
import struct
import sys

import gssapi

inp = sys.stdin.buffer
out = sys.stdout.buffer


def read_frame():
    hdr = inp.read(4)
    if len(hdr) < 4:
        sys.exit(0)
    (n,) = struct.unpack(">I", hdr)
    data = inp.read(n)
    if len(data) != n:
        sys.exit(0)
    return data


def write_frame(status, data=b""):
    out.write(struct.pack(">I", len(data) + 1) + bytes([status]) + data)
    out.flush()


def ok(data=b""):
    write_frame(0, data or b"")


def err(e):
    write_frame(1, str(e).encode("utf-8", "replace"))


FLAG_LETTERS = {
    "m": gssapi.RequirementFlag.mutual_authentication,
    "r": gssapi.RequirementFlag.replay_detection,
    "s": gssapi.RequirementFlag.out_of_sequence_detection,
    "d": gssapi.RequirementFlag.delegate_to_peer,
    "c": gssapi.RequirementFlag.confidentiality,
    "i": gssapi.RequirementFlag.integrity,
}


def channel_bindings():
    """PEER_CB in the environment sets application data bindings."""
    cb = os.environ.get("PEER_CB")
    if cb is None:
        return None
    return gssapi.raw.ChannelBindings(application_data=cb.encode())


def establish_accept(principal):
    name = None
    if principal:
        name = gssapi.Name(principal, gssapi.NameType.kerberos_principal)
    creds = gssapi.Credentials(name=name, usage="accept")
    ctx = gssapi.SecurityContext(creds=creds, usage="accept",
                                 channel_bindings=channel_bindings())
    while not ctx.complete:
        tok = read_frame()
        try:
            reply = ctx.step(tok)
        except gssapi.exceptions.GSSError as e:
            err(e)
            sys.exit(0)
        ok(reply)
    return ctx


def establish_init(target, letters):
    flags = 0
    for ch in letters:
        flags |= FLAG_LETTERS[ch]
    name = gssapi.Name(target, gssapi.NameType.hostbased_service)
    ctx = gssapi.SecurityContext(name=name, usage="initiate", flags=flags,
                                 mech=gssapi.MechType.kerberos,
                                 channel_bindings=channel_bindings())
    tok = None
    while True:
        try:
            reply = ctx.step(tok)
        except gssapi.exceptions.GSSError as e:
            err(e)
            sys.exit(0)
        ok(reply)
        if ctx.complete:
            return ctx
        tok = read_frame()


def serve(ctx):
    while True:
        cmd = read_frame()
        op, arg = cmd[:1], cmd[1:]
        try:
            if op == b"M":
                ok(ctx.get_signature(arg))
            elif op == b"V":
                (n,) = struct.unpack(">I", arg[:4])
                ctx.verify_signature(arg[4:4 + n], arg[4 + n:])
                ok()
            elif op == b"W":
                res = ctx.wrap(arg[1:], arg[0] == 1)
                ok(res.message)
            elif op == b"U":
                res = ctx.unwrap(arg)
                ok(bytes([1 if res.encrypted else 0]) + res.message)
            elif op == b"I":
                info = {
                    "initiator": str(ctx.initiator_name),
                    "target": str(ctx.target_name),
                    "flags": int(ctx.actual_flags),
                    "delegated": ctx.delegated_creds is not None,
                }
                ok(json.dumps(info).encode())
            elif op == b"D":
                if ctx.delegated_creds is None:
                    raise RuntimeError("no delegated credentials")
                ctx.delegated_creds.store(store={b"ccache": b"FILE:" + arg},
                                          usage="initiate", overwrite=True)
                ok()
            elif op == b"Q":
                ok()
                return
            else:
                raise RuntimeError("unknown op %r" % op)
        except Exception as e:  # report every failure to the Go side
            err(e)


def main():
    if sys.argv[1] == "accept":
        ctx = establish_accept(sys.argv[2] if len(sys.argv) > 2 else None)
    else:
        ctx = establish_init(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "m")
    serve(ctx)


if __name__ == "__main__":
    main()
