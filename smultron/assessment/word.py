"""The assessment as a Word document (python-docx): real headings (Heading 1/2, so the
planner's navigation pane and table of contents work), tables with a repeated header
row, quotes in Word's Quote style and the map as a picture with a text alternative.
Opens in Word and LibreOffice; the language is set so spelling checks the right one."""

from __future__ import annotations

import io

from docx import Document as new_document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from smultron.assessment.document import Block, Document

LANGUAGE_TAGS = {"sv": "sv-SE", "en": "en-GB", "fi": "fi-FI", "se": "se-NO", "fit": "sv-SE"}


def _language(doc, lang: str) -> None:
    tag = LANGUAGE_TAGS.get(lang, "sv-SE")
    for style_name in ("Normal", "Heading 1", "Heading 2", "Title", "Quote"):
        rpr = doc.styles[style_name].element.get_or_add_rPr()
        element = rpr.find(qn("w:lang"))
        if element is None:
            element = OxmlElement("w:lang")
            rpr.append(element)
        element.set(qn("w:val"), tag)


def _repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()  # noqa: SLF001 - python-docx has no API for it
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _table(doc, block: Block) -> None:
    caption = doc.add_paragraph(block.text, style="Caption")
    caption.paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1, cols=len(block.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for cell, text in zip(table.rows[0].cells, block.header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    _repeat_header(table.rows[0])
    for row in block.rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    if not block.rows:
        cells = table.add_row().cells
        cells[0].text = "–"


def _title(doc, block: Block) -> None:
    doc.add_paragraph(block.text, style="Title")
    for label, value in block.lines:
        paragraph = doc.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)
    doc.add_page_break()


def _image(doc, block: Block) -> None:
    doc.add_picture(io.BytesIO(block.image), width=Cm(8 if block.kind == "photo" else 16))
    picture = doc.paragraphs[-1]
    properties = picture._p.xpath(".//wp:docPr")  # noqa: SLF001
    for element in properties:  # the text alternative screen readers read
        element.set("descr", block.lines[0] if block.lines else block.text)
        element.set("title", block.text)
    doc.add_paragraph(block.text, style="Caption")


def _quote(doc, block: Block) -> None:
    paragraph = doc.add_paragraph(f"“{block.text}”", style="Quote")
    if block.lines:
        paragraph.add_run(f" ({block.lines[0]})").italic = False


def write(document: Document) -> bytes:
    doc = new_document()
    doc.core_properties.title = document.title
    doc.core_properties.subject = document.subject
    doc.core_properties.author = document.author
    doc.core_properties.language = LANGUAGE_TAGS.get(document.lang, "sv-SE")
    doc.styles["Normal"].font.size = Pt(11)
    _language(doc, document.lang)
    for block in document.blocks:
        if block.kind == "title":
            _title(doc, block)
        elif block.kind == "heading":
            doc.add_heading(block.text, level=block.level)
        elif block.kind == "table":
            _table(doc, block)
        elif block.kind in ("image", "photo"):
            _image(doc, block)
        elif block.kind == "quote":
            _quote(doc, block)
        else:
            paragraph = doc.add_paragraph(block.text)
            if block.kind == "note":
                for run in paragraph.runs:
                    run.italic = True
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
