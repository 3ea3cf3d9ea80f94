package filestore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// File headers: 7 bytes of name and a format version byte.
var (
	walHeader  = []byte("SHSWAL\x00\x01")
	snapHeader = []byte("SHSSNP\x00\x01")
)

const headerLen = 8

// Frame layout, little endian:
//
//	magic   uint32  frameMagic
//	length  uint32  payload length
//	crc     uint32  CRC-32C of the length field and the payload
//	payload [length]byte, one JSON record
const (
	frameMagic   = 0x31465348 // "SHF1"
	frameHeader  = 12
	maxFrameSize = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendFrame appends the frame holding payload to dst.
func appendFrame(dst, payload []byte) []byte {
	var h [frameHeader]byte
	binary.LittleEndian.PutUint32(h[0:], frameMagic)
	binary.LittleEndian.PutUint32(h[4:], uint32(len(payload)))
	crc := crc32.Update(0, castagnoli, h[4:8])
	crc = crc32.Update(crc, castagnoli, payload)
	binary.LittleEndian.PutUint32(h[8:], crc)
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// parseFrame reads the frame at the start of data. It returns the payload
// and the frame's total size, or ok=false when data does not start with a
// complete, intact frame.
func parseFrame(data []byte) (payload []byte, size int, ok bool) {
	if len(data) < frameHeader || binary.LittleEndian.Uint32(data) != frameMagic {
		return nil, 0, false
	}
	n := binary.LittleEndian.Uint32(data[4:])
	if n > maxFrameSize || uint64(n) > uint64(len(data)-frameHeader) {
		return nil, 0, false
	}
	payload = data[frameHeader : frameHeader+int(n)]
	crc := crc32.Update(0, castagnoli, data[4:8])
	crc = crc32.Update(crc, castagnoli, payload)
	if crc != binary.LittleEndian.Uint32(data[8:]) {
		return nil, 0, false
	}
	return payload, frameHeader + int(n), true
}

// record is the JSON payload of one frame. A log record carries one batch of
// links, one checkpoint or one meta put or delete, and a sequence number one
// greater than the previous record's. A snapshot holds records without
// sequence numbers and ends with one whose End is set and whose Seq is the
// last log record the snapshot includes.
type record struct {
	Seq        uint64            `json:"seq,omitempty"`
	Links      []json.RawMessage `json:"links,omitempty"`
	Checkpoint *diskCheckpoint   `json:"checkpoint,omitempty"`
	Meta       *diskMeta         `json:"meta,omitempty"`
	End        *snapshotEnd      `json:"end,omitempty"`
}

// snapshotEnd counts what a snapshot holds. Meta is absent from snapshots
// written before meta records existed, which hold none.
type snapshotEnd struct {
	Links       int `json:"links"`
	Checkpoints int `json:"checkpoints"`
	Meta        int `json:"meta,omitempty"`
}

// diskMeta is the stored form of one syncer.MetaStore key: its value
// (base64 in the JSON), or Delete for a PutMeta with a nil value. Snapshots
// hold no deletes.
type diskMeta struct {
	Key    string `json:"key"`
	Value  []byte `json:"value"`
	Delete bool   `json:"delete,omitempty"`
}

// encodeMeta returns the JSON of a meta put (or a delete when value is
// nil).
func encodeMeta(key string, value []byte) ([]byte, error) {
	d := diskMeta{Key: key, Value: value, Delete: value == nil}
	if d.Value == nil {
		d.Value = []byte{}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("filestore: encode meta %q: %w", key, err)
	}
	return b, nil
}

// diskCheckpoint is the stored form of a stream's syncer.Checkpoint.
type diskCheckpoint struct {
	Stream   string    `json:"stream"`
	Since    time.Time `json:"since,omitzero"`
	Until    time.Time `json:"until,omitzero"`
	Cursor   string    `json:"cursor,omitempty"`
	Complete bool      `json:"complete,omitempty"`
}

func (d *diskCheckpoint) checkpoint() syncer.Checkpoint {
	return syncer.Checkpoint{Since: d.Since, Until: d.Until, Cursor: d.Cursor, Complete: d.Complete}
}

// encodeLink returns the JSON of l.
func encodeLink(l *syncer.Link) ([]byte, error) {
	b, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("filestore: encode link of person %q: %w", l.PersonID, err)
	}
	return b, nil
}

// encodeCheckpoint returns the JSON of a stream's checkpoint.
func encodeCheckpoint(stream string, cp syncer.Checkpoint) ([]byte, error) {
	b, err := json.Marshal(diskCheckpoint{Stream: stream, Since: cp.Since, Until: cp.Until, Cursor: cp.Cursor, Complete: cp.Complete})
	if err != nil {
		return nil, fmt.Errorf("filestore: encode checkpoint of stream %q: %w", stream, err)
	}
	return b, nil
}

// encodeLinksRecord returns the payload of a record holding the encoded
// links.
func encodeLinksRecord(seq uint64, links [][]byte) []byte {
	n := 32
	for _, l := range links {
		n += len(l) + 1
	}
	var buf bytes.Buffer
	buf.Grow(n)
	buf.WriteString(`{`)
	if seq != 0 {
		fmt.Fprintf(&buf, `"seq":%d,`, seq)
	}
	buf.WriteString(`"links":[`)
	for i, l := range links {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(l)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}
