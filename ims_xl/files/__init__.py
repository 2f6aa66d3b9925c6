"""The workbook file's world: the xlsx package patched in place (``xlsx``), the file port over it
(``fileport``), backups beside a book, locks, and the checks made before anything is written.

Rules this package keeps (the README's "Safety" section says the same to users):

- Only the tool's own cells change in a book; every other part is copied as stored.
- Only names exactly of the tool's own backup pattern are ever counted or pruned as backups.
- A book open in Excel or LibreOffice, read-only, or in a read-only folder is refused before any work.
- One ims-xl command at a time per book (a lock file of the tool's own), and a book changed on disk
  while a command ran is not overwritten.
"""
