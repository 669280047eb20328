"""The column-mapping CSV import every app's import is built on.

``spec`` describes an import and matches a file's headers and values to it; ``reading`` reads a
file within limits and summarises its errors (both pure); ``forms`` is the mapping step's form;
``services`` remembers confirmed mappings per workspace, import kind and header row.
"""
