"""A creator's file, page by page: the text as extracted, and the pages a pack would miss, with why.

The builder drops a PDF page without a text layer and says so in one line; the studio shows every
page, because a creator deciding what to fix needs to see which pages came through and which did
not. A page is flagged when it yields too little text to use, and the flag says what is probably on
it instead: images (a scan or photos: OCR them), or a chart or drawing (its numbers are lost: say
them in words). Markdown and text files are one "page" each; they always have text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.coaches.sources import MIN_PAGE_CHARS, SUPPORTED
from engine.errors import PackError

STUDIO_SUFFIXES = tuple(s for s in SUPPORTED if s != ".jsonl")
SPARSE_CHARS = 400
"""A page with fewer characters than this is looked at for images and drawings; a page with more
carries its text, whatever else it shows."""
DRAWING_OPS = 60
"""Path-painting operators (lines, curves, rectangles, fills) on a sparse page past which it is a
chart or a diagram rather than a page of prose with a rule under its heading."""
_PATH_OPS = {b"l", b"c", b"v", b"y", b"re", b"f", b"F", b"f*", b"S", b"s", b"B", b"b"}

PageProgress = Callable[[int, int], None]  # (pages done, pages in the file)


@dataclass(frozen=True)
class Page:
    number: int
    text: str
    flag: str | None = None  # None, "no-text", "images" or "chart"
    reason: str = ""


def pages(path: Path, progress: PageProgress | None = None) -> Iterator[Page]:
    """The pages of one source file, in order (a damaged or unsupported file raises `PackError`)."""
    suffix = path.suffix.lower()
    if suffix not in STUDIO_SUFFIXES:
        raise PackError(f"{path.name}: the studio takes {', '.join(STUDIO_SUFFIXES)} files")
    if suffix != ".pdf":
        text = path.read_text(encoding="utf-8", errors="replace")
        if progress:
            progress(1, 1)
        if len(text.strip()) < MIN_PAGE_CHARS:
            yield Page(1, text, "no-text", "the file holds almost no text")
        else:
            yield Page(1, text)
        return
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        total = len(reader.pages)
    except Exception as exc:  # pypdf raises many kinds for a damaged file
        raise PackError(f"{path.name}: not a readable PDF ({exc})") from None
    for index, page in enumerate(reader.pages):
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # one damaged page must not lose the rest of the book
            yield Page(index + 1, "", "no-text", f"its text could not be read ({exc})")
        else:
            yield _judge(index + 1, text, page)
        if progress:
            progress(index + 1, total)


def _judge(number: int, text: str, page: object) -> Page:
    chars = len(text.strip())
    if chars >= SPARSE_CHARS:
        return Page(number, text)
    images = _image_count(page)
    drawing = _drawing_ops(page) if not images else 0
    if images:
        what = f"{images} image{'s' if images > 1 else ''} and {chars} characters of text"
        flag, reason = "images", f"mostly images ({what}): a scan or photos; OCR it or describe it in words"
    elif drawing >= DRAWING_OPS:
        flag = "chart"
        reason = f"a chart or drawing ({drawing} drawing operations, {chars} characters of text): its content is lost; say it in words"
    elif chars < MIN_PAGE_CHARS:
        flag, reason = "no-text", "no text layer (a blank page, or scanned without OCR)"
    else:
        return Page(number, text)
    return Page(number, text, flag, reason)  # what text there is stays with the page, flagged


def _image_count(page: object) -> int:
    try:
        return len(page.images)  # type: ignore[attr-defined]
    except Exception:  # an image pypdf cannot decode still counts as "something is there"
        try:
            resources = page["/Resources"]  # type: ignore[index]
            xobjects = resources.get("/XObject", {})
            return sum(1 for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image")
        except Exception:
            return 0


def _drawing_ops(page: object) -> int:
    from pypdf.generic import ContentStream

    try:
        contents = page.get_contents()  # type: ignore[attr-defined]
        if contents is None:
            return 0
        stream = ContentStream(contents, page.pdf)  # type: ignore[attr-defined]
        return sum(1 for _operands, op in stream.operations if op in _PATH_OPS)
    except Exception:
        return 0
