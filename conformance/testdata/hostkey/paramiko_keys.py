#!/usr/bin/python3
"""Cross-check of hostkey key files and signatures with paramiko.

Reads a JSON list on stdin, one object per key:
  {"type": "ed25519"|"ecdsa"|"rsa", "path": ..., "password": ... or null,
   "alg": signature algorithm, "data": hex, "sig": hex of our signature blob}
For each key it loads the private key file, verifies our signature and
signs data with alg, and prints a JSON list of
  {"loaded": bool, "verified": bool, "sig": hex of paramiko's blob, "error": str}
"""
import json
import sys

import paramiko

LOADERS = {
    "ed25519": paramiko.Ed25519Key,
    "ecdsa": paramiko.ECDSAKey,
    "rsa": paramiko.RSAKey,
}


def check(req):
    out = {"loaded": False, "verified": False, "sig": "", "error": ""}
    try:
        key = LOADERS[req["type"]].from_private_key_file(req["path"], password=req["password"])
        out["loaded"] = True
        data = bytes.fromhex(req["data"])
        # Verify with the public half alone (paramiko's Ed25519Key loaded
        # from a private key file cannot verify).
        pub = LOADERS[req["type"]](data=key.asbytes())
        out["verified"] = bool(pub.verify_ssh_sig(data, paramiko.Message(bytes.fromhex(req["sig"]))))
        if req["type"] == "rsa":
            msg = key.sign_ssh_data(data, algorithm=req["alg"])
        else:
            msg = key.sign_ssh_data(data)
        out["sig"] = msg.asbytes().hex()
    except Exception as e:  # reported to the Go test
        out["error"] = "%s: %s" % (type(e).__name__, e)
    return out


def main():
    reqs = json.load(sys.stdin)
    json.dump([check(r) for r in reqs], sys.stdout)


if __name__ == "__main__":
    main()
