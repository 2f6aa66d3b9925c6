"""Where the Lite edition puts its buttons and its feedback on the Home sheet.

Cells are numbered as Excel shows them, like ``core.layout``. Lite cannot show a message box or use
the status bar, so every button reports in the status cell; the user names a file in the file cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core import layout
from ..core.layout import Cell

DATA_FOLDER = "/data"  # where Lite's Files panel puts imported files (and takes exports from)

STATUS = Cell(9, 3)
FILE = Cell(10, 3)
UPLOAD = Cell(11, 3)
LABELS = {
    STATUS: "Status",
    FILE: "File to open (optional)",
    UPLOAD: "Upload file written",
}
NOTES_TOP = Cell(13, 2)  # beside the last buttons, left of them
NOTES = (
    "Lite: import portal files in Lite's Files panel; the buttons",
    "take the newest there, or the file named above. Lite cannot",
    "clear filters: findings go to every row; a filter may hide some.",
)


@dataclass(frozen=True)
class Button:
    caption: str
    shape: str  # the shape's name, which @script(button=...) refers to
    script: str  # the function in main.py
    place: Cell  # under the shape's top-left corner

    @property
    def cell(self) -> str:
        """The cell the shape's hyperlink selects, under the shape's top-left corner."""
        return self.place.a1

    @property
    def binding(self) -> str:
        return f"[{self.shape}]{layout.HOME}!{self.cell}"


def _row(index: int) -> Cell:
    return layout.BUTTON_TOP.down(index * layout.BUTTON_ROW_STEP)


BUTTONS = (
    Button(layout.OPEN_JSON, "ImsOpenJson", "open_downloaded_ims_json_file", _row(0)),
    Button(layout.VALIDATE_SHEET, "ImsValidateSheet", "validate_sheet", _row(1)),
    Button(layout.GENERATE_JSON, "ImsGenerateJson", "generate_json_file_to_upload", _row(2)),
    Button(layout.OPEN_ERROR_JSON, "ImsOpenErrorJson", "open_downloaded_error_json_file", _row(3)),
    Button(layout.SUGGEST_ACTIONS, "ImsSuggestActions", "suggest_actions", _row(4)),
    Button(layout.REFRESH, "ImsRefresh", "refresh_from_newer_download", _row(5)),
)
