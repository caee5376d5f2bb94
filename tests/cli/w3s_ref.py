#!/usr/bin/env python3
"""An independent reference for the BATS tests of segment-add and
segment-drop: web3-storage's rules (vectors/w3s/SPEC.md sections 2 to 5, 7
and 10) in plain Python, and a check of a bucket's databases that shares no
code with the C store.

  w3s_ref.py state OP...          replay OPs on an empty bucket and print
                                  "mmr_root 0x..", "start_seq N",
                                  "leaf_count N" (segment-add's lines)
      OP is "add:FILE" (one segment of FILE's bytes; "-" for stdin) or
      "drop:SEQ" (delete_before SEQ; no change when it does not apply)
  w3s_ref.py root FILE            the data root of FILE
  w3s_ref.py payload BUCKET ROOT START COUNT
                                  CommitmentPayload v1, 0x + 114 hex digits
  w3s_ref.py commitment STORE BUCKET
                                  the stored commitment, as "state" prints
  w3s_ref.py check STORE BUCKET   recompute the stored commitment from the
                                  stored leaves, every data root from the
                                  chunk lists, every chunk's hash from its
                                  bytes; print "ok ..." or fail (exit 1)
"""
import hashlib
import os
import sqlite3
import struct
import sys

CHUNK = 262144
ZERO = bytes(32)


def H(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def chunks(data):
    """Fixed 256 KiB chunks; the empty blob is one empty chunk."""
    if not data:
        return [b""]
    return [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]


def merkle_root(leaves):
    """Padded binary Merkle tree (SPEC.md 3)."""
    if not leaves:
        return ZERO
    level = list(leaves)
    if len(level) == 1:
        return level[0]
    size = 1
    while size < len(level):
        size *= 2
    level += [ZERO] * (size - len(level))
    while len(level) > 1:
        level = [H(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def data_root(data):
    return merkle_root([H(c) for c in chunks(data)])


def leaf_hash(root, size, total):
    """H(SCALE(MmrLeaf)): root, data_size u64 LE, total_size u64 LE."""
    return H(root + struct.pack("<QQ", size, total))


def mmr_root(leaf_hashes):
    """Append with post-order positions (5.1), peaks (5.2), bag right to
    left (5.3)."""
    nodes = []
    n = 0
    for x in leaf_hashes:
        nodes.append(x)
        n += 1
        h = 0
        m = n
        while m % 2 == 0:
            cur = len(nodes) - 1
            left = nodes[cur - (2 ** (h + 1) - 1)]
            nodes.append(H(left + nodes[cur]))
            h += 1
            m //= 2
    peaks = []
    pos = 0
    for h in range(63, -1, -1):
        if n >> h & 1:
            size = 2 ** (h + 1) - 1
            peaks.append(nodes[pos + size - 1])
            pos += size
    if not peaks:
        return ZERO
    acc = peaks[-1]
    for p in reversed(peaks[:-1]):
        acc = H(p + acc)
    return acc


class Bucket:
    def __init__(self):
        self.start_seq = 0
        self.leaves = []  # (data_root, data_size, total_size)

    def add(self, data):
        total = (self.leaves[-1][2] if self.leaves else 0) + len(data)
        self.leaves.append((data_root(data), len(data), total))

    def delete_before(self, new_start_seq):
        """SPEC.md 10: survivors keep their total_size; k == 0 or
        k > #leaves changes nothing."""
        k = new_start_seq - self.start_seq
        if 0 < k <= len(self.leaves):
            self.leaves = self.leaves[k:]
            self.start_seq = new_start_seq

    def commitment(self):
        root = mmr_root([leaf_hash(*l) for l in self.leaves])
        return root, self.start_seq, len(self.leaves)


def print_commitment(root, start, count):
    print("mmr_root 0x" + root.hex())
    print("start_seq %d" % start)
    print("leaf_count %d" % count)


def read_file(path):
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def payload_v1(bucket, root, start, count):
    return b"\x01" + struct.pack("<Q", bucket) + root + \
        struct.pack("<QQ", start, count)


def open_bucket(store, bucket):
    d = os.path.join(store, "buckets", str(bucket))
    meta = os.path.join(d, "meta.db")
    if not os.path.exists(meta):
        sys.exit("w3s_ref: no bucket %s in %s" % (bucket, store))
    # Opening is SQLite's recovery (WAL replay, hot journal rollback):
    # exactly what the store's own open does.
    m = sqlite3.connect(meta)
    c = sqlite3.connect(os.path.join(d, "chunks.db"))
    return m, c


def stored_commitment(m):
    root, start, count = m.execute(
        "SELECT mmr_root, start_seq, leaf_count FROM bucket").fetchone()
    return bytes(root), start, count


def check(store, bucket):
    m, c = open_bucket(store, bucket)
    m.execute("BEGIN")
    root, start, count = stored_commitment(m)
    leaves = m.execute("SELECT seq, data_root, data_size, total_size,"
                       " chunk_count FROM leaf ORDER BY seq").fetchall()
    hashes = []
    refs = 0
    for i, (seq, droot, size, total, nchunks) in enumerate(leaves):
        if seq != start + i:
            return "segment %d out of place" % seq
        rows = m.execute("SELECT idx, hash, size FROM segment_chunk"
                         " WHERE seq = ? ORDER BY idx", (seq,)).fetchall()
        if [r[0] for r in rows] != list(range(len(rows))):
            return "segment %d: chunk list has gaps" % seq
        if len(rows) != nchunks:
            return "segment %d: chunk count" % seq
        for idx, h, csize in rows:
            row = c.execute("SELECT data FROM chunk WHERE hash = ?",
                            (h,)).fetchone()
            if row is None:
                return "segment %d chunk %d is missing" % (seq, idx)
            if H(bytes(row[0])) != bytes(h) or len(row[0]) != csize:
                return "segment %d chunk %d is corrupt" % (seq, idx)
        refs += len(rows)
        if merkle_root([bytes(r[1]) for r in rows]) != bytes(droot):
            return "segment %d: data root" % seq
        if sum(r[2] for r in rows) != size:
            return "segment %d: data size" % seq
        if i > 0 and total != leaves[i - 1][3] + size:
            return "segment %d: total_size" % seq
        hashes.append(leaf_hash(bytes(droot), size, total))
    if len(leaves) != count:
        return "%d leaves, commitment says %d" % (len(leaves), count)
    if mmr_root(hashes) != root:
        return "mmr root differs from the commitment"
    extra = m.execute("SELECT count(*) FROM segment_chunk").fetchone()[0]
    if extra != refs:
        return "chunk lists of segments not held"
    print("ok segments %d chunk_refs %d" % (len(leaves), refs))
    return None


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd = argv[1]
    if cmd == "state":
        b = Bucket()
        for op in argv[2:]:
            kind, _, arg = op.partition(":")
            if kind == "add":
                b.add(read_file(arg))
            elif kind == "drop":
                b.delete_before(int(arg))
            else:
                sys.exit("w3s_ref: unknown op " + op)
        print_commitment(*b.commitment())
    elif cmd == "root":
        print("0x" + data_root(read_file(argv[2])).hex())
    elif cmd == "payload":
        root = bytes.fromhex(argv[3][2:] if argv[3].startswith("0x")
                             else argv[3])
        print("0x" + payload_v1(int(argv[2]), root, int(argv[4]),
                                int(argv[5])).hex())
    elif cmd == "commitment":
        m, _ = open_bucket(argv[2], int(argv[3]))
        print_commitment(*stored_commitment(m))
    elif cmd == "check":
        why = check(argv[2], int(argv[3]))
        if why is not None:
            print("w3s_ref: check failed: " + why, file=sys.stderr)
            sys.exit(1)
    else:
        sys.exit("w3s_ref: unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
