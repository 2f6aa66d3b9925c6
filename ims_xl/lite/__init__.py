"""The xlwings Lite edition: the same workbook, with its Python inside it (no install on the PC).

``build`` writes the workbook, ``package`` adds the add-in's part that holds ``main.py``,
``scripts`` holds what the buttons do and ``port`` is the workbook port they use. Nothing here
imports xlwings, openpyxl or the other desktop-only libraries at module level: ``scripts`` and
``port`` run under Pyodide.
"""
