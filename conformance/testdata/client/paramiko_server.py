# A paramiko 2.12 SSH server for the client facade's interop tests
# (conformance/client_test.go, TestClientAgainstParamiko).
#
# usage: paramiko_server.py PORT HOSTKEY
# Accepts connections on 127.0.0.1:PORT until killed. User "alice" logs in
# with password "secret". "exec" commands: "exit N", "echo" (stdin to
# stdout until EOF), "stderr TEXT". direct-tcpip connects to loopback.
# tcpip-forward answers with port 4242 (for port 0) and then opens one
# forwarded-tcpip channel that says "hello-forward".
import socket
import sys
import threading
import time

import paramiko

port, key_path = int(sys.argv[1]), sys.argv[2]
host_key = paramiko.Ed25519Key.from_private_key_file(key_path)


class Server(paramiko.ServerInterface):
    def __init__(self, transport):
        self.transport = transport
        self.commands = {}

    def get_allowed_auths(self, username):
        return "password"

    def check_auth_password(self, username, password):
        if username == "alice" and password == "secret":
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_direct_tcpip_request(self, chanid, origin, destination):
        self.commands[chanid] = ("direct", destination)
        return paramiko.OPEN_SUCCEEDED

    def check_channel_exec_request(self, channel, command):
        self.commands[channel.get_id()] = ("exec", command.decode())
        return True

    def check_channel_pty_request(self, *args):
        return True

    def check_port_forward_request(self, address, port):
        bound = port or 4242

        def report():
            time.sleep(0.2)
            ch = self.transport.open_forwarded_tcpip_channel(("127.0.0.1", 5555), (address, bound))
            ch.sendall(b"hello-forward")
            ch.close()

        threading.Thread(target=report, daemon=True).start()
        return bound

    def cancel_port_forward_request(self, address, port):
        pass

    def check_global_request(self, kind, msg):
        return kind == "keepalive@openssh.com"


def run_exec(ch, command):
    verb, _, arg = command.partition(" ")
    status = 0
    if verb == "exit":
        status = int(arg)
    elif verb == "echo":
        while True:
            data = ch.recv(32768)
            if not data:
                break
            ch.sendall(data)
    elif verb == "stderr":
        ch.sendall_stderr(arg.encode())
        ch.sendall(b"out")
    else:
        status = 127
    ch.send_exit_status(status)
    ch.close()


def run_direct(ch, destination):
    s = socket.create_connection(destination)

    def up():
        while True:
            d = ch.recv(32768)
            if not d:
                break
            s.sendall(d)
        s.shutdown(socket.SHUT_WR)

    threading.Thread(target=up, daemon=True).start()
    while True:
        d = s.recv(32768)
        if not d:
            break
        ch.sendall(d)
    ch.close()
    s.close()


def handle(conn):
    t = paramiko.Transport(conn)
    t.add_server_key(host_key)
    server = Server(t)
    t.start_server(server=server)
    while t.is_active():
        ch = t.accept(1)
        if ch is None:
            continue
        # The exec request arrives after the open; wait for it briefly.
        for _ in range(100):
            if ch.get_id() in server.commands or ch.closed:
                break
            time.sleep(0.01)
        kind, arg = server.commands.get(ch.get_id(), (None, None))
        if kind == "exec":
            threading.Thread(target=run_exec, args=(ch, arg), daemon=True).start()
        elif kind == "direct":
            threading.Thread(target=run_direct, args=(ch, arg), daemon=True).start()


def main():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(8)
    print("listening", flush=True)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


main()
