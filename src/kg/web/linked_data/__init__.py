"""Linked data for machines and harvesters: dereferencing the graph's IRIs with content negotiation
(``resources``), the ontology and shapes at their IRIs (``vocab``), the dumps (``dumps``), FAIR signposting
(``signposting``), robots, sitemap, the change log and conditional GET (``harvest``)."""
