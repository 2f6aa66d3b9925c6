"""The workbook file's world: the xlsx package patched in place, and the file port over it."""
