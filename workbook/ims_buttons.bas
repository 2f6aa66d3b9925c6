Attribute VB_Name = "Module1"
Option Explicit
' ims-xl: the Home sheet's buttons. Each Sub is one call into Python (package ims_xl) through
' xlwings' RunPython, which is in the module "xlwings" of this workbook (no add-in needed).
' All the work, and every message shown to the user, is in ims_xl/macros.py.

Public Sub IMS_OpenJson()
    RunPython "import ims_xl.macros as m; m.open_json()"
End Sub

Public Sub IMS_ValidateSheet()
    RunPython "import ims_xl.macros as m; m.validate_sheet()"
End Sub

Public Sub IMS_GenerateJson()
    RunPython "import ims_xl.macros as m; m.generate_json()"
End Sub

Public Sub IMS_OpenErrorJson()
    RunPython "import ims_xl.macros as m; m.open_error_json()"
End Sub

Public Sub IMS_SuggestActions()
    RunPython "import ims_xl.macros as m; m.suggest_actions()"
End Sub

Public Sub IMS_Refresh()
    RunPython "import ims_xl.macros as m; m.refresh_download()"
End Sub

Public Sub IMS_SupplierFollowUp()
    RunPython "import ims_xl.macros as m; m.supplier_follow_up()"
End Sub
