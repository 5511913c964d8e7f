# A paramiko 2.12 SSH server with GSS-API key exchange (gss_kex=True) and
# GSS-API user authentication, for conformance/paramiko_gss_test.go.
#
# usage: paramiko_gss_server.py PORT HOSTKEY GSSHOST USER [KEX,...]
# Accepts connections on 127.0.0.1:PORT until killed; prints "listening"
# on stdout once it does, and one line per finished connection:
#   conn kex=NAME gss_kex_used=BOOL auth=METHOD user=USER
# The acceptor credential comes from the keytab that KRB5_KTNAME names;
# GSSHOST is the target host name (set_gss_host). USER is the only
# account that may log in, with gssapi-keyex or gssapi-with-mic.
# KEX, if given, replaces the key exchange list (security options).
# "exec" answers "exit N" with exit status N and anything else by echoing
# the command back with exit status 0. paramiko's log (DEBUG) goes to
# stderr.
import logging
import socket
import sys
import threading

import paramiko

port, key_path, gss_host, user = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
kex_list = sys.argv[5].split(",") if len(sys.argv) > 5 and sys.argv[5] else None
host_key = paramiko.Ed25519Key.from_private_key_file(key_path)
logging.basicConfig(stream=sys.stderr, level=logging.DEBUG, format="%(asctime)s %(name)s: %(message)s")

# gss-gex-sha1 needs primes; paramiko does not drop it without them.
if not paramiko.Transport.load_server_moduli():
    print("no moduli file", file=sys.stderr)


class Server(paramiko.ServerInterface):
    def __init__(self):
        self.auth = None
        self.user = None
        self.done = threading.Event()

    def get_allowed_auths(self, username):
        return "gssapi-keyex,gssapi-with-mic"

    def enable_auth_gssapi(self):
        return True

    # paramiko 2.12 sends USERAUTH_SUCCESS after a good MIC whatever
    # these return; they record what happened.
    def check_auth_gssapi_keyex(self, username, gss_authenticated=paramiko.AUTH_FAILED, cc_file=None):
        return self._gss("gssapi-keyex", username, gss_authenticated)

    def check_auth_gssapi_with_mic(self, username, gss_authenticated=paramiko.AUTH_FAILED, cc_file=None):
        return self._gss("gssapi-with-mic", username, gss_authenticated)

    def _gss(self, method, username, ok):
        if ok == paramiko.AUTH_SUCCESSFUL and username == user:
            self.auth, self.user = method, username
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel, command):
        replied = channel.transport.reply_sent(channel.remote_chanid)
        threading.Thread(target=run_exec, args=(channel, command.decode(), replied), daemon=True).start()
        return True


def run_exec(ch, command, replied):
    # paramiko answers the exec request after this handler returns; a
    # close before that answer would leave the request unanswered.
    replied.wait(10)
    verb, _, arg = command.partition(" ")
    status = 0
    if verb == "exit":
        status = int(arg)
    else:
        ch.sendall((command + "\n").encode())
    ch.send_exit_status(status)
    ch.shutdown_write()
    ch.close()


class Transport(paramiko.Transport):
    # kex_name records the first key exchange's method: paramiko drops
    # kex_engine at NEWKEYS (the class name if it has no NAME). reply_sent tells when a channel request has
    # been answered.
    kex_name = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.replies = {}  # recipient channel -> Event set once a reply is sent

    def reply_sent(self, recipient):
        ev = threading.Event()
        self.replies[recipient] = ev
        return ev

    def _send_user_message(self, data):
        super()._send_user_message(data)
        b = data.asbytes()
        if b[0] in (99, 100):  # CHANNEL_SUCCESS, CHANNEL_FAILURE
            ev = self.replies.pop(int.from_bytes(b[1:5], "big"), None)
            if ev is not None:
                ev.set()

    def _parse_kex_init(self, m):
        super()._parse_kex_init(m)
        if self.kex_name is None:
            self.kex_name = getattr(self.kex_engine, "NAME", type(self.kex_engine).__name__)


def handle(conn):
    t = Transport(conn, gss_kex=True, gss_deleg_creds=False)
    t.set_gss_host(gss_host, trust_dns=False)
    if kex_list is not None:
        t.get_security_options().kex = kex_list
    t.add_server_key(host_key)
    srv = Server()
    try:
        t.start_server(server=srv)
        while t.is_active():
            t.join(0.2)
    except Exception as e:
        print("error", type(e).__name__, e, file=sys.stderr, flush=True)
    print("conn kex={} gss_kex_used={} auth={} user={}".format(t.kex_name, t.gss_kex_used, srv.auth, srv.user), flush=True)
    t.close()


ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(8)
print("listening", flush=True)
while True:
    c, _ = ls.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
