"""The web layer: a thin FastAPI application over the library (``kg.sparql``, ``kg.validation``, the build).

- ``app``: the application factory, the error handlers and CORS;
- ``pages``: HTML pages for people; ``linked_data``: IRIs, vocabularies, dumps and signposting for machines;
  ``services``: SPARQL, validation, reconciliation, fragments;
- ``serving``: the HTTP server and the layers in front of FastAPI, in the order a request meets them;
- shared by those: ``links`` (IRIs ↔ URLs), ``render`` (negotiated responses, templates, errors), ``view``
  (what pages show, asked of the engine), ``i18n`` (the reader's language), ``middleware`` (the shape of
  our ASGI middleware); ``templates/`` and ``static/`` beside them.
"""
