#!/usr/bin/env python3
"""Builds the seed corpus of every fuzz target, at run time, from the
public vectors (W3SYNC_VECTORS, default ../shared/vectors; never copied
into the tree) and the committed fixtures (tests/fixtures).

    fuzz/seeds.py OUT [TARGET...]

writes OUT/<target>/<name> for each target (all known ones by default).
Inputs over MAX_SEED bytes are left out: they slow libFuzzer down more
than they add."""
import base64
import csv
import glob
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

MAX_SEED = 64 * 1024
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VEC = os.environ.get("W3SYNC_VECTORS") or os.path.join(ROOT, "..", "shared",
                                                         "vectors")
FIX = os.path.join(ROOT, "tests", "fixtures")


class Corpus:
    def __init__(self, out, target):
        self.dir = os.path.join(out, target)
        os.makedirs(self.dir, exist_ok=True)

    def add(self, data, hint=""):
        if isinstance(data, str):
            data = data.encode()
        if len(data) > MAX_SEED:
            return
        name = hashlib.sha1(data).hexdigest()[:16]
        if hint:
            name = "".join(c if c.isalnum() or c in "-_." else "_"
                           for c in hint)[:60] + "-" + name[:8]
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(data)


def files(pattern):
    return sorted(p for p in glob.glob(pattern, recursive=True)
                  if os.path.isfile(p))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def stream_tars():
    """(fixture name, decompressed tar bytes) of every stream fixture."""
    for p in files(os.path.join(FIX, "stream", "*.tar.zst")):
        r = subprocess.run(["zstd", "-dcq", p], capture_output=True)
        if r.returncode == 0:
            yield os.path.basename(p), r.stdout


def stream_entries():
    """(entry name, data) of every regular entry of the stream fixtures."""
    for _, tar in stream_tars():
        try:
            with tarfile.open(fileobj=io.BytesIO(tar), mode="r:",
                              ignore_zeros=True) as t:
                for m in t:
                    if m.isfile() and m.size <= MAX_SEED:
                        yield m.name, t.extractfile(m).read()
        except (tarfile.TarError, EOFError, OSError):
            continue


def cid_texts():
    for p in files(os.path.join(VEC, "dag-cbor", "fixtures", "*", "*")):
        yield os.path.basename(p).split(".")[0]
    for d in sorted(glob.glob(os.path.join(VEC, "dag-cbor", "fixtures",
                                           "cid-*"))):
        yield os.path.basename(d)[4:]


def b32(text):
    s = text[1:].upper()
    return base64.b32decode(s + "=" * (-len(s) % 8))


def compact(n):
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return (n << 2 | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return (n << 2 | 2).to_bytes(4, "little")
    b = n.to_bytes((n.bit_length() + 7) // 8, "little")
    return bytes([(len(b) - 4) << 2 | 3]) + b


def vec_bytes(v):
    if isinstance(v, dict):
        if "ascii" in v:
            return v["ascii"].encode()
        if "hex" in v:
            return bytes.fromhex(v["hex"])
    if isinstance(v, str):
        return bytes.fromhex(v)
    return b""


def merkle_proof(siblings, path):
    return (compact(len(siblings)) + b"".join(bytes.fromhex(s)
                                               for s in siblings) +
            compact(len(path)) + bytes(1 if p else 0 for p in path))


def leaf(lf):
    return (bytes.fromhex(lf["data_root"]) +
            lf["data_size"].to_bytes(8, "little") +
            lf["total_size"].to_bytes(8, "little"))


def mmr_proof(p):
    return (compact(len(p["peaks"])) +
            b"".join(bytes.fromhex(x) for x in p["peaks"]) + leaf(p["leaf"]) +
            merkle_proof(p["siblings"], p["path"]))


def w3s_vectors():
    """The w3s vectors, or none when the folder is missing (the seeds
    that need them are left out; the unit tests say why)."""
    try:
        with open(os.path.join(VEC, "w3s", "vectors.json")) as f:
            return json.load(f)
    except OSError as e:
        print(f"seeds.py: {e}; skipped", file=sys.stderr)
        return []


def seeds_cbor(c):
    for p in files(os.path.join(VEC, "dag-cbor", "fixtures", "*", "*")):
        c.add(read(p), os.path.basename(os.path.dirname(p)))
    for p in files(os.path.join(VEC, "dag-cbor", "negative", "**", "*.json")):
        with open(p) as f:
            cases = json.load(f)
        for case in cases:
            c.add(bytes.fromhex(case["hex"]), "neg-" + case["name"])
    for name, data in stream_entries():
        if not name.startswith("chunks/"):
            c.add(data, "stream-" + os.path.basename(name))


def seeds_cid(c):
    for t in cid_texts():
        c.add(t, "text")
        if t.startswith("b"):
            try:
                c.add(b32(t), "bin")
            except ValueError:
                pass
    for p in files(os.path.join(VEC, "multihash", "*.csv")):
        with open(p, newline="") as f:
            for row in csv.reader(f):
                for cell in row:
                    cell = cell.strip()
                    if len(cell) >= 4 and len(cell) % 2 == 0:
                        try:
                            c.add(bytes.fromhex(cell), "multihash")
                        except ValueError:
                            pass
    for name, _ in stream_entries():
        if name.startswith("chunks/"):
            c.add(name[len("chunks/"):], "chunk")
    c.add("w3s1-7-" + "ab" * 32 + "-12-3456", "resume")
    c.add("0x" + "0f" * 32, "hex32")


def seeds_multibase(c):
    for p in files(os.path.join(VEC, "multibase", "*.csv")):
        with open(p, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, skipinitialspace=True))
        for row in rows[1:]:
            if len(row) >= 2:
                c.add(row[1], row[0])
    for t in cid_texts():
        if not t.startswith("Qm"):
            c.add(t, "cid")


def seeds_scale(c):
    vecs = w3s_vectors()
    # ChallengeResponse::Deleted: root, new_start_seq 7, admin, and an
    # Ed25519 then an ECDSA MultiSignature (SPEC.md 6.1).
    deleted = b"\x01" + b"\x11" * 32 + (7).to_bytes(8, "little") + b"\x22" * 32
    c.add(deleted + b"\x00" + b"\x33" * 64, "challenge_deleted_ed25519")
    c.add(deleted + b"\x02" + b"\x33" * 65, "challenge_deleted_ecdsa")
    for v in vecs:
        exp, inp = v.get("expected"), v.get("input") or {}
        if isinstance(exp, str) and v["kind"].endswith(
                ("_encode", "scale_compact", "scale_bytes", "scale_u64",
                 "scale_fixed_mix")):
            try:
                c.add(bytes.fromhex(exp), v["name"])
            except ValueError:
                pass
        if v["kind"] == "challenge_proof_response":
            try:
                chunk = vec_bytes(inp["chunk"])
                cp = inp["chunk_proof"]
                c.add(b"\x00" + compact(len(chunk)) + chunk +
                      mmr_proof(inp["mmr_proof"]) +
                      merkle_proof(cp["siblings"], cp["path"]), v["name"])
            except (KeyError, TypeError, ValueError):
                pass
        if v["kind"] in ("mmr_proof", "verify_mmr_proof",
                         "verify_mmr_proof_bound", "verify_last_mmr_leaf"):
            p = inp.get("proof")
            if isinstance(p, dict) and "peaks" in p:
                try:
                    c.add(mmr_proof(p), v["name"])
                except (KeyError, TypeError, ValueError):
                    pass


def seeds_manifest(c):
    for name, data in stream_entries():
        if not name.startswith("chunks/"):
            c.add(data, os.path.basename(name))


def seeds_stream(c):
    for p in files(os.path.join(FIX, "stream", "*")):
        if not p.endswith(("EXPECTED", ".sh")):
            c.add(read(p), os.path.basename(p))


def seeds_stream_tar(c):
    for name, tar in stream_tars():
        c.add(tar, name[:-len(".zst")])


def seeds_car(c):
    for p in files(os.path.join(FIX, "car", "*.car")) + \
            files(os.path.join(VEC, "car", "*.car")):
        c.add(read(p), os.path.basename(p))


def seeds_proof(c):
    """fuzz_proof.c: 0x00, leaf index, chunk index, leaf count, answer."""
    vecs = w3s_vectors()
    for v in vecs:
        inp = v.get("input") or {}
        if v["kind"] != "challenge_proof_response":
            continue
        try:
            chunk = vec_bytes(inp["chunk"])
            cp = inp["chunk_proof"]
            head = [inp.get("leaf_index", 0), inp.get("chunk_index", 0),
                    inp.get("leaf_count", 1)]
            if max(head) > 255:
                continue
            c.add(bytes([0] + head) + b"\x00" + compact(len(chunk)) +
                  chunk + mmr_proof(inp["mmr_proof"]) +
                  merkle_proof(cp["siblings"], cp["path"]), v["name"])
        except (KeyError, TypeError, ValueError):
            pass


def cbor(v):
    """Strict DAG-CBOR of uints, bytes, text and text-keyed maps."""
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if n < 1 << (8 * size):
                return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    if isinstance(v, int):
        return head(0, v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        return head(3, len(v.encode())) + v.encode()
    keys = sorted(v, key=lambda k: (len(k.encode()), k.encode()))
    return head(5, len(v)) + b"".join(cbor(k) + cbor(v[k]) for k in keys)


def seeds_migrate(c):
    """Offers and acceptances (fuzz_migrate.c), unsigned: the decoders do
    not check signatures."""
    root = bytes(range(32))
    com = {"mmr_root": root, "start_seq": 3, "leaf_count": 9}
    counts = {"segments": 9, "chunks": 40, "bytes": 10000000}
    offer = {"type": "w3sync-migrate-offer", "version": 1, "bucket": 7,
             "from": b"\x01" * 32, "to": b"\x02" * 32,
             "created": 1790000000, "expires": 1790086400,
             "signature": b"\x03" * 64, **com, **counts}
    c.add(cbor(offer), "offer")
    payload = (b"\x01" + (7).to_bytes(8, "little") + root +
               (3).to_bytes(8, "little") + (9).to_bytes(8, "little"))
    acc = {"type": "w3sync-migrate-acceptance", "version": 1, "bucket": 7,
           "offer": hashlib.blake2b(cbor(offer), digest_size=32).digest(),
           "from": b"\x01" * 32, "to": b"\x02" * 32,
           "created": 1790000100, "payload": payload,
           "payload_signature": b"\x04" * 64, "signature": b"\x05" * 64,
           **com, **counts}
    c.add(cbor(acc), "acceptance")
    acc["from_signature"] = b"\x06" * 64
    c.add(cbor(acc), "acceptance-later")
    for ttl in ("30s", "30m", "24h", "7d", "86400"):
        c.add(ttl, "ttl")


def seeds_replay(c):
    """Records of fuzz_replay.c: header, cur, then kind, bucket, base and
    target (root byte, start_seq, leaf_count), created (3 bytes)."""
    def rec(kind, bucket, base, target, created=0):
        return bytes([kind, bucket, *base, *target]) + \
            created.to_bytes(3, "little")
    cur = (1, 0, 2)
    chain = [rec(0, 1, (1, 0, 2), (2, 0, 3), 10),
             rec(0, 1, (2, 0, 3), (3, 1, 2), 20),
             rec(0, 1, (3, 1, 2), (4, 1, 5), 30)]
    c.add(bytes([1, *cur]) + b"".join(chain), "chain")
    c.add(bytes([1, *cur]) + b"".join(reversed(chain)) + chain[0], "dup")
    c.add(bytes([1, *cur]) + chain[0] + rec(0, 1, (1, 0, 2), (9, 0, 3)),
          "fork")
    c.add(bytes([1, *cur]) + chain[0] + chain[2], "gap")
    c.add(bytes([1, *cur]) + rec(3, 0, (7, 0, 1), (1, 0, 2)) +
          rec(0, 1, (7, 0, 1), (8, 0, 2)) + b"".join(chain), "history")
    for until in (b"4", b"0x" + b"03" * 32, b"@25", b"2026-11-24T10:00:00Z"):
        c.add(bytes([5, *cur]) + b"".join(chain) + until, "until")


def seeds_stream_roundtrip(c):
    """fuzz_stream_roundtrip.c reads its input as a description: any
    bytes do; a few fixed ones start it off."""
    for i in range(8):
        c.add(hashlib.sha256(bytes([i])).digest() * 2, "description")


SEEDS = {
    "fuzz_cbor": seeds_cbor,
    "fuzz_cid": seeds_cid,
    "fuzz_multibase": seeds_multibase,
    "fuzz_scale": seeds_scale,
    "fuzz_manifest": seeds_manifest,
    "fuzz_stream": seeds_stream,
    "fuzz_stream_roundtrip": seeds_stream_roundtrip,
    "fuzz_stream_scan": seeds_stream,
    "fuzz_stream_tar": seeds_stream_tar,
    "fuzz_car": seeds_car,
    "fuzz_import": seeds_stream_tar,
    "fuzz_migrate": seeds_migrate,
    "fuzz_proof": seeds_proof,
    "fuzz_replay": seeds_replay,
}


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: seeds.py OUT [TARGET...]")
    out = sys.argv[1]
    for target in sys.argv[2:] or sorted(SEEDS):
        c = Corpus(out, target)
        fn = SEEDS.get(target)
        if fn is not None:
            fn(c)
        print(f"{target}: {len(os.listdir(c.dir))} seeds")


if __name__ == "__main__":
    main()
