"""ims-xl: the GST Invoice Management System (IMS) offline workbook, done in Python.

Layers (each outside world has one thin module; the core imports none of them):

- ``ims_xl.core``      pure logic: sections and columns, portal records, business rules,
                       change detection and the upload file, error files, reconciliation, refresh.
- ``ims_xl.portal``    portal files on disk: downloads (.json/.zip, BOM), error files, the upload.
- ``ims_xl.bookfile``  workbook files: reading (calamine/openpyxl) and writing (XlsxWriter).
- ``ims_xl.excel``     live Excel through xlwings (the only module that calls ``xw.Book.caller()``).
- ``ims_xl.actions``   what each button and command does, written once over a workbook port.
- ``ims_xl.cli``       the ``ims-xl`` command line.
"""

__version__ = "0.1.0"
