"""The Lite workbook's main.py run as Lite runs it, without ims_xl installed: open, decide, validate,
generate, suggest actions.

Run by the tests in a fresh CPython (``python -I -S flow.py CONFIG``) and under Pyodide in Node
(config at /home/pyodide/flow.json). It prints one JSON line with what a user would see.
CONFIG: {"main_py", "data" (Lite's Files folder), "sample", "register", "site" (paths to add, may be
empty)}.
"""

import json
import os
import shutil
import sys
import types

with open(sys.argv[1] if len(sys.argv) > 1 else "/home/pyodide/flow.json", encoding="utf-8") as stream:
    config = json.load(stream)
sys.path[:0] = config["site"]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)) if "__file__" in globals() else "/home/pyodide/lite")

try:
    import ims_xl
except ImportError:
    pass
else:
    raise SystemExit("ims_xl is importable before main.py runs: " + ims_xl.__file__)

# Lite's xlwings: its script decorator is Lite's own (desktop xlwings has only a stub); record the bindings.
xlwings = types.ModuleType("xlwings")
xlwings.Book = object


def script(f=None, **options):
    def mark(function):
        function.__xlscript__ = options
        return function
    return mark if f is None else mark(f)


xlwings.script = script
sys.modules["xlwings"] = xlwings

main = {"__name__": "main"}
with open(config["main_py"], encoding="utf-8") as source:
    exec(compile(source.read(), "main.py", "exec"), main)

from lite_book_fake import lite_book  # noqa: E402

import ims_xl  # noqa: E402
from ims_xl.core.sections import BY_SHEET, FIRST_DATA_ROW  # noqa: E402
from ims_xl.lite import home  # noqa: E402

data = config["data"]
os.makedirs(data, exist_ok=True)
shutil.copyfile(config["sample"], os.path.join(data, "returns_R1_27AAPFU0939F1ZV_102025.json"))
shutil.copyfile(config["register"], os.path.join(data, "register.xlsx"))
book = lite_book()
buttons = {name: f for name, f in main.items() if hasattr(f, "__xlscript__")}


def press(script_name):
    if data == "/data":  # as in Lite: the function main.py binds to the button, on Lite's Files folder
        buttons[script_name](book)
    else:
        action = {"open_downloaded_ims_json_file": main["ims"].open_json,
                  "generate_json_file_to_upload": main["ims"].generate_json,
                  "suggest_actions": main["ims"].suggest_actions}.get(script_name)
        action(book, data) if action else buttons[script_name](book)
    return book.sheets["Home"].get(home.STATUS.row, home.STATUS.column)


def type_in(sheet, field, value):
    book.sheets[sheet].range((FIRST_DATA_ROW, BY_SHEET[sheet].index(field) + 1)).value = value


statuses = [press("open_downloaded_ims_json_file")]
type_in("B2B", "status", "Reject")
type_in("B2B", "remarks", "Not received")
type_in("B2B-CN", "status", "Pending")  # the portal does not allow it on this credit note
statuses.append(press("validate_sheet"))
type_in("B2B-CN", "status", "No Action")
statuses.append(press("validate_sheet"))
statuses.append(press("generate_json_file_to_upload"))
statuses.append(press("suggest_actions"))
first_b2b = [book.sheets["B2B"].get(FIRST_DATA_ROW, BY_SHEET["B2B"].index(field) + 1)
             for field in ("match_result", "suggested_action")]
uploads = sorted(name for name in os.listdir(data) if name.startswith("IMS_upload_"))
upload = {}
if uploads:
    with open(os.path.join(data, uploads[-1]), encoding="utf-8") as stream:
        upload = json.load(stream)
print(json.dumps({
    "platform": sys.platform,
    "ims_xl": ims_xl.__file__,
    "zip": str(main["IMS_XL_ZIP_PATH"]),
    "buttons": {name: f.__xlscript__["button"] for name, f in buttons.items()},
    "statuses": statuses,
    "uploads": uploads,
    "suggested": first_b2b,
    "upload_on_home": book.sheets["Home"].get(home.UPLOAD.row, home.UPLOAD.column),
    "sent": {key: [[r["inum"], r["action"], r.get("remarks")] for r in rows]
             for key, rows in upload.get("invdata", {}).items()},
}))
