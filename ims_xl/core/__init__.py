"""Pure IMS logic: no xlwings, no openpyxl, no XlsxWriter, no file or Excel access.

Everything here works on Python values (dicts read from portal JSON, lists of cell values) so
it can be tested quickly and reused by every front end. ``tests/test_core_is_pure.py`` enforces
the boundary by reading the import statements of every module in this package.
"""
