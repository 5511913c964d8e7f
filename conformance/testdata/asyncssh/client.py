"""AsyncSSH 2.10.1 as a test client of sshstack's server.

Used by conformance/asyncssh_test.go. Reads one JSON document from stdin:

    {"port": 2222, "user": "alice", "known_hosts": "/path", "cases": [CASE, ...]}

and runs the cases one after another, printing one JSON line per case:

    {"name": ..., "ok": true|false, "error": "...", "info": {...}}

A CASE may name its own "user" and "rekey_bytes" (rekey after that many bytes). It names the algorithms to force ("kex", "enc", "mac", "hostkey",
"cmp": lists, absent means asyncssh's defaults), the authentication
("key": private key file, "cert": its certificate, "sig": signature
algorithms, "password", "kbdint": the answer to every prompt) and the
operations to run ("ops"):

    exec     "exit 7" style command: checks stdout, stderr and exit status
    echo     "data" bytes of random data through the command "echo"
    forward  a -L style forward_local_port to "forward" (host:port)
    rforward a -R style forward_remote_port (port 0, the server picks) to
             "forward", dialled on the port the server reports
    sftp     put "sftp_dir"/up then get it back, through the sftp subsystem
    pty      "tty; stty size" with a pty of 100x30
    env      "echo $LC_ASYNCSSH" with that variable sent
    signal   "kill -TERM $$": reports the exit signal
    agent    "ssh-add -L" with agent forwarding from the agent at "agent"
"""

import asyncio
import json
import logging
import os
import sys

import asyncssh


class KbdintClient(asyncssh.SSHClient):
    def __init__(self, answer):
        self._answer = answer

    def kbdint_auth_requested(self):
        return ''

    def kbdint_challenge_received(self, name, instructions, lang, prompts):
        return [self._answer for _ in prompts]


def options(doc, case):
    opts = dict(username=case.get('user', doc['user']),
                known_hosts=doc['known_hosts'], config=None,
                agent_path=case.get('agent'), client_keys=None,
                agent_forwarding='agent' in case,
                connect_timeout=20, login_timeout=20)
    for key, opt in (('kex', 'kex_algs'), ('enc', 'encryption_algs'),
                     ('mac', 'mac_algs'), ('hostkey', 'server_host_key_algs'),
                     ('cmp', 'compression_algs'), ('sig', 'signature_algs')):
        if key in case:
            opts[opt] = case[key]
    if 'rekey_bytes' in case:
        opts['rekey_bytes'] = case['rekey_bytes']
    if 'key' in case:
        key = asyncssh.read_private_key(case['key'])
        if 'cert' in case:
            opts['client_keys'] = [(key, asyncssh.read_certificate(case['cert']))]
        else:
            opts['client_keys'] = [key]
        opts['preferred_auth'] = 'publickey'
    elif 'password' in case:
        opts['password'] = case['password']
        opts['preferred_auth'] = 'password'
    elif 'kbdint' in case:
        answer = case['kbdint']
        opts['client_factory'] = lambda: KbdintClient(answer)
        opts['preferred_auth'] = 'keyboard-interactive'
    return opts


async def op_exec(conn, case, info):
    r = await conn.run(case.get('command', 'exit 7'), check=False)
    info['exit_status'] = r.exit_status
    info['stdout'] = r.stdout
    info['stderr'] = r.stderr


async def op_echo(conn, case, info):
    data = os.urandom(case.get('data', 1 << 20))
    r = await conn.run(case.get('echo_command', 'echo'), input=data,
                       encoding=None, check=False)
    if r.stdout != data:
        raise Exception('echo returned %d of %d bytes' % (len(r.stdout), len(data)))
    info['echoed'] = len(r.stdout)
    info['echo_status'] = r.exit_status


async def op_forward(conn, case, info):
    host, port = case['forward'].rsplit(':', 1)
    listener = await conn.forward_local_port('127.0.0.1', 0, host, int(port))
    try:
        reader, writer = await asyncio.open_connection('127.0.0.1', listener.get_port())
        writer.write(b'through asyncssh -L')
        got = await asyncio.wait_for(reader.readexactly(19), 10)
        writer.close()
        if got != b'through asyncssh -L':
            raise Exception('forward echoed %r' % got)
        info['forwarded'] = got.decode()
    finally:
        listener.close()
        await listener.wait_closed()


async def op_sftp(conn, case, info):
    d = case['sftp_dir']
    up, remote, down = os.path.join(d, 'up'), os.path.join(d, 'remote'), os.path.join(d, 'down')
    data = os.urandom(100000)
    with open(up, 'wb') as f:
        f.write(data)
    async with conn.start_sftp_client() as sftp:
        await sftp.put(up, remote)
        await sftp.get(remote, down)
        info['sftp_listdir'] = sorted(await sftp.listdir(d))
    with open(down, 'rb') as f:
        if f.read() != data:
            raise Exception('sftp round trip differs')
    info['sftp'] = len(data)


async def op_rforward(conn, case, info):
    host, port = case['forward'].rsplit(':', 1)
    listener = await conn.forward_remote_port('127.0.0.1', 0, host, int(port))
    try:
        reader, writer = await asyncio.open_connection('127.0.0.1', listener.get_port())
        writer.write(b'through asyncssh -R')
        got = await asyncio.wait_for(reader.readexactly(19), 10)
        writer.close()
        if got != b'through asyncssh -R':
            raise Exception('remote forward echoed %r' % got)
        info['rforwarded'] = got.decode()
    finally:
        listener.close()
        await listener.wait_closed()


async def op_pty(conn, case, info):
    r = await conn.run('tty; stty size', term_type='xterm', term_size=(100, 30), check=False)
    info['pty'] = r.stdout


async def op_env(conn, case, info):
    r = await conn.run('echo $LC_ASYNCSSH', env={'LC_ASYNCSSH': 'sent'}, check=False)
    info['env'] = r.stdout


async def op_signal(conn, case, info):
    r = await conn.run('kill -TERM $$', check=False)
    info['exit_signal'] = r.exit_signal[0] if r.exit_signal else ''


async def op_agent(conn, case, info):
    r = await conn.run('ssh-add -L', check=False)
    info['agent'] = r.stdout


OPS = {'exec': op_exec, 'pty': op_pty, 'env': op_env, 'signal': op_signal,
       'agent': op_agent, 'echo': op_echo, 'forward': op_forward,
       'rforward': op_rforward, 'sftp': op_sftp}


async def run_case(doc, case):
    info = {}
    try:
        conn = await asyncssh.connect('127.0.0.1', doc['port'], **options(doc, case))
        async with conn:
            for key in ('send_cipher', 'send_mac', 'send_compression',
                        'recv_cipher', 'recv_mac', 'recv_compression', 'server_version'):
                info[key] = conn.get_extra_info(key)
            for op in case.get('ops', ['exec']):
                await OPS[op](conn, case, info)
        await conn.wait_closed()
        return {'name': case['name'], 'ok': True, 'info': info}
    except Exception as exc:
        return {'name': case['name'], 'ok': False, 'info': info,
                'error': '%s: %s' % (type(exc).__name__, exc)}


async def main():
    if os.environ.get('ASYNCSSH_DEBUG'):
        # ASYNCSSH_DEBUG=1..3 logs asyncssh's view to stderr.
        logging.basicConfig(level=logging.DEBUG)
        asyncssh.set_debug_level(int(os.environ['ASYNCSSH_DEBUG']))
    doc = json.load(sys.stdin)
    for case in doc['cases']:
        print(json.dumps(await run_case(doc, case)), flush=True)


asyncio.run(main())
