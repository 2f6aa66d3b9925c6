"""ims-xl: the GST Invoice Management System (IMS) offline workbook, done in Python.

Layers, lowest first; a module imports only its own layer or lower ones (``tests/test_layers.py``):

- ``ims_xl.core``      pure logic: sections and columns, every sheet's description (``layout``), the
                       codec between sheet rows and the book's state, portal records, business rules,
                       change detection and the upload file, error files, reconciliation, refresh.
- ``ims_xl.files``     everything that reads or writes a file: portal JSON (``portal``), purchase
                       registers (``register``), a new book (``bookfile``), the xlsx package and the
                       sheet-XML patcher (``package``, ``sheetxml``), the file port, backups and locks.
- ``ims_xl.excel``     live Excel: the xlwings port, the range port it shares with Lite, the VBA
                       project and the template.
- ``ims_xl.lite``      the xlwings Lite edition (runs in Excel's browser Python).
- ``ims_xl.actions``   what each button and command does, written once over a workbook port.
- ``ims_xl.commands``  commands that are more than an action, one module each, named after it.
- ``ims_xl.cli``, ``ims_xl.macros``, ``ims_xl.lite.scripts``: the entry points (command line,
                       Excel buttons, Lite buttons).
"""

__version__ = "0.1.0"
