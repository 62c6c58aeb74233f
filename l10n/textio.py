"""Reading input text strictly, writing output atomically, and locking a catalog against a second run."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import CatalogLocked, Unreadable

UTF8_BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _guess_legacy_encoding(data: bytes) -> str | None:
    """Name the legacy encoding a Chinese text most likely uses, if it decodes cleanly as one."""
    for name in ("gb18030", "big5"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if any("\u4e00" <= ch <= "\u9fff" for ch in text):
            return "GBK/GB18030" if name == "gb18030" else "Big5"
    return None


def decode_text(data: bytes, path: str, what: str = "text file") -> str:
    """Decode UTF-8 (a BOM is accepted), refusing binary data with a message that says what to do.

    Line ends are normalised to LF so that CRLF files count their lines exactly as LF files.
    """
    if not data.strip():
        raise Unreadable(f"the {what} is empty; put the text in it, or remove it from [tool.l10n]", path)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise Unreadable(
            f"NUL byte at offset {nul}: this is a binary file, not a UTF-8 {what}",
            path,
            _line_of_offset(data, nul),
        )
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = _line_of_offset(data, err.start)
        legacy = _guess_legacy_encoding(data)
        if legacy:
            hint = (
                f"it looks like {legacy}; convert it with "
                f"`iconv -f GB18030 -t UTF-8 {path} > fixed.txt`"
                if legacy.startswith("GBK")
                else f"it looks like {legacy}; convert it with `iconv -f BIG5 -t UTF-8 {path} > fixed.txt`"
            )
        else:
            hint = "this is not UTF-8 text (a binary file?); save it as UTF-8"
        raise Unreadable(f"invalid UTF-8 (byte 0x{data[err.start]:02x}): {hint}", path, line) from None
    control = next((i for i, ch in enumerate(text) if ch < " " and ch not in "\t\n\r\f"), None)
    if control is not None:
        line = text.count("\n", 0, control) + 1
        raise Unreadable(
            f"control character U+{ord(text[control]):04X}: this looks like a binary file, not a {what}",
            path,
            line,
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path, display: str, what: str = "text file", max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise Unreadable("no such file; check the path in [tool.l10n]", display) from None
    except OSError as err:
        raise Unreadable(f"cannot read: {err.strerror}", display) from None
    if size > max_bytes:
        raise Unreadable(
            f"file is {size / 2**20:.1f} MB, over the {max_bytes // 2**20} MB limit for one {what}; "
            "split it into several documents, or raise max_source_mb in [tool.l10n]",
            display,
        )
    try:
        data = path.read_bytes()
    except OSError as err:
        raise Unreadable(f"cannot read: {err.strerror}", display) from None
    return decode_text(data, display, what)


def atomic_write(path: Path, content: str | bytes) -> bool:
    """Write via a temporary file in the same directory, fsync, then rename over the target.

    A crash or a full disk at any point leaves either the old file or the new one, never a torn one.
    Returns False (and writes nothing) when the file already holds exactly this content.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.chmod(tmp, 0o644)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dirfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)
    return True


@contextlib.contextmanager
def catalog_lock(catalog: Path, display: str):
    """Hold `<catalog>.l10n-lock` exclusively while a run writes the catalog.

    flock() is released by the kernel when the holder exits, so a crashed run never blocks the
    next one. The lock file is left in place (git ignores it): unlinking it would let two runs
    lock two different inodes.
    """
    import fcntl

    lock = catalog.with_name(catalog.name + ".l10n-lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise CatalogLocked(
                f"another run (pid {holder}) holds the catalog; wait for it to finish and try again",
                display,
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
