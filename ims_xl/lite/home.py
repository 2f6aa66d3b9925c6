"""Where the Lite edition puts its buttons and its feedback on the Home sheet.

Rows and columns are 0-based like ``core.layout``. Lite cannot show a message box or use the
status bar, so every button reports in the status cell; the user names a file in the file cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core import layout

DATA_FOLDER = "/data"  # where Lite's Files panel puts imported files (and takes exports from)

STATUS = (8, 2)
FILE = (9, 2)
UPLOAD = (10, 2)
LABELS = {
    STATUS: "Status",
    FILE: "File to open (optional)",
    UPLOAD: "Upload file written",
}
NOTES_TOP = 12  # beside the last button, left of it
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
    row: int
    column: int = layout.BUTTON_COLUMN

    @property
    def cell(self) -> str:
        """The cell the shape's hyperlink selects, under the shape's top-left corner."""
        return layout.a1(self.row, self.column)

    @property
    def binding(self) -> str:
        return f"[{self.shape}]{layout.HOME}!{self.cell}"


def _row(index: int) -> int:
    return layout.BUTTON_FIRST_ROW + index * layout.BUTTON_ROW_STEP


BUTTONS = (
    Button("Open Downloaded IMS JSON File", "ImsOpenJson", "open_downloaded_ims_json_file", _row(0)),
    Button("Validate Sheet", "ImsValidateSheet", "validate_sheet", _row(1)),
    Button("Generate JSON File to Upload", "ImsGenerateJson", "generate_json_file_to_upload", _row(2)),
    Button("Open Downloaded Error JSON File", "ImsOpenErrorJson", "open_downloaded_error_json_file", _row(3)),
    Button("Suggest Actions", "ImsSuggestActions", "suggest_actions", _row(4)),
    Button("Refresh from Newer Download", "ImsRefresh", "refresh_from_newer_download", _row(5)),
)
