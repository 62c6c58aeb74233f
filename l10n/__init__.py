"""A Chinese → English translation and localization toolkit built on gettext PO files.

Importing the package is cheap: no MT engine (and no torch) is loaded until pre-translation
actually needs a model.
"""

__version__ = "0.1.0"
