"""How a request is served: the HTTP server, the layers in front of FastAPI, and the apps ``kg serve`` runs.

Every layer an HTTP request meets, in order, and what each may answer itself (anything it does not answer
goes on to the next):

1. The HTTP server, granian (``server``; uvicorn with ``KG_HTTP_SERVER=uvicorn``), in one or more
   front-end processes (``served``; ``live`` runs it in a thread for tests): answers malformed HTTP and
   over-long request lines or headers itself.
2. Admission control (``admission``, counting in ``client_counts``, shared across processes): answers
   ``429`` (too many requests of one client in flight, or too many of its SPARQL queries) or ``503``
   (the server is full), with ``Retry-After``.
3. The response cache (``response_cache``): answers a GET or HEAD with a kept whole answer, byte for byte,
   when the URL and the headers the answer varies on are the same.
4. The lookup lane (``lookup_lane``): answers a bounded SPARQL lookup (``kg.sparql.inline``), evaluated
   in this process, with the headers the whole way gave the same request.
   (``front`` installs 2–4 in front of FastAPI, or as its outermost middleware with ``KG_FRONT=off``.)
5. FastAPI (``kg.web.app``): Starlette's error middleware (500 for a bug, never a trace), CORS
   (``app.Cors``: answers ``OPTIONS`` itself), FAIR signposting (adds ``Link`` headers), conditional GET
   (``kg.web.linked_data.harvest``: answers ``304``), then the router: the routes of ``kg.web.pages``,
   ``kg.web.linked_data`` and ``kg.web.services``, whose errors are answered by the handlers of
   ``kg.web.app`` with a status and a message.
6. The engine (``kg.sparql.stack``): the result cache answers a repeated query, inline lookups answer a
   bounded one in this process, and the pool of worker processes evaluates every other query under the
   time, row and memory limits.
"""
