"""A paramiko SSH server on stdin/stdout, for packet's interop tests.

Usage: paramiko_server.py HOSTKEY AUTHORIZED_PUBKEY_BASE64 CIPHER MAC COMPRESSION

It accepts publickey authentication for that key (any user), opens
session channels and answers "exec" by echoing the channel's data back
until EOF. It is a test peer only.
"""
import os
import sys
import threading

import paramiko


class PipeSock:
    """The socket interface paramiko's Packetizer uses, over fds 0 and 1."""

    def settimeout(self, t):
        pass

    def gettimeout(self):
        return None

    def recv(self, n):
        return os.read(0, n)

    def send(self, b):
        return os.write(1, b)

    def sendall(self, b):
        while b:
            b = b[os.write(1, b):]

    def close(self):
        pass

    def getpeername(self):
        return ("pipe", 0)


class Server(paramiko.ServerInterface):
    def __init__(self, key_b64):
        self.key_b64 = key_b64
        self.exec_event = threading.Event()

    def get_allowed_auths(self, username):
        return "publickey"

    def check_auth_publickey(self, username, key):
        if key.get_base64() == self.key_b64:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel, command):
        threading.Thread(target=echo, args=(channel,), daemon=True).start()
        return True


def echo(ch):
    while True:
        d = ch.recv(65536)
        if not d:
            break
        ch.sendall(d)
    ch.send_exit_status(0)
    ch.shutdown_write()
    ch.close()


def main():
    hostkey, pub_b64, cipher, mac, comp = sys.argv[1:6]
    t = paramiko.Transport(PipeSock())
    opts = t.get_security_options()
    opts.ciphers = (cipher,)
    opts.digests = (mac,)
    opts.kex = ("curve25519-sha256@libssh.org",)
    opts.key_types = ("ssh-ed25519",)
    if comp != "none":
        opts.compression = (comp,)
    t.add_server_key(paramiko.Ed25519Key(filename=hostkey))
    server = Server(pub_b64)
    t.start_server(server=server)
    ch = t.accept(30)
    while t.is_active():
        t.join(0.2)


main()
