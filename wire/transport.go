package wire

// A Transport carries whole SSH payloads, message number first.
//
// It is the one seam between the layers of sshstack: packet produces it
// over a net.Conn, kex wraps it and keeps it secure across rekeys, userauth
// runs on it and connection multiplexes channels over it.
//
// ReadPacket returns a payload that is valid only until the next call to
// ReadPacket. WritePacket does not retain payload after it returns.
// SessionID returns nil until the first key exchange has completed.
type Transport interface {
	ReadPacket() ([]byte, error) // valid until the next ReadPacket
	WritePacket(payload []byte) error
	SessionID() []byte
	Close() error
}

// A PacketReleaser is a Transport that can reuse the memory of the
// payloads its ReadPacket returns. ReleasePacket hands one back once the
// caller is done with it; neither the caller nor anything it passed the
// payload to may touch it afterwards. Releasing is optional: payloads not
// handed back are left to the garbage collector.
type PacketReleaser interface {
	ReleasePacket(payload []byte)
}

// A SplitWriter is a Transport that writes one packet whose payload is
// head followed by data, without the caller joining them first: package
// packet seals both straight into its own buffer, so bulk channel data is
// copied once on its way to the network instead of twice.
type SplitWriter interface {
	WritePacketSplit(head, data []byte) error
}

// A BatchWriter is a SplitWriter that can write several packets at
// once: packet i's payload is heads[i] followed by datas[i]. Package kex
// seals them one after another into one buffer and hands it to the
// network in one write (two if a key exchange starts among them), so a
// bulk sender pays one system call, and its peer one wake-up, for a whole
// batch. The slices are not retained.
type BatchWriter interface {
	WritePacketsSplit(heads, datas [][]byte) error
}

// ScratchRoom is the room a ScratchWriter's caller leaves before the
// first data slice and after the last: enough for a packet's length,
// padding length and message header before, and its padding after.
const ScratchRoom = 32

// A ScratchWriter is a BatchWriter that can use the memory around the
// data: packet i's payload is heads[i] followed by buf[offs[i]:offs[i+1]]
// (len(offs) = len(heads)+1), and the writer may overwrite buf before
// offs[i] for good while it writes packet i and change buf from
// offs[i+1] on while it works, restoring it before it returns. A caller
// that reads the data into buf, with room before the first slice and
// after the last, lets package packet put each packet together where its
// data lies and seal it from there, so the data is never copied before
// it is encrypted. The slices are not retained.
type ScratchWriter interface {
	BatchWriter
	WritePacketsScratch(heads [][]byte, buf []byte, offs []int) error
}
