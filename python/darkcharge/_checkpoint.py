"""Checkpoint files of simulate(checkpoint=...): the checked keywords of the run and the
serialized results of its finished work units, so resume() can run only the others.

A checkpoint is read back from disk, where it may be damaged or replaced, so the format
carries its own checks (little-endian):
    b"darkcharge-python-checkpoint 1\\n"
    u64 length, then the keywords as JSON (UTF-8)
    u64 unit count, then per unit, indices ascending: i64 index, u64 length, its bytes
    u32 CRC-32 of every byte before it
Each unit's bytes start with the run key of the run that wrote them (a hash of model, grid,
seed, columns and layout), which the library checks with every size inside when it loads
them. Written atomically: a temporary file in the same folder, then os.replace.
"""
import json
import os
import struct
import zlib

MAGIC = b"darkcharge-python-checkpoint 1\n"


def write(path, keywords, units):
    path = os.fspath(path)
    parts = [MAGIC]
    header = json.dumps(keywords).encode()
    parts += [struct.pack("<Q", len(header)), header, struct.pack("<Q", len(units))]
    for index in sorted(units):
        data = units[index]
        parts += [struct.pack("<qQ", index, len(data)), data]
    body = b"".join(parts)
    temporary = f"{path}.tmp{os.getpid()}"
    try:
        with open(temporary, "wb") as f:
            f.write(body)
            f.write(struct.pack("<I", zlib.crc32(body)))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def read(path):
    """(keywords, {unit: bytes}); ValueError naming the file and what is wrong otherwise."""
    name = os.fspath(path)

    def refuse(what):
        return ValueError(f"checkpoint: '{name}' {what}")

    if not os.path.isfile(name):
        raise refuse("is not a regular file")
    with open(name, "rb") as f:
        data = f.read()
    if not data.startswith(MAGIC):
        raise refuse("is not a darkcharge Python checkpoint (version 1)")
    if len(data) < len(MAGIC) + 4 or struct.unpack("<I", data[-4:])[0] != zlib.crc32(data[:-4]):
        raise refuse("is damaged (CRC-32 mismatch)")
    body, at = data[:-4], len(MAGIC)

    def take(count):
        nonlocal at
        if count > len(body) - at:
            raise refuse("is damaged (a length runs past the end)")
        at += count
        return body[at - count:at]

    keywords = json.loads(take(struct.unpack("<Q", take(8))[0]).decode())
    units = {}
    for _ in range(struct.unpack("<Q", take(8))[0]):
        index, length = struct.unpack("<qQ", take(16))
        units[index] = take(length)
    if at != len(body) or not isinstance(keywords, dict):
        raise refuse("is damaged (trailing bytes or no keywords)")
    return keywords, units
