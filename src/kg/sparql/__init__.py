"""The SPARQL endpoint's core: guard, protocol, content negotiation and the worker-pool engine."""
