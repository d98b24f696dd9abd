"""Test PDFs for the studio, made with fpdf2: books of prose, a scanned-looking page, a chart page.

Not a test module of its own (no tests here); the studio's engine and browser tests share it.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

PROSE = {
    "calm": [
        "Breathing slowly is the quickest way back to calm. Breathe in for four counts and out for six, "
        "and let the longer out-breath tell the body that nothing is chasing it.",
        "Worry feeds on vagueness. Write the worry down as one sentence, then write the next small "
        "action you could take today. A worry with an action beside it weighs less.",
    ],
    "focus": [
        "Deep work needs a protected block of time. Put the phone in another room and choose one task "
        "before the block begins, so that the first minutes are not lost to deciding.",
        "Attention is trained like a muscle. Each time the mind wanders, notice it kindly and return "
        "to the task; the returning is the exercise, not a failure of it.",
    ],
    "sleep": [
        "Sleep improves when the evening has a shape. Dim the lights an hour before bed, keep the same "
        "wake time every day, and leave the bedroom for sleep alone.",
        "Caffeine lingers for many hours after the cup. Keep coffee to the morning and notice how the "
        "evening feels after a week of it.",
    ],
}
PLANTED = (
    "One of my clients, Maria Lopez, wrote to me at maria.lopez@example.com and called on "
    "+1 415-555-0132 to say the breathing exercise helped her. She lives at 42 Elm Street, Springfield."
)


def write_book(path: Path, paragraphs: list[str], *, extra_pages: tuple[str, ...] = ()) -> Path:
    """A PDF with one page per paragraph, then `extra_pages`: 'planted' (personal data), 'blank',
    'chart' (drawn lines, a few words) or 'image' (a picture and a caption)."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in paragraphs:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    for kind in extra_pages:
        pdf.add_page()
        if kind == "planted":
            pdf.multi_cell(0, 8, PLANTED)
        elif kind == "chart":
            pdf.cell(0, 8, "Figure 3")
            for i in range(40):
                pdf.line(20 + i * 4, 200, 24 + i * 4, 200 - (i * 7) % 90)
                pdf.rect(20 + i * 4, 210, 3, 10 + i % 7)
        elif kind == "image":
            from PIL import Image

            picture = path.with_suffix(".png")
            Image.new("RGB", (120, 80), (40, 120, 200)).save(picture)
            pdf.image(str(picture), x=20, y=30, w=150)
            pdf.cell(0, 8, "Photo")
    pdf.output(str(path))
    return path


def three_books(folder: Path, *, planted: bool = True) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_book(folder / "calm.pdf", PROSE["calm"], extra_pages=("planted",) if planted else ()),
        write_book(folder / "focus.pdf", PROSE["focus"], extra_pages=("chart", "blank")),
        write_book(folder / "sleep.pdf", PROSE["sleep"], extra_pages=("image",)),
    ]
