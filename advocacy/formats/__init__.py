"""The desk's date formats per language (``FORMAT_MODULE_PATH``): templates name a format
(``|date:"DATE_FORMAT"``), each language says how it writes it; numbers, and every format
not set here, come from Django's own locale data."""
