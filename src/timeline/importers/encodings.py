"""The text encoding of a file to import: a byte-order mark, UTF-8, or charset-normalizer's
reading (cp1252 for a file Excel saved), or what --encoding says (docs/importing.md)."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from timeline.domain.errors import InputError


@dataclass(frozen=True)
class Encoding:
    """How the source's bytes are text: `codec` reads it after the byte-order mark `bom`
    (skipped); `how` says how it was chosen, for the message naming it."""

    codec: str
    bom: bytes = b""
    how: str = "detected"

    @property
    def name(self) -> str:
        label = {"utf-8": "UTF-8", "utf-16-le": "UTF-16LE", "utf-16-be": "UTF-16BE",
                 "utf-32-le": "UTF-32LE", "utf-32-be": "UTF-32BE"}.get(self.codec, self.codec)  # fmt: skip
        return label


_BOMS = (  # longest first: a UTF-32LE mark begins with the UTF-16LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
SAMPLE_BYTES = 1 << 20
"""How much of a file without a byte-order mark the encoding is detected from."""


def detect_encoding(path: Path, override: str | None = None) -> Encoding:
    """The source's encoding: a byte-order mark decides; else UTF-8 when the first MiB is
    valid UTF-8; else charset-normalizer's best reading (cp1252, Excel's Western default,
    whenever it gives the same text as the code page found). `override` (--encoding) wins,
    a byte-order mark of that encoding still skipped."""
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    bom, bom_codec = next(((b, c) for b, c in _BOMS if sample.startswith(b)), (b"", None))
    if override:
        codec = codecs.lookup(override).name
        if codec in ("utf-16", "utf-32"):  # the mark, or else little-endian, gives the byte order
            codec = bom_codec if bom_codec and bom_codec.startswith(codec) else codec + "-le"
        return Encoding(codec, bom if bom_codec == codec else b"", "given with --encoding")
    if bom_codec:
        return Encoding(bom_codec, bom, "its byte-order mark says so")
    head = sample[:64]
    if len(head) >= 8:  # UTF-16 without a mark: ASCII text has every other byte 0
        if head[1::2].count(0) == len(head) // 2:
            return Encoding("utf-16-le", how="detected")
        if head[0::2].count(0) == len(head) // 2:
            return Encoding("utf-16-be", how="detected")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SAMPLE_BYTES)
        whole = len(sample) < SAMPLE_BYTES
        return Encoding("utf-8", how="all of it is valid UTF-8" if whole else "its first MiB is valid UTF-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only for files that are not UTF-8

    best = from_bytes(sample).best()
    if best is None:
        raise InputError(f"{path}: cannot tell the text encoding; give it with --encoding (e.g. cp1252)")
    codec = "cp1252" if "cp1252" in best.could_be_from_charset else best.encoding
    return Encoding(codecs.lookup(codec).name, how="detected by charset-normalizer")
