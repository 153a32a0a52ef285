"""Briefing decks, checked by opening what was written: the pptx with python-pptx, the PDF
with pypdf, the charts' SVG for its smallest text."""

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Emu
from pypdf import PdfReader
from typer.testing import CliRunner

from timeline import stories, view
from timeline.cli.main import app
from timeline.export import decks, findings

from conftest import CURATED, ROOT, engine_on, matched_night, require_chromium, view_of
from svgtext import too_small

runner = CliRunner()
ARTIFACTS = ROOT / "test-artifacts"
AS_OF = "Data as of 27 Dec 2024"


@pytest.fixture(scope="module")
def story(curated_engine) -> stories.Story:
    return stories.load_checked(ROOT / "data" / "stories" / "seed-article.toml", curated_engine)


@pytest.fixture(scope="module")
def deck(curated_engine, story) -> decks.Deck:
    return decks.story_deck(curated_engine, story)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The story's pptx and PDF as `timeline export --story` writes them, once for the module:
    Kaleido rendering the 8 charts twice is most of this file's cost, and the tests below read
    the files a briefer gets."""
    require_chromium()
    out = tmp_path_factory.mktemp("decks") / "briefing"
    result = runner.invoke(
        app, ["export", "--story", "seed-article", "--format", "pptx", "--format", "pdf", "--data", str(CURATED),
              "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def pptx(written: Path) -> Presentation:
    return Presentation(written / "seed-article.pptx")


@pytest.fixture(scope="module")
def pdf(written: Path) -> PdfReader:
    return PdfReader(written / "seed-article.pdf")


def texts(slide) -> list[str]:
    return [s.text_frame.text for s in slide.shapes if s.has_text_frame and s.text_frame.text]


@pytest.mark.slow  # Kaleido renders the story's deck
def test_one_slide_per_step_and_a_title_slide(pptx, story):
    assert len(pptx.slides) == len(story.steps) + 1
    assert (Emu(pptx.slide_width).inches, Emu(pptx.slide_height).inches) == pytest.approx(
        (13.333, 7.5), abs=0.01
    )
    cover = pptx.slides[0]
    assert cover.shapes.title.text_frame.text == story.title
    assert story.summary in texts(cover) and f"{story.author} · {len(story.steps)} steps" in texts(cover)
    for slide, step in zip(list(pptx.slides)[1:], story.steps, strict=True):
        assert slide.shapes.title.text_frame.text == step.title  # the outline and screen readers read it


@pytest.mark.slow  # Kaleido renders the story's deck
def test_each_step_slide_has_its_chart_caption_finding_and_footer(pptx, story, curated_engine):
    total = len(story.steps) + 1
    for number, (slide, step) in enumerate(zip(list(pptx.slides)[1:], story.steps, strict=True), 2):
        boxes = texts(slide)
        assert step.caption in boxes  # real text, editable in PowerPoint
        finding = findings.for_view(curated_engine, step.view)
        assert any(b.startswith(finding) for b in boxes), (step.number, boxes)
        footer = next(b for b in boxes if b.startswith("Sources: "))
        assert AS_OF in footer
        outlets = curated_engine.outlets(step.view)
        assert footer.startswith(f"Sources: {outlets.index[0]}")
        assert f"{number} / {total}" in boxes
        (picture,) = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert picture.image.content_type == "image/png"
        width_px, _ = picture.image.size
        assert width_px >= 2 * Emu(picture.width).inches * 144 - 2  # rendered at twice the slide's pixels
        assert picture._element.nvPicPr.cNvPr.get("descr").startswith(step.title)  # alt text
        notes = slide.notes_slide.notes_text_frame.text
        assert step.caption in notes and f"?story=seed-article&step={step.number}" in notes


@pytest.mark.slow  # Kaleido renders the story's deck
def test_no_text_on_a_slide_is_smaller_than_18_px(pptx, deck):
    for slide in pptx.slides:
        for shape in slide.shapes:
            if not shape.has_text_frame:
                continue
            for paragraph in shape.text_frame.paragraphs:
                for run in paragraph.runs:
                    assert run.font.size.pt * 2 >= 18, (run.text, run.font.size.pt)  # 1 pt = 2 px at 1080p
    svgs = decks.render(deck, "svg")
    for slide, svg in zip(deck.slides, svgs, strict=True):
        assert too_small(svg, 18) == [], slide.title


@pytest.mark.slow  # Kaleido renders the story's deck
def test_pictures_and_text_stay_on_the_slide_and_apart(pptx):
    height = pptx.slide_height
    for slide in list(pptx.slides)[1:]:
        shapes = sorted(slide.shapes, key=lambda s: s.top)
        for shape in shapes:
            assert shape.left >= 0 and shape.top >= 0 and shape.top + shape.height <= height, shape.name
        picture = next(s for s in shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE)
        for shape in shapes:
            if shape is picture or not shape.has_text_frame:
                continue
            beside = shape.left >= picture.left + picture.width or shape.left + shape.width <= picture.left
            above = shape.top + shape.height <= picture.top
            below = shape.top >= picture.top + picture.height
            assert beside or above or below, (shape.text_frame.text[:40], slide.shapes.title.text_frame.text)


@pytest.mark.slow  # Kaleido renders the story's deck
def test_the_pdf_is_the_same_deck(pdf, story):
    assert len(pdf.pages) == len(story.steps) + 1
    page = pdf.pages[0].mediabox
    assert (float(page.width) / 72, float(page.height) / 72) == pytest.approx((13.333, 7.5), abs=0.01)
    first = " ".join(pdf.pages[1].extract_text().split())
    assert story.steps[0].title in first
    assert " ".join(story.steps[0].caption.split()[:8]) in first  # the caption is text, not pixels
    assert AS_OF in " ".join(pdf.pages[-1].extract_text().split())


def test_any_view_goes_to_a_one_slide_pptx(curated_engine):
    require_chromium()
    v = view_of(curated_engine, type="drone_attack", from_="2024-11-01", to="2024-11-30")
    deck = decks.view_deck(curated_engine, v)
    prs = Presentation(io.BytesIO(decks.to_pptx(deck)))
    (slide,) = prs.slides
    assert slide.shapes.title.text_frame.text == "Drone attacks, 1–30 Nov 2024"
    finding = findings.for_view(curated_engine, v)
    subtitle = next(t for t in texts(slide) if t.startswith(finding))
    assert "every report" not in subtitle  # one source, no incidents: no choice of counting to state
    assert any(t.startswith("Sources: ") and AS_OF in t for t in texts(slide))


@pytest.mark.slow  # Kaleido renders the story's deck
def test_story_decks_from_the_command_line(written: Path, tmp_path: Path):
    assert sorted(p.name for p in written.iterdir()) == ["seed-article.pdf", "seed-article.pptx"]
    assert len(Presentation(written / "seed-article.pptx").slides) == len(
        PdfReader(written / "seed-article.pdf").pages
    )
    one = tmp_path / "night.pptx"
    result = runner.invoke(
        app,
        ["export", "--type", "drone_attack", "--format", "pptx", "--data", str(CURATED), "--out", str(one)],
    )
    assert result.exit_code == 0, result.output
    assert len(Presentation(one).slides) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--story", "seed-article", "--type", "meeting"], "leave out --type"),
        (["--story", "seed-article", "--format", "png"], "--format png: choose from pptx, pdf"),
        (["--story", "no-such-story"], "no story 'no-such-story'"),
        (["--story", "seed-article", "--format", "pptx", "--format", "pdf"], "2 files to write"),
    ],
)
def test_bad_story_exports_exit_2_and_write_nothing(tmp_path: Path, args, message):
    out = tmp_path / "deck.pptx"
    result = runner.invoke(app, ["export", *args, "--data", str(CURATED), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_step_link_and_its_deck_slide_show_the_same_view(deck, story):
    for slide, step in zip(deck.slides, story.steps, strict=True):
        assert slide.link == "?story=seed-article&step=" + str(step.number)
        assert view.parse({"story": ["seed-article"], "step": [str(step.number)]})[0].step == step.number


@pytest.mark.slow  # Kaleido renders the story's deck
def test_libreoffice_opens_the_pptx_and_prints_every_slide(written, story, tmp_path: Path):
    """The deck in another office suite: LibreOffice converts it to a PDF with a page per slide
    and the captions as text. The pages go to test-artifacts/ as PNGs, to look at."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) not installed: apt-get install libreoffice-impress")
    source = tmp_path / "deck.pptx"
    shutil.copy(written / "seed-article.pptx", source)
    profile = (tmp_path / "profile").as_uri()  # its own profile: no clash with a running LibreOffice
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir",
         str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    printed = PdfReader(tmp_path / "deck.pdf")
    assert len(printed.pages) == len(story.steps) + 1
    for page, step in zip(printed.pages[1:], story.steps, strict=True):
        assert " ".join(step.caption.split()[:6]) in " ".join(page.extract_text().split()), step.number
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(exist_ok=True)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "48", str(tmp_path / "deck.pdf"), str(ARTIFACTS / "deck-libreoffice")],
            check=True, timeout=120,
        )  # fmt: skip


def test_a_deck_says_how_it_counts(tmp_path: Path):
    """On the curated night matched with its Air Force tally, a deck's subtitle says whether it
    counts the incident once or every report, and its finding counts accordingly."""
    engine = engine_on(matched_night(tmp_path))
    launched = {}
    for params, words in (({}, "incidents (each counted once)"), ({"reports": "all"}, "every report")):
        v = view_of(engine, type="drone_attack", from_="2024-11-25", to="2024-11-25", **params)
        (slide,) = decks.view_deck(engine, v).slides
        finding, counting = slide.subtitle.split(" · ")[:2]
        assert counting == words and finding == findings.for_view(engine, v)
        launched[words] = finding
    assert launched["incidents (each counted once)"] != launched["every report"]
