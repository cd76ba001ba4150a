"""Release files are checked by sha256 once, then by stat; a file is never sent changed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest

from dashboard.contract.releases import current_release_dir
from dashboard.engine import integrity
from dashboard.engine.integrity import IntegrityError, SealCache, verified_chunks, verify_release


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_file_is_hashed_once_and_again_only_after_it_changed(tmp_path, monkeypatch):
    path = tmp_path / "calls.parquet"
    data = os.urandom(3 << 20)
    path.write_bytes(data)
    hashed = []
    real_hash = integrity._hash
    monkeypatch.setattr(integrity, "_hash", lambda p: hashed.append(p) or real_hash(p))
    cache = SealCache()
    for _ in range(50):
        cache.check(path, _sha(data), len(data))
    assert len(hashed) == 1  # 50 checks, one read: the rest are a stat

    before = os.stat(path)
    flipped = bytearray(data)
    flipped[12345] ^= 0x01
    path.write_bytes(bytes(flipped))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, mtime put back
    with pytest.raises(IntegrityError, match="sha256"):
        cache.check(path, _sha(data), len(data))  # ctime still gives it away
    assert len(hashed) == 2

    with path.open("r+b") as fh:
        fh.truncate(len(data) // 2)
    with pytest.raises(IntegrityError, match="bytes"):  # a size mismatch needs no hashing
        cache.check(path, _sha(data), len(data))
    assert len(hashed) == 2
    path.unlink()
    with pytest.raises(IntegrityError, match="missing"):
        cache.check(path, _sha(data), len(data))


def test_verify_release_names_the_bad_file(tiny_settings, tmp_path):
    release = tmp_path / "denver" / "r1"
    shutil.copytree(current_release_dir(tiny_settings.releases_dir, "denver"), release)
    info = verify_release(release, "denver", _release_id(release), SealCache())
    assert set(info.expected) >= {"calls.parquet", "calls.csv", "manifest.json"}
    assert info.changed() == []
    with (release / "calls.csv").open("ab") as fh:
        fh.write(b"extra,row\n")
    assert info.changed() == ["calls.csv"]
    with pytest.raises(IntegrityError, match="calls.csv"):
        info.check("calls.csv", SealCache())
    with pytest.raises(IntegrityError, match="calls.csv"):
        verify_release(release, "denver", _release_id(release), SealCache())
    with pytest.raises(IntegrityError, match="names denver/"):  # a manifest of another release
        verify_release(release, "denver", "20000101-other", SealCache())


def _release_id(path):
    return json.loads((path / "manifest.json").read_text())["release_id"]


def test_a_file_changed_while_it_is_sent_never_arrives_whole(tmp_path):
    path = tmp_path / "calls.parquet"
    data = os.urandom(3 * integrity.CHUNK_BYTES + 100)
    path.write_bytes(data)
    assert b"".join(verified_chunks(path, _sha(data), len(data))) == data

    chunks = verified_chunks(path, _sha(data), len(data))
    sent = [next(chunks)]
    with path.open("r+b") as fh:  # flipped behind the reader: the last bytes
        fh.seek(len(data) - 10)
        fh.write(b"\x00" * 10)
    with pytest.raises(IntegrityError, match="changed while it was sent"):
        sent.extend(chunks)
    assert sum(map(len, sent)) < len(data)  # the response ends short of its Content-Length

    small = tmp_path / "manifest.json"
    small.write_bytes(b"{}")
    with pytest.raises(IntegrityError):  # one chunk: held back, never sent
        list(verified_chunks(small, _sha(b"[]"), 2))
