"""The HTML pages for people: the home page (``home``), the scholar's workbench with the SPARQL editor and
the example catalog (``workbench``), the reader of the source (``reader``), the charts of the figures
(``charts``), the timeline of dated events (``timeline``) and how to cite (``citation``)."""
