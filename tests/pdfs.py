"""Small real PDFs for delivery tests: delivery parses every PDF before it sends it."""

import io

import pypdf


def pdf_bytes(body: str, pages: int = 1) -> bytes:
    """A blank PDF of `pages` pages; `body` (its title) makes the bytes of two versions differ."""
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": body})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
