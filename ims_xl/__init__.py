"""ims-xl: the GST Invoice Management System (IMS) offline workbook, done in Python.

Layers (each outside world has one thin module; the core imports none of them):

- ``ims_xl.core``      pure logic: sections and columns, every sheet's description (``layout``), the
                       codec between sheet rows and the book's state, portal records, business rules,
                       change detection and the upload file, error files, reconciliation, refresh.
- ``ims_xl.portal``    portal files on disk: downloads (.json/.zip, BOM), error files, the upload.
- ``ims_xl.bookfile``  a new workbook, written with XlsxWriter (the template, ``open``).
- ``ims_xl.files``     workbook files that exist: read with calamine, edited in place (``FilePort``).
- ``ims_xl.excel``     live Excel through xlwings (the only module that calls ``xw.Book.caller()``).
- ``ims_xl.actions``   what each button and command does, written once over a workbook port.
- ``ims_xl.cli``       the ``ims-xl`` command line.
"""

__version__ = "0.1.0"
