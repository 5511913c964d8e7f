#!/usr/bin/env bash
# make demo: sshstack's main job on a fresh machine, no set-up, no root.
#
# Builds gosshd, gossh and gossh-keygen, starts gosshd on a free loopback port with a
# freshly generated host key in a temporary directory, authorizes a
# freshly generated user key, connects with gossh, runs a command,
# forwards a port (a second SSH connection goes through it), prints the
# negotiated algorithms and a throughput figure, and shuts everything
# down. Every process it starts is stopped by PID; the directory is
# removed. Set SSH_CLIENT_BIN=/usr/bin/ssh to use OpenSSH's client.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-go}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sshstack-demo.XXXXXX")
pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "building gosshd, gossh and gossh-keygen"
(cd "$root" && $GO build -o "$tmp/gosshd" ./server/cmd/gosshd &&
	$GO build -o "$tmp/gossh" ./client/cmd/gossh &&
	$GO build -o "$tmp/gossh-keygen" ./client/cmd/gossh-keygen)
ssh_bin=${SSH_CLIENT_BIN:-$tmp/gossh}

step "generating a host key and a user key (Ed25519)"
"$tmp/gossh-keygen" -q -t ed25519 -N '' -C "demo host key" -f "$tmp/host_ed25519"
"$tmp/gossh-keygen" -q -t ed25519 -N '' -C "demo user key" -f "$tmp/id_ed25519"
cp "$tmp/id_ed25519.pub" "$tmp/authorized_keys"
cat "$tmp/host_ed25519.pub"

# A free loopback port: bind port 0, read it back, release it.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
	echo $((20000 + RANDOM % 20000)); }
port=$(free_port)
fwd=$(free_port)
me=$(id -un)

cat >"$tmp/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $tmp/host_ed25519
AuthorizedKeysFile $tmp/authorized_keys
# The keys are in a temporary directory under /tmp (mode 1777), which
# StrictModes refuses, as sshd's does.
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding yes
LoginGraceTime 30
PidFile none
LogLevel DEBUG1
EOF

step "starting gosshd on 127.0.0.1:$port as $me"
"$tmp/gosshd" -D -e -f "$tmp/sshd_config" 2>"$tmp/gosshd.log" &
pids+=($!)
for _ in $(seq 50); do
	grep -q "Server listening" "$tmp/gosshd.log" 2>/dev/null && break
	sleep 0.1
done
grep "Server listening" "$tmp/gosshd.log"

opts=(-F /dev/null -i "$tmp/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes
	-o StrictHostKeyChecking=accept-new -o "UserKnownHostsFile=$tmp/known_hosts" -l "$me")

step "running a command: $ssh_bin -p $port 127.0.0.1 'echo ...; uname -sr'"
"$ssh_bin" "${opts[@]}" -p "$port" 127.0.0.1 'echo "hello from $USER on $(hostname) via ${SSH_CONNECTION}"; uname -sr'

step "forwarding 127.0.0.1:$fwd -> 127.0.0.1:$port (-L) and connecting through it"
"$ssh_bin" "${opts[@]}" -p "$port" -N -L "127.0.0.1:$fwd:127.0.0.1:$port" 127.0.0.1 &
pids+=($!)
for _ in $(seq 50); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$fwd") 2>/dev/null; then break; fi
	sleep 0.1
done
"$ssh_bin" "${opts[@]}" -o "HostKeyAlias=[127.0.0.1]:$port" -p "$fwd" 127.0.0.1 'echo "through the forwarded port: $SSH_CONNECTION"'

step "negotiated algorithms (gosshd's debug1 lines)"
grep -m4 "debug1: kex:" "$tmp/gosshd.log"

step "throughput: 64 MiB to 'cat > /dev/null'"
start=$(date +%s%N)
head -c $((64 << 20)) /dev/zero | "$ssh_bin" "${opts[@]}" -p "$port" 127.0.0.1 'cat > /dev/null'
end=$(date +%s%N)
awk -v ns=$((end - start)) 'BEGIN { printf "64 MiB in %.2f s: %.1f MiB/s (one connection, including its handshake)\n", ns/1e9, 64/(ns/1e9) }'

step "gosshd's log (sshd format)"
grep -E "Accepted|Disconnected" "$tmp/gosshd.log" | head -6

step "shutting down (SIGTERM, by PID)"
t0=$(date +%s)
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
pids=()
echo "stopped in $(($(date +%s) - t0)) s; removing $tmp"
