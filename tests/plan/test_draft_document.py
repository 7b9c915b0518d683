"""Documents as offices have them: a Word file, a PDF printed from a web page, text in GBK.

Each test makes the real file (python-docx writes the .docx, Chromium prints the PDF with a
text layer) and reads it back through `workplan draft`'s reader.
"""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from tests.helpers import needs
from workplan.errors import InvalidInput
from workplan.plan.draft.document import Line, normalise, read_document
from workplan.plan.draft.make import draft_document
from workplan.reports.output import html_to_pdf

ITEM = (
    "（十六）强化衔接资金和项目管理。中央衔接资金支出进度4月、6月和9月分别达到30%、50%、75%。"
    "6月底前完成2024年项目库建设。（牵头单位：区乡村振兴局；责任单位：区财政局）"
)


def _paragraphs(path: Path) -> list[str]:
    return [p.text for p in read_document(path).paragraphs]


def test_docx(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("示例区2023年乡村振兴工作要点", level=1)
    document.add_paragraph("四、强化支撑保障")
    document.add_paragraph(ITEM)
    path = tmp_path / "要点.docx"
    document.save(str(path))
    doc = read_document(path)
    assert [p.text for p in doc.paragraphs] == [
        "示例区2023年乡村振兴工作要点",
        "四、强化支撑保障",
        ITEM,
    ]
    item = doc.paragraphs[2]
    start = item.text.index("6月底前")
    assert item.where(start) == "第3段"
    assert item.words(start, start + 4) == "6月底前"


def test_txt_in_gbk(tmp_path: Path) -> None:
    path = tmp_path / "要点.txt"
    path.write_bytes(f"一、强化支撑保障\n\n{ITEM}\n".encode("gbk"))
    assert _paragraphs(path) == ["一、强化支撑保障", ITEM]


def test_txt_in_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "要点.txt"
    path.write_bytes("\ufeff一、强化支撑保障\n".encode())
    assert _paragraphs(path) == ["一、强化支撑保障"]


def test_pdf_printed_from_a_web_page(tmp_path: Path) -> None:
    """Chromium's PDF: Kangxi radicals for 工 and 月, lines wrapped in mid-sentence, spaces
    inside words and a lost separator, as government sites' PDFs have them."""
    needs("chromium")  # Chromium prints the test's PDF
    html = (
        "<html><head><meta charset='utf-8'><style>body{font-family:'Noto Serif CJK SC';"
        "font-size:16pt;width:14cm}</style></head><body>"
        "<p>示例区2023年乡村振兴工作要点</p><p>一、强化支撑保障</p>"
        "<p>（一）强化衔接资金管理。到 2023 年底，中央衔接资金支出进度4月、6月和9月分别达到"
        "30%50%75%，每月5日前报送支出情况。（区乡村振兴局、区财政局等按职责分工负责）</p>"
        "</body></html>"
    )
    path = tmp_path / "要点.pdf"
    html_to_pdf(html, path)
    doc = read_document(path)
    texts = [p.text for p in doc.paragraphs]
    assert texts[:2] == ["示例区2023年乡村振兴工作要点", "一、强化支撑保障"]
    assert texts[2] == (
        "（一）强化衔接资金管理。到2023年底，中央衔接资金支出进度4月、6月和9月分别达到"
        "30%、50%、75%，每月5日前报送支出情况。（区乡村振兴局、区财政局等按职责分工负责）"
    )
    item = doc.paragraphs[2]
    at = item.text.index("2023年底")
    assert item.words(at - 1, at + 6) == "到 2023 年底"
    assert item.where(at).startswith("第1页第")
    drafted = draft_document(path).text
    assert "every: month  # 第1页第" in drafted
    assert "- {by: 2023-04, value: 30}" not in drafted  # block style, each with its source
    assert "by: 2023-04" in drafted


def test_pdf_without_text(tmp_path: Path) -> None:
    needs("chromium")  # Chromium prints the test's PDF
    path = tmp_path / "scan.pdf"
    html_to_pdf(
        "<html><body><div style='width:5cm;height:5cm;background:#888'></div></body></html>", path
    )
    with pytest.raises(InvalidInput, match="the PDF has no text layer"):
        read_document(path)


def test_normalise_keeps_latin_words_apart() -> None:
    lines = [Line("第1行", "用好 渝防贫 APP 平台, 提高 12317 热线 知晓度")]
    paragraph = normalise(lines, [0])
    assert paragraph.text == "用好渝防贫APP平台，提高12317热线知晓度"
    assert normalise([Line("第1行", "Open Data Portal")], [0]).text == "Open Data Portal"


def test_normalise_puts_back_lost_separators() -> None:
    text = "分别达到30%50%75%7月中旬达到序时进度"
    assert (
        normalise([Line("第1行", text)], [0]).text == "分别达到30%、50%、75%，7月中旬达到序时进度"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.odt", b"x", "give the document as .docx, .txt (UTF-8 or GBK) or .pdf"),
        ("plan.docx", b"not a zip", "not a Word document (.docx)"),
        ("plan.pdf", b"%PDF-1.4\n%%EOF", "not a PDF"),
        ("plan.txt", b"\xff\xfe\xfa\xfb\xfc" * 3, "neither UTF-8 nor GBK text"),
    ],
)
def test_unreadable(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as caught:
        read_document(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))
