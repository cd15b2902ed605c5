"""Runs a SELECT through SPARQLWrapper, a standard Python SPARQL client, against trecrate's
endpoint with a bearer token, and prints the SPARQL JSON results it parsed.

Usage: sparqlwrapper_query.py ENDPOINT TOKEN QUERY
"""
import json
import sys

from SPARQLWrapper import JSON, POST, SPARQLWrapper

endpoint, token, query = sys.argv[1:4]
client = SPARQLWrapper(endpoint)
client.addCustomHttpHeader("Authorization", f"Bearer {token}")
client.setMethod(POST)
client.setQuery(query)
client.setReturnFormat(JSON)
results = client.queryAndConvert()
json.dump(results, sys.stdout)

# An ASK, as GET this time, must say true: the archive is not empty.
client = SPARQLWrapper(endpoint)
client.addCustomHttpHeader("Authorization", f"Bearer {token}")
client.setQuery("ASK { ?s ?p ?o }")
client.setReturnFormat(JSON)
if client.queryAndConvert().get("boolean") is not True:
    sys.exit("ASK through SPARQLWrapper did not answer true")
