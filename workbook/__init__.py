"""The workbook's own VBA source, installed with the package as ``ims_xl.vba``.

``ims_buttons.bas`` becomes the VBA module "Module1" of every ``.xlsm`` ims-xl writes; see
``ims_xl/template.py``.
"""
