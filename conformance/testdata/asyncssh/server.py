"""AsyncSSH 2.10.1 as a test server for sshstack's client.

Used by conformance/asyncssh_test.go. argv[1] is a JSON file:

    {"host_keys": [private key files], "host_certs": [their certificates],
     "authorized_keys": "/path", "user": "alice", "password": "...",
     "rekey_bytes": N (optional: rekey after N bytes)}

It listens on a free loopback port, prints "hostkeys ALG,..." (the host
key algorithms it offers) and "port N" on stdout, and serves until its
stdin closes. Every algorithm asyncssh implements is enabled
(not only its defaults), so the client's choice decides. The user
authenticates with a key in authorized_keys (cert-authority lines
included), the password, or keyboard-interactive with the password as
the answer to both prompts. Commands:

    status N   "out" on stdout, "err" on stderr, exit status N
    echo       input back as output until EOF, exit status 0
    agent      the keys of the forwarded agent, base64, one per line
    signal     exit signal TERM
    info       the terminal type and size and $LC_SSHSTACK

Forwarding is allowed both ways, agent forwarding too, and the sftp
subsystem serves the local file system.
"""

import asyncio
import base64
import json
import sys

import asyncssh
from asyncssh import compression, encryption, kex, mac, public_key


class Server(asyncssh.SSHServer):
    def __init__(self, conf):
        self._conf = conf

    def begin_auth(self, username):
        return True

    def password_auth_supported(self):
        return True

    def validate_password(self, username, password):
        return username == self._conf['user'] and password == self._conf['password']

    def kbdint_auth_supported(self):
        return True

    def get_kbdint_challenge(self, username, lang, submethods):
        return '', 'two codes', '', [('Code: ', False), ('Again: ', True)]

    def validate_kbdint_response(self, username, responses):
        pw = self._conf['password']
        return username == self._conf['user'] and list(responses) == [pw, pw]

    def connection_requested(self, dest_host, dest_port, orig_host, orig_port):
        return True

    def server_requested(self, listen_host, listen_port):
        return True


async def handle(process):
    f = (process.command or '').split()
    if len(f) == 2 and f[0] == 'status':
        process.stdout.write(b'out\n')
        process.stderr.write(b'err\n')
        process.exit(int(f[1]))
    elif f and f[0] == 'echo':
        while True:
            data = await process.stdin.read(65536)
            if not data:
                break
            process.stdout.write(data)
            await process.stdout.drain()
        process.exit(0)
    elif f == ['signal']:
        process.exit_with_signal('TERM', False, 'terminated')
    elif f == ['info']:
        width, height, _, _ = process.get_terminal_size()
        process.stdout.write(('term=%s size=%dx%d env=%s\n' % (
            process.get_terminal_type(), width, height,
            process.env.get('LC_SSHSTACK'))).encode())
        process.exit(0)
    elif f == ['agent']:
        path = process.channel.get_agent_path()
        if not path:
            process.stderr.write(b'no agent forwarding\n')
            process.exit(1)
            return
        agent = await asyncssh.connect_agent(path)
        for key in await agent.get_keys():
            process.stdout.write(base64.b64encode(key.public_data) + b'\n')
        agent.close()
        await agent.wait_closed()
        process.exit(0)
    else:
        process.stderr.write(b'unknown command\n')
        process.exit(127)


async def main():
    with open(sys.argv[1]) as f:
        conf = json.load(f)
    n = lambda algs: [a.decode() for a in algs]
    keys = [asyncssh.read_private_key(p) for p in conf['host_keys']]
    certs = [asyncssh.read_certificate(p) for p in conf.get('host_certs', [])]
    options = asyncssh.SSHServerConnectionOptions(
        server_factory=lambda: Server(conf),
        server_host_keys=keys, server_host_certs=certs or (),
        authorized_client_keys=conf['authorized_keys'],
        kex_algs=[a for a in n(kex.get_kex_algs()) if not a.startswith(('gss-', 'rsa'))],
        encryption_algs=n(encryption.get_encryption_algs()),
        mac_algs=n(mac.get_mac_algs()),
        compression_algs=n(compression.get_compression_algs()),
        signature_algs=n(public_key.get_public_key_algs()),
        process_factory=handle, encoding=None, sftp_factory=True,
        allow_scp=False, login_timeout=30,
        rekey_bytes=conf.get('rekey_bytes') or 1 << 30)
    server = await asyncssh.listen('127.0.0.1', 0, config=None, options=options)
    print('hostkeys', ','.join(n(options.server_host_keys.keys())), flush=True)
    print('port', server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()
    await server.wait_closed()


asyncio.run(main())
