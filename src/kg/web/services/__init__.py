"""The services over HTTP: the SPARQL 1.1 endpoint (``sparql``) with its Service Description
(``service_description``), validation of a user's RDF (``validation``), entity reconciliation for OpenRefine
(``reconcile``) and Triple Pattern Fragments (``fragments``)."""
