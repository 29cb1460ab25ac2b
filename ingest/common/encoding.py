"""Encoding detection: UTF-8, UTF-8 with BOM or CP932 — anything else, or a mix, is refused with the line to look at."""
from __future__ import annotations

import codecs
import io
import re
from pathlib import Path
from typing import BinaryIO

from ingest.common import lake
from ingest.common.findings import Finding, Rejected

ACCEPTED = ("utf-8", "utf-8-sig", "cp932")


_WIDE = re.compile(r"[^\x00-\x7f]")
# Half-width katakana and private use (Co): what other encodings' bytes turn into when read as CP932. (The line
# was decoded as CP932, which yields no unassigned code points, so category Cn never occurs here.)
_ODD = re.compile("[\uff61-\uff9f\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]")


def _looks_like_text(decoded: str) -> bool:
    """False when a cp932 decoding is mostly half-width katakana or private-use: the bytes were another encoding."""
    wide = len(_WIDE.findall(decoded))
    if not wide:
        return True
    return len(_ODD.findall(decoded)) / wide < 0.5


def _all_utf8(handle: BinaryIO, block: int = 8 * 1024 * 1024) -> bool:
    """True if the whole stream decodes as UTF-8, read in blocks (bounded memory whatever the file's size)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := handle.read(block):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """Classify every line (streaming) as UTF-8 or CP932 and return the one codec; Rejected if mixed or neither."""
    kept = lake.kept_content(path)
    with (io.BytesIO(kept) if kept is not None else path.open("rb")) as handle:
        head = handle.read(4)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
            raise Rejected(
                f"{path.name}: UTF-16 or binary content; save the file as UTF-8 or Shift_JIS (CP932) CSV.",
                [Finding(0, None, "unsupported encoding (UTF-16/binary)")],
            )
        bom = head.startswith(b"\xef\xbb\xbf")
        handle.seek(0)
        if _all_utf8(handle):  # every line is then ASCII or UTF-8: the same answer as line by line, at codec speed
            return "utf-8-sig" if bom else "utf-8"
        handle.seek(0)
        first_utf8 = first_cp932 = None
        for number, line in enumerate(handle, start=1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                first_utf8 = first_utf8 or number
                continue
            except UnicodeDecodeError:
                pass
            try:
                decoded = line.decode("cp932")
            except UnicodeDecodeError:
                decoded = None
            if decoded is None or not _looks_like_text(decoded):
                raise Rejected(
                    f"{path.name}: line {number} is neither UTF-8 nor CP932 (Shift_JIS); re-export the file as "
                    "UTF-8 or CP932 CSV.",
                    [Finding(0, None, f"unsupported encoding on file line {number}")],
                )
            first_cp932 = first_cp932 or number
            if first_utf8:
                break
    if first_utf8 and first_cp932:
        raise Rejected(
            f"{path.name}: mixed encodings — line {first_utf8} is UTF-8 but line {first_cp932} is CP932; "
            "re-export the whole file in one encoding.",
            [Finding(0, None, f"mixed encoding: file line {first_utf8} UTF-8, file line {first_cp932} CP932")],
        )
    if first_cp932:
        if bom:
            raise Rejected(f"{path.name}: UTF-8 BOM but CP932 content; re-export in one encoding.",
                           [Finding(0, None, f"mixed encoding: UTF-8 BOM, CP932 on file line {first_cp932}")])
        return "cp932"
    return "utf-8-sig" if bom else "utf-8"
